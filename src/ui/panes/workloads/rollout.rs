//! Argo Rollouts in the Workloads table (`:rollouts`, and beside Deployments at start) and
//! the detail view's step track, revisions, analysis and blue-green services.

use ratatui::text::{Line, Span};

use super::detail::{kv, section};
use crate::app::panes::workloads::rollouts::{StepMark, track};
use crate::app::state::State;
use crate::config::theme::Health;
use crate::sources::kube::model::{ObjKey, short_image};
use crate::sources::kube::model::{RolloutPhase, RolloutRow, Strategy};
use crate::text::clean;

pub(super) fn phase_health(r: &RolloutRow) -> Health {
    match r.phase() {
        RolloutPhase::Healthy => Health::Ok,
        RolloutPhase::Paused(_) | RolloutPhase::Progressing => Health::Pending,
        RolloutPhase::Degraded | RolloutPhase::Aborted => Health::Error,
        RolloutPhase::Unknown => Health::Warn,
    }
}

fn images_of(state: &State, r: &RolloutRow, hash: Option<&str>) -> String {
    state
        .cluster
        .rollout_rs(&r.key, hash)
        .map(|rs| {
            rs.images
                .iter()
                .map(|i| short_image(i))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_else(|| "-".into())
}

/// The `:rollouts` cells: STRATEGY STATUS STEP SET-WEIGHT ACTUAL READY IMAGES AGE.
pub(super) fn cells(state: &State, k: &ObjKey) -> Option<Vec<(String, ratatui::style::Style)>> {
    let theme = &state.theme;
    let r = state.cluster.rollouts.get(k)?;
    let pct = |w: Option<i32>| w.map_or("-".into(), |w| format!("{w}%"));
    let images = if r.in_progress() {
        format!(
            "{} → {}",
            images_of(state, r, r.stable_hash.as_deref()),
            images_of(state, r, r.canary_hash.as_deref())
        )
    } else {
        images_of(state, r, r.stable_hash.as_deref())
    };
    Some(vec![
        (r.strategy.name().to_owned(), theme.dim()),
        (
            clean(&r.status_text()).into_owned(),
            theme.health(phase_health(r)),
        ),
        (r.step_text().unwrap_or_else(|| "-".into()), theme.text()),
        (pct(r.set_weight()), theme.text()),
        (pct(r.actual_weight), theme.text()),
        (
            format!("{}/{}", r.ready, r.replicas),
            theme.health(if r.ready >= r.replicas {
                Health::Ok
            } else {
                Health::Warn
            }),
        ),
        (clean(&images).into_owned(), theme.text()),
        (
            r.created
                .map_or("-".into(), |t| crate::text::age(t, state.now)),
            theme.dim(),
        ),
    ])
}

/// READY, STATUS and INFO for the mixed table.
pub(super) fn summary(state: &State, r: &RolloutRow) -> ((String, Health), String, String) {
    let weight = match (r.set_weight(), r.step_text()) {
        (Some(w), Some(step)) => format!("step {step} weight {w}%"),
        _ => match &r.strategy {
            Strategy::BlueGreen { .. } if r.in_progress() => "preview up".to_owned(),
            _ => String::new(),
        },
    };
    (
        (
            format!("{}/{}", r.ready, r.replicas),
            if r.ready >= r.replicas {
                Health::Ok
            } else {
                Health::Warn
            },
        ),
        r.status_text(),
        format!(
            "{} {weight} {}",
            r.strategy.name(),
            images_of(
                state,
                r,
                r.canary_hash.as_deref().or(r.stable_hash.as_deref())
            )
        ),
    )
}

/// The Rollout part of the detail view: the step track, revisions with images and
/// weights, the current AnalysisRun's metrics and measurements, blue-green services.
pub(super) fn detail_lines<'a>(state: &State, r: &RolloutRow, lines: &mut Vec<Line<'a>>) {
    let theme = &state.theme;
    let data = &state.cluster;
    lines.push(kv(
        state,
        "Strategy",
        format!(
            "{}{}",
            r.strategy.name(),
            if r.spec_paused { " (spec.paused)" } else { "" }
        ),
    ));
    if let Some(m) = &r.message {
        lines.push(kv(state, "Message", clean(m).into_owned()));
    }
    let steps = track(r);
    if !steps.is_empty() {
        let mut spans = vec![Span::styled(format!("{:<14}", "Steps"), theme.dim())];
        for (i, s) in steps.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", theme.dim()));
            }
            let style = match s.mark {
                StepMark::Done => theme.health(Health::Ok),
                StepMark::Current => theme.health(Health::Pending),
                StepMark::Failed => theme.health(Health::Error),
                StepMark::Pending => theme.dim(),
            };
            let text = match s.mark {
                StepMark::Pending => clean(&s.label).into_owned(),
                m => format!("{} {}", clean(&s.label), m.symbol()),
            };
            spans.push(Span::styled(text, style));
        }
        lines.push(Line::from(spans));
        lines.push(kv(
            state,
            "Weight",
            format!(
                "set {} | actual {}",
                r.set_weight().map_or("-".into(), |w| format!("{w}%")),
                r.actual_weight.map_or("-".into(), |w| format!("{w}%"))
            ),
        ));
    }
    lines.push(kv(
        state,
        "Stable",
        clean(&data.rollout_revision_text(r, r.stable_hash.as_deref())).into_owned(),
    ));
    if r.in_progress() {
        let label = match r.strategy {
            Strategy::BlueGreen { .. } => "Preview",
            _ => "Canary",
        };
        lines.push(kv(
            state,
            label,
            clean(&data.rollout_revision_text(r, r.canary_hash.as_deref())).into_owned(),
        ));
    }
    lines.push(kv(
        state,
        "Replicas",
        format!(
            "{} desired | {} current | {} updated | {} ready | {} available",
            r.replicas, r.current, r.updated, r.ready, r.available
        ),
    ));
    if let Strategy::BlueGreen {
        active_service,
        preview_service,
        auto_promotion,
    } = &r.strategy
    {
        let svc = |name: &Option<String>, sel: &Option<String>| {
            format!(
                "{} → {}",
                clean(name.as_deref().unwrap_or("-")),
                clean(sel.as_deref().unwrap_or("-"))
            )
        };
        lines.push(kv(state, "Active", svc(active_service, &r.active_selector)));
        lines.push(kv(
            state,
            "Preview",
            svc(preview_service, &r.preview_selector),
        ));
        lines.push(kv(state, "Auto-promote", auto_promotion.to_string()));
    }
    if let Some(a) = data.analysis_of(r) {
        lines.push(section(
            state,
            &format!("Analysis {} ({})", clean(&a.key.name), clean(&a.phase)),
        ));
        if let Some(m) = &a.message {
            lines.push(Line::styled(format!("  {}", clean(m)), theme.dim()));
        }
        for m in &a.metrics {
            let h = match m.phase.as_str() {
                "Successful" => Health::Ok,
                "Failed" | "Error" => Health::Error,
                "Inconclusive" => Health::Warn,
                _ => Health::Pending,
            };
            let values: Vec<String> = m
                .measurements
                .iter()
                .map(|(v, p)| {
                    let mark = match p.as_str() {
                        "Successful" => "✓",
                        "Failed" | "Error" => "✗",
                        "Inconclusive" => "?",
                        _ => "…",
                    };
                    format!("{}{mark}", clean(v))
                })
                .collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<20}", clean(&m.name)), theme.text()),
                Span::styled(format!("{:<13}", clean(&m.phase)), theme.health(h)),
                Span::styled(
                    format!(
                        "{} ok {} failed {} inconclusive  ",
                        m.successful, m.failed, m.inconclusive
                    ),
                    theme.dim(),
                ),
                Span::styled(values.join(" "), theme.text()),
            ]));
        }
    }
}

/// `canary` or `stable` for a Rollout's pod, by its ReplicaSet's hash.
pub(super) fn pod_role(
    data: &crate::app::cluster::ClusterStore,
    r: &RolloutRow,
    p: &crate::sources::kube::model::PodRow,
) -> Option<&'static str> {
    let rs = data
        .replicasets
        .get(&ObjKey::new(&p.key.namespace, p.owner.as_deref()?))?;
    let hash = rs.rollout_hash.as_ref()?;
    if r.in_progress() && r.canary_hash.as_ref() == Some(hash) {
        let preview = matches!(r.strategy, Strategy::BlueGreen { .. });
        Some(if preview { "preview" } else { "canary" })
    } else if r.stable_hash.as_ref() == Some(hash) {
        Some("stable")
    } else {
        None
    }
}
