//! The workloads pane's body (the frame around it is drawn by `panes::render`): the
//! deployments table, the pods of the selected deployment below it, and the describe-like
//! detail view. Only the rows that fit are formatted, so 10,000 rows cost what 40 do.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::panes::workloads::{
    DetailTarget, Section, TableId, WorkloadRef, empty_why, pod_keys, pods_ask_gpus, sort_of,
    table_keys,
};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::sources::kube::model::{DeploymentRow, WorkloadKind, short_image};
use crate::text::age;
use crate::text::{clean, fit, fit_middle, fit_qualified, thousands};

mod detail;
mod generic;
mod kinds;
mod nodes;
mod rollout;
mod table;
pub mod yaml;

use detail::{deployment_detail, pod_detail};
pub use table::pod_health;
use table::{
    Cells, Col, cut_line, fit_columns, fitted, header_line, natural_widths, rollout_text,
    room_for_arrow, row_line, scroll_offset, sorted_title, table_room,
};

/// How far the largest list under way has got: `listing pods 12,500 of
/// 150,000` (the total where the API server gives it).
pub fn listing_text(state: &State) -> Option<String> {
    let (kind, l) = (state.cluster.listing.iter())
        .max_by_key(|(_, l)| l.progress.total.unwrap_or(l.progress.listed))?;
    let of = match l.progress.total {
        Some(total) => format!(" of {}", thousands(total)),
        None => String::new(),
    };
    Some(format!(
        "listing {} {}{of}",
        kind.resource(),
        thousands(l.progress.listed)
    ))
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let d = &state.cluster;
    if area.height == 0 || area.width == 0 {
        return;
    }
    let theme = &state.theme;
    if let Some(text) = &d.no_client {
        let lines = vec![
            Line::styled("no Kubernetes client", theme.health(Health::Error)),
            Line::styled(clean(text).into_owned(), theme.text()),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        return;
    }
    if let Some(view) = &state.workloads.generic {
        return generic::render(state, view, frame, area);
    }
    let mut area = area;
    if state.nodes.shown {
        // the incident hint stays above the nodes: the GPU hint offers a node's cordon
        if area.height > 4
            && let Some(hint) = &state.hint
        {
            let text = clean(hint);
            let rows = hint_lines(&text, area.width as usize);
            let n = (rows.len() as u16).min(area.height / 2);
            let lines: Vec<Line> = rows
                .into_iter()
                .take(n as usize)
                .map(|r| Line::styled(r, theme.warning()))
                .collect();
            frame.render_widget(Paragraph::new(lines), Rect { height: n, ..area });
            area.y += n;
            area.height -= n;
        }
        return nodes::render(state, frame, area);
    }
    // failures stay on screen above the (stale) data they concern
    let failures: BTreeSet<String> = d.failures.values().map(|f| f.describe()).collect();
    if d.is_empty() && d.synced.is_empty() {
        if failures.is_empty() {
            crate::ui::panes::placeholder::placeholder(state, PaneId::Workloads, frame, area);
        } else {
            let mut lines = vec![Line::styled("failing", theme.health(Health::Error))];
            lines.extend(
                failures
                    .iter()
                    .map(|f| Line::styled(clean(f).into_owned(), theme.text())),
            );
            lines.push(Line::styled("retrying with backoff", theme.dim()));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        }
        return;
    }
    for f in failures
        .iter()
        .take(area.height.saturating_sub(2) as usize / 2)
    {
        let line = Line::from(vec![Span::styled(
            fit(&format!("✗ {}", clean(f)), area.width as usize),
            theme.health(Health::Error),
        )]);
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..area });
        area.y += 1;
        area.height -= 1;
    }
    if area.height > 4
        && let Some(hint) = &state.hint
    {
        // the hint ends in the key that acts on it: a second line rather than a cut
        let text = clean(hint);
        let rows = if area.height > 8 {
            hint_lines(&text, area.width as usize)
        } else {
            vec![fit(&text, area.width as usize)]
        };
        let n = rows.len() as u16;
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|r| Line::styled(r, theme.warning()))
            .collect();
        frame.render_widget(Paragraph::new(lines), Rect { height: n, ..area });
        area.y += n;
        area.height -= n;
    }
    if let Some(detail) = &state.workloads.detail {
        let lines = match &detail.target {
            DetailTarget::Deployment(k) => deployment_detail(state, k),
            DetailTarget::Pod(k) => pod_detail(state, k),
            DetailTarget::Workload(w) => kinds::workload_detail(state, w),
        };
        frame.render_widget(Paragraph::new(lines).scroll((detail.scroll, 0)), area);
        return;
    }
    let focused = state.focus == PaneId::Workloads;
    // keys of the rows as shown; only the rows on screen are looked up
    let deployments = table_keys(state);
    let in_pods = matches!(state.workloads.section, Section::Pods { .. });
    let selected = state.pane(PaneId::Workloads).selected;
    let dep_sel = match &state.workloads.section {
        Section::Deployments => selected.min(deployments.len().saturating_sub(1)),
        Section::Pods { workload, .. } => deployments
            .iter()
            .position(|x| x == workload)
            .unwrap_or(usize::MAX),
    };
    let current: Option<WorkloadRef> = match &state.workloads.section {
        Section::Deployments => deployments.get(dep_sel).cloned(),
        Section::Pods { workload, .. } => Some(workload.clone()),
    };
    // the list with the cursor gets the larger share
    let avail = area.height;
    let want_dep = (deployments.len() as u16).saturating_add(1);
    // a list with no pods list under it (`:pods`, a pod selected) fills the pane
    let pods_below = current
        .as_ref()
        .is_some_and(|c| c.kind != WorkloadKind::Pod);
    let dep_h = if area.height < 6 || !pods_below {
        avail
    } else if in_pods {
        want_dep.min(avail / 3).max(2)
    } else {
        want_dep.min(avail.saturating_mul(3) / 5).max(2)
    };
    let dep_area = Rect {
        height: dep_h,
        ..area
    };
    let all_ns = state.scope.namespace.is_none();
    // Deployments alone keep their own columns; Rollouts beside them need a KIND column
    if crate::app::panes::workloads::columns::deployments_layout(state) {
        deployments_table(
            state,
            frame,
            dep_area,
            &deployments,
            dep_sel,
            focused && !in_pods,
            all_ns,
        );
    } else {
        kinds::kinds_table(
            state,
            frame,
            dep_area,
            &deployments,
            dep_sel,
            focused && !in_pods,
            all_ns,
        );
    }
    // an empty table says why, on the first row's line (decided in app)
    if deployments.is_empty()
        && dep_area.height >= 2
        && let Some(why) = empty_why(state)
    {
        let style = if why.warn {
            theme.warning()
        } else {
            theme.dim()
        };
        // below the header, wrapped rather than cut: nothing else is drawn there
        let line = Line::styled(clean(&why.text).into_owned(), style);
        frame.render_widget(
            Paragraph::new(line).wrap(Wrap { trim: true }),
            Rect {
                y: dep_area.y + 1,
                height: area.height - 1,
                ..dep_area
            },
        );
    }
    let rest = avail.saturating_sub(dep_h);
    if rest >= 3
        && let Some(cur) = current
        && cur.kind != WorkloadKind::Pod
    {
        let pods = pod_keys(state, &cur);
        let pod_area = Rect {
            y: area.y + dep_h,
            height: rest,
            ..area
        };
        let pod_sel = if in_pods {
            Some(selected.min(pods.len().saturating_sub(1)))
        } else {
            None
        };
        pods_table(state, frame, pod_area, &cur, &pods, pod_sel, focused);
    }
    if let Some((_, menu)) = &state.workloads.sort_menu {
        sort_menu(state, frame, area, menu);
    }
}

/// The sort menu (`o`) at the pane's top right, over the table: the default order and the
/// columns, the current one marked, the cursor on the entry enter takes.
fn sort_menu(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    menu: &crate::app::table_sort::SortMenu,
) {
    use ratatui::widgets::{Block, Borders, Clear};
    let theme = &state.theme;
    let entries = menu.entries();
    let k = |a| {
        crate::app::keyhints::key(
            &state.keymap,
            crate::config::keymap::KeyContext::Workloads,
            a,
        )
    };
    let footer = format!(
        "enter sorts (again: reverses) · {} reverses · esc",
        k(crate::action::Action::WorkloadsSortReverse)
    );
    let inner_w = entries
        .iter()
        .map(|e| e.width() + 2)
        .chain([footer.width(), 12])
        .max()
        .unwrap_or(12);
    let w = (inner_w as u16 + 2).min(area.width);
    let h = (entries.len() as u16 + 3).min(area.height);
    if w < 8 || h < 4 {
        return;
    }
    let rect = Rect {
        x: area.x + area.width - w,
        y: area.y,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .style(theme.popup())
        .title(" sort by ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let line = Line::styled(fit(&format!(" {e}"), inner.width as usize), theme.text());
            if i == menu.selected {
                line.patch_style(theme.selection(true))
            } else {
                line
            }
        })
        .collect();
    lines.push(Line::styled(
        fit(&footer, inner.width as usize),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The incident hint in at most two lines of `width`: words wrap to the second line, and
/// when even two are not enough the second is shortened before its ` — ` so the key that
/// acts on the hint (`— R rolls back`) is never the part cut off.
fn hint_lines(text: &str, width: usize) -> Vec<String> {
    if text.width() <= width || width < 8 {
        return vec![fit(text, width)];
    }
    let mut first = String::new();
    let mut rest = text;
    for (i, word) in text.split_inclusive(' ').enumerate() {
        if first.width() + word.trim_end().width() > width {
            if i == 0 {
                // one word longer than the line: no wrapping helps
                return vec![fit(text, width)];
            }
            break;
        }
        first.push_str(word);
        rest = &rest[word.len()..];
    }
    let second = if rest.width() <= width {
        rest.to_owned()
    } else if let Some(at) = rest.rfind(" — ")
        && rest[at..].width() + 2 <= width
    {
        let action = &rest[at..];
        let head = fit(&rest[..at], width - action.width());
        format!("{}{action}", head.trim_end())
    } else {
        fit(rest, width)
    };
    vec![first.trim_end().to_owned(), second]
}

fn deployment_name(d: &DeploymentRow, all_ns: bool) -> String {
    if all_ns {
        format!("{}/{}", clean(&d.key.namespace), clean(&d.key.name))
    } else {
        clean(&d.key.name).into_owned()
    }
}

fn deployments_table(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    rows: &[WorkloadRef],
    selected: usize,
    cursor_here: bool,
    all_ns: bool,
) {
    let theme = &state.theme;
    let data = &state.cluster;
    let cols = [
        Col::new("READY", 7, 0),
        Col::new("UP", 3, 2),
        Col::new("AVAIL", 5, 2),
        Col::new("REV", 6, 1),
        Col::new("IMAGE", 24, 1).middle(),
        Col::new("ROLLOUT", 48, 0),
        Col::new("HPA", 12, 3),
        Col::new("AGE", 4, 1),
    ];
    let (visible, cut) = table_room(area.height.saturating_sub(1) as usize, rows.len());
    let offset = scroll_offset(selected, visible, rows.len());
    let shown = rows.iter().enumerate().skip(offset).take(visible);
    // the rows on screen first: the columns are as wide as their cells there
    let mut table: Vec<(usize, &DeploymentRow, Style, Cells)> = Vec::new();
    for (i, d) in shown.filter_map(|(i, k)| Some((i, data.deployments.get(&k.key)?))) {
        let ready_h = if d.desired == 0 || d.ready >= d.desired {
            Health::Ok
        } else if d.ready == 0 {
            Health::Error
        } else {
            Health::Warn
        };
        let (rollout, rollout_h) = rollout_text(&d.rollout());
        let troubled = data.troubled_pods(&d.key);
        let images: Vec<&str> = d.images().iter().map(|i| short_image(i)).collect();
        let hpa = data
            .hpa_for(&d.key)
            .map(|h| format!("{}/{}/{}", h.min, h.current, h.max))
            .unwrap_or_else(|| "-".into());
        let cells: Vec<(String, Style)> = vec![
            (format!("{}/{}", d.ready, d.desired), theme.health(ready_h)),
            (d.updated.to_string(), theme.text()),
            (d.available.to_string(), theme.text()),
            (
                d.revision.map_or("-".into(), |r| r.to_string()),
                theme.text(),
            ),
            (clean(&images.join(",")).into_owned(), theme.text()),
            (rollout, theme.health(rollout_h)),
            (hpa, theme.text()),
            (
                d.created.map_or("-".into(), |t| age(t, state.now)),
                theme.dim(),
            ),
        ];
        let name_style = if troubled > 0 {
            theme.health(Health::Error)
        } else {
            theme.text()
        };
        table.push((i, d, name_style, cells));
    }
    let cell_rows: Vec<Cells> = table.iter().map(|t| t.3.clone()).collect();
    let sort = sort_of(state, TableId::Main(state.workloads.narrow));
    let (name_w, widths, header) = fitted(
        &cols,
        &cell_rows,
        table
            .iter()
            .map(|(_, d, _, _)| deployment_name(d, all_ns).width()),
        "DEPLOYMENT",
        area.width,
        theme.header(),
        &sort,
    );
    let mut lines = Vec::with_capacity(area.height as usize);
    lines.push(header);
    for (i, d, name_style, cells) in table {
        let name = if all_ns {
            fit_qualified(&d.key.namespace, &d.key.name, name_w)
        } else {
            fit_middle(&clean(&d.key.name), name_w)
        };
        let mut line = row_line(Span::styled(name, name_style), &cols, &widths, cells);
        if state
            .workloads
            .marks
            .contains(&WorkloadRef::new(WorkloadKind::Deployment, d.key.clone()))
        {
            line = line.patch_style(theme.matched());
        }
        if i == selected {
            line = line.patch_style(theme.selection(cursor_here));
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
    crate::ui::lines::render(frame, area, &lines);
}

fn pods_table(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    owner: &WorkloadRef,
    pods: &[crate::sources::kube::model::ObjKey],
    selected: Option<usize>,
    focused: bool,
) {
    let theme = &state.theme;
    let data = &state.cluster;
    let deployment = match owner.kind {
        WorkloadKind::Deployment => data.deployments.get(&owner.key),
        _ => None,
    };
    let rollout = match owner.kind {
        WorkloadKind::Rollout => data.rollouts.get(&owner.key),
        _ => None,
    };
    let visible = area.height.saturating_sub(2) as usize;
    let offset = scroll_offset(selected.unwrap_or(0), visible, pods.len());
    // when the list is cut, its title says which rows show: `2 of 4 ↓` (the selected pod)
    // or `1–2 of 4 ↓`
    let count = if pods.len() > visible {
        crate::ui::panes::cut::cut_text(offset, visible, pods.len(), selected)
    } else {
        pods.len().to_string()
    };
    let title = format!(
        "pods of {}{} ({count}{})",
        if owner.kind == WorkloadKind::Deployment {
            String::new()
        } else {
            format!("{} ", owner.kind.short())
        },
        clean(&owner.key.name),
        if selected.is_some() {
            ""
        } else {
            ", p to select"
        }
    );
    let mut lines = vec![Line::styled(
        fit(&title, area.width as usize),
        theme.accent(),
    )];
    // a GPU column only where a pod of the list asks for GPUs
    let gpu_col = pods_ask_gpus(state, owner, pods);
    let mut cols = vec![
        Col::new("READY", 5, 0),
        Col::new("STATUS", if area.width < 60 { 16 } else { 22 }, 0),
        Col::new("RESTARTS", 14, 1),
        Col::new("REV", 40, 1).middle(),
        Col::new("NODE", 24, 3).middle(),
        Col::new("AGE", 4, 2),
    ];
    if gpu_col {
        cols.insert(1, Col::new("GPU", 3, 1));
    }
    let shown = pods.iter().enumerate().skip(offset).take(visible);
    let mut table: Vec<(usize, &crate::sources::kube::model::ObjKey, String, Cells)> = Vec::new();
    for (i, p) in shown.filter_map(|(i, k)| Some((i, data.pods.get(k)?))) {
        let h = pod_health(p);
        let restarts = p.restarts_text(state.now);
        let rev = match data.pod_revision(p) {
            Some(r) if Some(r) == deployment.and_then(|d| d.revision) => format!("{r} new"),
            // a Rollout's pods: which side of the release each is on
            Some(r) if let Some(role) = rollout.and_then(|ro| rollout::pod_role(data, ro, p)) => {
                format!("{r} {role}")
            }
            Some(r) => format!("{r} old"),
            None => p
                .template_hash
                .as_deref()
                .or_else(|| p.labels.get("controller-revision-hash").map(String::as_str))
                .map(|h| clean(h).into_owned())
                .unwrap_or_else(|| "-".into()),
        };
        let rev_style = if rev.ends_with("old") {
            theme.health(Health::Warn)
        } else {
            theme.dim()
        };
        let ready_style =
            if p.ready as usize >= p.containers_total as usize && p.containers_total > 0 {
                theme.health(Health::Ok)
            } else {
                theme.health(Health::Warn)
            };
        let mut cells: Vec<(String, Style)> = vec![
            (format!("{}/{}", p.ready, p.containers_total), ready_style),
            (clean(&p.status_text()).into_owned(), theme.health(h)),
            (
                restarts,
                if p.restarts > 0 {
                    theme.health(Health::Warn)
                } else {
                    theme.text()
                },
            ),
            (rev, rev_style),
            (
                p.node
                    .as_deref()
                    .map(|n| clean(n).into_owned())
                    .unwrap_or_else(|| "-".into()),
                theme.dim(),
            ),
            (
                p.created.map_or("-".into(), |t| age(t, state.now)),
                theme.dim(),
            ),
        ];
        if gpu_col {
            let n = if p.gpus > 0 {
                p.gpus.to_string()
            } else {
                "-".into()
            };
            cells.insert(1, (n, theme.text()));
        }
        table.push((i, &p.key, clean(&p.key.name).into_owned(), cells));
    }
    let cell_rows: Vec<Cells> = table.iter().map(|t| t.3.clone()).collect();
    let sort = sort_of(state, TableId::Pods);
    let mut natural = natural_widths(&cols, &cell_rows);
    room_for_arrow(&cols, &mut natural, &sort);
    let first_title = sorted_title("POD", &sort);
    let name_natural = table
        .iter()
        .map(|(_, _, n, _)| n.width())
        .chain([first_title.width()])
        .max()
        .unwrap_or(0);
    let (name_w, widths) = fit_columns(&cols, &natural, name_natural, area.width as usize, 16);
    lines.push(header_line(
        &cols,
        &widths,
        &first_title,
        name_w,
        theme.header(),
        &sort,
    ));
    for (i, key, name, cells) in table {
        let first = Span::styled(fit_middle(&name, name_w), theme.text());
        let mut line = row_line(first, &cols, &widths, cells);
        if state
            .workloads
            .marks
            .contains(&WorkloadRef::new(WorkloadKind::Pod, key.clone()))
        {
            line = line.patch_style(theme.matched());
        }
        if Some(i) == selected {
            line = line.patch_style(theme.selection(focused));
        }
        lines.push(line);
    }
    crate::ui::lines::render(frame, area, &lines);
}
