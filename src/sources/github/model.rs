//! GitHub Actions REST shapes, as far as the pipeline pane needs them. Lenient: unknown
//! enum values are kept, timestamps are optional (GitHub sends nulls while a job starts),
//! and fields we do not read are ignored.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

/// `status` of a run, job or step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStatus {
    Queued,
    InProgress,
    Completed,
    Waiting,
    Requested,
    Pending,
    Unknown(String),
}

impl RunStatus {
    pub fn parse(s: &str) -> RunStatus {
        match s {
            "queued" => RunStatus::Queued,
            "in_progress" => RunStatus::InProgress,
            "completed" => RunStatus::Completed,
            "waiting" => RunStatus::Waiting,
            "requested" => RunStatus::Requested,
            "pending" => RunStatus::Pending,
            other => RunStatus::Unknown(other.to_owned()),
        }
    }

    /// Not finished (a run waiting for approval included).
    pub fn is_active(&self) -> bool {
        !matches!(self, RunStatus::Completed | RunStatus::Unknown(_))
    }

    /// Moving on its own: the poller polls fast and re-reads the jobs. A run `waiting` for a
    /// review is parked until someone acts, which changes the run list.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            RunStatus::Queued | RunStatus::InProgress | RunStatus::Requested | RunStatus::Pending
        )
    }

    /// The word beside an unfinished run's clock, in GitHub's own terms: only
    /// `in_progress` is `running`; a `queued`, `pending`, `requested` or `waiting` run has
    /// not started its work and says so. `None` once completed.
    pub fn clock_word(&self) -> Option<&str> {
        match self {
            RunStatus::InProgress => Some("running"),
            RunStatus::Queued => Some("queued"),
            RunStatus::Pending => Some("pending"),
            RunStatus::Requested => Some("requested"),
            RunStatus::Waiting => Some("waiting"),
            RunStatus::Completed => None,
            RunStatus::Unknown(s) => Some(s),
        }
    }
}

impl RunStatus {
    /// In words for the screen (`in progress`, `waiting for approval`); the API's own
    /// spelling stays `Display`'s, for the audit log and messages that quote the API.
    pub fn words(&self) -> String {
        match self {
            RunStatus::Queued => "queued".into(),
            RunStatus::InProgress => "in progress".into(),
            RunStatus::Completed => "completed".into(),
            RunStatus::Waiting => "waiting for approval".into(),
            RunStatus::Requested => "requested".into(),
            RunStatus::Pending => "pending".into(),
            RunStatus::Unknown(s) => s.replace('_', " "),
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunStatus::Queued => "queued",
            RunStatus::InProgress => "in_progress",
            RunStatus::Completed => "completed",
            RunStatus::Waiting => "waiting",
            RunStatus::Requested => "requested",
            RunStatus::Pending => "pending",
            RunStatus::Unknown(s) => s,
        })
    }
}

/// `conclusion` of a finished run, job or step; `None` (null) until `status` is completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired,
    Stale,
    StartupFailure,
    Unknown(String),
}

impl Conclusion {
    pub fn parse(s: &str) -> Conclusion {
        match s {
            "success" => Conclusion::Success,
            "failure" => Conclusion::Failure,
            "neutral" => Conclusion::Neutral,
            "cancelled" => Conclusion::Cancelled,
            "skipped" => Conclusion::Skipped,
            "timed_out" => Conclusion::TimedOut,
            "action_required" => Conclusion::ActionRequired,
            "stale" => Conclusion::Stale,
            "startup_failure" => Conclusion::StartupFailure,
            other => Conclusion::Unknown(other.to_owned()),
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Conclusion::Failure | Conclusion::TimedOut | Conclusion::StartupFailure
        )
    }

    /// Counts toward a success rate: a success or a failure. `cancelled`, `skipped`,
    /// `neutral`, `stale` and `action_required` say nothing about whether the pipeline
    /// works (GitHub's UI does not call them failures either).
    pub fn is_verdict(&self) -> bool {
        *self == Conclusion::Success || self.is_failure()
    }
}

impl Conclusion {
    /// In words for the screen (`succeeded`, `timed out`).
    pub fn words(&self) -> String {
        match self {
            Conclusion::Success => "succeeded".into(),
            Conclusion::Failure => "failed".into(),
            Conclusion::Neutral => "neutral".into(),
            Conclusion::Cancelled => "cancelled".into(),
            Conclusion::Skipped => "skipped".into(),
            Conclusion::TimedOut => "timed out".into(),
            Conclusion::ActionRequired => "action required".into(),
            Conclusion::Stale => "stale".into(),
            Conclusion::StartupFailure => "failed to start".into(),
            Conclusion::Unknown(s) => s.replace('_', " "),
        }
    }
}

/// A deployment status's `state` in words for the screen: `in_progress` → `deploying`,
/// `success` → `deployed`, `inactive` → `superseded`; an unknown one with its `_` as spaces.
pub fn deployment_state_words(state: &str) -> String {
    match state {
        "success" => "deployed".into(),
        "in_progress" => "deploying".into(),
        "queued" => "queued".into(),
        "pending" => "pending".into(),
        "waiting" => "waiting for approval".into(),
        "failure" => "failed".into(),
        "error" => "errored".into(),
        "inactive" => "superseded".into(),
        other => other.replace('_', " "),
    }
}

impl fmt::Display for Conclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Neutral => "neutral",
            Conclusion::Cancelled => "cancelled",
            Conclusion::Skipped => "skipped",
            Conclusion::TimedOut => "timed_out",
            Conclusion::ActionRequired => "action_required",
            Conclusion::Stale => "stale",
            Conclusion::StartupFailure => "startup_failure",
            Conclusion::Unknown(s) => s,
        })
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(RunStatus::parse(&s))
    }
}

impl<'de> Deserialize<'de> for Conclusion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Conclusion::parse(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Actor {
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_title: Option<String>,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub head_sha: String,
    #[serde(default)]
    pub run_number: u64,
    #[serde(default)]
    pub run_attempt: Option<u64>,
    #[serde(default)]
    pub event: Option<String>,
    pub status: RunStatus,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub run_started_at: Option<Timestamp>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub actor: Option<Actor>,
}

impl WorkflowRun {
    pub fn short_sha(&self) -> &str {
        self.head_sha.get(..7).unwrap_or(&self.head_sha)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunList {
    #[serde(default)]
    pub total_count: u64,
    pub workflow_runs: Vec<WorkflowRun>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Step {
    pub name: String,
    pub status: RunStatus,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub number: u64,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Job {
    pub id: u64,
    #[serde(default)]
    pub run_id: u64,
    pub name: String,
    pub status: RunStatus,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobList {
    #[serde(default)]
    pub total_count: u64,
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EnvironmentRef {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reviewer {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub reviewer: Option<ReviewerEntity>,
}

/// A user (`login`) or a team (`name`/`slug`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReviewerEntity {
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
}

impl Reviewer {
    pub fn label(&self) -> String {
        self.reviewer
            .as_ref()
            .and_then(|r| r.login.clone().or(r.slug.clone()).or(r.name.clone()))
            .unwrap_or_else(|| "?".into())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PendingDeployment {
    pub environment: EnvironmentRef,
    #[serde(default)]
    pub wait_timer: Option<u64>,
    #[serde(default)]
    pub wait_timer_started_at: Option<Timestamp>,
    #[serde(default)]
    pub current_user_can_approve: bool,
    #[serde(default)]
    pub reviewers: Vec<Reviewer>,
}

/// What holds a pending deployment back, from its protection rules as GitHub lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Required reviewers (listed; maybe a wait timer too, which runs after approval).
    Reviewers,
    /// A wait timer and nobody to approve: it goes on by itself when the timer ends.
    WaitTimer {
        minutes: u64,
        ends: Option<Timestamp>,
    },
    /// Neither reviewers nor a timer: a custom deployment protection rule (an app) decides.
    CustomRule,
}

impl PendingDeployment {
    pub fn gate(&self) -> Gate {
        let minutes = self.wait_timer.unwrap_or(0);
        if !self.reviewers.is_empty() {
            Gate::Reviewers
        } else if minutes > 0 {
            let ends = self.wait_timer_started_at.and_then(|t| {
                t.checked_add(jiff::SignedDuration::from_mins(minutes as i64))
                    .ok()
            });
            Gate::WaitTimer { minutes, ends }
        } else {
            Gate::CustomRule
        }
    }
}

impl Gate {
    /// Why nobody here can approve, when that is the gate's nature (a timer, a rule);
    /// `None` for reviewers, whom the caller names.
    pub fn words(&self) -> Option<String> {
        match self {
            Gate::Reviewers => None,
            Gate::WaitTimer { minutes, ends } => Some(match ends {
                Some(t) => format!("a {minutes}m wait timer, ends {}", crate::text::hh_mm(*t)),
                None => format!("a {minutes}m wait timer"),
            }),
            Gate::CustomRule => Some("a custom deployment protection rule".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default)]
    pub sha: String,
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: String,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub log_url: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
}

impl DeploymentStatus {
    /// No later status will replace this one.
    pub fn is_final(&self) -> bool {
        matches!(
            self.state.as_str(),
            "success" | "failure" | "error" | "inactive"
        )
    }

    /// The run id in `log_url`/`target_url` (`…/actions/runs/{id}`), when GitHub set one.
    pub fn run_id(&self) -> Option<u64> {
        [&self.log_url, &self.target_url]
            .into_iter()
            .flatten()
            .find_map(|u| {
                let rest = u.split("/actions/runs/").nth(1)?;
                rest.split(['/', '?', '#']).next()?.parse().ok()
            })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RepoEnvironment {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EnvironmentList {
    #[serde(default)]
    pub total_count: u64,
    pub environments: Vec<RepoEnvironment>,
}

/// GitHub's error body: `{"message": "...", "documentation_url": "..."}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub message: Option<String>,
}

/// An answer to a deployment's required review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Approve,
    Reject,
}

impl Review {
    /// The state GitHub's pending-deployments review takes.
    pub fn state(self) -> &'static str {
        match self {
            Review::Approve => "approved",
            Review::Reject => "rejected",
        }
    }
}

/// What re-run / re-run failed / cancel do to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    Rerun,
    RerunFailed,
    Cancel,
}

impl RunAction {
    /// The name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            RunAction::Rerun => "rerun",
            RunAction::RerunFailed => "rerun-failed",
            RunAction::Cancel => "cancel",
        }
    }

    /// What the confirmation's title says it does.
    pub fn describe(self) -> &'static str {
        match self {
            RunAction::Rerun => "Re-run every job of",
            RunAction::RerunFailed => "Re-run the failed jobs of",
            RunAction::Cancel => "Cancel",
        }
    }
}

/// GitHub's rate limit as its last answer stated it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<Timestamp>,
}

/// Requests sent, and how many of them GitHub answered 304.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub sent: u64,
    pub not_modified: u64,
}
