//! What a message of the cluster source does to State: the store takes it (`apply`), and
//! what others derive from it follows — the Error-rate pane's deploy marks and the
//! revision roles of Rollouts, the Kube source's status. A new scope starts an empty store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;

use crate::app::cluster::{ClusterStore, owner_key};
use crate::app::event::Effect;
use crate::app::panes::errors::{self, DeployMark};
use crate::app::state::{SourceId, SourceStatus, State};
use crate::sources::kube::{Failure, Kind, ObjKey, Rows, WorkloadsMsg};

/// One message of the cluster source (`Event::Kube`); the views catch up in `settle`.
pub fn on_msg(state: &mut State, msg: WorkloadsMsg) -> Vec<Effect> {
    let now = state.now;
    // revisions live in deployments and replicasets: pod churn cannot move a deploy mark,
    // and a page of either moves the marks of the deployments it names, not all
    let touched: Vec<ObjKey> = match &msg {
        WorkloadsMsg::Snapshot(rows)
        | WorkloadsMsg::Applied(rows)
        | WorkloadsMsg::Page { rows, .. } => match rows {
            Rows::Deployments(v) => v.iter().map(|d| d.key.clone()).collect(),
            Rows::ReplicaSets(v) => v
                .iter()
                .filter_map(|rs| owner_key(&rs.key.namespace, &rs.owner))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    // each named deployment's revision before the message
    let before: BTreeMap<ObjKey, Option<i64>> = touched
        .into_iter()
        .map(|k| {
            let rev = state.cluster.deployments.get(&k).and_then(|d| d.revision);
            (k, rev)
        })
        .collect();
    let rollouts_may_move = match &msg {
        WorkloadsMsg::Snapshot(rows)
        | WorkloadsMsg::Applied(rows)
        | WorkloadsMsg::Page { rows, .. } => rows.kind() == Kind::Rollouts,
        WorkloadsMsg::Deleted { kind, .. } => *kind == Kind::Rollouts,
        _ => false,
    };
    if !state.cluster.apply(msg, now) {
        // nothing shown changed, but contact did (a bookmark, the probe, an event that
        // touched no column): the face follows it; a tick redraws the bar if it moves
        set_source_status(state, now);
        return Vec::new();
    }
    if !before.is_empty() {
        record_deploy_marks(state, &before, now);
    }
    if rollouts_may_move {
        let roles = errors::revision_roles(&state.cluster);
        errors::set_revision_roles(state, roles);
    }
    set_source_status(state, now);
    state.dirty = true;
    Vec::new()
}

/// Feeds the error-rate pane's deploy marks (a service is matched by its deployment's
/// name): each revision at its ReplicaSet's creation, and a revision change seen live (a
/// rollback re-uses an old ReplicaSet, so its creation time says nothing) at `now`.
fn record_deploy_marks(state: &mut State, before: &BTreeMap<ObjKey, Option<i64>>, now: Timestamp) {
    let data = &state.cluster;
    let mut marks: Vec<(String, DeployMark)> = Vec::new();
    for (key, d) in before
        .keys()
        .filter_map(|k| Some((k, data.deployments.get(k)?)))
    {
        for rs in data.replicasets_of(key) {
            if let (Some(rev), Some(created)) = (rs.revision, rs.created) {
                marks.push((
                    key.name.clone(),
                    DeployMark {
                        at_ms: created.as_millisecond(),
                        revision: rev.to_string(),
                    },
                ));
            }
        }
        if let (Some(Some(old)), Some(new)) = (before.get(key), d.revision)
            && *old != new
        {
            marks.push((
                key.name.clone(),
                DeployMark {
                    at_ms: now.as_millisecond(),
                    revision: new.to_string(),
                },
            ));
        }
    }
    for (service, mark) in marks {
        state.deploys.record(&service, mark);
    }
}

fn set_source_status(state: &mut State, now: Timestamp) {
    if let Some(status) = source_status(state, now) {
        state.sources.insert(SourceId::Kube, status);
    }
    crate::app::panes::logs::pair_with_cluster(state);
}

/// The Kube source's status from the store; `None` while nothing was listed yet (it stays
/// connecting).
fn source_status(state: &State, now: Timestamp) -> Option<SourceStatus> {
    let data = &state.cluster;
    let status = if let Some(text) = &data.no_client {
        SourceStatus::Unavailable {
            reason: text.clone(),
        }
    } else if data.failures.is_empty() && data.contact_error.is_none() {
        // every watch is open; in contact at the last answer (a watch that is open but
        // silent proves nothing: the face turns stale past `[kube] stale_after_secs`
        // without one), the rows last changed at `last_ok`
        match (data.contact, data.last_ok) {
            (Some(contact), Some(changed)) => SourceStatus::Live {
                updated: contact,
                changed,
                open: true,
            },
            _ => return None,
        }
    } else if let Some(unanswered) = &data.contact_error {
        // the probe's word on whether the server answers at all is the newest (a watch's
        // failure may be a backoff old: refused then, hanging now): it names the reason
        let prev = state.source(SourceId::Kube);
        let last_ok = prev.and_then(SourceStatus::last_contact).max(data.contact);
        SourceStatus::failing(prev, unanswered.clone(), now, last_ok)
    } else {
        let error = data
            .failures
            .values()
            .map(Failure::describe)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join("; ");
        let prev = state.source(SourceId::Kube);
        // aged from the last answer, not from when a silent stream was given up
        let last_ok = prev.and_then(SourceStatus::last_contact).max(data.contact);
        SourceStatus::failing(prev, error, now, last_ok)
    };
    Some(status)
}

/// A new context or namespace: the old rows belong to a scope the user left.
pub fn on_scope_changed(state: &mut State) {
    state.cluster = ClusterStore::default();
    errors::set_revision_roles(state, HashMap::new());
    state.sources.insert(
        SourceId::Kube,
        SourceStatus::Connecting { since: state.now },
    );
}

#[cfg(test)]
#[path = "cluster_feed_tests.rs"]
mod tests;
