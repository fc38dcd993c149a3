//! The Nodes view (`:nodes`) in the Workloads pane's place: NAME STATUS ROLES TAINTS
//! VERSION PODS GPU AGE, a running drain's progress under its node's row, and the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::table::{Cells, Col, cut_line, fitted, row_line, scroll_offset, table_room};
use crate::action::Action;
use crate::app::panes::nodes::{NodeLine, NodesStatus};
use crate::app::state::State;
use crate::config::keymap::KeyContext;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::text::{age, clean, fit, fit_middle};

fn columns() -> Vec<Col> {
    vec![
        Col::new("STATUS", 28, 0),
        Col::new("ROLES", 16, 2),
        Col::new("TAINTS", 48, 3),
        Col::new("VERSION", 12, 2),
        Col::new("PODS", 6, 1),
        Col::new("GPU", 7, 1),
        Col::new("AGE", 6, 2),
    ]
}

fn health(l: &NodeLine) -> Health {
    match l.ready {
        Some(true) if l.unschedulable => Health::Warn,
        Some(true) => Health::Ok,
        _ => Health::Error,
    }
}

fn cells(state: &State, l: &NodeLine) -> Cells {
    let theme = &state.theme;
    let taints = if l.taints.is_empty() {
        "<none>".to_owned()
    } else {
        l.taints.join(",")
    };
    vec![
        (l.status.clone(), theme.health(health(l))),
        (l.roles.clone(), theme.text()),
        (clean(&taints).into_owned(), theme.dim()),
        (l.version.clone(), theme.text()),
        (l.pods.to_string(), theme.text()),
        (
            l.gpus
                .map(|(a, c)| format!("{a}/{c}"))
                .unwrap_or_else(|| "-".into()),
            theme.text(),
        ),
        (
            l.created
                .map(|c| age(c, state.now))
                .unwrap_or_else(|| "<unknown>".into()),
            theme.dim(),
        ),
    ]
}

/// The key line: `c cordon · u uncordon · r drain · X cancel drain · esc back`.
pub fn keys_line(state: &State) -> String {
    let k = |a: Action| crate::app::keyhints::key(&state.keymap, KeyContext::Workloads, a);
    format!(
        "{} cordon · {} uncordon · {} drain · {} cancel drain · esc back",
        k(Action::NodeCordon),
        k(Action::NodeUncordon),
        k(Action::Restart),
        k(Action::NodeCancelDrain)
    )
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let theme = &state.theme;
    let v = &state.nodes;
    let mut lines: Vec<Line> = Vec::new();
    let scope_note = match &state.scope.namespace {
        Some(ns) => format!(" (pods and GPUs allocated: namespace {})", clean(ns)),
        None => String::new(),
    };
    lines.push(Line::styled(
        fit(
            &format!("nodes · {}{scope_note}", keys_line(state)),
            area.width as usize,
        ),
        theme.dim(),
    ));
    match &v.status {
        NodesStatus::Waiting => {
            lines.push(Line::styled("listing nodes …", theme.dim()));
            crate::ui::lines::render(frame, area, &lines);
            return;
        }
        NodesStatus::Forbidden(why) => {
            lines.push(Line::styled(
                fit(&clean(why), area.width as usize),
                theme.health(Health::Error),
            ));
            crate::ui::lines::render(frame, area, &lines);
            return;
        }
        NodesStatus::Failed(why) => lines.push(Line::styled(
            fit(
                &format!("✗ {} (retrying; rows below may be stale)", clean(why)),
                area.width as usize,
            ),
            theme.health(Health::Error),
        )),
        NodesStatus::Listed => {}
    }
    let cols = columns();
    let focused = state.focus == PaneId::Workloads;
    let selected = v.selected;
    // a drain's line under its node's row
    let drain_rows = v.lines.iter().filter(|l| l.drain.is_some()).count();
    let room = (area.height as usize)
        .saturating_sub(lines.len() + 1)
        .saturating_sub(drain_rows);
    let (visible, cut) = table_room(room, v.lines.len());
    let offset = scroll_offset(selected, visible, v.lines.len());
    let shown: Vec<(usize, &NodeLine)> = v
        .lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .collect();
    let rows: Vec<Cells> = shown.iter().map(|(_, l)| cells(state, l)).collect();
    let (name_w, widths, header) = fitted(
        &cols,
        &rows,
        shown
            .iter()
            .map(|(_, l)| unicode_width::UnicodeWidthStr::width(l.name.as_str())),
        "NAME",
        area.width,
        theme.header(),
        // the nodes view keeps its own order (trouble first): no column sort yet
        &crate::app::table_sort::ColumnSort::default(),
    );
    lines.push(header);
    for ((i, l), cells) in shown.into_iter().zip(rows) {
        let name = Span::styled(fit_middle(&clean(&l.name), name_w), theme.health(health(l)));
        let mut line = row_line(name, &cols, &widths, cells);
        if i == selected {
            line = line.patch_style(theme.selection(focused));
        }
        lines.push(line);
        if let Some(d) = &l.drain {
            let failed = d.starts_with("drain failed");
            lines.push(Line::styled(
                fit(&format!("  ↳ {}", clean(d)), area.width as usize),
                if failed {
                    theme.health(Health::Error)
                } else {
                    theme.warning()
                },
            ));
        }
    }
    if cut {
        lines.push(cut_line(
            state,
            offset,
            visible,
            v.lines.len(),
            (selected < v.lines.len()).then_some(selected),
        ));
    }
    crate::ui::lines::render(frame, area, &lines);
}
