//! The error-rate pane's body (the frame around it is drawn by `panes::render`): one row
//! per service with its 5xx ratio against the threshold, a sparkline of the window, request
//! rate and p95 latency, then the firing alerts. A service with two or more revisions
//! serving traffic has a line under it with each one's ratio (`└ canary 18.2% · stable
//! 0.4%`). Zoomed: charts of the selected service, the canary's ratio as a second line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::panes::errors::{
    DeployMark, RatioLevel, RevisionRole, Row, ServiceSeries, ShownRevision, StoredPoint,
    latency_text, rate_text, ratio_text, rows,
};
use crate::app::state::State;
use crate::config::theme::{Health, Theme};
use crate::pane::PaneId;
use crate::sources::metrics::model::{Alert, AlertState};
use crate::text::clean;

/// The span of history the sparkline and the chart cover (the state keeps this much).
const WINDOW_MS: i64 = 30 * 60 * 1000;
const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let e = &state.errors;
    if e.services.is_empty() && e.alerts.is_empty() && e.alerts_failing.is_none() {
        match crate::app::panes::errors::missing_targets(state) {
            Some(missing) => {
                let theme = &state.theme;
                let lines = vec![
                    Line::styled(missing.what, theme.dim()),
                    Line::from(vec![
                        Span::styled("add ", theme.dim()),
                        Span::styled(missing.entry, theme.accent()),
                        Span::styled(" to config.toml", theme.dim()),
                    ]),
                ];
                frame.render_widget(
                    Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
                    area,
                );
            }
            None => super::placeholder(state, PaneId::Errors, frame, area),
        }
        return;
    }
    let rows = rows(state);
    let selected = state
        .pane(PaneId::Errors)
        .selected
        .min(rows.len().saturating_sub(1));
    let alerts = alert_lines(state);
    if state.zoomed && state.focus == PaneId::Errors {
        render_zoomed(state, &rows, selected, alerts, frame, area);
        return;
    }
    // alerts keep at most half the pane; services get the rest
    let alert_height = if rows.is_empty() {
        area.height
    } else {
        (alerts.len() as u16).min(area.height / 2)
    };
    let [list, alert_area] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(0), Constraint::Length(alert_height)])
        .areas(area);
    let window = render_rows(state, &rows, selected, frame, list);
    render_alerts(state, alerts, frame, alert_area);
    scroll_hint(state, window, frame, area);
}

/// Which rows the list shows: `shown` of `total` lines from `first`, the selected row
/// being `selected` of `rows`.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    first: usize,
    shown: usize,
    total: usize,
    selected: usize,
    rows: usize,
}

/// When the list does not fit: "3 of 12" (the selected row of all) and arrows for lines
/// above and below, right-aligned on the pane's bottom border (the frame `panes::render`
/// draws around `area`, one cell outside it), as the filter sits on its left.
fn scroll_hint(state: &State, window: Window, frame: &mut Frame, area: Rect) {
    if window.shown >= window.total || window.rows == 0 {
        return;
    }
    let up = if window.first > 0 { " ↑" } else { "" };
    let down = if window.first + window.shown < window.total {
        " ↓"
    } else {
        ""
    };
    let text = format!(" {} of {}{up}{down} ", window.selected + 1, window.rows);
    let width = text.width() as u16;
    let border = area.bottom();
    if border >= frame.area().bottom() || width > area.width {
        return;
    }
    let hint = Rect {
        x: area.right() - width,
        y: border,
        width,
        height: 1,
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, state.theme.accent())),
        hint,
    );
}

/// The alert lines that fit, the last one saying how many more there are.
fn render_alerts(state: &State, mut alerts: Vec<Line<'static>>, frame: &mut Frame, area: Rect) {
    let room = area.height as usize;
    if alerts.len() > room && room > 0 {
        let more = alerts.len() - (room - 1);
        alerts.truncate(room - 1);
        alerts.push(Line::styled(
            format!("… {more} more alerts"),
            state.theme.dim(),
        ));
    }
    crate::ui::lines::render(frame, area, &alerts);
}

fn threshold(state: &State) -> f64 {
    state.config.error_threshold()
}

fn level_style(theme: &Theme, level: RatioLevel) -> Style {
    match level {
        RatioLevel::Unknown => theme.dim(),
        RatioLevel::Ok => theme.health(Health::Ok),
        RatioLevel::Warn => theme.health(Health::Warn),
        RatioLevel::Error => theme.health(Health::Error),
    }
}

/// Column widths for a pane `width` wide: name, sparkline; the status column takes the rest.
fn widths(rows: &[Row], width: u16) -> (usize, usize) {
    let longest = rows
        .iter()
        .map(|r| clean(r.name).width())
        .max()
        .unwrap_or(0);
    let name = longest.clamp(7, 24);
    // marker + name + ratio(6) + ▲ + rate(8) + p95(6) + the gaps, and room for a status
    let fixed = 2 + name + 1 + 6 + 2 + 1 + 8 + 1 + 6 + 1 + 12;
    let spark = (width as usize).saturating_sub(fixed).clamp(6, 40);
    (name, spark)
}

fn render_rows(
    state: &State,
    rows: &[Row],
    selected: usize,
    frame: &mut Frame,
    area: Rect,
) -> Window {
    if area.height == 0 {
        return Window::default();
    }
    let theme = &state.theme;
    let (name_w, spark_w) = widths(rows, area.width);
    let mut lines = Vec::with_capacity(rows.len() + 1);
    if area.height > 2 {
        let label = crate::app::panes::errors::header_label(state, spark_w);
        lines.push(Line::styled(
            format!(
                "  {:<name_w$} {:>6}  {:<spark_w$} {:>8} {:>6} ",
                "SERVICE", "5XX", label, "REQ", "P95",
            ),
            theme.header(),
        ));
    }
    let visible = (area.height as usize).saturating_sub(lines.len()).max(1);
    let focused = state.focus == PaneId::Errors;
    // (row index, which of its lines): a service with two or more revisions serving has a
    // line of their ratios; a failing service, or one whose numbers cannot be right, has a
    // line saying why
    let splits: Vec<Vec<ShownRevision>> = rows
        .iter()
        .map(|row| state.errors.revision_line(row.name))
        .collect();
    let layout: Vec<(usize, RowLine)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            std::iter::once((i, RowLine::Service))
                .chain((!splits[i].is_empty()).then_some((i, RowLine::Revisions)))
                .chain(has_problem_line(row).then_some((i, RowLine::Problem)))
        })
        .collect();
    // keep the selected row (and its error line) in view; draw only what shows
    let last_of_selected = layout
        .iter()
        .rposition(|(i, _)| *i == selected)
        .unwrap_or(0);
    let first = (last_of_selected + 1).saturating_sub(visible);
    for &(i, kind) in layout.iter().skip(first).take(visible) {
        let row = &rows[i];
        match (problem_text(row), kind) {
            (Some(text), RowLine::Problem) => lines.push(Line::from(vec![
                Span::styled("  └ ", theme.dim()),
                Span::styled(text, theme.health(Health::Error)),
            ])),
            (_, RowLine::Revisions) => lines.push(revision_line(state, &splits[i])),
            _ => {
                let mut line = service_line(state, row, name_w, spark_w);
                if i == selected {
                    line = line.patch_style(theme.selection(focused));
                }
                lines.push(line);
            }
        }
    }
    let shown = layout.len().saturating_sub(first).min(visible);
    crate::ui::lines::render(frame, area, &lines);
    Window {
        first,
        shown,
        total: layout.len(),
        selected,
        rows: rows.len(),
    }
}

/// The lines a service takes in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowLine {
    Service,
    Revisions,
    Problem,
}

/// `  └ canary 18.2% · stable 0.4%`: each serving revision's newest ratio in its level's
/// colour, named by its role, else its short hash.
fn revision_line(state: &State, shown: &[ShownRevision]) -> Line<'static> {
    let theme = &state.theme;
    let threshold = threshold(state);
    let mut spans = vec![Span::styled("  └ ", theme.dim())];
    for (i, r) in shown.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(format!("{} ", clean(&r.label)), theme.text()));
        spans.push(Span::styled(
            ratio_text(r.error_ratio),
            level_style(theme, RatioLevel::of(r.error_ratio, threshold)),
        ));
    }
    Line::from(spans)
}

fn has_problem_line(row: &Row) -> bool {
    row.series.failing.is_some() || row.series.data_problem.is_some()
}

/// The second line of a row: why the target fails, else what is wrong with its numbers.
fn problem_text(row: &Row) -> Option<String> {
    if let Some(f) = &row.series.failing {
        return Some(clean(&f.error).into_owned());
    }
    let problem = row.series.data_problem.as_ref()?;
    Some(format!("data: {}", clean(problem)))
}

fn service_line<'a>(state: &'a State, row: &Row, name_w: usize, spark_w: usize) -> Line<'a> {
    let theme = &state.theme;
    let s = row.series;
    let latest = s.latest;
    let level = row.level;
    let style = level_style(theme, level);
    let marker = if s.failing.is_some() {
        Span::styled("✗ ", theme.health(Health::Error))
    } else if s.data_problem.is_some() {
        Span::styled("! ", theme.health(Health::Error))
    } else {
        Span::raw("  ")
    };
    // numbers that cannot be right are never shown as a ratio (nor as "—", no traffic)
    let ratio = if s.data_problem.is_some() {
        Span::styled(format!("{:>6}", "data"), theme.health(Health::Error))
    } else {
        Span::styled(format!("{:>6}", ratio_text(s.error_ratio())), style)
    };
    let mut spans = vec![
        marker,
        Span::styled(
            crate::text::fit_middle(&clean(row.name), name_w),
            theme.text(),
        ),
        Span::raw(" "),
        ratio,
        Span::styled(
            if matches!(level, RatioLevel::Warn | RatioLevel::Error) {
                "▲ "
            } else {
                "  "
            },
            style,
        ),
    ];
    let marks = state.deploys.for_service(row.name);
    spans.extend(sparkline(theme, s, marks, threshold(state), spark_w));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        format!(
            "{:>8}",
            rate_text(latest.map_or(f64::NAN, |p| p.request_rate))
        ),
        theme.text(),
    ));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        format!(
            "{:>6}",
            latency_text(latest.map_or(f64::NAN, |p| p.p95_seconds))
        ),
        theme.text(),
    ));
    spans.push(Span::raw(" "));
    spans.extend(status_spans(state, s, marks));
    Line::from(spans)
}

/// Failing (with age and error) wins; else the newest revision change in the window.
fn status_spans<'a>(state: &State, s: &ServiceSeries, marks: &[DeployMark]) -> Vec<Span<'a>> {
    let theme = &state.theme;
    if let Some(f) = &s.failing {
        let label = match s.last_ok {
            Some(t) => format!("stale {}", crate::text::age(t, state.now)),
            None => format!("failing {}", crate::text::age(f.since, state.now)),
        };
        return vec![Span::styled(label, theme.health(Health::Stale))];
    }
    let newest = s.latest.map(|p| p.at_ms);
    match (marks.last(), newest) {
        (Some(m), Some(t)) if m.at_ms >= t.saturating_sub(WINDOW_MS) => {
            let ago = state.now.as_millisecond().saturating_sub(m.at_ms) / 1000;
            vec![Span::styled(
                format!(
                    "rev {} ({})",
                    clean(&m.revision),
                    crate::text::format_secs(ago.max(0))
                ),
                theme.chart("deploy"),
            )]
        }
        _ => Vec::new(),
    }
}

/// The window in `width` buckets (newest at the right), each the highest ratio in it; a
/// gap where there is no data; scaled so the threshold sits at half height (a bar above
/// the middle is above the threshold). A bucket with a revision change is a `│` mark.
fn sparkline<'a>(
    theme: &Theme,
    s: &ServiceSeries,
    marks: &[DeployMark],
    threshold: f64,
    width: usize,
) -> Vec<Span<'a>> {
    let Some(end) = s.history.back().map(|p| p.at_ms) else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let buckets = bucket_max(s.history.iter(), end, width);
    let top = buckets
        .iter()
        .flatten()
        .copied()
        .fold(2.0 * threshold, f64::max);
    let start = end.saturating_sub(WINDOW_MS);
    let bucket_of = |at_ms: i64| -> Option<usize> {
        if at_ms < start || at_ms > end {
            return None;
        }
        let i = (at_ms.saturating_sub(start) as f64 / WINDOW_MS as f64 * width as f64) as usize;
        Some(i.min(width.saturating_sub(1)))
    };
    let marked: Vec<usize> = marks.iter().filter_map(|m| bucket_of(m.at_ms)).collect();
    let mut spans: Vec<Span> = Vec::with_capacity(width);
    for (i, b) in buckets.iter().enumerate() {
        let (ch, style) = if marked.contains(&i) {
            ('│', theme.chart("deploy"))
        } else {
            match b {
                None => (' ', theme.dim()),
                Some(v) => {
                    let idx = ((v / top) * 8.0).ceil().clamp(1.0, 8.0) as usize - 1;
                    (
                        SPARK[idx],
                        level_style(theme, RatioLevel::of(*v, threshold)),
                    )
                }
            }
        };
        // merge runs of one style: fewer spans, same cells
        match spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push(ch),
            _ => spans.push(Span::styled(ch.to_string(), style)),
        }
    }
    spans
}

fn bucket_max<'p>(
    points: impl Iterator<Item = &'p StoredPoint>,
    end: i64,
    width: usize,
) -> Vec<Option<f64>> {
    let mut buckets = vec![None::<f64>; width];
    if width == 0 {
        return buckets;
    }
    let start = end.saturating_sub(WINDOW_MS);
    for p in points {
        let v = f64::from(p.error_ratio);
        if p.at_ms < start || !v.is_finite() {
            continue;
        }
        let i = (p.at_ms.saturating_sub(start) as f64 / WINDOW_MS as f64 * width as f64) as usize;
        let slot = &mut buckets[i.min(width - 1)];
        *slot = Some(slot.map_or(v, |old| old.max(v)));
    }
    buckets
}

/// Firing alerts (silenced ones marked), and why the list may be old.
fn alert_lines(state: &State) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let e = &state.errors;
    let mut lines = Vec::new();
    if let Some(f) = &e.alerts_failing {
        lines.push(Line::from(vec![
            Span::styled(
                format!("alerts stale {}", crate::text::age(f.since, state.now)),
                theme.health(Health::Stale),
            ),
            Span::styled(
                format!(": {}", clean(&f.error)),
                theme.health(Health::Error),
            ),
        ]));
    }
    if let Some(err) = &e.alertmanager_error {
        lines.push(Line::styled(
            format!("silences unknown: {}", clean(err)),
            theme.dim(),
        ));
    }
    let filter = state.pane(PaneId::Errors).filter.to_lowercase();
    let firing = e
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .filter(|a| {
            filter.is_empty()
                || a.service
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(&filter))
                || a.name.to_lowercase().contains(&filter)
        });
    for a in firing {
        lines.push(alert_line(state, a));
    }
    lines
}

fn alert_line(state: &State, a: &Alert) -> Line<'static> {
    let theme = &state.theme;
    let severity = a.severity.as_deref().unwrap_or("—");
    let sev_style = match severity {
        _ if a.silenced => theme.dim(),
        "critical" | "page" | "error" => theme.health(Health::Error),
        "warning" | "warn" => theme.health(Health::Warn),
        _ => theme.text(),
    };
    let text = if a.silenced {
        theme.dim()
    } else {
        theme.text()
    };
    let age = a
        .active_at
        .map_or_else(|| "—".to_owned(), |t| crate::text::age(t, state.now));
    let mut spans = vec![
        Span::styled(
            "ALERT ",
            if a.silenced {
                theme.dim()
            } else {
                theme.health(Health::Error)
            },
        ),
        Span::styled(format!("{} ", clean(&a.name)), text),
        Span::styled(format!("{} ", clean(severity)), sev_style),
        Span::styled(format!("{age} "), theme.dim()),
    ];
    if a.silenced {
        spans.push(Span::styled("silenced ", theme.dim()));
    }
    // the service once: a summary that already starts with it (`checkout: 5xx ratio …`,
    // as alerting rules often write it) is not prefixed again
    if let Some(service) = &a.service
        && !a
            .summary
            .as_deref()
            .is_some_and(|s| names_first(s.trim_start(), service))
    {
        spans.push(Span::styled(format!("{}: ", clean(service)), text));
    }
    if let Some(summary) = &a.summary {
        spans.push(Span::styled(clean(summary).into_owned(), text));
    }
    Line::from(spans)
}

/// Whether `summary` begins with `service` as a word of its own (`checkout: …`,
/// `checkout 5xx …`), not as part of a longer name (`checkout-v2 …`).
fn names_first(summary: &str, service: &str) -> bool {
    !service.is_empty()
        && summary.strip_prefix(service).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'))
        })
}

fn render_zoomed(
    state: &State,
    rows: &[Row],
    selected: usize,
    alerts: Vec<Line<'static>>,
    frame: &mut Frame,
    area: Rect,
) {
    let extra = rows
        .iter()
        .map(|r| {
            usize::from(has_problem_line(r))
                + usize::from(!state.errors.revision_line(r.name).is_empty())
        })
        .sum::<usize>();
    let list_height = ((rows.len() + extra) as u16 + 1).clamp(2, (area.height / 3).max(2));
    let alert_height = (alerts.len() as u16).min(area.height / 5);
    let [list, charts, alert_area] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(list_height),
            Constraint::Min(0),
            Constraint::Length(alert_height),
        ])
        .areas(area);
    let window = render_rows(state, rows, selected, frame, list);
    render_alerts(state, alerts, frame, alert_area);
    scroll_hint(state, window, frame, area);
    let Some(row) = rows.get(selected) else {
        return;
    };
    let [ratio_area, latency_area] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(60), Constraint::Percentage(40)])
        .areas(charts);
    let marks = state.deploys.for_service(row.name);
    render_chart(state, row, ChartKind::Ratio, marks, frame, ratio_area);
    render_chart(state, row, ChartKind::Latency, marks, frame, latency_area);
}

fn short_revision_of<'a>(r: &ShownRevision<'a>) -> &'a str {
    crate::app::panes::errors::short_revision(r.revision)
}

#[derive(Clone, Copy, PartialEq)]
enum ChartKind {
    Ratio,
    Latency,
}

/// A chart of the window, x in minutes before the newest point (0 at the right).
fn render_chart(
    state: &State,
    row: &Row,
    kind: ChartKind,
    marks: &[DeployMark],
    frame: &mut Frame,
    area: Rect,
) {
    if area.height < 3 {
        return;
    }
    let theme = &state.theme;
    let s = row.series;
    let Some(end_ms) = s.history.back().map(|p| p.at_ms) else {
        return;
    };
    let end = end_ms as f64 / 1000.0;
    // the x axis reaches back as far as the series holds, at most the window
    let span = crate::app::panes::errors::chart_span(state, s);
    let left = -span.minutes;
    let to_min = |pts: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        pts.into_iter()
            .map(|(t, v)| ((t - end) / 60.0, v))
            .filter(|(x, _)| *x >= left)
            .collect()
    };
    let threshold = threshold(state);
    let (points, style, title) = match kind {
        ChartKind::Ratio => (
            to_min(s.ratio_points()),
            theme.chart("ratio"),
            format!("{} 5xx ratio", clean(row.name)),
        ),
        ChartKind::Latency => (
            to_min(s.p95_points()),
            theme.chart("latency"),
            format!("{} p95 latency", clean(row.name)),
        ),
    };
    // the canary's own ratio, when the app named one that serves traffic
    let canary: Option<(String, Vec<(f64, f64)>)> = (kind == ChartKind::Ratio)
        .then(|| {
            state
                .errors
                .revision_line(row.name)
                .into_iter()
                .find(|r| matches!(r.role, Some(RevisionRole::Canary { .. })))
                .map(|r| {
                    (
                        format!("canary {}", clean(short_revision_of(&r))),
                        to_min(r.series.ratio_points()),
                    )
                })
        })
        .flatten();
    let max = points
        .iter()
        .chain(canary.iter().flat_map(|(_, p)| p.iter()))
        .map(|(_, v)| *v)
        .fold(0.0, f64::max);
    let top = match kind {
        ChartKind::Ratio => max.max(2.0 * threshold) * 1.1,
        ChartKind::Latency if max > 0.0 => max * 1.1,
        ChartKind::Latency => 1.0,
    };
    let threshold_line = [(left, threshold), (0.0, threshold)];
    let mark_lines: Vec<([(f64, f64); 2], &DeployMark)> = marks
        .iter()
        .map(|m| ((m.at_ms as f64 / 1000.0 - end) / 60.0, m))
        .filter(|(x, _)| (left..=0.0).contains(x))
        .map(|(x, m)| ([(x, 0.0), (x, top)], m))
        .collect();
    let mut datasets = vec![
        Dataset::default()
            .name(title.clone())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(&points),
    ];
    if let Some((name, points)) = &canary {
        datasets.push(
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.accent())
                .data(points),
        );
    }
    if kind == ChartKind::Ratio {
        datasets.push(
            Dataset::default()
                .name(format!("threshold {}", ratio_text(threshold)))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.chart("threshold"))
                .data(&threshold_line),
        );
    }
    for (line, mark) in &mark_lines {
        datasets.push(
            Dataset::default()
                .name(format!("rev {}", clean(&mark.revision)))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.chart("deploy"))
                .data(line),
        );
    }
    let fmt = |v: f64| match kind {
        ChartKind::Ratio => ratio_text(v),
        ChartKind::Latency => latency_text(v),
    };
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(theme.dim())
                .bounds([left, 0.0])
                .labels(span.labels),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim())
                .bounds([0.0, top])
                .labels([fmt(0.0), fmt(top / 2.0), fmt(top)]),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(50), Constraint::Percentage(60)));
    frame.render_widget(chart, area);
}
