//! What an empty Workloads table says: why it is empty and where the rows are that the
//! narrowing leaves out (`no Deployments in ml — 1 StatefulSet: :sts`), a namespace the
//! cluster does not have, a kind whose CRD it does not serve. Said only once the lists
//! concerned have arrived: before that, nothing is known to be missing. Pure.

use super::kinds::Narrow;
use crate::app::cluster::ClusterStore;
use crate::app::state::State;
use crate::sources::kube::{Kind, WorkloadKind};

/// Why the table has no row, where that is known. `warn` marks what is likely a mistake
/// (a namespace that does not exist, a kind the cluster does not serve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyWhy {
    pub text: String,
    pub warn: bool,
}

/// The kinds other narrowings show, each with the command that shows it, in the order the
/// palette lists them.
const OTHERS: [WorkloadKind; 6] = [
    WorkloadKind::Deployment,
    WorkloadKind::Rollout,
    WorkloadKind::StatefulSet,
    WorkloadKind::DaemonSet,
    WorkloadKind::Job,
    WorkloadKind::CronJob,
];

/// Why the Workloads table is empty (before its `/` filter), or `None` when it has rows or
/// the lists it would show have not all arrived yet.
pub fn empty_why(state: &State) -> Option<EmptyWhy> {
    let store = &state.cluster;
    if store.no_client.is_some() || super::views::table_total(state) > 0 {
        return None;
    }
    if let Some(text) = crate::app::scope::missing_namespace_text(state) {
        return Some(EmptyWhy { text, warn: true });
    }
    let narrow = state.workloads.narrow;
    let shown: Vec<WorkloadKind> = WorkloadKind::ALL
        .into_iter()
        .filter(|k| narrow.shows(*k))
        .collect();
    if !shown.iter().all(|k| listed(store, *k)) {
        return None;
    }
    let place = match &state.scope.namespace {
        Some(ns) => format!("in {ns}"),
        None => "in any namespace".to_owned(),
    };
    let absent_crd =
        narrow == Narrow::Only(WorkloadKind::Rollout) && store.rollouts_served == Some(false);
    let head = if absent_crd {
        "Argo Rollouts are not served by this cluster (no rollouts.argoproj.io CRD)".to_owned()
    } else {
        format!("no {} {place}", what(narrow, store))
    };
    let elsewhere: Vec<String> = OTHERS
        .into_iter()
        .filter(|k| !narrow.shows(*k) && listed(store, *k))
        .filter_map(|k| {
            let n = count(store, k);
            let cmd = Narrow::COMMANDS
                .iter()
                .find(|(_, c, _)| *c == Narrow::Only(k))
                .map(|(name, _, _)| *name)?;
            (n > 0).then(|| format!("{}: :{cmd}", plural(n, k.api_kind())))
        })
        .collect();
    let text = if elsewhere.is_empty() {
        head
    } else {
        format!("{head} — {}", elsewhere.join(", "))
    };
    Some(EmptyWhy {
        text,
        warn: absent_crd,
    })
}

/// What the narrowing shows, in the API's kind names.
fn what(narrow: Narrow, store: &ClusterStore) -> String {
    match narrow {
        Narrow::Releases if store.rollouts_served == Some(true) => {
            "Deployments or Rollouts".to_owned()
        }
        Narrow::Releases => "Deployments".to_owned(),
        Narrow::Only(k) => format!("{}s", k.api_kind()),
        Narrow::Pods => "pods".to_owned(),
        Narrow::All => "workloads".to_owned(),
    }
}

/// Whether the store has heard the first list of a kind (Rollouts: or that the cluster
/// does not serve them).
fn listed(store: &ClusterStore, kind: WorkloadKind) -> bool {
    let k = match kind {
        WorkloadKind::Deployment => Kind::Deployments,
        WorkloadKind::StatefulSet => Kind::StatefulSets,
        WorkloadKind::DaemonSet => Kind::DaemonSets,
        WorkloadKind::Job => Kind::Jobs,
        WorkloadKind::CronJob => Kind::CronJobs,
        WorkloadKind::Pod => Kind::Pods,
        WorkloadKind::Rollout => match store.rollouts_served {
            Some(false) => return true,
            Some(true) => Kind::Rollouts,
            None => return false,
        },
    };
    store.synced.contains(&k)
}

fn count(store: &ClusterStore, kind: WorkloadKind) -> usize {
    match kind {
        WorkloadKind::Deployment => store.deployments.len(),
        WorkloadKind::StatefulSet => store.statefulsets.len(),
        WorkloadKind::DaemonSet => store.daemonsets.len(),
        WorkloadKind::Job => store.jobs.len(),
        WorkloadKind::CronJob => store.cronjobs.len(),
        WorkloadKind::Pod => store.pods.len(),
        WorkloadKind::Rollout => store.rollouts.len(),
    }
}

fn plural(n: usize, kind: &str) -> String {
    if n == 1 {
        format!("1 {kind}")
    } else {
        format!("{n} {kind}s")
    }
}
