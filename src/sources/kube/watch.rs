//! One watcher task per kind: list, then watch from the list's resourceVersion, resuming
//! the watch after a stream ends (the server's `timeoutSeconds`, a dropped connection).
//! After any error the watcher starts again from a fresh list once the server answers:
//! the list is the proof of recovery and its snapshot replaces the rows, so a fresh store
//! behind the same address, or deletes missed while away, converge. 410 Gone and
//! `ResourceVersionTooLarge` (a resourceVersion the server has not reached: its store went
//! backwards) re-list at once; other errors after a backoff. Every request has a bound.
//! Objects are converted to rows here, so only compact rows cross to the ui task.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::task::{AbortHandle, JoinHandle};

use super::model::{
    AnalysisRunRow, CronJobRow, DaemonSetRow, DeploymentRow, EventRow, Failure, HpaRow, JobRow,
    Kind, ListProgress, ObjKey, PodRow, ReplicaSetRow, RevisionRow, RolloutRow, Rows,
    StatefulSetRow, WorkloadsMsg,
};
use super::slim::Pod;
use super::slim_kinds::{
    ControllerRevision, CronJob, DaemonSet, Deployment, Event as KubeEvent,
    HorizontalPodAutoscaler, Job, StatefulSet,
};

/// Where messages go; returns false once nobody listens (the task then ends).
pub type Sink = Arc<dyn Fn(WorkloadsMsg) -> bool + Send + Sync>;

/// Most events per message: bounds the ui task's work per message.
const BATCH: usize = 1024;

/// Objects per list page.
const PAGE: u32 = 500;

/// How long a list page or the start of a watch may go unanswered (kube's client has no
/// read timeout of its own, so a server that accepts and never answers would hold the
/// pane at "connecting" for ever): then the pane says so and the list is started again.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(20);

/// The server ends each watch after this many seconds (`timeoutSeconds`) and the watch
/// resumes from its resourceVersion.
pub const WATCH_TIMEOUT_SECS: u32 = 120;

/// A watch stream silent (no event, no bookmark) for the server's timeout plus this is
/// taken for dead and resumed.
const WATCH_MARGIN: Duration = Duration::from_secs(15);

/// Retry delays after an error: doubling from the first to the last, reset by a list
/// that succeeds.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The watchers' clocks, the longest intervals any of them waits: how long the server
/// keeps a watch open before it is resumed ([`WATCH_TIMEOUT_SECS`]), the contact bound
/// the `/version` probe is asked within (a third of it), and the longest retry delay
/// ([`BACKOFF_MAX`]). [`Timings::default`] is the console's; tests shorten them (through
/// [`run_watchers_timed`]) to see every loop go round several times in seconds of wall
/// time instead of minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    pub watch_timeout_secs: u32,
    pub stale_after: Duration,
    pub backoff_max: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            watch_timeout_secs: WATCH_TIMEOUT_SECS,
            stale_after: crate::config::KubeConfig::default().stale_after(),
            backoff_max: BACKOFF_MAX,
        }
    }
}

/// What every watcher of one scope shares.
#[derive(Clone)]
struct Ctx {
    namespace: Option<String>,
    timings: Timings,
    sink: Sink,
}

/// Starts the watchers, one per [`Kind`]; dropping or aborting the returned handles stops
/// them. Every kind is watched whatever the pane shows: the rows of the kinds beside
/// Deployments are a few hundred bytes each and pods dominate memory (see the README's
/// Workloads paragraph for the measurement).
pub fn spawn_all(client: Client, namespace: Option<String>, sink: Sink) -> Vec<JoinHandle<()>> {
    spawn_all_timed(client, namespace, Timings::default(), sink)
}

fn spawn_all_timed(
    client: Client,
    namespace: Option<String>,
    timings: Timings,
    sink: Sink,
) -> Vec<JoinHandle<()>> {
    let ns = namespace.as_deref();
    let ctx = Ctx {
        namespace: namespace.clone(),
        timings,
        sink,
    };
    vec![
        spawn_kind(
            api::<Deployment>(&client, ns),
            None,
            Kind::Deployments,
            &ctx,
            |d| Some(DeploymentRow::from_object(d)),
            Rows::Deployments,
        ),
        spawn_kind(
            api::<super::slim::ReplicaSet>(&client, ns),
            None,
            Kind::ReplicaSets,
            &ctx,
            |r| Some(ReplicaSetRow::from_object(r)),
            Rows::ReplicaSets,
        ),
        spawn_kind(
            api::<Pod>(&client, ns),
            None,
            Kind::Pods,
            &ctx,
            |p| Some(PodRow::from_object(p)),
            Rows::Pods,
        ),
        spawn_kind(
            api::<HorizontalPodAutoscaler>(&client, ns),
            None,
            Kind::Hpas,
            &ctx,
            |h| Some(HpaRow::from_object(h)),
            Rows::Hpas,
        ),
        spawn_kind(
            api::<KubeEvent>(&client, ns),
            Some("type=Warning"),
            Kind::Events,
            &ctx,
            |e| EventRow::is_warning(e).then(|| EventRow::from_object(e)),
            Rows::Events,
        ),
        spawn_kind(
            api::<StatefulSet>(&client, ns),
            None,
            Kind::StatefulSets,
            &ctx,
            |s| Some(StatefulSetRow::from_object(s)),
            Rows::StatefulSets,
        ),
        spawn_kind(
            api::<DaemonSet>(&client, ns),
            None,
            Kind::DaemonSets,
            &ctx,
            |d| Some(DaemonSetRow::from_object(d)),
            Rows::DaemonSets,
        ),
        spawn_kind(
            api::<Job>(&client, ns),
            None,
            Kind::Jobs,
            &ctx,
            |j| Some(JobRow::from_object(j)),
            Rows::Jobs,
        ),
        spawn_kind(
            api::<CronJob>(&client, ns),
            None,
            Kind::CronJobs,
            &ctx,
            |c| Some(CronJobRow::from_object(c)),
            Rows::CronJobs,
        ),
        spawn_kind(
            api::<ControllerRevision>(&client, ns),
            None,
            Kind::Revisions,
            &ctx,
            |r| Some(RevisionRow::from_object(r)),
            Rows::Revisions,
        ),
        tokio::spawn(run_rollouts(client, ctx.clone())),
    ]
}

/// Asks once whether the cluster serves Argo Rollouts (again after a failure to answer,
/// with backoff); where it does, watches Rollouts and AnalysisRuns like the other kinds.
/// Where it does not, nothing more is asked.
async fn run_rollouts(client: Client, ctx: Ctx) {
    let Ctx {
        namespace,
        timings,
        sink,
    } = ctx;
    let mut delay = BACKOFF_FIRST;
    loop {
        match tokio::time::timeout(LIST_TIMEOUT, super::argo::rollouts_served(&client)).await {
            Ok(Ok(served)) => {
                if !sink(WorkloadsMsg::RolloutsServed(served)) || !served {
                    return;
                }
                break;
            }
            // the other watchers report an unreachable or refusing server
            Ok(Err(_)) | Err(_) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(timings.backoff_max);
            }
        }
    }
    let ns = namespace.as_deref();
    let rollouts = KindSpec {
        kind: Kind::Rollouts,
        namespace: namespace.clone(),
        timings,
        fields: None,
        convert: |r: &super::argo::WatchedRollout| Some(RolloutRow::from_object(r)),
        wrap: Rows::Rollouts,
    };
    let runs = KindSpec {
        kind: Kind::AnalysisRuns,
        namespace: namespace.clone(),
        timings,
        fields: None,
        convert: |a: &super::argo::AnalysisRun| Some(AnalysisRunRow::from_object(a)),
        wrap: Rows::AnalysisRuns,
    };
    let rollouts_api = api::<super::argo::WatchedRollout>(&client, ns);
    let runs_api = api::<super::argo::AnalysisRun>(&client, ns);
    // run here, not spawned: aborting this task stops both
    futures::join!(
        run_kind(&rollouts_api, &rollouts, &sink),
        run_kind(&runs_api, &runs, &sink),
    );
}

/// Proves contact with the API server while nothing else does (a quiet cluster sends no
/// events, and a real API server a bookmark only about once a minute): asks `GET /version`
/// every third of `stale_after`, each bounded by a third of it, and says whether it was
/// answered. Any answer is contact, a refusal included; no answer within the bound, or no
/// connection, is [`WorkloadsMsg::Unanswered`]. Ends once nobody listens.
pub async fn probe_contact(client: Client, stale_after: Duration, sink: Sink) {
    let every = (stale_after / 3).max(Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let msg = match tokio::time::timeout(every, client.apiserver_version()).await {
            Ok(Ok(_) | Err(kube::Error::Api(_))) => WorkloadsMsg::Contact,
            Ok(Err(e)) => WorkloadsMsg::Unanswered(format!(
                "the API server cannot be reached (GET /version): {}",
                error_chain(&e)
            )),
            Err(_) => WorkloadsMsg::Unanswered(format!(
                "no answer from the API server to GET /version within {} s (timed out)",
                every.as_secs()
            )),
        };
        if !sink(msg) {
            return;
        }
    }
}

/// Builds the client for the scope, then runs the watchers until aborted. The returned
/// handle stops the watchers too (they are aborted when this task's future is dropped).
pub fn spawn_scope(
    config: Arc<crate::config::Config>,
    context: Option<String>,
    namespace: Option<String>,
    sink: Sink,
) -> AbortHandle {
    let task = tokio::spawn(async move {
        let client = match super::client::client_for(&config, context.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                sink(WorkloadsMsg::NoClient(e.to_string()));
                return;
            }
        };
        run_watchers_within(client, namespace, config.kube.stale_after(), sink).await;
    });
    task.abort_handle()
}

/// Runs the watchers until they all end (the sink closed) or this future is dropped, with
/// the default contact bound (`[kube] stale_after_secs`).
pub async fn run_watchers(client: Client, namespace: Option<String>, sink: Sink) {
    run_watchers_timed(client, namespace, Timings::default(), sink).await;
}

/// [`run_watchers`], with the contact probe ([`probe_contact`]) asked within `stale_after`.
pub async fn run_watchers_within(
    client: Client,
    namespace: Option<String>,
    stale_after: Duration,
    sink: Sink,
) {
    let timings = Timings {
        stale_after,
        ..Timings::default()
    };
    run_watchers_timed(client, namespace, timings, sink).await;
}

/// [`run_watchers`] on other clocks than the console's ([`Timings`]).
pub async fn run_watchers_timed(
    client: Client,
    namespace: Option<String>,
    timings: Timings,
    sink: Sink,
) {
    let probe = tokio::spawn(probe_contact(
        client.clone(),
        timings.stale_after,
        sink.clone(),
    ));
    let mut watchers = spawn_all_timed(client, namespace, timings, sink);
    watchers.push(probe);
    let mut guard = AbortOnDrop(watchers);
    for h in guard.0.iter_mut() {
        // a finished or panicked watcher does not stop the others
        let _ = h.await;
    }
}

struct AbortOnDrop(Vec<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// What a watcher needs to know of its kind, passed down as one piece.
struct KindSpec<K, R> {
    kind: Kind,
    namespace: Option<String>,
    timings: Timings,
    fields: Option<&'static str>,
    convert: fn(&K) -> Option<R>,
    wrap: fn(Vec<R>) -> Rows,
}

fn spawn_kind<K, R>(
    api: Api<K>,
    fields: Option<&'static str>,
    kind: Kind,
    ctx: &Ctx,
    convert: fn(&K) -> Option<R>,
    wrap: fn(Vec<R>) -> Rows,
) -> JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Send + 'static,
{
    let spec = KindSpec {
        kind,
        namespace: ctx.namespace.clone(),
        timings: ctx.timings,
        fields,
        convert,
        wrap,
    };
    let sink = ctx.sink.clone();
    tokio::spawn(async move { run_kind(&api, &spec, &sink).await })
}

/// List, watch, and after an error list again; ends only when nobody listens.
async fn run_kind<K, R>(api: &Api<K>, spec: &KindSpec<K, R>, sink: &Sink)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Send + 'static,
{
    let mut delay = BACKOFF_FIRST;
    loop {
        // the list answered: this is the contact that proves recovery
        let rv = match list_pages(api, spec, sink).await {
            Ok(Some(rv)) => rv,
            Ok(None) => return,
            Err(failure) => {
                if !report(sink, spec.kind, failure) {
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(spec.timings.backoff_max);
                continue;
            }
        };
        delay = BACKOFF_FIRST;
        match watch_from(api, spec, rv, sink).await {
            Next::Stop => return,
            Next::Relist => {}
            Next::RelistAfter(failure) => {
                if !report(sink, spec.kind, failure) {
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(spec.timings.backoff_max);
            }
        }
    }
}

fn report(sink: &Sink, kind: Kind, failure: Failure) -> bool {
    log::warn!("kube {}: {}", kind.resource(), failure.describe());
    sink(WorkloadsMsg::Failed { kind, failure })
}

/// Every page of a list, each bounded by [`LIST_TIMEOUT`], sent on as it arrives (a page
/// is decoded, converted and dropped before the next is asked for, so a 150,000-pod list
/// is never held twice). Returns the list's resourceVersion to watch from, or `None`
/// once nobody listens.
async fn list_pages<K, R>(
    api: &Api<K>,
    spec: &KindSpec<K, R>,
    sink: &Sink,
) -> Result<Option<String>, Failure>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut token: Option<String> = None;
    let mut listed = 0usize;
    let mut first = true;
    let mut delay = BACKOFF_FIRST;
    loop {
        let mut lp = ListParams::default().limit(PAGE);
        if let Some(f) = spec.fields {
            lp = lp.fields(f);
        }
        lp.continue_token = token.clone();
        let answer = match tokio::time::timeout(LIST_TIMEOUT, api.list(&lp)).await {
            Ok(Ok(page)) => Ok(page),
            Err(_) => Err((no_answer("list", spec.kind), false)),
            Ok(Err(e)) => Err((
                classify_api("list", &e, spec.kind, spec.namespace.as_deref()),
                matches!(&e, kube::Error::Api(s) if s.code == 410),
            )),
        };
        let page = match answer {
            Ok(page) => page,
            // the first page, a refusal, or a continue token the server no longer knows
            // (410): the list starts again
            Err((failure, gone))
                if token.is_none() || gone || matches!(failure, Failure::Forbidden { .. }) =>
            {
                return Err(failure);
            }
            // a later page that failed: what is listed stays, this page is asked for again
            // from its continue token (with a flaky server, starting over could never end)
            Err((failure, _)) => {
                if !report(sink, spec.kind, failure) {
                    return Ok(None);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(spec.timings.backoff_max);
                continue;
            }
        };
        delay = BACKOFF_FIRST;
        listed += page.items.len();
        let rows: Vec<R> = page.items.iter().filter_map(spec.convert).collect();
        drop(page.items);
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        let done = token.is_none();
        let rv = page.metadata.resource_version.unwrap_or_default();
        if done && rv.is_empty() {
            return Err(Failure::Transient(format!(
                "cannot watch {}: the list has no resourceVersion",
                spec.kind.resource()
            )));
        }
        let remaining = page
            .metadata
            .remaining_item_count
            .and_then(|r| usize::try_from(r).ok());
        let progress = ListProgress {
            listed,
            total: if done {
                Some(listed)
            } else {
                remaining.map(|r| listed + r)
            },
        };
        let msg = WorkloadsMsg::Page {
            rows: (spec.wrap)(rows),
            first,
            done,
            progress,
        };
        if !sink(msg) {
            return Ok(None);
        }
        first = false;
        if done {
            return Ok(Some(rv));
        }
    }
}

fn no_answer(verb: &str, kind: Kind) -> Failure {
    Failure::Transient(format!(
        "cannot {verb} {}: no answer from the API server within {} s (timed out); retrying",
        kind.resource(),
        LIST_TIMEOUT.as_secs()
    ))
}

/// What the watcher does after a watch ends for good.
enum Next {
    /// nobody listens
    Stop,
    /// re-list now (410 Gone, `ResourceVersionTooLarge`)
    Relist,
    /// report, back off, re-list
    RelistAfter(Failure),
}

/// Watches from `rv`, resuming after a stream that ends, until an error.
async fn watch_from<K, R>(api: &Api<K>, spec: &KindSpec<K, R>, mut rv: String, sink: &Sink) -> Next
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Send + 'static,
{
    let kind = spec.kind;
    let namespace = spec.namespace.as_deref();
    // bookmarks are on by default: they move `rv` on while nothing of ours changes
    let mut wp = WatchParams::default().timeout(spec.timings.watch_timeout_secs);
    if let Some(f) = spec.fields {
        wp = wp.fields(f);
    }
    let idle = Duration::from_secs(u64::from(spec.timings.watch_timeout_secs)) + WATCH_MARGIN;
    loop {
        let stream = match tokio::time::timeout(LIST_TIMEOUT, api.watch(&wp, &rv)).await {
            Err(_) => return Next::RelistAfter(no_answer("watch", kind)),
            Ok(Err(e)) => return Next::RelistAfter(classify_api("watch", &e, kind, namespace)),
            Ok(Ok(s)) => s,
        };
        futures::pin_mut!(stream);
        loop {
            let first = match tokio::time::timeout(idle, stream.next()).await {
                // silent past the server's own bound: resume
                Err(_) => break,
                // the stream ended (timeoutSeconds, a dropped connection): resume
                Ok(None) => break,
                Ok(Some(item)) => item,
            };
            let mut applied: Vec<R> = Vec::new();
            let mut deleted: Vec<ObjKey> = Vec::new();
            let mut end: Option<Next> = None;
            // this event and those already arrived behind it (up to BATCH) go as one
            // message; not `ready_chunks`, which allocates room for BATCH events per chunk
            let mut next = Some(first);
            let mut taken = 0;
            // a bookmark is the server's word that it is there: contact, nothing to apply
            let mut bookmarked = false;
            while let Some(item) = next.take() {
                taken += 1;
                match item {
                    Ok(WatchEvent::Added(obj) | WatchEvent::Modified(obj)) => {
                        if let Some(v) = obj.resource_version() {
                            rv = v;
                        }
                        if !deleted.is_empty()
                            && !flush(sink, kind, &mut applied, &mut deleted, spec.wrap)
                        {
                            return Next::Stop;
                        }
                        match (spec.convert)(&obj) {
                            Some(row) => applied.push(row),
                            None => deleted.push(key_of(&obj)),
                        }
                    }
                    Ok(WatchEvent::Deleted(obj)) => {
                        if let Some(v) = obj.resource_version() {
                            rv = v;
                        }
                        if !applied.is_empty()
                            && !flush(sink, kind, &mut applied, &mut deleted, spec.wrap)
                        {
                            return Next::Stop;
                        }
                        deleted.push(key_of(&obj));
                    }
                    Ok(WatchEvent::Bookmark(b)) => {
                        rv = b.metadata.resource_version;
                        bookmarked = true;
                    }
                    Ok(WatchEvent::Error(status)) => {
                        end = Some(if status.code == 410 {
                            log::info!(
                                "kube {}: watch expired (410 Gone); re-listing",
                                kind.resource()
                            );
                            Next::Relist
                        } else if is_too_large(&status) {
                            log::warn!(
                                "kube {}: resourceVersion {rv} is newer than the API server's ({}): its store went backwards; re-listing",
                                kind.resource(),
                                status.message
                            );
                            Next::Relist
                        } else {
                            Next::RelistAfter(classify_status("watch", &status, kind, namespace))
                        });
                        break;
                    }
                    Err(e) => {
                        end = Some(Next::RelistAfter(classify_api(
                            "watch", &e, kind, namespace,
                        )));
                        break;
                    }
                }
                if taken < BATCH {
                    // ready now, or not at all (an ended stream is seen by the next await)
                    next = stream.next().now_or_never().flatten();
                }
            }
            let contact_only = bookmarked && applied.is_empty() && deleted.is_empty();
            if !flush(sink, kind, &mut applied, &mut deleted, spec.wrap)
                || (contact_only && !sink(WorkloadsMsg::Contact))
            {
                return Next::Stop;
            }
            if let Some(next) = end {
                return next;
            }
        }
    }
}

/// kube-apiserver's answer to a resourceVersion it has not reached: 504 Timeout with a
/// `ResourceVersionTooLarge` cause ("Too large resource version").
pub fn is_too_large(s: &kube::core::Status) -> bool {
    s.details.as_ref().is_some_and(|d| {
        d.causes
            .iter()
            .any(|c| c.reason == "ResourceVersionTooLarge")
    }) || s.message.contains("Too large resource version")
}

fn flush<R>(
    sink: &Sink,
    kind: Kind,
    applied: &mut Vec<R>,
    deleted: &mut Vec<ObjKey>,
    wrap: fn(Vec<R>) -> Rows,
) -> bool {
    if !applied.is_empty() && !sink(WorkloadsMsg::Applied(wrap(std::mem::take(applied)))) {
        return false;
    }
    if !deleted.is_empty()
        && !sink(WorkloadsMsg::Deleted {
            kind,
            keys: std::mem::take(deleted),
        })
    {
        return false;
    }
    true
}

fn key_of<K: Resource>(obj: &K) -> ObjKey {
    ObjKey {
        namespace: obj.namespace().unwrap_or_default(),
        name: obj.name_any(),
    }
}

/// 401/403 name the verb, resource and namespace; everything else is transient.
fn classify_status(
    verb: &'static str,
    s: &kube::core::Status,
    kind: Kind,
    namespace: Option<&str>,
) -> Failure {
    if s.code == 401 || s.code == 403 {
        return Failure::Forbidden {
            code: s.code,
            verb,
            resource: kind.resource(),
            namespace: namespace.map(str::to_owned),
            message: s.message.clone(),
        };
    }
    Failure::Transient(format!(
        "cannot {verb} {}: {} ({})",
        kind.resource(),
        s.message,
        s.code
    ))
}

fn classify_api(
    verb: &'static str,
    e: &kube::Error,
    kind: Kind,
    namespace: Option<&str>,
) -> Failure {
    match e {
        kube::Error::Api(s) => classify_status(verb, s, kind, namespace),
        other => Failure::Transient(format!(
            "cannot {verb} {}: {}",
            kind.resource(),
            error_chain(other)
        )),
    }
}

use crate::sources::http::error_chain;
