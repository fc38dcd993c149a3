//! The workloads pane's body (the frame around it is drawn by `panes::render`): the
//! deployments table, the pods of the selected deployment below it, and the describe-like
//! detail view. Only the rows that fit are formatted, so 10,000 rows cost what 40 do.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::pane::PaneId;
use crate::app::panes::workloads::{
    DetailTarget, Section, current_deployment, deployment_keys, pod_keys,
};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::sources::kube::rows::short_image;
use crate::sources::kube::{DeploymentRow, ObjKey, PodRow, Rollout};
use crate::text::age;
use crate::text::{clean, fit};

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let d = &state.workloads;
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
    let mut area = area;
    // failures stay on screen above the (stale) data they concern
    let failures: BTreeSet<String> = d.failures.values().map(|f| f.describe()).collect();
    if d.is_empty() && d.synced.is_empty() {
        if failures.is_empty() {
            super::placeholder(state, PaneId::Workloads, frame, area);
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
        && let Some(hint) = crate::app::hint::incident_hint(state)
    {
        let line = Line::styled(fit(&clean(&hint), area.width as usize), theme.warning());
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..area });
        area.y += 1;
        area.height -= 1;
    }
    if let Some(detail) = &d.detail {
        let lines = match &detail.target {
            DetailTarget::Deployment(k) => deployment_detail(state, k),
            DetailTarget::Pod(k) => pod_detail(state, k),
        };
        frame.render_widget(Paragraph::new(lines).scroll((detail.scroll, 0)), area);
        return;
    }
    let focused = state.focus == PaneId::Workloads;
    // keys of the rows as shown; only the rows on screen are looked up
    let deployments = deployment_keys(state);
    let in_pods = matches!(d.section, Section::Pods { .. });
    let selected = state.pane(PaneId::Workloads).selected;
    let dep_sel = match &d.section {
        Section::Deployments => selected.min(deployments.len().saturating_sub(1)),
        Section::Pods { deployment, .. } => deployments
            .iter()
            .position(|x| x == deployment)
            .unwrap_or(usize::MAX),
    };
    let current = match &d.section {
        Section::Deployments => deployments.get(dep_sel).and_then(|k| d.deployments.get(k)),
        Section::Pods { .. } => current_deployment(state),
    };
    // the list with the cursor gets the larger share
    let avail = area.height;
    let want_dep = (deployments.len() as u16).saturating_add(1);
    let dep_h = if area.height < 6 {
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
    deployments_table(
        state,
        frame,
        dep_area,
        &deployments,
        dep_sel,
        focused && !in_pods,
        all_ns,
    );
    let rest = avail.saturating_sub(dep_h);
    if rest >= 3
        && let Some(cur) = current
    {
        let pods = pod_keys(state, &cur.key);
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
        pods_table(state, frame, pod_area, cur, &pods, pod_sel, focused);
    }
}

/// A column: title, width, and whether it is dropped first when space is short.
struct Col {
    title: &'static str,
    width: usize,
    priority: u8,
}

/// One line of a table: the flexible first cell, then each kept column's cell cut or
/// padded to the column's width.
fn row_line<'a>(
    first: Span<'a>,
    cols: &[Col],
    keep: &[bool],
    cells: impl IntoIterator<Item = (String, Style)>,
) -> Line<'a> {
    let mut spans = vec![first];
    for ((c, k), (text, style)) in cols.iter().zip(keep).zip(cells) {
        if *k {
            spans.push(Span::styled(format!(" {}", fit(&text, c.width)), style));
        }
    }
    Line::from(spans)
}

/// Which columns fit in `width`, keeping `min_name` for the flexible first column.
fn fit_columns(cols: &[Col], width: usize, min_name: usize) -> (usize, Vec<bool>) {
    let mut keep: Vec<bool> = vec![true; cols.len()];
    let total = |keep: &[bool]| -> usize {
        cols.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c.width + 1)
            .sum()
    };
    let max_p = cols.iter().map(|c| c.priority).max().unwrap_or(0);
    for p in (1..=max_p).rev() {
        if total(&keep) + min_name <= width {
            break;
        }
        for (i, c) in cols.iter().enumerate() {
            if c.priority == p {
                keep[i] = false;
            }
        }
    }
    let name_w = width.saturating_sub(total(&keep)).max(1);
    (name_w, keep)
}

fn deployment_name(d: &DeploymentRow, all_ns: bool) -> String {
    if all_ns {
        format!("{}/{}", clean(&d.key.namespace), clean(&d.key.name))
    } else {
        clean(&d.key.name).into_owned()
    }
}

fn rollout_text(r: &Rollout) -> (String, Health) {
    match r {
        Rollout::Complete => ("complete".into(), Health::Ok),
        Rollout::Progressing => ("progressing".into(), Health::Pending),
        Rollout::Paused => ("paused".into(), Health::Warn),
        Rollout::Stalled(reason) => (format!("stalled ({})", clean(reason)), Health::Error),
    }
}

fn deployments_table(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    rows: &[ObjKey],
    selected: usize,
    cursor_here: bool,
    all_ns: bool,
) {
    let theme = &state.theme;
    let data = &state.workloads;
    let cols = [
        Col {
            title: "READY",
            width: 7,
            priority: 0,
        },
        Col {
            title: "UP",
            width: 3,
            priority: 2,
        },
        Col {
            title: "AVAIL",
            width: 5,
            priority: 2,
        },
        Col {
            title: "REV",
            width: 3,
            priority: 1,
        },
        Col {
            title: "IMAGE",
            width: 12,
            priority: 1,
        },
        Col {
            title: "ROLLOUT",
            width: 14,
            priority: 0,
        },
        Col {
            title: "HPA",
            width: 8,
            priority: 3,
        },
        Col {
            title: "AGE",
            width: 4,
            priority: 1,
        },
    ];
    let (name_w, keep) = fit_columns(&cols, area.width as usize, 12);
    let mut lines = Vec::with_capacity(area.height as usize);
    let titles = cols.iter().map(|c| (c.title.to_owned(), theme.header()));
    lines.push(row_line(
        Span::styled(fit("DEPLOYMENT", name_w), theme.header()),
        &cols,
        &keep,
        titles,
    ));
    let visible = area.height.saturating_sub(1) as usize;
    let offset = scroll_offset(selected, visible, rows.len());
    let shown = rows.iter().enumerate().skip(offset).take(visible);
    for (i, d) in shown.filter_map(|(i, k)| Some((i, data.deployments.get(k)?))) {
        let ready_h = if d.desired == 0 || d.ready >= d.desired {
            Health::Ok
        } else if d.ready == 0 {
            Health::Error
        } else {
            Health::Warn
        };
        let (rollout, rollout_h) = rollout_text(&d.rollout());
        let troubled = data.troubled_pods(&d.key);
        let name_h = if troubled > 0 {
            Health::Error
        } else {
            Health::Ok
        };
        let images: Vec<&str> = d.images().iter().map(|i| short_image(i)).collect();
        let hpa = data
            .hpa_for(&d.key)
            .map(|h| format!("{}/{}/{}", h.min, h.current, h.max))
            .unwrap_or_else(|| "-".into());
        let cells: [(String, Style); 8] = [
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
        let first = Span::styled(
            fit(&deployment_name(d, all_ns), name_w),
            if troubled > 0 {
                theme.health(name_h)
            } else {
                theme.text()
            },
        );
        let mut line = row_line(first, &cols, &keep, cells);
        if i == selected {
            line = line.patch_style(theme.selection(cursor_here));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn scroll_offset(selected: usize, visible: usize, len: usize) -> usize {
    if visible == 0 || selected == usize::MAX || len <= visible {
        return 0;
    }
    selected.saturating_sub(visible - 1).min(len - visible)
}

pub fn pod_health(p: &PodRow) -> Health {
    if p.reason.is_error() {
        Health::Error
    } else if p.reason.is_warning() {
        Health::Warn
    } else {
        Health::Ok
    }
}

fn pods_table(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    deployment: &DeploymentRow,
    pods: &[ObjKey],
    selected: Option<usize>,
    focused: bool,
) {
    let theme = &state.theme;
    let data = &state.workloads;
    let title = format!(
        "pods of {} ({}{})",
        clean(&deployment.key.name),
        pods.len(),
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
    let cols = [
        Col {
            title: "READY",
            width: 5,
            priority: 0,
        },
        Col {
            title: "STATUS",
            width: if area.width < 60 { 16 } else { 22 },
            priority: 0,
        },
        Col {
            title: "RESTARTS",
            width: 10,
            priority: 1,
        },
        Col {
            title: "REV",
            width: 7,
            priority: 1,
        },
        Col {
            title: "NODE",
            width: 10,
            priority: 3,
        },
        Col {
            title: "AGE",
            width: 4,
            priority: 2,
        },
    ];
    let (name_w, keep) = fit_columns(&cols, area.width as usize, 16);
    let titles = cols.iter().map(|c| (c.title.to_owned(), theme.header()));
    lines.push(row_line(
        Span::styled(fit("POD", name_w), theme.header()),
        &cols,
        &keep,
        titles,
    ));
    let visible = area.height.saturating_sub(2) as usize;
    let offset = scroll_offset(selected.unwrap_or(0), visible, pods.len());
    let shown = pods.iter().enumerate().skip(offset).take(visible);
    for (i, p) in shown.filter_map(|(i, k)| Some((i, data.pods.get(k)?))) {
        let h = pod_health(p);
        let restarts = match (p.restarts, p.last_restart) {
            (0, _) => "0".to_owned(),
            (n, Some(t)) => format!("{n} ({})", age(t, state.now)),
            (n, None) => n.to_string(),
        };
        let rev = match data.pod_revision(p) {
            Some(r) if Some(r) == deployment.revision => format!("{r} new"),
            Some(r) => format!("{r} old"),
            None => p
                .template_hash
                .as_deref()
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
        let cells: [(String, Style); 6] = [
            (format!("{}/{}", p.ready, p.containers_total), ready_style),
            (clean(&p.reason.label()).into_owned(), theme.health(h)),
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
        let first = Span::styled(fit(&clean(&p.key.name), name_w), theme.text());
        let mut line = row_line(first, &cols, &keep, cells);
        if Some(i) == selected {
            line = line.patch_style(theme.selection(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn kv<'a>(state: &State, key: &str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{key:<14}"), state.theme.dim()),
        Span::styled(value, state.theme.text()),
    ])
}

fn section<'a>(state: &State, title: &str) -> Line<'a> {
    Line::styled(title.to_owned(), state.theme.header())
}

fn labels_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "-".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{}={}", clean(k), clean(v)))
        .collect::<Vec<_>>()
        .join(",")
}

fn deployment_detail<'a>(state: &State, key: &ObjKey) -> Vec<Line<'a>> {
    let data = &state.workloads;
    let theme = &state.theme;
    let Some(d) = data.deployments.get(key) else {
        return vec![Line::styled("deployment is gone", theme.dim())];
    };
    let (rollout, rh) = rollout_text(&d.rollout());
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Deployment ", theme.dim()),
            Span::styled(
                format!("{}/{}", clean(&key.namespace), clean(&key.name)),
                theme.accent(),
            ),
            Span::styled("  rollout ", theme.dim()),
            Span::styled(rollout, theme.health(rh)),
        ]),
        kv(
            state,
            "Replicas",
            format!(
                "{} desired | {} updated | {} total | {} available | {} ready",
                d.desired, d.updated, d.current, d.available, d.ready
            ),
        ),
        kv(
            state,
            "Revision",
            d.revision.map_or("-".into(), |r| r.to_string()),
        ),
        kv(state, "Labels", labels_text(&d.labels)),
        kv(state, "Selector", labels_text(&d.selector)),
    ];
    if let Some(h) = data.hpa_for(key) {
        lines.push(kv(
            state,
            "Autoscaler",
            format!(
                "{} min {} / current {} / max {}",
                clean(&h.key.name),
                h.min,
                h.current,
                h.max
            ),
        ));
    }
    lines.push(section(state, "Conditions"));
    for c in &d.conditions {
        let h = match (c.kind.as_str(), c.status.as_str()) {
            (_, "True") if c.kind != "ReplicaFailure" => Health::Ok,
            _ => Health::Error,
        };
        let h = if c.reason == "ProgressDeadlineExceeded" {
            Health::Error
        } else {
            h
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<15}", clean(&c.kind)), theme.text()),
            Span::styled(format!("{:<6}", clean(&c.status)), theme.health(h)),
            Span::styled(format!("{:<28}", clean(&c.reason)), theme.text()),
            Span::styled(clean(&c.message).into_owned(), theme.dim()),
        ]));
    }
    lines.push(section(state, "Containers"));
    for c in &d.containers {
        container_spec_lines(state, &mut lines, c);
    }
    lines.push(section(state, "Revision history"));
    lines.push(Line::styled(
        format!(
            "  {:<5} {:<28} {:<7} {:<5} CHANGE-CAUSE",
            "REV", "IMAGE", "PODS", "AGE"
        ),
        theme.header(),
    ));
    let rss = data.replicasets_of(key);
    for rs in &rss {
        let current = rs.revision.is_some() && rs.revision == d.revision;
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {:<5} ",
                    format!(
                        "{}{}",
                        rs.revision.map_or("-".into(), |r| r.to_string()),
                        if current { "*" } else { "" }
                    )
                ),
                if current {
                    theme.accent()
                } else {
                    theme.text()
                },
            ),
            Span::styled(
                format!(
                    "{:<28} ",
                    rs.images
                        .iter()
                        .map(|i| clean(i).into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                theme.text(),
            ),
            Span::styled(
                format!("{:<7} ", format!("{}/{}", rs.ready, rs.desired)),
                theme.text(),
            ),
            Span::styled(
                format!(
                    "{:<5} ",
                    rs.created.map_or("-".into(), |t| age(t, state.now))
                ),
                theme.dim(),
            ),
            Span::styled(
                rs.change_cause
                    .as_deref()
                    .map(|c| clean(c).into_owned())
                    .unwrap_or_else(|| "<none>".into()),
                theme.text(),
            ),
        ]));
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    names.insert(key.name.as_str());
    for rs in &rss {
        names.insert(rs.key.name.as_str());
    }
    let pods = data.pods_of(key);
    for p in &pods {
        names.insert(p.key.name.as_str());
    }
    events_lines(state, &mut lines, &key.namespace, &names);
    lines
}

fn container_spec_lines<'a>(
    state: &State,
    lines: &mut Vec<Line<'a>>,
    c: &crate::sources::kube::rows::ContainerSpec,
) {
    lines.push(Line::from(vec![
        Span::styled(format!("  {} ", clean(&c.name)), state.theme.accent()),
        Span::styled(clean(&c.image).into_owned(), state.theme.text()),
    ]));
    if !c.resources.is_empty() {
        lines.push(kv(state, "    resources", clean(&c.resources).into_owned()));
    }
    if let Some(p) = &c.liveness {
        lines.push(kv(state, "    liveness", clean(p).into_owned()));
    }
    if let Some(p) = &c.readiness {
        lines.push(kv(state, "    readiness", clean(p).into_owned()));
    }
}

fn events_lines<'a>(
    state: &State,
    lines: &mut Vec<Line<'a>>,
    namespace: &str,
    names: &BTreeSet<&str>,
) {
    let theme = &state.theme;
    lines.push(section(state, "Warning events"));
    let events = state.workloads.events_about(namespace, names);
    if events.is_empty() {
        lines.push(Line::styled("  none", theme.dim()));
    }
    for e in events.iter().take(20) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<5}", e.last.map_or("-".into(), |t| age(t, state.now))),
                theme.dim(),
            ),
            Span::styled(
                format!("{:<18} ", clean(&e.reason)),
                theme.health(Health::Warn),
            ),
            Span::styled(
                format!("{}/{} ", clean(&e.object_kind), clean(&e.object_name)),
                theme.text(),
            ),
            Span::styled(
                format!(
                    "{}{}",
                    clean(&e.message),
                    if e.count > 1 {
                        format!(" (x{})", e.count)
                    } else {
                        String::new()
                    }
                ),
                theme.dim(),
            ),
        ]));
    }
}

fn pod_detail<'a>(state: &State, key: &ObjKey) -> Vec<Line<'a>> {
    let data = &state.workloads;
    let theme = &state.theme;
    let Some(p) = data.pods.get(key) else {
        return vec![Line::styled("pod is gone", theme.dim())];
    };
    let h = pod_health(p);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Pod ", theme.dim()),
            Span::styled(
                format!("{}/{}", clean(&key.namespace), clean(&key.name)),
                theme.accent(),
            ),
            Span::styled("  ", theme.dim()),
            Span::styled(clean(&p.reason.label()).into_owned(), theme.health(h)),
        ]),
        kv(state, "Phase", clean(&p.phase).into_owned()),
        kv(
            state,
            "Node",
            p.node
                .as_deref()
                .map_or("-".into(), |n| clean(n).into_owned()),
        ),
        kv(
            state,
            "Controlled by",
            match (&p.owner, data.pod_revision(p)) {
                (Some(o), Some(r)) => format!("ReplicaSet/{} (revision {r})", clean(o)),
                (Some(o), None) => format!("ReplicaSet/{}", clean(o)),
                _ => "-".into(),
            },
        ),
        kv(
            state,
            "Restarts",
            match p.last_restart {
                Some(t) => format!("{} (last {} ago)", p.restarts, age(t, state.now)),
                None => p.restarts.to_string(),
            },
        ),
        kv(state, "Labels", labels_text(&p.labels)),
        section(state, "Containers"),
    ];
    for c in &p.containers {
        container_spec_lines(state, &mut lines, &c.spec);
        let st_h = if c.state.starts_with("running") {
            if c.ready { Health::Ok } else { Health::Warn }
        } else {
            Health::Error
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14}", "    state"), theme.dim()),
            Span::styled(clean(&c.state).into_owned(), theme.health(st_h)),
            Span::styled(
                format!("  ready {}  restarts {}", c.ready, c.restarts),
                theme.text(),
            ),
        ]));
        if let Some((reason, code)) = &c.last_termination {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<14}", "    last"), theme.dim()),
                Span::styled(
                    format!("terminated: {} (exit code {code})", clean(reason)),
                    theme.health(Health::Error),
                ),
            ]));
        }
    }
    let mut names = BTreeSet::new();
    names.insert(key.name.as_str());
    events_lines(state, &mut lines, &key.namespace, &names);
    if let Some(d) = data.deployment_of(p) {
        lines.push(kv(
            state,
            "Deployment",
            format!("{} (enter on it for revision history)", clean(&d.key.name)),
        ));
    }
    lines
}
