//! The Workloads table when it shows other kinds than Deployments (`:sts`, `:ds`, `:jobs`,
//! `:cronjobs`, `:rollouts`, `:pods`, `:all`, and the table at start once Rollouts exist): a KIND column and each kind's own columns, and the
//! detail view of a StatefulSet, DaemonSet, Job or CronJob.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::detail::{container_spec_lines, events_lines, kv, labels_text, section};
use super::table::{
    Cells, Col, cut_line, fitted, pod_health, rollout_text, row_line, scroll_offset, table_room,
};
use crate::app::panes::workloads::{LastResult, Narrow, TableId, WorkloadRef};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::sources::kube::model::{ContainerSpec, WorkloadKind, short_image};
use crate::sources::kube::model::{JobState, PodRow, Rollout};
use crate::text::{age, clean, fit_middle, fit_qualified, qualified_name};

fn col(title: &'static str, width: usize, priority: u8) -> Col {
    Col::new(title, width, priority)
}

/// The columns when the table shows one kind; `None` for a mix (`:all`).
fn columns(narrow: Narrow) -> Vec<Col> {
    match narrow {
        Narrow::Only(WorkloadKind::StatefulSet) => vec![
            col("READY", 7, 0),
            col("CURRENT REV", 40, 1).middle(),
            col("UPDATE REV", 40, 1).middle(),
            col("PARTITION", 9, 2),
            col("IMAGE", 24, 2).middle(),
            col("AGE", 4, 1),
        ],
        Narrow::Only(WorkloadKind::DaemonSet) => vec![
            col("DESIRED", 7, 0),
            col("CURRENT", 7, 1),
            col("READY", 5, 0),
            col("UP-TO-DATE", 10, 1),
            col("AVAILABLE", 9, 1),
            col("NODE SELECTOR", 20, 2),
            col("AGE", 4, 1),
        ],
        Narrow::Only(WorkloadKind::Job) => vec![
            col("COMPLETIONS", 11, 0),
            col("DURATION", 8, 1),
            col("FAILED", 6, 1),
            col("ACTIVE", 6, 1),
            col("STATUS", 48, 0),
            col("AGE", 4, 1),
        ],
        Narrow::Only(WorkloadKind::CronJob) => vec![
            col("SCHEDULE", 12, 0),
            col("SUSPEND", 7, 1),
            col("LAST SCHEDULE", 13, 1),
            col("ACTIVE", 6, 1),
            col("LAST RESULT", 48, 0),
            col("AGE", 4, 1),
        ],
        Narrow::Pods | Narrow::Only(WorkloadKind::Pod) => vec![
            col("READY", 5, 0),
            col("STATUS", 40, 0),
            col("RESTARTS", 14, 1),
            col("OWNER", 40, 2).middle(),
            col("NODE", 24, 3).middle(),
            col("AGE", 4, 1),
        ],
        Narrow::Only(WorkloadKind::Rollout) => vec![
            col("STRATEGY", 9, 1),
            col("STATUS", 48, 0),
            col("STEP", 5, 0),
            col("SET-WEIGHT", 10, 1),
            col("ACTUAL", 6, 1),
            col("READY", 7, 0),
            col("IMAGES", 40, 2).middle(),
            col("AGE", 4, 1),
        ],
        Narrow::All | Narrow::Releases | Narrow::Only(WorkloadKind::Deployment) => vec![
            col("KIND", 6, 0),
            col("READY", 10, 0),
            col("STATUS", 48, 0),
            col("INFO", 48, 2),
            col("AGE", 4, 1),
        ],
    }
}

fn images(cs: &[ContainerSpec]) -> String {
    let v: Vec<&str> = cs.iter().map(|c| short_image(&c.image)).collect();
    clean(&v.join(",")).into_owned()
}

fn ratio_health(have: i32, want: i32) -> Health {
    if want == 0 || have >= want {
        Health::Ok
    } else if have == 0 {
        Health::Error
    } else {
        Health::Warn
    }
}

fn trouble_health(t: u8) -> Health {
    match t {
        0 => Health::Ok,
        1 => Health::Pending,
        2 => Health::Warn,
        _ => Health::Error,
    }
}

fn duration_text(d: Option<jiff::SignedDuration>) -> String {
    let Some(d) = d else {
        return "-".into();
    };
    let s = d.as_secs().max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{}h{}m", s / 3600, (s % 3600) / 60)
    }
}

fn job_status(state: &JobState) -> (String, Health) {
    match state {
        JobState::Running => ("running".into(), Health::Pending),
        JobState::Complete => ("complete".into(), Health::Ok),
        JobState::Failed(r) => (format!("failed ({})", clean(r)), Health::Error),
        JobState::Suspended => ("suspended".into(), Health::Warn),
    }
}

fn last_result_health(r: &LastResult) -> Health {
    match r {
        LastResult::None => Health::Ok,
        LastResult::Running => Health::Pending,
        LastResult::Succeeded => Health::Ok,
        LastResult::Failed(_) => Health::Error,
    }
}

fn owner_text(p: &PodRow) -> String {
    match &p.controller {
        Some((k, n)) => format!("{}/{}", clean(k), clean(n)),
        None => "-".into(),
    }
}

/// The cells of one row for the narrowing's columns; `None` when the object is gone.
fn cells(state: &State, narrow: Narrow, w: &WorkloadRef) -> Option<Vec<(String, Style)>> {
    let data = &state.cluster;
    let theme = &state.theme;
    let now = state.now;
    let ago = |t: Option<jiff::Timestamp>| t.map_or("-".into(), |t| age(t, now));
    let k = &w.key;
    let dim = |s: String| (s, theme.dim());
    let txt = |s: String| (s, theme.text());
    let hl = |s: String, h: Health| (s, theme.health(h));
    if matches!(
        narrow,
        Narrow::All | Narrow::Releases | Narrow::Only(WorkloadKind::Deployment)
    ) {
        let t = data.trouble_of(w);
        let (ready, status, info) = summary(state, w)?;
        return Some(vec![
            dim(w.kind.short().to_owned()),
            hl(ready.0, ready.1),
            hl(status, trouble_health(t)),
            txt(info),
            dim(ago(data.created_of(w))),
        ]);
    }
    Some(match w.kind {
        WorkloadKind::StatefulSet => {
            let s = data.statefulsets.get(k)?;
            vec![
                hl(
                    format!("{}/{}", s.ready, s.replicas),
                    ratio_health(s.ready, s.replicas),
                ),
                txt(clean(s.current_revision.as_deref().unwrap_or("-")).into_owned()),
                if s.current_revision != s.update_revision {
                    hl(
                        clean(s.update_revision.as_deref().unwrap_or("-")).into_owned(),
                        Health::Pending,
                    )
                } else {
                    txt(clean(s.update_revision.as_deref().unwrap_or("-")).into_owned())
                },
                txt(s.partition.to_string()),
                txt(images(&s.containers)),
                dim(ago(s.created)),
            ]
        }
        WorkloadKind::DaemonSet => {
            let d = data.daemonsets.get(k)?;
            vec![
                txt(d.desired.to_string()),
                txt(d.current.to_string()),
                hl(d.ready.to_string(), ratio_health(d.ready, d.desired)),
                txt(d.updated.to_string()),
                txt(d.available.to_string()),
                txt(labels_text(&d.node_selector)),
                dim(ago(d.created)),
            ]
        }
        WorkloadKind::Job => {
            let j = data.jobs.get(k)?;
            let (st, h) = job_status(&j.state);
            vec![
                txt(format!("{}/{}", j.succeeded, j.completions)),
                txt(duration_text(j.duration(now))),
                if j.failed > 0 {
                    hl(j.failed.to_string(), Health::Error)
                } else {
                    txt("0".into())
                },
                txt(j.active.to_string()),
                hl(st, h),
                dim(ago(j.created)),
            ]
        }
        WorkloadKind::CronJob => {
            let c = data.cronjobs.get(k)?;
            let r = data.last_result(k);
            vec![
                txt(clean(&c.schedule).into_owned()),
                if c.suspend {
                    hl("True".into(), Health::Warn)
                } else {
                    txt("False".into())
                },
                txt(ago(c.last_schedule)),
                txt(c.active.to_string()),
                hl(clean(&r.label()).into_owned(), last_result_health(&r)),
                dim(ago(c.created)),
            ]
        }
        WorkloadKind::Pod => {
            let p = data.pods.get(k)?;
            vec![
                txt(format!("{}/{}", p.ready, p.containers_total)),
                hl(clean(&p.status_text()).into_owned(), pod_health(p)),
                txt(p.restarts_text(state.now)),
                txt(owner_text(p)),
                dim(p
                    .node
                    .as_deref()
                    .map_or("-".into(), |n| clean(n).into_owned())),
                dim(ago(p.created)),
            ]
        }
        WorkloadKind::Rollout => return super::rollout::cells(state, k),
        WorkloadKind::Deployment => return None,
    })
}

/// A StatefulSet's or DaemonSet's STATUS in the mixed table, from the model's
/// `kubectl rollout status` judgement.
fn set_status(r: &Rollout, not_ready: bool) -> String {
    match r {
        Rollout::Complete => "ready".into(),
        Rollout::Unreported => "OnDelete: no rollout status".into(),
        _ if not_ready => "pods not ready".into(),
        _ => "rolling".into(),
    }
}

/// READY, STATUS and INFO of any kind, for the mixed table.
fn summary(state: &State, w: &WorkloadRef) -> Option<((String, Health), String, String)> {
    let data = &state.cluster;
    let k = &w.key;
    let now = state.now;
    Some(match w.kind {
        WorkloadKind::Deployment => {
            let d = data.deployments.get(k)?;
            let (r, _) = rollout_text(&d.rollout());
            (
                (
                    format!("{}/{}", d.ready, d.desired),
                    ratio_health(d.ready, d.desired),
                ),
                r,
                format!("rev {} {}", d.revision.unwrap_or(0), images(&d.containers)),
            )
        }
        WorkloadKind::StatefulSet => {
            let s = data.statefulsets.get(k)?;
            let status = set_status(&s.rollout(), s.ready < s.replicas);
            (
                (
                    format!("{}/{}", s.ready, s.replicas),
                    ratio_health(s.ready, s.replicas),
                ),
                status,
                format!(
                    "rev {} partition {}",
                    clean(s.update_revision.as_deref().unwrap_or("-")),
                    s.partition
                ),
            )
        }
        WorkloadKind::DaemonSet => {
            let d = data.daemonsets.get(k)?;
            (
                (
                    format!("{}/{}", d.ready, d.desired),
                    ratio_health(d.ready, d.desired),
                ),
                set_status(&d.rollout(), d.ready < d.desired),
                format!("{} updated, {} available", d.updated, d.available),
            )
        }
        WorkloadKind::Job => {
            let j = data.jobs.get(k)?;
            (
                (
                    format!("{}/{}", j.succeeded, j.completions),
                    ratio_health(j.succeeded, j.completions),
                ),
                job_status(&j.state).0,
                format!(
                    "{} failed, {} active, {}",
                    j.failed,
                    j.active,
                    duration_text(j.duration(now))
                ),
            )
        }
        WorkloadKind::CronJob => {
            let c = data.cronjobs.get(k)?;
            (
                (format!("{} active", c.active), Health::Ok),
                format!("last: {}", data.last_result(k).label()),
                format!(
                    "{}{}",
                    clean(&c.schedule),
                    if c.suspend { " (suspended)" } else { "" }
                ),
            )
        }
        WorkloadKind::Pod => {
            let p = data.pods.get(k)?;
            (
                (format!("{}/{}", p.ready, p.containers_total), pod_health(p)),
                p.status_text(),
                format!(
                    "{}, {}",
                    crate::text::count(p.restarts.max(0) as u64, "restart", "restarts"),
                    owner_text(p)
                ),
            )
        }
        WorkloadKind::Rollout => super::rollout::summary(state, data.rollouts.get(k)?),
    })
}

fn first_title(narrow: Narrow) -> &'static str {
    match narrow {
        Narrow::Only(WorkloadKind::StatefulSet) => "STATEFULSET",
        Narrow::Only(WorkloadKind::DaemonSet) => "DAEMONSET",
        Narrow::Only(WorkloadKind::Job) => "JOB",
        Narrow::Only(WorkloadKind::CronJob) => "CRONJOB",
        Narrow::Pods | Narrow::Only(WorkloadKind::Pod) => "POD",
        Narrow::Only(WorkloadKind::Rollout) => "ROLLOUT",
        _ => "NAME",
    }
}

pub(super) fn kinds_table(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    rows: &[WorkloadRef],
    selected: usize,
    cursor_here: bool,
    all_ns: bool,
) {
    let theme = &state.theme;
    let narrow = state.workloads.narrow;
    let cols = columns(narrow);
    let (visible, cut) = table_room(area.height.saturating_sub(1) as usize, rows.len());
    let offset = scroll_offset(selected, visible, rows.len());
    // the rows on screen first: the columns are as wide as their cells there
    let shown: Vec<(usize, &WorkloadRef, Cells)> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .filter_map(|(i, w)| Some((i, w, cells(state, narrow, w)?)))
        .collect();
    let names: Vec<String> = shown
        .iter()
        .map(|(_, w, _)| {
            let ns = all_ns.then_some(w.key.namespace.as_str());
            qualified_name(ns, &w.key.name)
        })
        .collect();
    let cell_rows: Vec<Cells> = shown.iter().map(|(_, _, c)| c.clone()).collect();
    let sort = crate::app::panes::workloads::sort_of(state, TableId::Main(narrow));
    let (name_w, widths, header) = fitted(
        &cols,
        &cell_rows,
        names
            .iter()
            .map(|n| unicode_width::UnicodeWidthStr::width(n.as_str())),
        first_title(narrow),
        area.width,
        theme.header(),
        &sort,
    );
    let mut lines = Vec::with_capacity(area.height as usize);
    lines.push(header);
    for ((i, w, cells), name) in shown.into_iter().zip(&names) {
        let t = state.cluster.trouble_of(w);
        let style = if t >= 3 {
            theme.health(Health::Error)
        } else {
            theme.text()
        };
        let first = match all_ns {
            true => fit_qualified(&w.key.namespace, &w.key.name, name_w),
            false => fit_middle(name, name_w),
        };
        let mut line = row_line(Span::styled(first, style), &cols, &widths, cells);
        if state.workloads.marks.contains(w) {
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

/// The describe-like view of a StatefulSet, DaemonSet, Job or CronJob.
pub(super) fn workload_detail<'a>(state: &State, w: &WorkloadRef) -> Vec<Line<'a>> {
    let data = &state.cluster;
    let theme = &state.theme;
    let Some((ready, status, info)) = summary(state, w) else {
        return vec![Line::styled(
            format!("{} is gone", w.kind.resource()),
            theme.dim(),
        )];
    };
    let k = &w.key;
    let kind_name = match w.kind {
        WorkloadKind::StatefulSet => "StatefulSet",
        WorkloadKind::DaemonSet => "DaemonSet",
        WorkloadKind::Job => "Job",
        WorkloadKind::CronJob => "CronJob",
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::Pod => "Pod",
        WorkloadKind::Rollout => "Rollout",
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{kind_name} "), theme.dim()),
            Span::styled(
                format!("{}/{}", clean(&k.namespace), clean(&k.name)),
                theme.accent(),
            ),
            Span::styled("  ", theme.dim()),
            Span::styled(
                clean(&status).into_owned(),
                theme.health(trouble_health(data.trouble_of(w))),
            ),
        ]),
        kv(state, "Ready", ready.0),
        kv(state, "Info", info),
    ];
    let mut containers: &[ContainerSpec] = &[];
    match w.kind {
        WorkloadKind::StatefulSet => {
            if let Some(s) = data.statefulsets.get(k) {
                lines.push(kv(
                    state,
                    "Replicas",
                    format!(
                        "{} desired | {} current | {} updated | {} ready",
                        s.replicas, s.current, s.updated, s.ready
                    ),
                ));
                lines.push(kv(
                    state,
                    "Revisions",
                    format!(
                        "current {} | update {} | partition {}",
                        clean(s.current_revision.as_deref().unwrap_or("-")),
                        clean(s.update_revision.as_deref().unwrap_or("-")),
                        s.partition
                    ),
                ));
                lines.push(kv(state, "Selector", labels_text(&s.selector)));
                containers = &s.containers;
            }
        }
        WorkloadKind::DaemonSet => {
            if let Some(d) = data.daemonsets.get(k) {
                lines.push(kv(
                    state,
                    "Pods",
                    format!(
                        "{} desired | {} current | {} ready | {} updated | {} available",
                        d.desired, d.current, d.ready, d.updated, d.available
                    ),
                ));
                lines.push(kv(state, "Node selector", labels_text(&d.node_selector)));
                containers = &d.containers;
            }
        }
        WorkloadKind::Job => {
            if let Some(j) = data.jobs.get(k) {
                lines.push(kv(
                    state,
                    "Completions",
                    format!(
                        "{}/{} | {} failed | {} active | took {}",
                        j.succeeded,
                        j.completions,
                        j.failed,
                        j.active,
                        duration_text(j.duration(state.now))
                    ),
                ));
                if let Some(cj) = &j.cronjob {
                    lines.push(kv(state, "Controlled by", format!("CronJob/{}", clean(cj))));
                }
                containers = &j.containers;
            }
        }
        WorkloadKind::CronJob => {
            if let Some(c) = data.cronjobs.get(k) {
                lines.push(kv(
                    state,
                    "Schedule",
                    format!("{} (suspend {})", clean(&c.schedule), c.suspend),
                ));
                lines.push(kv(
                    state,
                    "Last schedule",
                    c.last_schedule.map_or("-".into(), |t| age(t, state.now)),
                ));
                lines.push(section(state, "Jobs"));
                for j in data.jobs_of_cronjob(k) {
                    let (st, h) = job_status(&j.state);
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {:<40}", clean(&j.key.name)), theme.text()),
                        Span::styled(st, theme.health(h)),
                    ]));
                }
                containers = &c.containers;
            }
        }
        WorkloadKind::Rollout => {
            if let Some(r) = data.rollouts.get(k) {
                super::rollout::detail_lines(state, r, &mut lines);
                containers = &r.containers;
            }
        }
        WorkloadKind::Deployment | WorkloadKind::Pod => {}
    }
    if !containers.is_empty() {
        lines.push(section(state, "Containers"));
        for c in containers {
            container_spec_lines(state, &mut lines, c);
        }
    }
    let pods = data.pods_of_workload(w);
    lines.push(section(state, &format!("Pods ({})", pods.len())));
    for p in &pods {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<40}", clean(&p.key.name)), theme.text()),
            Span::styled(
                clean(&p.status_text()).into_owned(),
                theme.health(pod_health(p)),
            ),
        ]));
    }
    let mut names: BTreeSet<&str> = pods.iter().map(|p| p.key.name.as_str()).collect();
    names.insert(k.name.as_str());
    events_lines(state, &mut lines, &k.namespace, &names);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sort menu lists what the header draws (the titles live in app for the sort).
    #[test]
    fn app_knows_every_column_this_draws() {
        let (assets, _, _) = crate::config::load_assets(None);
        let opts = crate::app::state::StartOptions {
            theme: None,
            keymap: None,
            scope: Default::default(),
            no_color: false,
        };
        let now = "2026-11-23T03:02:00Z".parse().expect("timestamp");
        let mut state = State::new(Default::default(), assets, Vec::new(), opts, now);
        for (_, narrow, _) in Narrow::COMMANDS.iter().chain(&[("", Narrow::All, "")]) {
            state.workloads.narrow = *narrow;
            if crate::app::panes::workloads::columns::deployments_layout(&state) {
                continue;
            }
            let drawn: Vec<String> = columns(*narrow)
                .iter()
                .map(|c| c.title.to_string())
                .collect();
            assert_eq!(
                drawn,
                crate::app::panes::workloads::columns::main_titles(&state),
                "{narrow:?}"
            );
            assert_eq!(
                first_title(*narrow),
                crate::app::panes::workloads::columns::first_title(&state)
            );
        }
    }
}
