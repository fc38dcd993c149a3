//! The Hosts pane's services and health checks, per host, drawn above the GPU rows
//! (`gpu.rs`): a host with no GPUs is still a host. Reads State only.

use ratatui::text::{Line, Span};

use crate::app::panes::hosts::{HealthState, ServiceState};
use crate::app::state::State;
use crate::config::theme::{Health, Theme};
use crate::pane::PaneId;
use crate::text::sanitize;
use unicode_width::UnicodeWidthStr;

/// The lines for every host's services and health checks, each with whether it must stay
/// in view when the list is cut (a failing check or service, the selected service); the
/// selected service (when the selection is on one) is highlighted.
pub fn lines<'a>(state: &State, width: usize) -> Vec<(Line<'a>, bool)> {
    let theme = &state.theme;
    let h = &state.hosts;
    let view = state.pane(PaneId::Hosts);
    let filter = view.filter.to_lowercase();
    let focused = state.focus == PaneId::Hosts;
    let visible = h.visible_services(&view.filter);
    let mut out = Vec::new();
    // the hosts' own hint (a failing health check or service), even while the status
    // bar's incident hint is about a workload
    if let Some(hint) = &state.hosts_hint {
        out.push((Line::styled(sanitize(hint), theme.warning()), false));
    }
    for host in h.host_names() {
        let services: Vec<(usize, &ServiceState)> = visible
            .iter()
            .enumerate()
            .filter(|(_, s)| s.config.host == host)
            .map(|(i, s)| (i, *s))
            .collect();
        let mut checks: Vec<&HealthState> = h
            .health
            .iter()
            .filter(|c| c.check.host == host)
            .filter(|c| filter.is_empty() || c.check.name.to_lowercase().contains(&filter))
            .collect();
        // failing checks first: a cut list keeps them in view
        checks.sort_by_key(|c| c.last.as_ref().is_none_or(|l| l.result.is_ok()));
        if services.is_empty() && checks.is_empty() {
            continue;
        }
        out.push((Line::styled(sanitize(&host), theme.header()), false));
        for (i, s) in services {
            let mut line = service_line(theme, s);
            let selected = i == view.selected;
            if selected {
                line = line.patch_style(theme.selection(focused));
            }
            out.push((line, selected || s.is_failing()));
        }
        for c in checks {
            let failing = c.last.as_ref().is_some_and(|l| l.result.is_err());
            out.push((health_line(state, c, width), failing));
        }
    }
    out
}

fn service_line<'a>(theme: &Theme, s: &ServiceState) -> Line<'a> {
    let unit = sanitize(&s.config.unit);
    let Some(update) = &s.last else {
        return Line::from(vec![
            Span::styled("  … ", theme.health(Health::Pending)),
            Span::styled(unit, theme.text()),
            Span::styled("  reading systemctl show…", theme.dim()),
        ]);
    };
    let st = match &update.state {
        Err(e) => {
            return Line::from(vec![
                Span::styled("  ✗ ", theme.health(Health::Error)),
                Span::styled(unit, theme.text()),
                Span::styled(format!("  {}", sanitize(e)), theme.health(Health::Error)),
            ]);
        }
        Ok(st) => st,
    };
    let (mark, style) = if st.is_failing() {
        ("  ✗ ", theme.health(Health::Error))
    } else if st.active == "active" {
        ("  ● ", theme.health(Health::Ok))
    } else {
        ("  ○ ", theme.health(Health::Warn))
    };
    let mut text = format!("  {}/{}", sanitize(&st.active), sanitize(&st.sub));
    if !st.result.is_empty() && st.result != "success" {
        text.push_str(&format!(" ({})", sanitize(&st.result)));
    }
    if let Some(pid) = st.main_pid {
        text.push_str(&format!("  pid {pid}"));
    }
    if let Some(n) = st.restarts {
        text.push_str(&format!("  restarts {n}"));
    }
    if let Some(m) = st.memory_bytes {
        text.push_str(&format!("  mem {} MiB", m >> 20));
    }
    if let Some(c) = st.cpu_nsec {
        text.push_str(&format!("  cpu {:.1}s", c as f64 / 1e9));
    }
    if let Some(t) = &st.started {
        text.push_str(&format!("  since {}", sanitize(t)));
    }
    Line::from(vec![
        Span::styled(mark, style),
        Span::styled(unit, theme.text()),
        Span::styled(text, style),
    ])
}

fn health_line<'a>(state: &State, c: &HealthState, width: usize) -> Line<'a> {
    let theme = &state.theme;
    let name = sanitize(&c.title());
    let env = c
        .check
        .environment
        .as_deref()
        .map(|e| format!(" [{}]", sanitize(e)))
        .unwrap_or_default();
    let Some(last) = &c.last else {
        return Line::from(vec![
            Span::styled("  … ", theme.health(Health::Pending)),
            Span::styled(format!("{name}{env}"), theme.text()),
            Span::styled("  checking…", theme.dim()),
        ]);
    };
    let latency = last
        .latency
        .map(|l| format!(" {}ms", l.as_millis()))
        .unwrap_or_default();
    // what the check says comes whole; the check's name gives way first, then how long
    // it has failed, and only then the reason is cut
    let (mark, style, forms) = match &last.result {
        Ok(status) => (
            "  ♥ ",
            theme.health(Health::Ok),
            vec![format!("  up {status}{latency}"), format!("  up {status}")],
        ),
        Err(why) if c.is_unknown() => {
            let why = sanitize(&why.to_string());
            let n = c.consecutive;
            (
                "  ? ",
                theme.health(Health::Pending),
                vec![
                    format!("  unknown — no answer yet ({why}, {n}× in a row)"),
                    format!("  unknown — no answer yet ({why})"),
                    "  unknown — no answer yet".to_owned(),
                ],
            )
        }
        Err(why) => {
            let failing = c.is_failing();
            let style = theme.health(if failing { Health::Error } else { Health::Warn });
            // the reason first, then how long: `DOWN HTTP 503 (expected 200) — 7× in a
            // row for 30s` (an age and a latency side by side read as one duration)
            let since = c
                .failing_since
                .map(|t| format!(" for {}", crate::text::age(t, state.now)))
                .unwrap_or_default();
            let word = if failing { "DOWN" } else { "failing" };
            let why = sanitize(&why.to_string());
            let n = c.consecutive;
            (
                if failing { "  ✗ " } else { "  ! " },
                style,
                vec![
                    format!("  {word} {why} — {n}× in a row{since}"),
                    format!("  {word} {why} — {n}×"),
                    format!("  {word} {why}"),
                ],
            )
        }
    };
    let full = format!("{name}{env}");
    let short = sanitize(&c.check.name);
    let body = width.saturating_sub(4);
    let name_min = 8.min(short.width());
    let status = forms
        .iter()
        .find(|f| f.width() + name_min <= body)
        .or(forms.last())
        .cloned()
        .unwrap_or_default();
    // even the shortest wording does not fit beside eight cells of name: the name gets
    // what is left, down to three cells
    let room = body.saturating_sub(status.width());
    let label = if full.width() <= room {
        full
    } else {
        crate::text::fit_middle(&short, room.max(3.min(name_min)).min(short.width()))
    };
    let status = crate::text::fit(&status, body.saturating_sub(label.width()))
        .trim_end()
        .to_owned();
    Line::from(vec![
        Span::styled(mark, style),
        Span::styled(label, theme.text()),
        Span::styled(status, style),
    ])
}
