//! The Hosts pane's services and health checks, per host, drawn above the GPU rows
//! (`gpu.rs`): a host with no GPUs is still a host. Reads State only.

use ratatui::text::{Line, Span};

use crate::app::panes::hosts::{HealthState, ServiceState};
use crate::app::state::State;
use crate::config::theme::{Health, Theme};
use crate::pane::PaneId;
use crate::text::sanitize;

/// The lines for every host's services and health checks; the selected service (when the
/// selection is on one) is highlighted.
pub fn lines<'a>(state: &State) -> Vec<Line<'a>> {
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
        out.push(Line::styled(sanitize(hint), theme.warning()));
    }
    for host in h.host_names() {
        let services: Vec<(usize, &ServiceState)> = visible
            .iter()
            .enumerate()
            .filter(|(_, s)| s.config.host == host)
            .map(|(i, s)| (i, *s))
            .collect();
        let checks: Vec<&HealthState> = h
            .health
            .iter()
            .filter(|c| c.check.host == host)
            .filter(|c| filter.is_empty() || c.check.name.to_lowercase().contains(&filter))
            .collect();
        if services.is_empty() && checks.is_empty() {
            continue;
        }
        out.push(Line::styled(sanitize(&host), theme.header()));
        for (i, s) in services {
            let mut line = service_line(theme, s);
            if i == view.selected {
                line = line.patch_style(theme.selection(focused));
            }
            out.push(line);
        }
        for c in checks {
            out.push(health_line(state, c));
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

fn health_line<'a>(state: &State, c: &HealthState) -> Line<'a> {
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
    match &last.result {
        Ok(status) => Line::from(vec![
            Span::styled("  ♥ ", theme.health(Health::Ok)),
            Span::styled(format!("{name}{env}"), theme.text()),
            Span::styled(format!("  up {status}{latency}"), theme.health(Health::Ok)),
        ]),
        Err(why) if c.is_unknown() => Line::from(vec![
            Span::styled("  ? ", theme.health(Health::Pending)),
            Span::styled(format!("{name}{env}"), theme.text()),
            Span::styled(
                format!(
                    "  unknown — no answer yet ({}, {}× in a row)",
                    sanitize(&why.to_string()),
                    c.consecutive
                ),
                theme.health(Health::Pending),
            ),
        ]),
        Err(why) => {
            let failing = c.is_failing();
            let style = theme.health(if failing { Health::Error } else { Health::Warn });
            let since = c
                .failing_since
                .map(|t| format!(" for {}", crate::text::age(t, state.now)))
                .unwrap_or_default();
            let word = if failing { "DOWN" } else { "failing" };
            Line::from(vec![
                Span::styled(if failing { "  ✗ " } else { "  ! " }, style),
                Span::styled(format!("{name}{env}"), theme.text()),
                Span::styled(
                    format!(
                        "  {word} {}× in a row{since}{latency} — {}",
                        c.consecutive,
                        sanitize(&why.to_string())
                    ),
                    style,
                ),
            ])
        }
    }
}
