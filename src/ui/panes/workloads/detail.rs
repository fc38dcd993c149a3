//! The describe-like detail view of a deployment or a pod (`enter` on a row): fields,
//! conditions, containers, revision history, the owner chain and warning events.

use ratatui::text::{Line, Span};

use std::collections::BTreeSet;

use super::table::{pod_health, rollout_text};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::sources::kube::model::{ContainerRole, ContainerState, ObjKey};
use crate::text::age;
use crate::text::clean;

pub(super) fn kv<'a>(state: &State, key: &str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{key:<14}"), state.theme.dim()),
        Span::styled(value, state.theme.text()),
    ])
}

pub(super) fn section<'a>(state: &State, title: &str) -> Line<'a> {
    Line::styled(title.to_owned(), state.theme.header())
}

pub(super) fn labels_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "-".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{}={}", clean(k), clean(v)))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn deployment_detail<'a>(state: &State, key: &ObjKey) -> Vec<Line<'a>> {
    let data = &state.cluster;
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

pub(super) fn container_spec_lines<'a>(
    state: &State,
    lines: &mut Vec<Line<'a>>,
    c: &crate::sources::kube::model::ContainerSpec,
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

pub(super) fn events_lines<'a>(
    state: &State,
    lines: &mut Vec<Line<'a>>,
    namespace: &str,
    names: &BTreeSet<&str>,
) {
    let theme = &state.theme;
    lines.push(section(state, "Warning events"));
    let events = state.cluster.events_about(namespace, names);
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

pub(super) fn pod_detail<'a>(state: &State, key: &ObjKey) -> Vec<Line<'a>> {
    let data = &state.cluster;
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
            Span::styled(clean(&p.status_text()).into_owned(), theme.health(h)),
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
            match (&p.owner, data.pod_revision(p), &p.controller) {
                (Some(o), Some(r), _) => format!("ReplicaSet/{} (revision {r})", clean(o)),
                (Some(o), None, _) => format!("ReplicaSet/{}", clean(o)),
                (None, _, Some((k, n))) => format!("{}/{}", clean(k), clean(n)),
                _ => "-".into(),
            },
        ),
        kv(state, "Owners", owner_chain_text(state, p)),
        kv(state, "Restarts", p.restarts_text(state.now)),
        kv(state, "Labels", labels_text(&p.labels)),
    ];
    gpu_lines(state, p, &mut lines);
    // as `kubectl describe pod`: the init containers (native sidecars marked) first
    let (inits, mains): (Vec<&ContainerState>, Vec<&ContainerState>) = p
        .containers
        .iter()
        .partition(|c| c.role != ContainerRole::Main);
    if !inits.is_empty() {
        lines.push(section(state, "Init Containers"));
        for c in inits {
            container_lines(state, &mut lines, c);
        }
    }
    lines.push(section(state, "Containers"));
    for c in mains {
        container_lines(state, &mut lines, c);
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

/// One container of a pod: its spec, a native sidecar marked, its state, readiness and
/// restarts, and its last termination.
fn container_lines<'a>(state: &State, lines: &mut Vec<Line<'a>>, c: &ContainerState) {
    let theme = &state.theme;
    container_spec_lines(state, lines, &c.spec);
    if c.role == ContainerRole::Sidecar {
        lines.push(kv(
            state,
            "    sidecar",
            "restartPolicy: Always (runs beside the containers)".to_owned(),
        ));
    }
    let done = c.role == ContainerRole::Init && c.state.ends_with("(exit 0)");
    let st_h = if c.state.starts_with("running") {
        if c.ready || c.role == ContainerRole::Init {
            Health::Ok
        } else {
            Health::Warn
        }
    } else if done {
        Health::Ok
    } else if c.state == "waiting" && c.role == ContainerRole::Init {
        Health::Warn
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

/// "pod → ReplicaSet/x → Deployment/y", "pod → Job/x → CronJob/y", "pod (no owner)".
pub(super) fn owner_chain_text(state: &State, p: &crate::sources::kube::model::PodRow) -> String {
    let chain = state.cluster.owner_chain(p);
    if chain.is_empty() {
        return "pod (no owner)".into();
    }
    let mut s = String::from("pod");
    for (k, n) in chain {
        s.push_str(&format!(" → {}/{}", clean(&k), clean(&n)));
    }
    s
}

/// The GPUs a pod asks for and the ones the exporter says it runs on, with their
/// utilisation, memory and temperature.
fn gpu_lines<'a>(
    state: &State,
    p: &crate::sources::kube::model::PodRow,
    lines: &mut Vec<Line<'a>>,
) {
    let theme = &state.theme;
    let on = crate::app::panes::gpu::gpus_of_pod(state, &p.key.namespace, &p.key.name);
    if p.gpus == 0 && on.is_empty() {
        return;
    }
    lines.push(section(
        state,
        &format!("GPUs ({} requested, {} seen)", p.gpus, on.len()),
    ));
    for (h, g) in on {
        let s = &g.sample;
        let place = Span::styled(
            format!("  {:<10} GPU {:<2} ", clean(&h.name), s.index),
            theme.text(),
        );
        // a GPU that is down has no live value to show: its reason instead
        if let Some(reason) = &s.down {
            lines.push(Line::from(vec![
                place,
                Span::styled(
                    format!("down: {}", clean(reason)),
                    theme.health(Health::Error),
                ),
            ]));
            continue;
        }
        // on a partitioned GPU, the pod's MIG instance
        let mig = s.mig.iter().find(|m| {
            m.pod
                .as_ref()
                .is_some_and(|q| q.namespace == p.key.namespace && q.pod == p.key.name)
        });
        let (util, memory) = match mig {
            Some(m) => (m.util_pct, &m.memory),
            None => (s.util_gpu_pct, &s.memory),
        };
        let util = util.map_or("util n/a".into(), |u| format!("util {u:>3}%"));
        let mem = format!("mem {}", memory.text());
        let temp = s
            .temperature_c
            .map_or(String::new(), |t| format!("  {t}°C"));
        let instance = mig.map_or(String::new(), |m| match &m.profile {
            Some(profile) => format!("MIG {} (instance {}) · ", clean(profile), clean(&m.id)),
            None => format!("MIG instance {} · ", clean(&m.id)),
        });
        let health = if g.gone_since.is_some() {
            Health::Error
        } else if s.is_throttled() {
            Health::Warn
        } else {
            Health::Ok
        };
        let style = if h.is_stale() {
            theme.health(Health::Stale)
        } else {
            theme.health(health)
        };
        lines.push(Line::from(vec![
            place,
            Span::styled(format!("{instance}{util}  {mem}{temp}"), style),
        ]));
    }
}
