//! The gpu pane's body (the frame around it is drawn by `panes::render`).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::pane::PaneId;
use crate::app::state::State;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    super::placeholder(state, PaneId::Gpu, frame, area);
}
