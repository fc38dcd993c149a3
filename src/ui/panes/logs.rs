//! The logs pane's body (the frame around it is drawn by `panes::render`): a status line
//! (the pods followed now in their colours, the follow state, pause, filters), then the lines from the bottom up, or the
//! detail of the selected line. Every text here was sanitised on ingest.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::panes::logs::{Entry, LevelFilter, LogsData, PodState, Query, Streams, query};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::sources::logs::model::LogTarget;
use crate::sources::logs::model::{LineKind, level_label};

/// The pane title's subtitle: what is followed.
pub fn subtitle(state: &State) -> Option<String> {
    let d = &state.logs;
    let t = d.target.as_ref()?;
    let mut s = crate::text::sanitize(&t.label());
    if d.pods.len() > 1 || matches!(t, LogTarget::Selector { .. }) {
        // the pods whose stream is attached now, and of how many followed (the legend)
        let live = d.streaming();
        let all = d.following().count();
        if live == all {
            let plural = if live == 1 { "" } else { "s" };
            s.push_str(&format!(" ({live} pod{plural})"));
        } else {
            let all = crate::text::count(all as u64, "pod", "pods");
            s.push_str(&format!(" ({live} of {all} streaming)"));
        }
    }
    if d.opts.previous {
        s.push_str(" previous");
    }
    Some(s)
}

/// A pod's colour: the theme's `logs.pod.N` in turn.
fn pod_style(state: &State, colour: usize) -> Style {
    state.theme.pod(colour)
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let d = &state.logs;
    if d.target.is_none() && d.entries.is_empty() {
        super::placeholder(state, PaneId::Logs, frame, area);
        return;
    }
    let theme = &state.theme;
    if let Some(msg) = &d.forbidden
        && !d.has_output()
    {
        let p = Paragraph::new(vec![
            Line::styled("cannot read logs", theme.health(Health::Error)),
            Line::styled(msg.clone(), theme.text()),
        ])
        .wrap(Wrap { trim: true });
        frame.render_widget(p, area);
        return;
    }
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let q = query(state);
    frame.render_widget(Paragraph::new(status_line(state, head.width)), head);
    if !d.has_output() {
        let waiting: Vec<&str> = d.following().map(|p| p.suffix.as_str()).collect();
        let text = if waiting.is_empty() && d.streams() == Streams::Ended {
            "nothing followed: every pod ended".to_owned()
        } else if waiting.is_empty() {
            "connecting…".to_owned()
        } else {
            format!("waiting for output from {}", waiting.join(", "))
        };
        let mut lines = vec![Line::styled(text, theme.dim())];
        // the markers so far (joined, retrying) say what is going on
        for e in d.entries.iter().rev().take(body.height as usize) {
            lines.insert(1, Line::styled(e.line.message.as_str(), theme.dim()));
        }
        crate::ui::lines::render(frame, body, &lines);
        return;
    }
    if d.detail
        && let Some(pos) = d.bottom(&q)
        && let Some(e) = d.entries.get(pos)
    {
        frame.render_widget(detail(state, e), body);
        return;
    }
    frame.render_widget(lines_view(state, &q, body), body);
}

/// The header: the pods followed now in their colours, then the follow state, the pause
/// marker and the filters. The follow state and the pause marker always show: the legend
/// takes the room left and is cut with `+N` when it does not fit.
fn status_line(state: &State, width: u16) -> Line<'static> {
    let d = &state.logs;
    let theme = &state.theme;
    let mut tail: Vec<Span> = Vec::new();
    if let Some(c) = d.pods.iter().find(|p| p.containers.len() > 1) {
        tail.push(Span::styled(format!("[{}] ", c.container), theme.accent()));
    }
    if d.paused.is_some() {
        tail.push(Span::styled(
            format!("⏸ paused, {} new ", d.arrived_while_paused()),
            theme.health(Health::Warn),
        ));
    }
    tail.push(follow_state(state));
    if let Some(zone) = d.zone_label(state.now) {
        tail.push(Span::styled(format!("{zone} "), theme.dim()));
    }
    if d.level != LevelFilter::All {
        tail.push(Span::styled(
            format!("{} ", d.level.label()),
            theme.accent(),
        ));
    }
    if d.wrap {
        tail.push(Span::styled("wrap ", theme.dim()));
    }
    if d.evicted > 0 {
        tail.push(Span::styled(
            format!("(oldest {} dropped) ", d.evicted),
            theme.dim(),
        ));
    }
    let used: usize = tail.iter().map(|s| s.content.width()).sum();
    let mut room = (width as usize).saturating_sub(used);
    let legend: Vec<_> = d.following().collect();
    let mut spans: Vec<Span> = Vec::new();
    for (i, p) in legend.iter().enumerate() {
        let mark = match p.state {
            PodState::Waiting => "…",
            PodState::Retrying => "↻",
            _ => "",
        };
        let text = format!("{}{mark} ", p.suffix);
        let left = legend.len() - i - 1;
        // keep room for the `+N ` of the pods after this one
        let more = if left > 0 {
            format!("+{left} ").width()
        } else {
            0
        };
        if text.width() + more > room {
            let rest = legend.len() - i;
            spans.push(Span::styled(format!("+{rest} "), theme.dim()));
            break;
        }
        room -= text.width();
        spans.push(Span::styled(text, pod_style(state, p.colour)));
    }
    spans.extend(tail);
    Line::from(spans)
}

/// Whether the view follows live streams, in words: what the streams do, and when a pod's
/// log was last heard from while none is connected.
fn follow_state(state: &State) -> Span<'static> {
    let d = &state.logs;
    let theme = &state.theme;
    if let Some(held) = &d.held {
        // a scope left: nothing can arrive, and the lines are said to be its
        return Span::styled(format!("■ {held} "), theme.health(Health::Stale));
    }
    match d.streams() {
        Streams::Live => Span::styled("● following ", theme.health(Health::Ok)),
        Streams::Waiting if d.pods.is_empty() => Span::styled("… connecting ", theme.dim()),
        Streams::Waiting => Span::styled("… waiting ", theme.dim()),
        Streams::Reconnecting => {
            let last = d.last_contact.map_or_else(
                || "never connected".to_owned(),
                |t| format!("last contact {} ago", crate::text::age(t, state.now)),
            );
            Span::styled(
                format!("↻ reconnecting, {last} "),
                theme.health(Health::Error),
            )
        }
        Streams::Ended if d.opts.previous => Span::styled("■ previous log, complete ", theme.dim()),
        Streams::Ended => Span::styled("■ nothing followed: every pod ended ", theme.dim()),
    }
}

fn highlight<'a>(text: &'a str, q: &Query, base: Style, matched: Style) -> Vec<Span<'a>> {
    let Some(re) = &q.search else {
        return vec![Span::styled(text, base)];
    };
    let mut out = Vec::new();
    let mut at = 0;
    for m in re.find_iter(text) {
        if m.start() == m.end() {
            continue;
        }
        if m.start() > at {
            out.push(Span::styled(&text[at..m.start()], base));
        }
        out.push(Span::styled(&text[m.start()..m.end()], matched));
        at = m.end();
    }
    if at < text.len() {
        out.push(Span::styled(&text[at..], base));
    }
    out
}

fn entry_lines<'a>(state: &'a State, e: &'a Entry, q: &Query, selected: bool) -> Vec<Line<'a>> {
    let d = &state.logs;
    let theme = &state.theme;
    let l = &e.line;
    let mut spans: Vec<Span> = Vec::new();
    if let Some(t) = d.clock(l) {
        spans.push(Span::styled(format!("{t} "), theme.dim()));
    }
    if d.pods.len() > 1
        && let Some(p) = d.pod(e)
    {
        spans.push(Span::styled(
            format!("{} ", p.suffix),
            pod_style(state, p.colour),
        ));
    }
    // continuation lines (a stack trace) are indented past the time and pod, which the
    // record's first line shows once for all of them
    let indent = " ".repeat(spans.iter().map(|s| s.content.width()).sum::<usize>() + 2);
    let base = match l.kind {
        LineKind::Log => theme.text(),
        LineKind::Marker => theme.dim().add_modifier(Modifier::ITALIC),
        LineKind::ErrorMarker => theme.health(Health::Error),
    };
    if let Some(level) = l.level {
        spans.push(Span::styled(
            format!("{} ", level_label(level)),
            theme.log_level(level),
        ));
    }
    if let Some(c) = &l.component {
        spans.push(Span::styled(format!("{c} "), theme.accent()));
    }
    spans.extend(highlight(&l.message, q, base, theme.matched()));
    let mut out = vec![Line::from(spans)];
    for c in &l.cont {
        let mut line = vec![Span::raw(indent.clone())];
        line.extend(highlight(c, q, theme.text(), theme.matched()));
        out.push(Line::from(line));
    }
    if selected {
        let sel = theme.selection(state.focus == PaneId::Logs);
        for line in &mut out {
            *line = std::mem::take(line).patch_style(sel);
        }
    }
    out
}

fn rows(line: &Line, width: u16, wrap: bool) -> usize {
    if !wrap || width == 0 {
        return 1;
    }
    let w: usize = line.spans.iter().map(|s| s.content.width()).sum();
    w.div_ceil(width as usize).max(1)
}

fn lines_view<'a>(state: &'a State, q: &Query, area: Rect) -> Paragraph<'a> {
    let d: &LogsData = &state.logs;
    let height = area.height as usize;
    let mut collected: Vec<Line> = Vec::new();
    let mut used = 0;
    let mut pos = d.bottom(q);
    if pos.is_none() {
        return Paragraph::new(Line::styled(no_match(state), state.theme.dim()));
    }
    let selected = d.paused.map(|p| p.seq);
    while let Some(p) = pos {
        if used >= height {
            break;
        }
        let Some(e) = d.entries.get(p) else { break };
        let mut lines = entry_lines(state, e, q, selected == Some(e.seq));
        // newest rows last: push reversed, flip at the end
        while let Some(line) = lines.pop() {
            used += rows(&line, area.width, d.wrap);
            collected.push(line);
            if used >= height {
                break;
            }
        }
        pos = d.prev_visible(p, q);
    }
    collected.reverse();
    // when the rows overflow the height, keep the bottom ones
    let overflow = used.saturating_sub(height) as u16;
    let mut p = Paragraph::new(collected);
    if d.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    p.scroll((overflow, 0))
}

/// What an empty filter result says: which filter, and how many lines it looked at.
fn no_match(state: &State) -> String {
    let d = &state.logs;
    let filter = crate::text::sanitize(state.pane(PaneId::Logs).filter.trim());
    let what = match (filter.is_empty(), d.level) {
        (false, LevelFilter::All) => format!("no line matches /{filter}"),
        (false, level) => format!("no {} line matches /{filter}", level.label()),
        (true, level) => format!("no line at {}", level.label()),
    };
    let n = d.lines;
    let plural = if n == 1 { "" } else { "s" };
    format!("{what} ({n} line{plural} searched)")
}

fn detail<'a>(state: &'a State, e: &'a Entry) -> Paragraph<'a> {
    let theme = &state.theme;
    let l = &e.line;
    let mut lines: Vec<Line> = Vec::new();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:>12}: "), theme.dim()),
            Span::styled(v, theme.text()),
        ])
    };
    if let Some(p) = state.logs.pod(e) {
        lines.push(kv("pod", format!("{} [{}]", p.name, p.container)));
    }
    if let Some(t) = l.time {
        lines.push(kv("received", t.to_string()));
    }
    if let Some(t) = &l.app_time {
        lines.push(kv("time", t.clone()));
    }
    if let Some(level) = l.level {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>12}: ", "level"), theme.dim()),
            Span::styled(level_label(level).trim().to_owned(), theme.log_level(level)),
        ]));
    }
    if let Some(c) = &l.component {
        lines.push(kv("component", c.clone()));
    }
    lines.push(kv("message", l.message.clone()));
    for (k, v) in &l.fields {
        lines.push(kv(k, v.clone()));
    }
    for c in &l.cont {
        lines.push(Line::styled(c.clone(), theme.text()));
    }
    lines.push(Line::styled("enter / esc: back to the lines", theme.dim()));
    Paragraph::new(lines).wrap(Wrap { trim: false })
}
