//! The GPU pane's body (the frame around it is drawn by `panes::render`): per host a header
//! line, per GPU one compact row (util sparkline and gauge, memory, temperature against the
//! slowdown threshold, power against the limit, throttle reasons in words). Zoomed: charts
//! of the last 10 minutes per GPU of the selected GPU's host, and its process table.
//!
//! Nothing here reads a clock beyond `state.now` for coarse stale ages, so the pane does not
//! change (and writes nothing) while the data does not.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

use crate::app::panes::gpu::{GpuEntry, GpuRow, HistoryPoint, HostState};
use crate::app::state::State;
use crate::config::theme::{Health, Theme};
use crate::pane::PaneId;
use crate::sources::gpu::model::{GpuIndex, GpuProcess};
use crate::text::clean;

use super::gpu_cells::{NA, power_text, short_name, temp_style, temp_text};

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let g = &state.gpu;
    // services and health checks first, per host; the GPUs below
    let all = super::hosts::lines(state, area.width as usize);
    let area = if all.is_empty() {
        area
    } else {
        let gpu_room = if g.hosts.is_empty() { 1 } else { 4 };
        let height = (all.len() as u16).min(area.height.saturating_sub(gpu_room).max(1));
        let top = cut_top(state, all, height as usize);
        let [upper, lower] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(height), Constraint::Min(0)])
            .areas(area);
        frame.render_widget(Paragraph::new(top), upper);
        if g.hosts.is_empty() {
            if let Some(line) = &g.local_unavailable {
                frame.render_widget(
                    Paragraph::new(Line::styled(clean(line).into_owned(), state.theme.dim())),
                    lower,
                );
            }
            return;
        }
        lower
    };
    if g.hosts.is_empty() {
        match &g.local_unavailable {
            Some(line) => frame.render_widget(
                Paragraph::new(Line::styled(clean(line).into_owned(), state.theme.dim())),
                area,
            ),
            None => super::placeholder(state, PaneId::Hosts, frame, area),
        }
        return;
    }
    let rows = crate::app::panes::gpu::rows(state);
    // no row is selected while the selection is on a service
    let selected = crate::app::panes::gpu::selected_row(state)
        .map_or(usize::MAX, |s| s.min(rows.len().saturating_sub(1)));
    if state.zoomed && state.focus == PaneId::Hosts {
        render_zoomed(state, &rows, selected, frame, area);
    } else {
        super::gpu_list::render_list(state, &rows, selected, frame, area);
    }
}

/// The services and checks in `height` lines. When they do not fit, one line says how many
/// show (`3 of 9 lines ↓`) and the lines that must stay (failing, selected) are kept
/// first, then the others in order.
fn cut_top<'a>(state: &State, all: Vec<(Line<'a>, bool)>, height: usize) -> Vec<Line<'a>> {
    if all.len() <= height || height < 2 {
        return all.into_iter().map(|(l, _)| l).collect();
    }
    let room = height - 1;
    let must = all.iter().filter(|(_, m)| *m).count().min(room);
    let mut left = room - must;
    let mut kept_must = 0;
    let total = all.len();
    let mut out: Vec<Line> = Vec::with_capacity(height);
    let mut hidden_after = false;
    for (line, m) in all {
        if m && kept_must < must {
            kept_must += 1;
            out.push(line);
        } else if !m && left > 0 {
            left -= 1;
            out.push(line);
        } else {
            hidden_after = true;
        }
    }
    let down = if hidden_after { " ↓" } else { "" };
    let shown = out.len();
    out.push(
        Line::styled(
            format!("{shown} of {total} lines{down} "),
            state.theme.accent(),
        )
        .right_aligned(),
    );
    out
}

/// Ages for the GPU pane change at most once a minute: a ticking seconds counter would
/// make the pane write to the terminal every second for nothing.
fn render_zoomed(
    state: &State,
    rows: &[GpuRow],
    selected_row: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let gpus = crate::app::panes::gpu::visible_gpus(state);
    // the selected GPU, or on a host row that host's first
    let selected = rows.get(selected_row).and_then(|row| {
        let (h, i) = match *row {
            GpuRow::Host(h) => (h, 0),
            GpuRow::Gpu(h, i) => (h, i),
        };
        let host = state.gpu.hosts.get(h)?;
        let gpu = host.gpus.get(i)?;
        gpus.iter()
            .position(|(hh, g)| std::ptr::eq(*hh, host) && std::ptr::eq(*g, gpu))
    });
    let selected = selected.unwrap_or(usize::MAX);
    let list_lines = rows.len() as u16 + 1;
    let list_height = list_lines.min(area.height / 3).max(2);
    let host = gpus.get(selected).map(|(h, _)| *h);
    let procs = host.map_or_else(Vec::new, |h| state.gpu.processes_by_memory(&h.name));
    let proc_height = (procs.len() as u16 + 2).min(area.height / 4).max(3);
    let [list, detail, charts, proc_area] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(list_height),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(proc_height),
        ])
        .areas(area);
    super::gpu_list::render_list(state, rows, selected_row, frame, list);
    let Some((host, gpu)) = gpus.get(selected) else {
        return;
    };
    frame.render_widget(Paragraph::new(detail_line(&state.theme, gpu)), detail);
    let host_gpus: Vec<&GpuEntry> = gpus
        .iter()
        .filter(|(h, _)| std::ptr::eq(*h, *host))
        .map(|(_, g)| *g)
        .collect();
    render_charts(state, &host_gpus, frame, charts);
    render_processes(state, host, &procs, frame, proc_area);
}

/// Everything the compact row leaves out, for the selected GPU: clocks, fan, ECC, PCIe,
/// all throttle reasons, UUID. Each missing field is "n/a".
fn detail_line<'a>(theme: &Theme, g: &GpuEntry) -> Line<'a> {
    let s = &g.sample;
    let na = |v: Option<String>| v.unwrap_or_else(|| NA.to_owned());
    let clocks = |cur: Option<u32>, max: Option<u32>| {
        format!(
            "{}/{} MHz",
            na(cur.map(|c| c.to_string())),
            na(max.map(|m| m.to_string()))
        )
    };
    let throttle = match &s.throttle {
        None => NA.to_owned(),
        Some(r) if r.is_empty() => "none".to_owned(),
        Some(r) => r.iter().map(|r| r.words()).collect::<Vec<_>>().join(", "),
    };
    let pcie = s.pcie.as_ref().map_or_else(
        || NA.to_owned(),
        |p| {
            format!(
                "gen{} x{}",
                na(p.link_gen.map(|v| v.to_string())),
                na(p.link_width.map(|v| v.to_string()))
            )
        },
    );
    // a partitioned GPU's instances: id, profile, utilisation, memory, pod
    let mig: String = s
        .mig
        .iter()
        .map(|m| {
            let mut t = format!(
                " · MIG {} {} util {} mem {}",
                clean(&m.id),
                m.profile.as_deref().map_or(NA.into(), clean),
                na(m.util_pct.map(|u| format!("{u}%"))),
                m.memory.text()
            );
            if let Some(p) = &m.pod {
                t.push_str(&format!(" {}/{}", clean(&p.namespace), clean(&p.pod)));
            }
            t
        })
        .collect();
    let text = format!(
        "GPU {}{mig} · SM {} · mem {} · mem util {} · fan {} · ECC {}/{} · PCIe {} · clocks held by: {} · slowdown {} · {}",
        s.index,
        clocks(s.sm_clock_mhz, s.sm_clock_max_mhz),
        clocks(s.mem_clock_mhz, s.mem_clock_max_mhz),
        na(s.util_mem_pct.map(|u| format!("{u}%"))),
        na(s.fan_pct.map(|f| format!("{f}%"))),
        na(s.ecc_corrected.map(|e| e.to_string())),
        na(s.ecc_uncorrected.map(|e| e.to_string())),
        pcie,
        throttle,
        na(s.temp_slowdown_c.map(|t| format!("{t}°C"))),
        clean(&s.uuid),
    );
    let style = if s.ecc_uncorrected.is_some_and(|e| e > 0) {
        theme.health(Health::Error)
    } else {
        theme.dim()
    };
    Line::styled(text, style)
}

/// A grid of small charts, one per GPU: utilisation and memory in percent, 10 minutes.
fn render_charts(state: &State, gpus: &[&GpuEntry], frame: &mut Frame, area: Rect) {
    if gpus.is_empty() || area.height < 4 {
        return;
    }
    let cols = if area.width >= 100 && gpus.len() > 1 {
        2
    } else {
        1
    };
    let rows = gpus.len().div_ceil(cols);
    let row_areas = Layout::default()
        .direction(Direction::Vertical)
        .constraints(vec![Constraint::Ratio(1, rows as u32); rows])
        .split(area);
    for (r, row_area) in row_areas.iter().enumerate() {
        let cells = Layout::default()
            .direction(Direction::Horizontal)
            .constraints(vec![Constraint::Ratio(1, cols as u32); cols])
            .spacing(2)
            .split(*row_area);
        for (c, cell) in cells.iter().enumerate() {
            if let Some(g) = gpus.get(r * cols + c) {
                render_gpu_chart(state, g, frame, *cell);
            }
        }
    }
}

fn render_gpu_chart(state: &State, g: &GpuEntry, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let Some(end) = g.history.points().next_back().map(|p| p.time) else {
        return;
    };
    let series = |f: &dyn Fn(&HistoryPoint) -> Option<f32>| {
        g.history
            .points()
            .filter_map(|p| {
                let v = f(p)?;
                let x = p.time.duration_since(end).as_secs_f64() / 60.0;
                (v.is_finite() && x >= -10.0).then_some((x, f64::from(v)))
            })
            .collect::<Vec<(f64, f64)>>()
    };
    let util = series(&|p| p.util_pct);
    let mem = series(&|p| p.mem_pct);
    let s = &g.sample;
    let title = Line::from(vec![
        Span::styled(format!(" {} {} ", s.index, short_name(s)), theme.text()),
        Span::styled("util ", theme.gauge()),
        Span::styled("mem ", theme.chart("latency")),
        Span::styled(
            format!("{} {} ", temp_text(s), power_text(s)),
            temp_style(theme, s),
        ),
    ]);
    let chart = Chart::new(vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.gauge())
            .data(&util),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.chart("latency"))
            .data(&mem),
    ])
    .block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.dim())
            .title(title),
    )
    .x_axis(
        Axis::default()
            .style(theme.dim())
            .bounds([-10.0, 0.0])
            .labels(["-10m", "newest"]),
    )
    .y_axis(
        Axis::default()
            .style(theme.dim())
            .bounds([0.0, 100.0])
            .labels(["0", "100%"]),
    );
    frame.render_widget(chart, area);
}

/// The host's GPU processes, most GPU memory first.
fn render_processes(
    state: &State,
    host: &HostState,
    procs: &[(GpuIndex, &GpuProcess)],
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &state.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "{:>3} {:>8} {:<24} {:>10} {:>4}",
                "GPU", "PID", "PROCESS", "GPU MEM", "SM"
            ),
            theme.header(),
        ),
        Span::styled(
            format!("  on {}, most GPU memory first", clean(&host.name)),
            theme.dim(),
        ),
    ])];
    if procs.is_empty() {
        // `None` is "cannot be read here" (an exporter without process data), not "none"
        let known = host.gpus.iter().any(|g| g.sample.processes.is_some());
        lines.push(Line::styled(
            if known {
                "no GPU processes"
            } else {
                "processes: n/a (this host does not report them)"
            },
            theme.dim(),
        ));
    }
    for (index, p) in procs {
        let name = p.name.as_deref().map_or(NA.into(), clean);
        lines.push(Line::styled(
            format!(
                "{:>3} {:>8} {} {:>10} {:>4}",
                index,
                p.pid,
                crate::text::fit(&name, 24),
                p.gpu_memory_bytes
                    .map_or_else(|| NA.to_owned(), crate::sources::gpu::model::gib_text),
                p.sm_util_pct
                    .map_or_else(|| NA.to_owned(), |u| format!("{u}%")),
            ),
            theme.text(),
        ));
    }
    crate::ui::lines::render(frame, area, &lines);
}
