//! The command palette and the console's own log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::help::centered;
use crate::app::palette;
use crate::app::state::{Prompt, State};

pub fn palette(state: &State, prompt: &Prompt, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let completions = palette::completions(state, &prompt.input);
    let shown = completions.len().min(8);
    let width = area.width.saturating_sub(4).min(70);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 1,
        width,
        height: (shown as u16 + 3).min(area.height.saturating_sub(2)),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.prompt()),
        Span::styled(crate::text::sanitize(&prompt.input), theme.text()),
        Span::styled("█", theme.text()),
    ])];
    let start = prompt.selected.saturating_sub(shown.saturating_sub(1));
    for (i, c) in completions.iter().enumerate().skip(start).take(shown) {
        let cmd = c.split_whitespace().next().unwrap_or("");
        let desc = if c.contains(' ') {
            String::new()
        } else {
            palette::describe(cmd).unwrap_or("").to_owned()
        };
        let style = if i == prompt.selected {
            theme.selection(true)
        } else {
            theme.text()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {c:<20}"), style),
            Span::styled(format!(" {desc}"), theme.dim()),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .title(" command · tab completes · enter runs ")
        .style(theme.popup());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

pub fn console_log(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let popup = centered(area, 90, 70);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .title(" flightdeck log · esc closes ")
        .style(theme.popup());
    frame.render_widget(Clear, popup);
    let widget = tui_logger::TuiLoggerWidget::default()
        .block(block)
        .style(theme.popup())
        .style_error(theme.log_level(log::Level::Error))
        .style_warn(theme.log_level(log::Level::Warn))
        .style_info(theme.log_level(log::Level::Info))
        .style_debug(theme.log_level(log::Level::Debug))
        .style_trace(theme.log_level(log::Level::Trace))
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".into()))
        .output_level(Some(tui_logger::TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false);
    frame.render_widget(widget, popup);
}
