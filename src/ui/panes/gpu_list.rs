//! The GPU pane's list: the fleet summary line (with more than one host), per host one
//! line (worst host first; `enter` collapses or expands it; a collapsed one says GPUs busy,
//! hottest temperature and worst problem), per GPU one compact row with the pod on it and
//! its problem marked. Only the rows that show are drawn, so 1,000 GPUs cost what a screen
//! of them does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::gpu_cells::{
    GAUGE_LEN, NA, SPARK_LEN, coarse_age, gauge, memory_style, memory_text, power_style,
    power_text, short_name, temp_style, temp_text, throttle_text, util_sparkline,
};
use crate::app::panes::gpu::{
    BUSY_UTIL_PCT, GpuEntry, GpuRow, HostState, Problem, fleet_counts, is_expanded, problem,
};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::sources::gpu::model::{GpuPod, GpuSample};
use crate::text::clean;

/// The pod column is at most this wide.
const POD_MAX: usize = 32;

/// Column widths of the GPU rows: the widest cell of each column over all rows.
pub(super) struct Widths {
    index: usize,
    /// 0 when no GPU shown has a pod.
    pod: usize,
    name: usize,
    util: usize,
    memory: usize,
    temp: usize,
    power: usize,
    /// The utilisation sparkline and gauge: given up (0), sparkline first, where the row
    /// would otherwise cut the temperature and power a hot or throttled GPU is read by.
    spark: usize,
    gauge: usize,
}

fn widths(gpus: &[&GpuEntry], width: u16) -> Widths {
    let max = |f: &dyn Fn(&GpuSample) -> usize, min: usize| {
        gpus.iter()
            .map(|g| f(&g.sample))
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let mut w = Widths {
        index: max(&|s| s.index.to_string().len(), 1),
        pod: max(&|s| pods_text(s).width(), 0).min(POD_MAX),
        name: max(&|s| short_name(s).width(), 3),
        util: 4,
        memory: max(&|s| memory_text(&s.memory).width(), NA.len()),
        temp: max(&|s| temp_text(s).width(), 4),
        power: max(&|s| power_text(s).width(), NA.len()),
        spark: SPARK_LEN,
        gauge: GAUGE_LEN,
    };
    // the name gives way first, so the gauges and the throttle words keep their room
    let throttle = gpus
        .iter()
        .map(|g| throttle_text(&g.sample).map_or(0, |t| t.width()))
        .max()
        .unwrap_or(0);
    let cells = |w: &Widths| {
        let opt = |n: usize| n + usize::from(n > 0);
        w.index
            + 1
            + opt(w.spark)
            + w.util
            + 1
            + opt(w.gauge)
            + w.memory
            + 1
            + w.temp
            + 1
            + w.power
            + 1
    };
    // the readings come before their pictures: the sparkline goes, then the gauge, before
    // a four-cell name would push the temperature or power off the row
    const NAME_MIN: usize = 4;
    if cells(&w) + NAME_MIN > width as usize {
        w.spark = 0;
    }
    if cells(&w) + NAME_MIN > width as usize {
        w.gauge = 0;
    }
    let fixed = cells(&w) + throttle.max(8) + w.pod + usize::from(w.pod > 0);
    w.name = w
        .name
        .min((width as usize).saturating_sub(fixed).max(NAME_MIN));
    w
}

pub(super) fn render_list(
    state: &State,
    rows: &[GpuRow],
    selected: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &state.theme;
    let g = &state.gpu;
    let focused = state.focus == PaneId::Hosts;
    let fleet = g.hosts.len() > 1;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(line) = &g.local_unavailable {
        lines.push(Line::styled(clean(line).into_owned(), theme.dim()));
    }
    if fleet || g.source_error.is_some() {
        lines.push(summary_line(state, area.width.into()));
    }
    if let Some(error) = &g.source_error {
        lines.push(Line::from(vec![
            Span::styled("  └ ", theme.dim()),
            Span::styled(clean(error).into_owned(), theme.health(Health::Error)),
        ]));
    }
    // lines per row (a stale host has its error on a second line), to scroll by lines and
    // draw only the rows that show
    let heights: Vec<usize> = rows
        .iter()
        .map(|r| match *r {
            GpuRow::Host(h) => 1 + usize::from(g.hosts.get(h).is_some_and(|h| h.is_stale())),
            GpuRow::Gpu(..) => 1,
        })
        .collect();
    let total: usize = heights.iter().sum();
    let room = (area.height as usize).saturating_sub(lines.len());
    let any_gpu = rows.iter().any(|r| matches!(r, GpuRow::Gpu(..)));
    let header_fits = total < room && any_gpu;
    let room = room.saturating_sub(usize::from(header_fits)).max(1);
    let shown = shown_rows(state, rows, &heights, selected, room);
    // column widths from the rows that show: 1,000 GPUs cost what a screen of them does
    let gpus: Vec<&GpuEntry> = shown
        .iter()
        .filter_map(|&i| match rows[i] {
            GpuRow::Gpu(h, gi) => g.hosts.get(h)?.gpus.get(gi),
            GpuRow::Host(_) => None,
        })
        .collect();
    let w = widths(&gpus, area.width);
    if header_fits {
        lines.push(Line::styled(column_header(&w), theme.header()));
    }
    for &i in &shown {
        let mut row_lines = match rows[i] {
            GpuRow::Host(h) => match g.hosts.get(h) {
                Some(host) => host_lines(state, host, fleet),
                None => continue,
            },
            GpuRow::Gpu(h, gi) => match g
                .hosts
                .get(h)
                .and_then(|host| Some((host, host.gpus.get(gi)?)))
            {
                Some((host, gpu)) => vec![gpu_line(state, gpu, host.is_stale(), &w)],
                None => continue,
            },
        };
        if i == selected
            && let Some(line) = row_lines.first_mut()
        {
            *line = std::mem::take(line).patch_style(theme.selection(focused));
        }
        lines.extend(row_lines);
    }
    if shown.len() < rows.len() {
        // which rows show, of how many: the hidden ones are above (↑) or below (↓)
        let first = shown.first().copied().unwrap_or(0);
        let last = shown.last().copied().unwrap_or(0);
        let gaps = shown.windows(2).any(|p| p[1] > p[0] + 1);
        let up = if first > 0 { " ↑" } else { "" };
        let down = if last + 1 < rows.len() || gaps {
            " ↓"
        } else {
            ""
        };
        lines.push(
            Line::styled(
                format!("{} of {} rows{up}{down} ", shown.len(), rows.len()),
                theme.accent(),
            )
            .right_aligned(),
        );
    }
    crate::ui::lines::render(frame, area, &lines);
}

/// Which rows show in `room` lines (`heights` per row), in order. All when they fit;
/// else one line goes to the `n of m` note and the rows are chosen: the selected one while
/// the pane has the focus, every GPU with a problem or running hot (with its host's line),
/// the selected one otherwise, then the rows around the selection (from the top without
/// one). A faulty or hot GPU is never scrolled away by rows that need no one.
fn shown_rows(
    state: &State,
    rows: &[GpuRow],
    heights: &[usize],
    selected: usize,
    room: usize,
) -> Vec<usize> {
    let total: usize = heights.iter().sum();
    if total <= room {
        return (0..rows.len()).collect();
    }
    let room = room.saturating_sub(1).max(1);
    let g = &state.gpu;
    let now = state.now;
    let mut chosen = vec![false; rows.len()];
    let mut used = 0;
    let mut take = |i: usize, chosen: &mut Vec<bool>| {
        if i < rows.len() && !chosen[i] && used + heights[i] <= room {
            chosen[i] = true;
            used += heights[i];
        }
    };
    let host_row = |i: usize| (0..=i).rev().find(|&j| matches!(rows[j], GpuRow::Host(_)));
    // the cursor of the focused pane first; otherwise what needs eyes comes first
    let cursor = |chosen: &mut Vec<bool>, take: &mut dyn FnMut(usize, &mut Vec<bool>)| {
        if selected < rows.len() {
            if let Some(h) = host_row(selected) {
                take(h, chosen);
            }
            take(selected, chosen);
        }
    };
    let focused = state.focus == crate::pane::PaneId::Hosts;
    if focused {
        cursor(&mut chosen, &mut take);
    }
    for (i, r) in rows.iter().enumerate() {
        if let GpuRow::Gpu(h, gi) = *r
            && g.hosts
                .get(h)
                .and_then(|host| host.gpus.get(gi))
                .is_some_and(|gpu| crate::app::panes::gpu::needs_eyes(gpu, now))
        {
            if let Some(hr) = host_row(i) {
                take(hr, &mut chosen);
            }
            take(i, &mut chosen);
        }
    }
    if !focused {
        cursor(&mut chosen, &mut take);
    }
    // the rest around the selection: below it first, then above
    let start = if selected < rows.len() { selected } else { 0 };
    for i in (start..rows.len()).chain((0..start).rev()) {
        take(i, &mut chosen);
    }
    (0..rows.len()).filter(|&i| chosen[i]).collect()
}

/// `fleet: 40 hosts · 320 GPUs · 250 busy · 2 hot · 1 erroring` (`· N stale` when hosts
/// cannot be read), in `width` cells. Parts give way whole, never a number without its noun:
/// zero counts first, then `busy`, then the alarms from the last; hosts and GPUs stay.
fn summary_line<'a>(state: &State, width: usize) -> Line<'a> {
    let theme = &state.theme;
    let c = fleet_counts(&state.gpu, state.now);
    let plural = |n: usize, one: &str| crate::text::count(n as u64, one, &format!("{one}s"));
    // (text, style, rank: the higher gives way first)
    let alarm = |n: usize, words: &str, bad: Health| {
        if n > 0 {
            (format!("{n} {words}"), theme.health(bad), 2)
        } else {
            (format!("{n} {words}"), theme.dim(), 4)
        }
    };
    let mut parts = vec![
        (plural(c.hosts, "host"), theme.text(), 0),
        (plural(c.gpus, "GPU"), theme.text(), 0),
        (format!("{} busy", c.busy), theme.text(), 3),
        alarm(c.hot, "hot", Health::Warn),
        alarm(c.erroring, "erroring", Health::Error),
    ];
    if c.stale_hosts > 0 {
        parts.push(alarm(c.stale_hosts, "stale", Health::Stale));
    }
    const HEAD: &str = "fleet: ";
    const SEP: &str = " · ";
    let cells = |parts: &[(String, Style, u8)]| {
        HEAD.width()
            + parts.iter().map(|p| p.0.width()).sum::<usize>()
            + SEP.width() * parts.len().saturating_sub(1)
    };
    while cells(&parts) > width {
        // the highest rank gives way, the last of equals first
        let Some((i, _)) = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.2 > 0)
            .max_by_key(|(i, p)| (p.2, *i))
        else {
            break;
        };
        parts.remove(i);
    }
    let mut spans = vec![Span::styled(HEAD, theme.header())];
    for (i, (text, style, _)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(SEP, theme.text()));
        }
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

fn column_header(w: &Widths) -> String {
    let mut out = format!("{:>iw$} {:<nw$} ", "#", "GPU", iw = w.index, nw = w.name);
    if w.spark > 0 {
        out.push_str(&format!("{:<sw$} ", "UTIL", sw = w.spark));
        out.push_str(&format!("{:>uw$} ", "", uw = w.util));
    } else {
        out.push_str(&format!("{:>uw$} ", "UTIL", uw = w.util));
    }
    if w.gauge > 0 {
        out.push_str(&format!("{:<gw$} ", "", gw = w.gauge));
    }
    out.push_str(&format!(
        "{:<mw$} {:>tw$} {:>pw$}",
        "MEMORY",
        "TEMP",
        "POWER",
        mw = w.memory,
        tw = w.temp,
        pw = w.power
    ));
    out
}

/// `▸ dgx-01  driver 550.54  8 GPUs` (collapsed: `  6/8 busy  hottest 84°C  ⚠ XID 79 …`;
/// the marker only in a fleet), and when failing a stale marker with its age, and the
/// error on a line of its own.
fn host_lines<'a>(state: &State, host: &HostState, fleet: bool) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let expanded = is_expanded(&state.gpu, host, state.now);
    let mut spans = Vec::new();
    if fleet {
        spans.push(Span::styled(
            if expanded { "▾ " } else { "▸ " },
            theme.dim(),
        ));
    }
    spans.push(Span::styled(clean(&host.name).into_owned(), theme.header()));
    spans.push(Span::styled(
        format!(
            "  driver {}  {} GPU{}",
            host.driver_version.as_deref().map_or(NA.into(), clean),
            host.gpus.len(),
            if host.gpus.len() == 1 { "" } else { "s" }
        ),
        theme.dim(),
    ));
    // the node the host runs as (`:nodes` acts on it; the GPU hint offers its cordon)
    if let Some(node) = crate::app::panes::nodes::node_of_host(state, &host.name) {
        let name = if node.name == host.name {
            String::new()
        } else {
            format!(" {}", clean(&node.name))
        };
        let (status, style) = match (node.ready, node.unschedulable) {
            (Some(true), false) => (" Ready".to_owned(), theme.dim()),
            (Some(true), true) => (" cordoned".to_owned(), theme.warning()),
            _ => (format!(" {}", node.status()), theme.health(Health::Error)),
        };
        let drain = state
            .nodes
            .drains
            .get(&node.name)
            .filter(|d| d.done.is_none())
            .map(|d| format!(" draining {}/{}", d.evicted, d.total))
            .unwrap_or_default();
        spans.push(Span::styled(format!("  node{name}{status}{drain}"), style));
    }
    if !expanded {
        spans.extend(collapsed_spans(state, host));
    }
    if let Some(error) = &host.error {
        let label = match host.stale_for(state.now) {
            Some(d) => format!("  stale {}", coarse_age(d.as_secs())),
            None => "  failing".to_owned(),
        };
        spans.push(Span::styled(label, theme.health(Health::Stale)));
        return vec![
            Line::from(spans),
            Line::from(vec![
                Span::styled("  └ ", theme.dim()),
                Span::styled(clean(error).into_owned(), theme.health(Health::Error)),
            ]),
        ];
    }
    vec![Line::from(spans)]
}

/// What a collapsed host line adds: GPUs busy of total, the hottest temperature, the worst
/// problem.
fn collapsed_spans<'a>(state: &State, host: &HostState) -> Vec<Span<'a>> {
    let theme = &state.theme;
    let busy = host
        .gpus
        .iter()
        .filter(|g| {
            g.sample
                .busiest_util_pct()
                .is_some_and(|u| u >= BUSY_UTIL_PCT)
        })
        .count();
    let mut spans = vec![Span::styled(
        format!("  {busy}/{} busy", host.gpus.len()),
        theme.text(),
    )];
    if let Some(hottest) = host
        .gpus
        .iter()
        .filter(|g| g.sample.temperature_c.is_some())
        .max_by_key(|g| g.sample.temperature_c)
    {
        spans.push(Span::styled(
            format!("  hottest {}", temp_text(&hottest.sample)),
            temp_style(theme, &hottest.sample),
        ));
    }
    let worst = host
        .gpus
        .iter()
        .filter_map(|g| problem(g, state.now).map(|p| (&g.sample.index, p)))
        .max_by_key(|(i, p)| (p.severity(), std::cmp::Reverse(*i)));
    if let Some((index, p)) = worst {
        spans.push(Span::styled(
            format!("  ⚠ GPU {index}: {}", clean(&p.words())),
            theme.health(if p.severity() >= 3 {
                Health::Error
            } else {
                Health::Warn
            }),
        ));
    }
    spans
}

/// `ml/train-llama-0`.
fn pod_text(p: &GpuPod) -> String {
    format!("{}/{}", clean(&p.namespace), clean(&p.pod))
}

/// The pods on a GPU (its own, or its MIG instances'): `ml/train-llama-0`, `ml/a +2`; empty
/// when none.
fn pods_text(s: &GpuSample) -> String {
    let mut pods = s.pods();
    let Some(first) = pods.next() else {
        return String::new();
    };
    match pods.count() {
        0 => pod_text(first),
        more => format!("{} +{more}", pod_text(first)),
    }
}

fn gpu_line<'a>(state: &State, g: &GpuEntry, stale: bool, w: &Widths) -> Line<'a> {
    let theme = &state.theme;
    let s = &g.sample;
    let problem = problem(g, state.now);
    let mut spans = vec![
        Span::styled(format!("{:>iw$} ", s.index, iw = w.index), theme.dim()),
        Span::styled(
            format!("{} ", crate::text::fit(&short_name(s), w.name)),
            theme.text(),
        ),
    ];
    if let Some(reason) = &s.down {
        spans.push(Span::styled("down", theme.health(Health::Error)));
        spans.push(Span::styled(
            format!(": {}", clean(reason)),
            theme.health(Health::Error),
        ));
        if let Some(p) = problem
            .as_ref()
            .filter(|p| matches!(p, Problem::Xid { .. }))
        {
            spans.push(Span::styled(
                format!("  ⚠ {}", clean(&p.words())),
                theme.health(Health::Error),
            ));
        }
        let pods = pods_text(s);
        if !pods.is_empty() {
            spans.push(Span::styled(format!("  {pods}"), theme.dim()));
        }
        return Line::from(spans);
    }
    // stale values are shown dim: they are the last known, not now
    let live = |style: Style| {
        if stale {
            theme.health(Health::Stale)
        } else {
            style
        }
    };
    let util = s.util_gpu_pct.map(f64::from);
    if w.spark > 0 {
        spans.push(Span::styled(
            format!("{} ", util_sparkline(g)),
            live(theme.chart("ratio").patch(theme.gauge())),
        ));
    }
    spans.push(Span::styled(
        format!(
            "{:>uw$} ",
            s.util_gpu_pct
                .map_or_else(|| NA.to_owned(), |u| format!("{u}%")),
            uw = w.util
        ),
        live(theme.text()),
    ));
    if w.gauge > 0 {
        spans.push(Span::styled(
            format!("{} ", gauge(util, w.gauge)),
            live(theme.gauge()),
        ));
    }
    spans.push(Span::styled(
        format!("{} ", crate::text::fit(&memory_text(&s.memory), w.memory)),
        live(memory_style(theme, &s.memory)),
    ));
    spans.push(Span::styled(
        format!("{:>tw$} ", temp_text(s), tw = w.temp),
        live(temp_style(theme, s)),
    ));
    spans.push(Span::styled(
        format!("{:>pw$} ", power_text(s), pw = w.power),
        live(power_style(theme, s)),
    ));
    if w.pod > 0 {
        let pod = pods_text(s);
        spans.push(Span::styled(
            format!("{} ", crate::text::fit_middle(&pod, w.pod)),
            live(theme.text()),
        ));
    }
    if let Some(p) = &problem
        && !matches!(p, Problem::Throttled { .. })
    {
        spans.push(Span::styled(
            format!("⚠ {} ", clean(&p.words())),
            theme.health(Health::Error),
        ));
    }
    if let Some(words) = throttle_text(s) {
        let words = match &problem {
            Some(Problem::Throttled { .. }) => format!("⚠ {words}"),
            _ => words,
        };
        spans.push(Span::styled(
            words,
            live(if s.is_hot() {
                theme.health(Health::Error)
            } else {
                theme.health(Health::Warn)
            }),
        ));
    }
    Line::from(spans)
}
