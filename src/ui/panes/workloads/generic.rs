//! The generic view's table: kubectl's columns (those of `-o wide` kept where the pane
//! has room, dropped first where it has not), laid out by the workloads tables' own
//! [`fitted`]; only the rows on screen are formatted, so 5,000 rows cost what 40 do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::table::{Cells, Col, cut_line, fitted, row_line, scroll_offset, table_room};
use crate::app::panes::workloads::generic::{GenericView, cell, columns};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::text::{clean, fit, fit_middle};

/// Widest a column grows; where the pane is short of room, the widest columns are cut
/// first (a long message before a status).
const MAX_CELL: usize = 256;

pub(super) fn render(state: &State, view: &GenericView, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let mut area = area;
    if let Some(e) = &view.error {
        let line = Line::styled(
            fit(&format!("✗ {}", clean(e)), area.width as usize),
            theme.health(Health::Error),
        );
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..area });
        area.y += 1;
        area.height = area.height.saturating_sub(1);
    }
    if area.height == 0 {
        return;
    }
    if !view.listed {
        let text = if view.error.is_some() {
            "retrying with backoff".to_owned()
        } else {
            format!("listing {}…", view.resource.label())
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), area);
        return;
    }
    let all_ns = state.scope.namespace.is_none();
    let shown_cols = columns(view, all_ns, true);
    let Some((first, rest)) = shown_cols.split_first() else {
        return;
    };
    // priority 0 columns are kept (an age gives way before a name is cut); those of
    // `-o wide` go first when room is short and come back when it is not
    let cols: Vec<Col> = rest
        .iter()
        .map(|c| {
            let priority = if c.wide {
                3
            } else if c.date {
                1
            } else {
                0
            };
            Col::owned(c.title.clone(), MAX_CELL, priority)
        })
        .collect();
    let rows = &view.shown;
    let selected = state.pane(PaneId::Workloads).selected;
    let selected = selected.min(rows.len().saturating_sub(1));
    let (visible, cut) = table_room(area.height.saturating_sub(1) as usize, rows.len());
    let offset = scroll_offset(selected, visible, rows.len());
    let on_screen: Vec<(usize, &crate::sources::kube::model::TableRow)> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .filter_map(|(i, &r)| Some((i, view.rows.get(r)?)))
        .collect();
    let names: Vec<String> = on_screen
        .iter()
        .map(|(_, r)| clean(cell(r, first)).into_owned())
        .collect();
    let cell_rows: Vec<Cells> = on_screen
        .iter()
        .map(|(_, r)| {
            rest.iter()
                .map(|c| (clean(cell(r, c)).into_owned(), theme.text()))
                .collect()
        })
        .collect();
    let (name_w, widths, header) = fitted(
        &cols,
        &cell_rows,
        names
            .iter()
            .map(|n| unicode_width::UnicodeWidthStr::width(n.as_str())),
        &first.title,
        area.width,
        theme.header(),
        &view.sort,
    );
    let focused = state.focus == PaneId::Workloads;
    let mut lines = Vec::with_capacity(area.height as usize);
    lines.push(header);
    for (((i, _), name), cells) in on_screen.iter().zip(&names).zip(cell_rows) {
        let mut line = row_line(
            Span::styled(fit_middle(name, name_w), theme.text()),
            &cols,
            &widths,
            cells,
        );
        if view
            .rows
            .get(rows[*i])
            .is_some_and(|r| view.marks.contains(&r.id()))
        {
            line = line.patch_style(theme.matched());
        }
        if *i == selected {
            line = line.patch_style(theme.selection(focused));
        }
        lines.push(line);
    }
    if cut {
        lines.push(cut_line(
            state,
            offset,
            visible,
            rows.len(),
            (selected < rows.len()).then_some(selected),
        ));
    }
    if rows.is_empty() && area.height >= 2 {
        let text = if view.rows.is_empty() {
            let wher = match &state.scope.namespace {
                Some(ns) if view.resource.namespaced => format!(" in namespace {}", clean(ns)),
                _ => String::new(),
            };
            format!("no {}{wher}", view.resource.label())
        } else {
            "no row matches the filter".to_owned()
        };
        lines.push(Line::styled(text, theme.dim()));
    }
    crate::ui::lines::render(frame, area, &lines);
}
