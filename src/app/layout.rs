//! Where things go. Computed from the size and State alone, so `update` can hit-test the
//! mouse with the same rectangles the view draws into.

use ratatui::layout::{Constraint, Direction, Layout as RLayout, Rect};

use crate::action::Action;
use crate::app::state::State;
use crate::pane::PaneId;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
    pub too_small: bool,
}

pub fn compute(size: (u16, u16), state: &State) -> Layout {
    let area = Rect::new(0, 0, size.0, size.1);
    if size.0 < MIN_WIDTH || size.1 < MIN_HEIGHT {
        return Layout {
            panes: Vec::new(),
            status: Rect::default(),
            too_small: true,
        };
    }
    let [body, status] = RLayout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(1)])
        .areas(area);
    if state.zoomed {
        return Layout {
            panes: vec![(state.focus, body)],
            status,
            too_small: false,
        };
    }
    let [left, right] = RLayout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(body);
    let [pipeline, errors, gpu] = RLayout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(34),
            Constraint::Percentage(33),
            Constraint::Percentage(33),
        ])
        .areas(left);
    let [workloads, logs] = RLayout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(right);
    Layout {
        panes: vec![
            (PaneId::Pipeline, pipeline),
            (PaneId::Workloads, workloads),
            (PaneId::Errors, errors),
            (PaneId::Logs, logs),
            (PaneId::Hosts, gpu),
        ],
        status,
        too_small: false,
    }
}

impl Layout {
    pub fn rect(&self, pane: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }

    pub fn pane_at(&self, x: u16, y: u16) -> Option<PaneId> {
        self.panes
            .iter()
            .find(|(_, r)| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
            .map(|(p, _)| *p)
    }

    /// The pane beside `from` in the direction of a `pane.left/right/up/down` action: the
    /// one that overlaps it most across that direction.
    pub fn neighbour(&self, from: PaneId, dir: Action) -> Option<PaneId> {
        let r = self.rect(from)?;
        let overlap = |a0: u16, a1: u16, b0: u16, b1: u16| a1.min(b1).saturating_sub(a0.max(b0));
        self.panes
            .iter()
            .filter(|(p, _)| *p != from)
            .filter_map(|(p, o)| {
                let (beside, shared) = match dir {
                    Action::FocusLeft => (
                        o.x + o.width <= r.x,
                        overlap(r.y, r.y + r.height, o.y, o.y + o.height),
                    ),
                    Action::FocusRight => (
                        o.x >= r.x + r.width,
                        overlap(r.y, r.y + r.height, o.y, o.y + o.height),
                    ),
                    Action::FocusUp => (
                        o.y + o.height <= r.y,
                        overlap(r.x, r.x + r.width, o.x, o.x + o.width),
                    ),
                    Action::FocusDown => (
                        o.y >= r.y + r.height,
                        overlap(r.x, r.x + r.width, o.x, o.x + o.width),
                    ),
                    _ => (false, 0),
                };
                // nearest first, then the largest shared edge
                let distance = match dir {
                    Action::FocusLeft => r.x.saturating_sub(o.x + o.width),
                    Action::FocusRight => o.x.saturating_sub(r.x + r.width),
                    Action::FocusUp => r.y.saturating_sub(o.y + o.height),
                    _ => o.y.saturating_sub(r.y + r.height),
                };
                (beside && shared > 0).then_some((*p, distance, shared))
            })
            .min_by_key(|(_, d, s)| (*d, std::cmp::Reverse(*s)))
            .map(|(p, _, _)| p)
    }
}
