//! `kubectl cordon`, `uncordon` and `drain` on a node.
//!
//! Cordon and uncordon send kubectl's strategic merge patch of `spec.unschedulable`
//! (`true`; `null` to uncordon) with the node's resourceVersion as precondition. A drain
//! does what `kubectl drain --ignore-daemonsets [--force] [--delete-emptydir-data]
//! --timeout=N` does: cordon; list the node's pods; leave DaemonSet pods and mirror pods;
//! refuse pods no controller owns and pods with emptyDir data unless `--force` /
//! `--delete-emptydir-data` were confirmed; evict every other pod through the `eviction`
//! subresource, so PodDisruptionBudgets hold (a 429 is retried with backoff, and the
//! progress names the budget that blocks); then wait for the pods to be gone. Every eviction
//! has its own intent and outcome line in the audit log. The drain ends at its timeout or
//! when cancelled ([`Executor::cancel_drain`]); the node stays cordoned either way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, ListParams, Patch};
use serde_json::{Value, json};

use super::audit::{self, AuditRecord, Phase};
use super::model::{DrainOptions, DrainProgress, NodeOp};
use super::workload::check_unchanged;
use super::{Done, Executor, Operation, Plan, Target, kube_message, patch_params};
use super::{dry_run, with_resource_version};

/// The annotation of a mirror pod (a static pod the kubelet mirrors): drain skips it.
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// How often a drain polls for its evicted pods to be gone.
const GONE_POLL: Duration = Duration::from_secs(1);
/// Backoff after a 429 (the budget allows no disruption now): doubling up to the last.
const EVICT_BACKOFF_FIRST: Duration = Duration::from_millis(500);
const EVICT_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Evictions in flight at once.
const EVICT_PARALLEL: usize = 16;

/// A pod on the node, as the drain's filters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainPod {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The controlling owner: (kind, name).
    pub controller: Option<(String, String)>,
    /// Its emptyDir volumes.
    pub empty_dirs: Vec<String>,
    pub mirror: bool,
    /// Succeeded or Failed: deletable whatever it is.
    pub finished: bool,
    pub labels: BTreeMap<String, String>,
}

impl DrainPod {
    pub fn from_pod(p: &Pod) -> DrainPod {
        let meta = &p.metadata;
        let controller = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| (o.kind.clone(), o.name.clone()));
        let empty_dirs = p
            .spec
            .iter()
            .flat_map(|s| s.volumes.iter().flatten())
            .filter(|v| v.empty_dir.is_some())
            .map(|v| v.name.clone())
            .collect();
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        DrainPod {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            controller,
            empty_dirs,
            mirror: meta
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(MIRROR_ANNOTATION)),
            finished: matches!(phase, Some("Succeeded" | "Failed")),
            labels: meta.labels.clone().unwrap_or_default(),
        }
    }

    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// What the drain does with one pod: kubectl's filters, in kubectl's order (DaemonSet,
/// mirror, local storage, no controller), the first that does not delete deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Evicted; with what the user confirmed for it (`--force: …`).
    Evict(Option<String>),
    /// Left on the node: why.
    Leave(String),
    /// Not drainable without a flag: why, and which flag.
    Refuse { why: String, flag: &'static str },
}

/// The fate of `p` under `o`; `daemonset_exists` says whether its DaemonSet is still there
/// (kubectl: an orphaned DaemonSet pod needs `--force`).
pub fn fate(p: &DrainPod, o: &DrainOptions, daemonset_exists: bool) -> Fate {
    if let Some((kind, name)) = &p.controller
        && kind == "DaemonSet"
    {
        if !daemonset_exists && !o.force {
            return Fate::Refuse {
                why: format!("its DaemonSet {name} is gone"),
                flag: "--force",
            };
        }
        if daemonset_exists {
            return Fate::Leave(format!("DaemonSet {name} (--ignore-daemonsets)"));
        }
    }
    if p.mirror {
        return Fate::Leave("mirror pod (the kubelet runs it)".into());
    }
    let mut notes = Vec::new();
    if !p.finished && !p.empty_dirs.is_empty() {
        if !o.delete_emptydir_data {
            return Fate::Refuse {
                why: format!("emptyDir data ({})", p.empty_dirs.join(", ")),
                flag: "--delete-emptydir-data",
            };
        }
        notes.push(format!(
            "--delete-emptydir-data: emptyDir {} is lost",
            p.empty_dirs.join(", ")
        ));
    }
    match &p.controller {
        Some((kind, name)) => {
            if notes.is_empty() {
                return Fate::Evict(Some(format!("{kind} {name}")));
            }
            notes.insert(0, format!("{kind} {name}"));
        }
        None if p.finished => {}
        None if o.force => notes.push("--force: no controller, nothing recreates it".into()),
        None => {
            return Fate::Refuse {
                why: "no controller, nothing recreates it".into(),
                flag: "--force",
            };
        }
    }
    Fate::Evict((!notes.is_empty()).then(|| notes.join("; ")))
}

/// Whether `sel` selects a pod with `labels` (an empty selector selects every pod).
pub fn selects(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_labels = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_exprs = sel.match_expressions.iter().flatten().all(|e| {
        let have = labels.get(&e.key);
        let values = e.values.clone().unwrap_or_default();
        match e.operator.as_str() {
            "In" => have.is_some_and(|h| values.contains(h)),
            "NotIn" => have.is_none_or(|h| !values.contains(h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    });
    by_labels && by_exprs
}

/// A 429's reason in words: the budget the API server names in its cause.
pub fn budget_block(s: &kube::core::Status) -> String {
    let cause = s
        .details
        .as_ref()
        .and_then(|d| d.causes.first())
        .map(|c| c.message.clone())
        .unwrap_or_default();
    match cause.strip_prefix("The disruption budget ") {
        Some(rest) => {
            let (name, why) = rest.split_once(' ').unwrap_or((rest, ""));
            format!("PodDisruptionBudget {name} {why}")
        }
        None if !cause.is_empty() => cause,
        None => s.message.clone(),
    }
}

fn unschedulable(n: &Node) -> bool {
    n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true)
}

fn node_state(n: &Node) -> String {
    let ready = n
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status == "True");
    let mut s = match ready {
        Some(true) => "Ready".to_owned(),
        Some(false) => "NotReady".to_owned(),
        None => "Unknown".to_owned(),
    };
    if unschedulable(n) {
        s.push_str(",SchedulingDisabled");
    }
    s
}

/// kubectl's patch body for `cordon` (`true`) and `uncordon` (`null`).
fn cordon_body(cordon: bool) -> Value {
    json!({"spec": {"unschedulable": if cordon { json!(true) } else { Value::Null }}})
}

/// kubectl's Eviction body.
fn eviction_body(p: &DrainPod) -> Value {
    json!({
        "kind": "Eviction",
        "apiVersion": "policy/v1",
        "metadata": {"name": p.name, "namespace": p.namespace},
        "deleteOptions": {},
    })
}

/// Cancels a drain's registration when it ends however it ends.
struct Registered {
    drains: super::executor::DrainCancels,
    key: (String, String),
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.drains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.key);
    }
}

/// How one eviction request ended.
enum Evicted {
    Taken,
    /// The pod was already gone (404).
    Gone,
    /// 429: why (the budget).
    Blocked(String),
    Failed(String),
}

impl Executor {
    fn nodes_api(&self) -> Result<Api<Node>, String> {
        Ok(Api::all(self.client()?.clone()))
    }

    /// The pods on `node`, and for each whether its DaemonSet still exists.
    async fn pods_on(&self, node: &str) -> Result<Vec<(DrainPod, bool)>, String> {
        let c = self.client()?;
        let pods = Api::<Pod>::all(c.clone())
            .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
            .await
            .map_err(kube_message)?;
        let mut sets: BTreeMap<(String, String), bool> = BTreeMap::new();
        let mut out = Vec::new();
        for p in &pods.items {
            let d = DrainPod::from_pod(p);
            let exists = match &d.controller {
                Some((kind, name)) if kind == "DaemonSet" => {
                    let key = (d.namespace.clone(), name.clone());
                    match sets.get(&key) {
                        Some(e) => *e,
                        None => {
                            let e = match Api::<DaemonSet>::namespaced(c.clone(), &d.namespace)
                                .get(name)
                                .await
                            {
                                Ok(_) => true,
                                Err(kube::Error::Api(s)) if s.code == 404 => false,
                                Err(e) => return Err(kube_message(e)),
                            };
                            sets.insert(key, e);
                            e
                        }
                    }
                }
                _ => true,
            };
            out.push((d, exists));
        }
        Ok(out)
    }

    pub(super) async fn plan_node(
        &self,
        plan: &mut Plan,
        target: &Target,
        op: &NodeOp,
    ) -> Result<(), String> {
        let api = self.nodes_api()?;
        let node = api.get(&target.name).await.map_err(kube_message)?;
        let rv = node.metadata.resource_version.clone();
        let cordoned = unschedulable(&node);
        let state = node_state(&node);
        plan.op = Operation::Node {
            target: target.clone(),
            op: op.clone(),
            resource_version: rv.clone(),
        };
        let dry = |cordon: bool| {
            let api = api.clone();
            let body = with_resource_version(cordon_body(cordon), rv.as_deref());
            async move { dry_run(&api, &target.name, &Patch::Strategic(&body)).await }
        };
        match op {
            NodeOp::Cordon | NodeOp::Uncordon => {
                let cordon = *op == NodeOp::Cordon;
                plan.title = format!(
                    "{} node/{}",
                    if cordon { "Cordon" } else { "Uncordon" },
                    target.name
                );
                plan.before = format!("spec.unschedulable: {cordoned} ({state})");
                plan.after = if cordon {
                    "spec.unschedulable: true (no new pods are scheduled; running pods stay)".into()
                } else {
                    "spec.unschedulable: false (pods may be scheduled again)".into()
                };
                if cordoned == cordon {
                    plan.refused.get_or_insert_with(|| {
                        format!(
                            "node/{} is already {}",
                            target.name,
                            if cordon { "cordoned" } else { "uncordoned" }
                        )
                    });
                }
                plan.notes.push(format!(
                    "as `kubectl {} {}`",
                    if cordon { "cordon" } else { "uncordon" },
                    target.name
                ));
                if plan.refused.is_none() {
                    plan.notes.push(dry(cordon).await);
                }
            }
            NodeOp::Drain(o) => {
                self.plan_drain(plan, target, o, cordoned, &state).await?;
                if plan.refused.is_none() {
                    if cordoned {
                        plan.notes.push(
                            "server dry run (dryRun=All): ok (already cordoned, no patch)".into(),
                        );
                    } else {
                        plan.notes.push(dry(true).await);
                    }
                }
            }
        }
        Ok(())
    }

    async fn plan_drain(
        &self,
        plan: &mut Plan,
        target: &Target,
        o: &DrainOptions,
        cordoned: bool,
        state: &str,
    ) -> Result<(), String> {
        let pods = self.pods_on(&target.name).await?;
        let mut evict = Vec::new();
        let mut leave = Vec::new();
        let mut refuse = Vec::new();
        let mut flags: BTreeSet<&'static str> = BTreeSet::new();
        for (p, exists) in &pods {
            match fate(p, o, *exists) {
                Fate::Evict(why) => evict.push((p, why)),
                Fate::Leave(why) => leave.push(format!("leave {} ({why})", p.id())),
                Fate::Refuse { why, flag } => {
                    flags.insert(flag);
                    refuse.push(format!("needs {flag}: {} — {why}", p.id()));
                }
            }
        }
        plan.title = format!("Drain node/{}", target.name);
        plan.before = format!(
            "{state}, {} pods ({} to evict, {} left in place{})",
            pods.len(),
            evict.len(),
            leave.len(),
            if refuse.is_empty() {
                String::new()
            } else {
                format!(", {} refused", refuse.len())
            }
        );
        plan.after = format!(
            "{}{} pod{} evicted through the eviction API (PodDisruptionBudgets hold), waiting up to {} s",
            if cordoned { "" } else { "cordoned; " },
            evict.len(),
            if evict.len() == 1 { "" } else { "s" },
            o.timeout_secs
        );
        plan.notes
            .push(format!("as `kubectl drain {} {}`", target.name, o.flags()));
        plan.notes.extend(refuse.iter().cloned());
        // what each confirmed flag does, then the plain evictions, one line per controller
        let mut flagged = Vec::new();
        let mut by_owner: BTreeMap<(String, String), Vec<&DrainPod>> = BTreeMap::new();
        for (p, why) in &evict {
            match why {
                Some(w) if w.starts_with("--") || w.contains("; --") => {
                    flagged.push(format!("evict {} ({w})", p.id()))
                }
                Some(w) => by_owner
                    .entry((p.namespace.clone(), w.clone()))
                    .or_default()
                    .push(p),
                None => flagged.push(format!("evict {} (finished)", p.id())),
            }
        }
        let mut plain = Vec::new();
        for ((ns, owner), pods) in by_owner {
            plain.push(match pods.as_slice() {
                [one] => format!("evict {} ({owner})", one.id()),
                many => format!(
                    "evict {} pods of {}: {}",
                    many.len(),
                    match owner.split_once(' ') {
                        Some((kind, name)) => format!("{kind} {ns}/{name}"),
                        None => format!("{ns}/{owner}"),
                    },
                    many.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        // the budgets the evictions meet, as they stand now
        let namespaces: BTreeSet<&str> = evict.iter().map(|(p, _)| p.namespace.as_str()).collect();
        let c = self.client()?;
        for ns in namespaces {
            let pdbs = match Api::<PodDisruptionBudget>::namespaced(c.clone(), ns)
                .list(&ListParams::default())
                .await
            {
                Ok(l) => l.items,
                // a cluster or a user without policy/v1 reads: the evictions still honour them
                Err(e) => {
                    plan.notes.push(format!(
                        "PodDisruptionBudgets in {ns} could not be read ({}); the evictions honour them anyway",
                        kube_message(e)
                    ));
                    continue;
                }
            };
            for b in pdbs {
                let Some(sel) = b.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                    continue;
                };
                let here = evict
                    .iter()
                    .filter(|(p, _)| p.namespace == ns && selects(sel, &p.labels))
                    .count();
                if here == 0 {
                    continue;
                }
                let allowed = b
                    .status
                    .as_ref()
                    .map(|s| s.disruptions_allowed)
                    .unwrap_or(Some(0))
                    .unwrap_or(0);
                plan.notes.push(format!(
                    "PodDisruptionBudget {ns}/{} allows {allowed} disruption{} now; {here} of its pods are on this node{}",
                    b.metadata.name.clone().unwrap_or_default(),
                    if allowed == 1 { "" } else { "s" },
                    if (here as i32) > allowed {
                        " (the drain waits for replacements to be ready)"
                    } else {
                        ""
                    }
                ));
            }
        }
        plan.notes.extend(flagged);
        plan.notes.extend(plain);
        plan.notes.extend(leave);
        if !refuse.is_empty() && plan.refused.is_none() {
            let mut alt = *o;
            alt.force |= flags.contains("--force");
            alt.delete_emptydir_data |= flags.contains("--delete-emptydir-data");
            plan.refused = Some(format!(
                "cannot drain node/{}: {} pod{} need{} {} (as kubectl refuses); nothing was changed",
                target.name,
                refuse.len(),
                if refuse.len() == 1 { "" } else { "s" },
                if refuse.len() == 1 { "s" } else { "" },
                flags.iter().copied().collect::<Vec<_>>().join(" and ")
            ));
            plan.alternative = Some(Operation::Node {
                target: target.clone(),
                op: NodeOp::Drain(alt),
                resource_version: None,
            });
        }
        Ok(())
    }

    pub(super) async fn run_node(
        &self,
        target: &Target,
        op: &NodeOp,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        match op {
            NodeOp::Cordon | NodeOp::Uncordon => {
                let cordon = *op == NodeOp::Cordon;
                let node = self.cordon(target, cordon, resource_version).await?;
                Ok(Done {
                    message: format!(
                        "node/{} {}",
                        target.name,
                        if cordon { "cordoned" } else { "uncordoned" }
                    ),
                    resource_version: node.and_then(|n| n.metadata.resource_version),
                    ..Done::default()
                })
            }
            NodeOp::Drain(o) => self.run_drain(target, o, resource_version).await,
        }
    }

    /// Patches `spec.unschedulable`, conditional on `resource_version`; `None` when it was
    /// already so (nothing sent).
    async fn cordon(
        &self,
        target: &Target,
        cordon: bool,
        resource_version: Option<&str>,
    ) -> Result<Option<Node>, String> {
        let api = self.nodes_api()?;
        let node = api.get(&target.name).await.map_err(kube_message)?;
        if unschedulable(&node) == cordon {
            return Ok(None);
        }
        check_unchanged(
            &format!("node/{}", target.name),
            resource_version,
            node.metadata.resource_version.as_deref(),
        )?;
        let rv = resource_version
            .map(str::to_owned)
            .or(node.metadata.resource_version.clone());
        let body = with_resource_version(cordon_body(cordon), rv.as_deref());
        api.patch(&target.name, &patch_params(), &Patch::Strategic(&body))
            .await
            .map(Some)
            .map_err(kube_message)
    }

    /// One audit line of an eviction inside a drain.
    async fn eviction_record(&self, target: &Target, p: &DrainPod) -> AuditRecord {
        AuditRecord {
            time: Timestamp::now().to_string(),
            id: audit::new_id(),
            phase: Phase::Intent,
            operation: "evict".into(),
            object: format!("pod/{}", p.name),
            target: p.name.clone(),
            context: target.context.clone(),
            namespace: p.namespace.clone(),
            user: audit::local_user(),
            cluster_user: Some(self.cluster_identity().await),
            before: format!("on node {}", target.name),
            after: format!("evicted (drain of node/{})", target.name),
            ..AuditRecord::default()
        }
    }

    async fn evict_one(&self, p: &DrainPod) -> Evicted {
        let c = match self.client() {
            Ok(c) => c.clone(),
            Err(e) => return Evicted::Failed(e),
        };
        let url = format!(
            "/api/v1/namespaces/{}/pods/{}/eviction",
            p.namespace, p.name
        );
        let body = match serde_json::to_vec(&eviction_body(p)) {
            Ok(b) => b,
            Err(e) => return Evicted::Failed(e.to_string()),
        };
        let req = match http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
        {
            Ok(r) => r,
            Err(e) => return Evicted::Failed(e.to_string()),
        };
        match tokio::time::timeout(self.request_bound, c.request::<kube::core::Status>(req)).await {
            Ok(Ok(_)) => Evicted::Taken,
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Evicted::Gone,
            Ok(Err(kube::Error::Api(s))) if s.code == 429 => Evicted::Blocked(budget_block(&s)),
            Ok(Err(e)) => Evicted::Failed(kube_message(e)),
            Err(_) => Evicted::Failed(format!(
                "no answer within {} s",
                self.request_bound.as_secs()
            )),
        }
    }

    async fn run_drain(
        &self,
        target: &Target,
        o: &DrainOptions,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let key = (target.context.clone(), target.name.clone());
        self.drains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.clone(), cancelled.clone());
        let _registered = Registered {
            drains: self.drains.clone(),
            key,
        };
        let deadline = Instant::now() + Duration::from_secs(o.timeout_secs);
        let mut progress = DrainProgress {
            context: target.context.clone(),
            node: target.name.clone(),
            ..DrainProgress::default()
        };
        let result = self
            .drain_steps(
                target,
                o,
                resource_version,
                deadline,
                &cancelled,
                &mut progress,
            )
            .await;
        progress.done = Some(match &result {
            Ok(d) => (true, d.message.clone()),
            Err(e) => (false, e.clone()),
        });
        (self.drain_progress)(progress);
        result
    }

    async fn drain_steps(
        &self,
        target: &Target,
        o: &DrainOptions,
        resource_version: Option<&str>,
        deadline: Instant,
        cancelled: &AtomicBool,
        progress: &mut DrainProgress,
    ) -> Result<Done, String> {
        let node = &target.name;
        self.cordon(target, true, resource_version).await?;
        let pods = self.pods_on(node).await?;
        let mut to_evict = Vec::new();
        let mut left = 0;
        let mut refused = Vec::new();
        for (p, exists) in pods {
            match fate(&p, o, exists) {
                Fate::Evict(_) => to_evict.push(p),
                Fate::Leave(_) => left += 1,
                Fate::Refuse { why, flag } => {
                    refused.push(format!("{} ({why}; needs {flag})", p.id()))
                }
            }
        }
        if !refused.is_empty() {
            return Err(format!(
                "node/{node} cordoned but not drained: {} (pods that appeared since the confirmation); nothing was evicted",
                refused.join(", ")
            ));
        }
        progress.total = to_evict.len();
        let stop = |progress: &DrainProgress, what: &str| -> Option<String> {
            let evicted = format!("{} of {} pods evicted", progress.evicted, progress.total);
            let waiting = progress
                .waiting
                .iter()
                .map(|(p, why)| format!("{p}: {why}"))
                .collect::<Vec<_>>()
                .join("; ");
            let tail = if waiting.is_empty() {
                String::new()
            } else {
                format!(" (waiting: {waiting})")
            };
            if cancelled.load(Ordering::SeqCst) {
                return Some(format!(
                    "drain of node/{node} cancelled {what}: {evicted}{tail}; the node stays cordoned"
                ));
            }
            if Instant::now() >= deadline {
                return Some(format!(
                    "drain of node/{node} timed out after {} s {what}: {evicted}{tail}; the node stays cordoned",
                    o.timeout_secs
                ));
            }
            None
        };
        // evict, in rounds: a 429 waits with backoff and is asked again
        let mut pending: Vec<(DrainPod, Option<AuditRecord>)> =
            to_evict.iter().cloned().map(|p| (p, None)).collect();
        let mut taken: Vec<DrainPod> = Vec::new();
        let mut backoff = EVICT_BACKOFF_FIRST;
        while !pending.is_empty() {
            (self.drain_progress)(progress.clone());
            if let Some(why) = stop(progress, "while evicting") {
                for (p, rec) in pending {
                    if let Some(mut r) = rec {
                        self.eviction_outcome(&mut r, Err(format!("not evicted: {why}")));
                    }
                    let _ = p;
                }
                return Err(why);
            }
            // intent lines first (synced), then the requests
            for (p, rec) in pending.iter_mut() {
                if rec.is_none() {
                    let r = self.eviction_record(target, p).await;
                    self.audit.append(&r)?;
                    *rec = Some(r);
                }
            }
            let answers: Vec<(DrainPod, Option<AuditRecord>, Evicted)> =
                futures::stream::iter(pending.drain(..))
                    .map(|(p, rec)| async move {
                        let e = self.evict_one(&p).await;
                        (p, rec, e)
                    })
                    .buffer_unordered(EVICT_PARALLEL)
                    .collect()
                    .await;
            progress.waiting.clear();
            for (p, rec, e) in answers {
                match e {
                    Evicted::Taken | Evicted::Gone => {
                        if let Some(mut r) = rec {
                            self.eviction_outcome(&mut r, Ok(()));
                        }
                        progress.evicted += 1;
                        taken.push(p);
                    }
                    Evicted::Blocked(why) => {
                        progress.waiting.push((p.id(), why));
                        pending.push((p, rec));
                    }
                    Evicted::Failed(why) => {
                        let msg = format!(
                            "drain of node/{node} stopped: evicting {}: {why}; {} of {} pods evicted; the node stays cordoned",
                            p.id(),
                            progress.evicted,
                            progress.total
                        );
                        if let Some(mut r) = rec {
                            self.eviction_outcome(&mut r, Err(why));
                        }
                        for (q, rec) in pending {
                            if let Some(mut r) = rec {
                                self.eviction_outcome(
                                    &mut r,
                                    Err(format!("not evicted: {}", q.id())),
                                );
                            }
                        }
                        (self.drain_progress)(progress.clone());
                        return Err(msg);
                    }
                }
            }
            progress.waiting.sort();
            if !pending.is_empty() {
                (self.drain_progress)(progress.clone());
                self.pause(backoff, deadline, cancelled).await;
                backoff = (backoff * 2).min(EVICT_BACKOFF_MAX);
            }
        }
        // wait for the evicted pods to be gone (or replaced under the same name)
        loop {
            let now_on: BTreeSet<(String, String, String)> = match self.pods_on(node).await {
                Ok(p) => p
                    .into_iter()
                    .map(|(p, _)| (p.namespace, p.name, p.uid))
                    .collect(),
                Err(_) => {
                    // a failed poll is asked again
                    self.pause(GONE_POLL, deadline, cancelled).await;
                    if let Some(why) = stop(progress, "while waiting for pods to go") {
                        return Err(why);
                    }
                    continue;
                }
            };
            let staying: Vec<&DrainPod> = taken
                .iter()
                .filter(|p| now_on.contains(&(p.namespace.clone(), p.name.clone(), p.uid.clone())))
                .collect();
            progress.gone = taken.len() - staying.len();
            progress.waiting = staying
                .iter()
                .map(|p| (p.id(), "terminating".to_owned()))
                .collect();
            if staying.is_empty() {
                break;
            }
            (self.drain_progress)(progress.clone());
            if let Some(why) = stop(progress, "while waiting for pods to go") {
                return Err(why);
            }
            self.pause(GONE_POLL, deadline, cancelled).await;
        }
        progress.waiting.clear();
        Ok(Done {
            message: format!(
                "node/{node} drained: {} pod{} evicted, {left} left in place (DaemonSet or mirror pods)",
                progress.evicted,
                if progress.evicted == 1 { "" } else { "s" }
            ),
            ..Done::default()
        })
    }

    /// Waits `d`, or less when the drain is cancelled or its deadline comes first.
    async fn pause(&self, d: Duration, deadline: Instant, cancelled: &AtomicBool) {
        let until = (Instant::now() + d).min(deadline);
        while Instant::now() < until && !cancelled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50).min(until - Instant::now())).await;
        }
    }

    fn eviction_outcome(&self, r: &mut AuditRecord, result: Result<(), String>) {
        r.phase = Phase::Outcome;
        r.time = Timestamp::now().to_string();
        match result {
            Ok(()) => {
                r.status = Some(audit::status::OK.into());
                r.result = Some(format!("pod \"{}\" evicted", r.target));
            }
            Err(e) => {
                r.status = Some(audit::status::FAILED.into());
                r.error = Some(e);
            }
        }
        if let Err(e) = self.audit.append(r) {
            log::warn!(
                "audit: the outcome of evicting {} was not written: {e}",
                r.target
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(controller: Option<(&str, &str)>) -> DrainPod {
        DrainPod {
            namespace: "shop".into(),
            name: "p".into(),
            uid: "u".into(),
            controller: controller.map(|(k, n)| (k.into(), n.into())),
            empty_dirs: vec![],
            mirror: false,
            finished: false,
            labels: BTreeMap::new(),
        }
    }

    #[test]
    fn drain_filters_follow_kubectl() {
        let plain = DrainOptions::default();
        let all = DrainOptions {
            force: true,
            delete_emptydir_data: true,
            ..DrainOptions::default()
        };
        let rs = pod(Some(("ReplicaSet", "web-1")));
        assert_eq!(
            fate(&rs, &plain, true),
            Fate::Evict(Some("ReplicaSet web-1".into()))
        );
        let ds = pod(Some(("DaemonSet", "agent")));
        assert!(matches!(fate(&ds, &plain, true), Fate::Leave(_)));
        // an orphaned DaemonSet pod needs --force, and is then evicted
        assert!(matches!(
            fate(&ds, &plain, false),
            Fate::Refuse {
                flag: "--force",
                ..
            }
        ));
        assert!(matches!(fate(&ds, &all, false), Fate::Evict(_)));
        let bare = pod(None);
        assert!(matches!(
            fate(&bare, &plain, true),
            Fate::Refuse {
                flag: "--force",
                ..
            }
        ));
        assert!(
            matches!(fate(&bare, &all, true), Fate::Evict(Some(w)) if w.starts_with("--force"))
        );
        let mut cache = pod(Some(("StatefulSet", "cache")));
        cache.empty_dirs = vec!["scratch".into()];
        assert!(matches!(
            fate(&cache, &plain, true),
            Fate::Refuse {
                flag: "--delete-emptydir-data",
                ..
            }
        ));
        assert!(
            matches!(fate(&cache, &all, true), Fate::Evict(Some(w)) if w.contains("emptyDir scratch is lost"))
        );
        let mut mirror = pod(None);
        mirror.mirror = true;
        assert!(matches!(fate(&mirror, &plain, true), Fate::Leave(_)));
        // a finished pod without a controller goes without --force
        let mut done = pod(None);
        done.finished = true;
        assert_eq!(fate(&done, &plain, true), Fate::Evict(None));
    }

    #[test]
    fn a_429_names_the_budget() {
        let s: kube::core::Status = serde_json::from_value(json!({
            "status": "Failure", "code": 429, "reason": "TooManyRequests",
            "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            "details": {"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb needs 2 healthy pods and has 1 currently"}]}
        }))
        .unwrap();
        assert_eq!(
            budget_block(&s),
            "PodDisruptionBudget web-pdb needs 2 healthy pods and has 1 currently"
        );
    }
}
