//! Argo Rollouts in the Workloads pane: the step track the detail view draws. What the
//! store holds of a Rollout is in `app::cluster`; what the incident hint says about a
//! canary is in `app::hint`. Pure.

use crate::sources::kube::model::{RolloutRow, Step};

/// Where one step of the track stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepMark {
    Done,
    Current,
    /// The step the Rollout was aborted at.
    Failed,
    Pending,
}

impl StepMark {
    pub fn symbol(self) -> &'static str {
        match self {
            StepMark::Done => "✓",
            StepMark::Current => "▶",
            StepMark::Failed => "✗",
            StepMark::Pending => "",
        }
    }
}

/// One step of the track: `10%`, `pause`, `pause 1m`, `analysis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackStep {
    pub label: String,
    pub mark: StepMark,
}

/// The canary's steps as a track (`10% ✓ · pause ✓ · 50% ▶ · analysis · 100%`); empty for
/// blue-green.
pub fn track(r: &RolloutRow) -> Vec<TrackStep> {
    let steps = r.steps();
    let at = r.step.map_or(steps.len(), |s| s.max(0) as usize);
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let label = match s {
                Step::SetWeight(w) => format!("{w}%"),
                Step::Pause(None) => "pause".to_owned(),
                Step::Pause(Some(d)) => format!("pause {d}"),
                Step::Analysis(_) => "analysis".to_owned(),
                Step::Other(name) => name.clone(),
            };
            let mark = if i < at {
                StepMark::Done
            } else if i == at && r.abort {
                StepMark::Failed
            } else if i == at {
                StepMark::Current
            } else {
                StepMark::Pending
            };
            TrackStep { label, mark }
        })
        .collect()
}

/// The track as one line of text.
pub fn track_text(r: &RolloutRow) -> String {
    track(r)
        .iter()
        .map(|s| match s.mark {
            StepMark::Pending => s.label.clone(),
            m => format!("{} {}", s.label, m.symbol()),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
