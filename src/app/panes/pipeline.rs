//! Pipeline pane data and its part of `update`. Pure: no I/O.

use jiff::Timestamp;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::intent::Intent;
use crate::app::state::{Overlay, SourceId, SourceStatus, State};
use crate::pane::PaneId;
use crate::sources::github::model::{Conclusion, Gate, Job, RunStatus};
use crate::sources::github::snapshot::{PipelineSnapshot, PipelineUpdate, RunEntry};

/// Where the user has drilled to. The selection of the level above is kept to come back to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Drill {
    #[default]
    Runs,
    Jobs {
        run_id: u64,
        run_row: usize,
    },
    Steps {
        run_id: u64,
        run_row: usize,
        job_id: u64,
        job_row: usize,
    },
}

/// What the pipeline source has told the ui task.
#[derive(Debug, Clone, Default)]
pub struct PipelineData {
    pub snapshot: Option<Box<PipelineSnapshot>>,
    pub drill: Drill,
    /// Not a failure, but worth saying (no token, …).
    pub notice: Option<String>,
    pub rate_limited_until: Option<Timestamp>,
}

impl PipelineData {
    pub fn runs(&self) -> &[RunEntry] {
        self.snapshot.as_deref().map(|s| &s.runs[..]).unwrap_or(&[])
    }

    pub fn run(&self, id: u64) -> Option<&RunEntry> {
        self.runs().iter().find(|r| r.run.id == id)
    }

    pub fn job(&self, run_id: u64, job_id: u64) -> Option<&Job> {
        self.run(run_id)?.jobs.iter().find(|j| j.id == job_id)
    }

    /// How many rows the current level lists.
    pub fn rows(&self) -> usize {
        match &self.drill {
            Drill::Runs => self.runs().len(),
            Drill::Jobs { run_id, .. } => self.run(*run_id).map_or(0, |r| r.jobs.len()),
            Drill::Steps { run_id, job_id, .. } => {
                self.job(*run_id, *job_id).map_or(0, |j| j.steps.len())
            }
        }
    }
}

pub fn on_msg(state: &mut State, update: PipelineUpdate) -> Vec<Effect> {
    state.dirty = true;
    match update {
        PipelineUpdate::Snapshot(snap) => {
            let updated = snap.fetched_at;
            state.pipeline.snapshot = Some(snap);
            state.pipeline.rate_limited_until = None;
            state
                .sources
                .insert(SourceId::Pipeline, SourceStatus::polled(updated));
            // a drill target that vanished falls back to the runs list
            let d = state.pipeline.drill.clone();
            let gone = match d {
                Drill::Runs => false,
                Drill::Jobs { run_id, .. } => state.pipeline.run(run_id).is_none(),
                Drill::Steps { run_id, job_id, .. } => state.pipeline.job(run_id, job_id).is_none(),
            };
            if gone {
                state.pipeline.drill = Drill::Runs;
            }
        }
        PipelineUpdate::Unchanged { at, requests } => {
            state.pipeline.rate_limited_until = None;
            if let Some(s) = state.pipeline.snapshot.as_mut() {
                s.requests = requests;
            }
            // a poll answered with nothing new is contact all the same
            let status = SourceStatus::unchanged(state.source(SourceId::Pipeline), at);
            state.sources.insert(SourceId::Pipeline, status);
        }
        PipelineUpdate::Failing {
            error,
            at,
            rate_limited_until,
        } => {
            state.pipeline.rate_limited_until = rate_limited_until;
            let prev = state.source(SourceId::Pipeline);
            let last_ok = prev.and_then(|s| s.last_update());
            let status = SourceStatus::failing(prev, error, at, last_ok);
            state.sources.insert(SourceId::Pipeline, status);
        }
        PipelineUpdate::Notice(text) => state.pipeline.notice = Some(text),
    }
    Vec::new()
}

/// The runs the runs view lists: all, or those matching the pane's filter (number, workflow,
/// branch, sha, title, actor, status).
pub fn visible_runs(state: &State) -> Vec<&RunEntry> {
    let filter = state.pane(PaneId::Pipeline).filter.to_lowercase();
    state
        .pipeline
        .runs()
        .iter()
        .filter(|r| filter.is_empty() || run_matches(r, &filter))
        .collect()
}

fn run_matches(r: &RunEntry, needle: &str) -> bool {
    let run = &r.run;
    let hay = [
        format!("#{}", run.run_number),
        run.name.clone().unwrap_or_default(),
        run.head_branch.clone().unwrap_or_default(),
        run.head_sha.clone(),
        run.display_title.clone().unwrap_or_default(),
        run.actor
            .as_ref()
            .map(|a| a.login.clone())
            .unwrap_or_default(),
        run.status.to_string(),
        run.conclusion
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
    ];
    hay.iter().any(|h| h.to_lowercase().contains(needle))
}

fn level_rows(state: &State) -> usize {
    match state.pipeline.drill {
        Drill::Runs => visible_runs(state).len(),
        _ => state.pipeline.rows(),
    }
}

/// Drill-down keys while the Pipeline pane is focused; `None` leaves the action to `apply`.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if state.focus != PaneId::Pipeline || state.overlay != Overlay::None {
        return None;
    }
    let sel = state.pane(PaneId::Pipeline).selected;
    let data = &state.pipeline;
    // moves stay inside the rows of the level shown, so `up` never sticks past the end
    let last = level_rows(state).saturating_sub(1);
    let moved = match action {
        Action::SelectUp => Some(sel.min(last).saturating_sub(1)),
        Action::SelectDown => Some(sel.saturating_add(1).min(last)),
        Action::PageUp => Some(sel.min(last).saturating_sub(10)),
        Action::PageDown => Some(sel.saturating_add(10).min(last)),
        Action::SelectBottom => Some(last),
        _ => None,
    };
    if let Some(row) = moved {
        state.pane_mut(PaneId::Pipeline).selected = row;
        state.dirty = true;
        return Some(Vec::new());
    }
    let next = match (action, data.drill.clone()) {
        (Action::Open, Drill::Runs) => {
            let runs = visible_runs(state);
            let row = sel.min(runs.len().checked_sub(1)?);
            let run = *runs.get(row)?;
            (
                Drill::Jobs {
                    run_id: run.run.id,
                    run_row: row,
                },
                first_notable(run.jobs.iter().map(|j| (&j.status, j.conclusion.as_ref()))),
            )
        }
        (Action::Open, Drill::Jobs { run_id, run_row }) => {
            let run = data.run(run_id)?;
            let row = sel.min(run.jobs.len().checked_sub(1)?);
            let job = run.jobs.get(row)?;
            (
                Drill::Steps {
                    run_id,
                    run_row,
                    job_id: job.id,
                    job_row: row,
                },
                first_notable(job.steps.iter().map(|s| (&s.status, s.conclusion.as_ref()))),
            )
        }
        (Action::Back, Drill::Jobs { run_row, .. }) => (Drill::Runs, run_row),
        (
            Action::Back,
            Drill::Steps {
                run_id,
                run_row,
                job_row,
                ..
            },
        ) => (Drill::Jobs { run_id, run_row }, job_row),
        _ => return None,
    };
    state.pipeline.drill = next.0;
    state.pane_mut(PaneId::Pipeline).selected = next.1;
    state.dirty = true;
    Some(Vec::new())
}

/// Open a level on its first failed row, else the first one still going or waiting, else
/// the top.
fn first_notable<'a>(
    items: impl Iterator<Item = (&'a RunStatus, Option<&'a Conclusion>)> + Clone,
) -> usize {
    let failed = items
        .clone()
        .position(|(_, c)| c.is_some_and(|c| c.is_failure()));
    failed
        .or_else(|| items.clone().position(|(s, _)| s.is_active()))
        .unwrap_or(0)
}

/// What promote/reject would act on: the pending review of the selected run (runs or jobs
/// view), else the first pending review in environment order. For the operations layer's
/// confirmation dialog, which then calls `sources::github::actions::review_pending_deployments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTarget {
    pub run_id: u64,
    pub run_number: u64,
    pub sha: String,
    pub environment: String,
    pub environment_ids: Vec<u64>,
    pub can_approve: bool,
    /// Who may approve, when the current user may not.
    pub reviewers: Vec<String>,
    /// Reviewers, or a wait timer or custom rule that nobody approves.
    pub gate: Gate,
}

/// The run that re-run / re-run failed jobs / cancel would act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTarget {
    pub run_id: u64,
    pub run_number: u64,
    pub workflow: String,
    pub active: bool,
    pub has_failed_jobs: bool,
}

/// The run under the cursor, at any drill level.
pub fn selected_run(state: &State) -> Option<&RunEntry> {
    let data = &state.pipeline;
    match &data.drill {
        Drill::Runs => {
            let sel = state.pane(PaneId::Pipeline).selected;
            let runs = visible_runs(state);
            runs.get(sel.min(runs.len().checked_sub(1)?)).copied()
        }
        Drill::Jobs { run_id, .. } | Drill::Steps { run_id, .. } => data.run(*run_id),
    }
}

pub fn run_target(state: &State) -> Option<RunTarget> {
    let r = selected_run(state)?;
    Some(RunTarget {
        run_id: r.run.id,
        run_number: r.run.run_number,
        workflow: r.run.name.clone().unwrap_or_else(|| "workflow".into()),
        active: r.run.status.is_active(),
        has_failed_jobs: r.jobs.iter().any(|j| {
            j.conclusion
                .as_ref()
                .is_some_and(|c| c.is_failure() || *c == Conclusion::Cancelled)
        }),
    })
}

pub fn review_target(state: &State) -> Option<ReviewTarget> {
    let target = review_target_as_reported(state)?;
    // anonymous: nobody is signed in to approve, whatever the API answered
    let anonymous = state
        .pipeline
        .snapshot
        .as_ref()
        .is_some_and(|s| s.anonymous);
    Some(ReviewTarget {
        can_approve: target.can_approve && !anonymous,
        ..target
    })
}

fn review_target_as_reported(state: &State) -> Option<ReviewTarget> {
    let from_run = |r: &RunEntry| {
        let p = r.pending.first()?;
        Some(ReviewTarget {
            run_id: r.run.id,
            run_number: r.run.run_number,
            sha: r.run.head_sha.clone(),
            environment: p.environment.name.clone(),
            environment_ids: vec![p.environment.id],
            can_approve: p.current_user_can_approve,
            reviewers: p.reviewers.iter().map(|r| r.label()).collect(),
            gate: p.gate(),
        })
    };
    if let Some(t) = selected_run(state).and_then(from_run) {
        return Some(t);
    }
    let snap = state.pipeline.snapshot.as_deref()?;
    snap.environments.iter().find_map(|e| {
        let p = e.pending.as_ref()?;
        Some(ReviewTarget {
            run_id: p.run_id,
            run_number: p.run_number,
            sha: p.sha.clone(),
            environment: e.github_environment.clone(),
            environment_ids: vec![p.environment_id],
            can_approve: p.can_approve,
            reviewers: p.reviewers.clone(),
            gate: p.gate.clone(),
        })
    })
}

/// The sha deployed (latest successful deployment) to the environment named `env` in config,
/// for panes that link a revision or image tag to its commit.
pub fn deployed_sha<'a>(state: &'a State, env: &str) -> Option<&'a str> {
    let snap = state.pipeline.snapshot.as_deref()?;
    let row = snap.environments.iter().find(|e| e.name == env)?;
    row.deployed.as_ref().map(|d| d.sha.as_str())
}

/// What the cluster runs in an environment when it is not GitHub's last successful
/// deployment there (a rollback, a `kubectl rollout undo`, a hand edit): the commit a
/// deployment's change-cause names (a commit, or a run by its number), when it is one of
/// this repository's runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningNow {
    /// Seven characters of the commit the cluster runs.
    pub sha: String,
    /// The deployment that says so, and its revision.
    pub deployment: String,
    pub revision: Option<i64>,
}

/// For the environment row `env` (the config's name), what the cluster runs now when it
/// differs from the row's deployment record. Only the environment the console is in is
/// watched, so only its row can be checked; `None` when it agrees or nothing tells.
pub fn running_now(state: &State, env: &str) -> Option<RunningNow> {
    let here = crate::app::scope::environment(state)?;
    if here.name != env {
        return None;
    }
    let snap = state.pipeline.snapshot.as_deref()?;
    let deployed = snap
        .environments
        .iter()
        .find(|e| e.name == env)?
        .deployed
        .as_ref()?;
    let same = |a: &str, b: &str| a.starts_with(b) || b.starts_with(a);
    let known = |token: &str| {
        snap.runs
            .iter()
            .find(|r| same(&r.run.head_sha, token))
            .map(|r| r.run.short_sha().to_owned())
    };
    let namespace = state.scope.namespace.as_deref();
    state
        .cluster
        .deployments
        .values()
        .filter(|d| namespace.is_none_or(|ns| d.key.namespace == ns))
        .find_map(|d| {
            let cause = d.change_cause.as_deref()?;
            // a commit the cause names (`abc1234`), else a run of ours it names (`run #123`)
            let by_sha = cause
                .split(|c: char| !c.is_ascii_hexdigit())
                .filter(|t| (7..=40).contains(&t.len()))
                .find_map(known);
            let by_run = || {
                cause.split('#').skip(1).find_map(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let n: u64 = digits.parse().ok()?;
                    snap.runs
                        .iter()
                        .find(|r| r.run.run_number == n)
                        .map(|r| r.run.short_sha().to_owned())
                })
            };
            let sha = by_sha.or_else(by_run)?;
            (!same(&deployed.sha, &sha)).then(|| RunningNow {
                sha,
                deployment: d.key.name.clone(),
                revision: d.revision,
            })
        })
}

/// Promote / reject / re-run / cancel on the Pipeline selection: the operation to plan.
pub fn on_operation(state: &mut State, action: Action) -> Vec<Intent> {
    use crate::app::state::FlashLevel;
    use crate::ops::{Operation, Review, RunAction};
    if state.focus != PaneId::Pipeline {
        state.set_flash(
            FlashLevel::Info,
            format!("{}: focus the Pipeline pane first", action.description()),
        );
        return Vec::new();
    }
    let review = match action {
        Action::Promote => Some(Review::Approve),
        Action::PipelineReject => Some(Review::Reject),
        _ => None,
    };
    if let Some(review) = review {
        let Some(t) = review_target(state) else {
            state.set_flash(
                FlashLevel::Info,
                "no deployment is waiting for review".into(),
            );
            return Vec::new();
        };
        if let Some(gate) = t.gate.words().filter(|_| !t.can_approve) {
            state.set_flash(
                FlashLevel::Info,
                format!(
                    "the deployment to {} waits for {gate}: nobody approves it from here",
                    t.environment
                ),
            );
            return Vec::new();
        }
        if !t.can_approve {
            let who = if t.reviewers.is_empty() {
                "a required reviewer".to_owned()
            } else {
                t.reviewers.join(", ")
            };
            let verb = match review {
                Review::Approve => "approve",
                Review::Reject => "reject",
            };
            state.set_flash(
                FlashLevel::Warn,
                format!(
                    "you cannot {verb} the deployment to {}: ask {who}",
                    t.environment
                ),
            );
            return Vec::new();
        }
        return vec![Intent::Plan(Operation::ReviewDeployment {
            review,
            environment: t.environment,
            run_id: t.run_id,
            run_number: t.run_number,
            sha: t.sha,
            environment_ids: t.environment_ids,
        })];
    }
    let run_action = match action {
        Action::PipelineRerun => RunAction::Rerun,
        Action::PipelineRerunFailed => RunAction::RerunFailed,
        Action::PipelineCancel => RunAction::Cancel,
        _ => {
            state.set_flash(
                FlashLevel::Info,
                format!(
                    "{}: select a deployment in Workloads first",
                    action.description()
                ),
            );
            return Vec::new();
        }
    };
    let Some(t) = run_target(state) else {
        state.set_flash(FlashLevel::Info, "select a run first".into());
        return Vec::new();
    };
    vec![Intent::Plan(Operation::Run {
        action: run_action,
        run_id: t.run_id,
        run_number: t.run_number,
        workflow: t.workflow,
    })]
}
