//! The view: a pure function of State. Nothing here does I/O.

pub mod dialog;
pub mod help;
pub mod lines;
pub mod overlay;
pub mod panes;
pub mod status;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::state::{Overlay, State};

pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let l = crate::app::layout::compute((area.width, area.height), state);
    if l.too_small {
        too_small(state, frame, area);
        return;
    }
    for (pane, rect) in &l.panes {
        panes::render(state, *pane, frame, *rect);
    }
    let room = status::render(state, frame, l.status);
    status::render_toast(state, frame, area, l.status, room);
    match &state.overlay {
        Overlay::None | Overlay::Filter(_) => {}
        Overlay::Help { scroll } => help::render(state, *scroll, frame, area),
        Overlay::Palette(p) => overlay::palette(state, p, frame, area),
        Overlay::ConsoleLog => overlay::console_log(state, frame, area),
        Overlay::Dialog(d) => dialog::render(state, d, frame, area),
    }
}

fn too_small(state: &State, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::from("terminal too small"),
        Line::from(format!(
            "{}x{} — flightdeck needs {}x{}",
            area.width,
            area.height,
            crate::app::layout::MIN_WIDTH,
            crate::app::layout::MIN_HEIGHT
        )),
        Line::from("q quits"),
    ];
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let inner = Rect {
        y: area.y + top,
        height: area.height.saturating_sub(top),
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .style(state.theme.text()),
        inner,
    );
}

#[cfg(test)]
mod tests;
