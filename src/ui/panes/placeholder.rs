//! What a pane shows while its source has nothing to show.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::state::{SourceId, SourceStatus, State};
use crate::config::theme::Health;
use crate::pane::PaneId;

/// What a pane shows while its source has nothing to show.
pub fn placeholder(state: &State, pane: PaneId, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let lines: Vec<Line> = match state.source(SourceId::for_pane(pane)) {
        None => vec![Line::styled("no source", theme.dim())],
        Some(SourceStatus::NotConfigured { hint }) => vec![
            Line::styled("not configured", theme.dim()),
            Line::from(vec![
                Span::styled("set ", theme.dim()),
                Span::styled(hint.clone(), theme.accent()),
            ]),
        ],
        Some(SourceStatus::Unavailable { reason }) => {
            vec![Line::styled(reason.clone(), theme.dim())]
        }
        Some(SourceStatus::Connecting { since }) => {
            vec![Line::styled(
                format!("connecting… {}", crate::text::age(*since, state.now)),
                theme.health(Health::Pending),
            )]
        }
        Some(SourceStatus::Live { .. }) => vec![Line::styled("no data yet", theme.dim())],
        Some(SourceStatus::Failing { error, .. }) => vec![
            Line::styled("failing", theme.health(Health::Error)),
            Line::styled(crate::text::sanitize(error), theme.text()),
        ],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
