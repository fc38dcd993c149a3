//! The five panes. Each pane is one file; this one draws the shared frame, and
//! `placeholder.rs` the honest placeholder a pane shows until its source has data.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::state::{FaceKind, SourceId, SourceStatus, State};
use crate::config::theme::Health;
use crate::pane::PaneId;

mod cut;
pub mod errors;
pub mod gpu;
mod gpu_cells;
mod gpu_list;
pub mod hosts;
pub mod logs;
pub mod pipeline;
mod placeholder;
pub mod workloads;

pub use placeholder::placeholder;

pub fn render(state: &State, pane: PaneId, frame: &mut Frame, area: Rect) {
    if pane == PaneId::Workloads
        && let Some(view) = &state.workloads.yaml
    {
        return workloads::yaml::render(state, view, frame, area);
    }
    let block = pane_block(state, pane, subtitle(state, pane));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match pane {
        PaneId::Pipeline => pipeline::render(state, frame, inner),
        PaneId::Workloads => workloads::render(state, frame, inner),
        PaneId::Errors => errors::render(state, frame, inner),
        PaneId::Logs => logs::render(state, frame, inner),
        PaneId::Hosts => gpu::render(state, frame, inner),
    }
}

/// The pane's border and title; the focused pane is marked by style and border type.
pub fn pane_block<'a>(state: &State, pane: PaneId, subtitle: Option<String>) -> Block<'a> {
    let focused = state.focus == pane;
    let theme = &state.theme;
    let mut title = vec![Span::styled(
        format!(" {} ", pane.title()),
        theme.title(focused),
    )];
    if let Some(s) = subtitle {
        title.push(Span::styled(format!("─ {s} "), theme.title(focused)));
    }
    let filter = &state.pane(pane).filter;
    // a kept filter is said where the eye goes first, with what it lets through
    let matches = crate::app::panes::filter_matches(state, pane);
    if let Some((n, of)) = matches {
        title.push(Span::styled(
            format!("─ /{} {n} of {of} ", crate::text::clean(filter)),
            theme.prompt(),
        ));
    }
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(Line::from(title));
    if !filter.is_empty() && matches.is_none() {
        block = block.title_bottom(Line::from(Span::styled(
            format!(" /{} ", crate::text::clean(filter)),
            theme.prompt(),
        )));
    }
    if let Some(tag) = staleness_tag(state, SourceId::for_pane(pane)) {
        block = block.title(
            Line::from(Span::styled(
                format!(" {tag} "),
                theme.health(Health::Stale),
            ))
            .right_aligned(),
        );
    }
    block
}

fn subtitle(state: &State, pane: PaneId) -> Option<String> {
    let cfg = &state.config;
    match pane {
        PaneId::Pipeline => cfg.github.as_ref().map(|g| crate::text::sanitize(&g.repo)),
        PaneId::Workloads => {
            let ns = state
                .scope
                .namespace
                .clone()
                .unwrap_or_else(|| "all namespaces".into());
            let scope = match &state.scope.context {
                Some(c) => format!("{}/{}", crate::text::clean(c), crate::text::clean(&ns)),
                None => crate::text::sanitize(&ns),
            };
            if let Some(g) = &state.workloads.generic {
                let label = crate::text::clean(&g.resource.label()).into_owned();
                return Some(match g.marks.len() {
                    0 => format!("{scope} · {label}"),
                    n => format!("{scope} · {label} · {n} marked"),
                });
            }
            if state.nodes.shown {
                let ctx = state.scope.context.as_deref().map(crate::text::clean);
                return Some(match ctx {
                    Some(c) => format!("nodes · {c}"),
                    None => "nodes".into(),
                });
            }
            let scope = match state.workloads.marks.len() {
                0 => scope,
                n => format!("{scope} · {n} marked"),
            };
            Some(match workloads::listing_text(state) {
                Some(listing) => format!("{scope} · {listing}"),
                None => scope,
            })
        }
        PaneId::Errors => Some("5xx ratio".into()),
        PaneId::Logs => logs::subtitle(state),
        PaneId::Hosts => None,
    }
}

/// "stale 2m" when the source is failing with data behind it, or silent past its bound,
/// aged from its last successful contact as the status bar does: never show old data as
/// live.
pub fn staleness_tag(state: &State, source: SourceId) -> Option<String> {
    match state.source(source)? {
        SourceStatus::Failing {
            last_ok: Some(t), ..
        } => Some(format!("stale {}", crate::text::age(*t, state.now))),
        SourceStatus::Failing { last_ok: None, .. } => Some("failing".into()),
        SourceStatus::Live { updated, .. }
            if state
                .face(source)
                .is_some_and(|f| f.kind == FaceKind::Stale) =>
        {
            Some(format!("stale {}", crate::text::age(*updated, state.now)))
        }
        _ => None,
    }
}
