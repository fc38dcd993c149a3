//! One watcher task per kind. `kube::runtime::watcher` lists then watches, resumes from
//! the last resourceVersion after a dropped stream and re-lists after 410 Gone; errors
//! are reported and retried with the default backoff. Objects are converted to rows
//! here, so only compact rows cross to the ui task.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::task::{AbortHandle, JoinHandle};

use super::rows::{DeploymentRow, EventRow, HpaRow, ObjKey, PodRow, ReplicaSetRow};
use super::{Failure, Kind, Rows, WorkloadsMsg};

/// Where messages go; returns false once nobody listens (the task then ends).
pub type Sink = Arc<dyn Fn(WorkloadsMsg) -> bool + Send + Sync>;

/// Most events per message: bounds the ui task's work per message.
const BATCH: usize = 1024;

/// How long a list request may go unanswered (kube's client has no read timeout of its
/// own, so a server that accepts and never answers would hold the pane at "loading" for
/// ever): then the pane says so and the list is started again.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts the five watchers; dropping or aborting the returned handles stops them.
pub fn spawn_all(client: Client, namespace: Option<String>, sink: Sink) -> Vec<JoinHandle<()>> {
    let ns = namespace.as_deref();
    vec![
        spawn_kind(
            api::<Deployment>(&client, ns),
            watcher::Config::default(),
            Kind::Deployments,
            namespace.clone(),
            |d| Some(DeploymentRow::from_object(d)),
            Rows::Deployments,
            sink.clone(),
        ),
        spawn_kind(
            api::<ReplicaSet>(&client, ns),
            watcher::Config::default(),
            Kind::ReplicaSets,
            namespace.clone(),
            |r| Some(ReplicaSetRow::from_object(r)),
            Rows::ReplicaSets,
            sink.clone(),
        ),
        spawn_kind(
            api::<Pod>(&client, ns),
            watcher::Config::default(),
            Kind::Pods,
            namespace.clone(),
            |p| Some(PodRow::from_object(p)),
            Rows::Pods,
            sink.clone(),
        ),
        spawn_kind(
            api::<HorizontalPodAutoscaler>(&client, ns),
            watcher::Config::default(),
            Kind::Hpas,
            namespace.clone(),
            |h| Some(HpaRow::from_object(h)),
            Rows::Hpas,
            sink.clone(),
        ),
        spawn_kind(
            api::<KubeEvent>(&client, ns),
            watcher::Config::default().fields("type=Warning"),
            Kind::Events,
            namespace.clone(),
            |e| EventRow::is_warning(e).then(|| EventRow::from_object(e)),
            Rows::Events,
            sink,
        ),
    ]
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
        let client = match super::client_for(&config, context.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                sink(WorkloadsMsg::NoClient(e.to_string()));
                return;
            }
        };
        run_watchers(client, namespace, sink).await;
    });
    task.abort_handle()
}

/// Runs the five watchers until they all end (the sink closed) or this future is dropped.
pub async fn run_watchers(client: Client, namespace: Option<String>, sink: Sink) {
    let mut guard = AbortOnDrop(spawn_all(client, namespace, sink));
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

fn spawn_kind<K, R>(
    api: Api<K>,
    config: watcher::Config,
    kind: Kind,
    namespace: Option<String>,
    convert: fn(&K) -> Option<R>,
    wrap: fn(Vec<R>) -> Rows,
    sink: Sink,
) -> JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default,
    R: Send + 'static,
{
    tokio::spawn(async move {
        // a list that gets no answer is given up and started again (see LIST_TIMEOUT);
        // the watcher ends only when nobody listens
        while watch_kind(
            &api,
            &config,
            kind,
            namespace.as_deref(),
            convert,
            wrap,
            &sink,
        )
        .await
        {}
    })
}

/// Runs one watcher until nobody listens (`false`) or a list got no answer within
/// [`LIST_TIMEOUT`] (`true`: the caller starts a new one, dropping the hung request).
async fn watch_kind<K, R>(
    api: &Api<K>,
    config: &watcher::Config,
    kind: Kind,
    namespace: Option<&str>,
    convert: fn(&K) -> Option<R>,
    wrap: fn(Vec<R>) -> Rows,
    sink: &Sink,
) -> bool
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default,
    R: Send + 'static,
{
    let stream = watcher::watcher(api.clone(), config.clone())
        .default_backoff()
        .ready_chunks(BATCH);
    futures::pin_mut!(stream);
    // objects of a (re-)list, sent whole on InitDone so a re-list replaces the set
    let mut init: Option<Vec<R>> = None;
    // a list request is out (after Init, until InitDone or an error): it has to answer
    // within LIST_TIMEOUT; watches have the watcher's own idle timeout, and the backoff
    // after an error is not waiting for the server
    let mut listing = false;
    loop {
        let next = if listing {
            match tokio::time::timeout(LIST_TIMEOUT, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let failure = Failure::Transient(format!(
                        "cannot list {}: no answer from the API server within {} s; retrying",
                        kind.resource(),
                        LIST_TIMEOUT.as_secs()
                    ));
                    log::warn!("kube {}: {}", kind.resource(), failure.describe());
                    return sink(WorkloadsMsg::Failed { kind, failure });
                }
            }
        } else {
            stream.next().await
        };
        let Some(chunk) = next else {
            return false;
        };
        let mut applied: Vec<R> = Vec::new();
        let mut deleted: Vec<ObjKey> = Vec::new();
        for item in chunk {
            match item {
                Ok(Event::Init) => {
                    init = Some(Vec::new());
                    listing = true;
                }
                Ok(Event::InitApply(obj)) => {
                    if let Some(row) = convert(&obj) {
                        init.get_or_insert_with(Vec::new).push(row);
                    }
                }
                Ok(Event::InitDone) => {
                    listing = false;
                    // deltas seen before belong to the old set the snapshot replaces
                    applied.clear();
                    deleted.clear();
                    let rows = init.take().unwrap_or_default();
                    if !sink(WorkloadsMsg::Snapshot(wrap(rows))) {
                        return false;
                    }
                }
                Ok(Event::Apply(obj)) => {
                    if !deleted.is_empty() && !flush(sink, kind, &mut applied, &mut deleted, wrap) {
                        return false;
                    }
                    match convert(&obj) {
                        Some(row) => applied.push(row),
                        None => deleted.push(key_of(&obj)),
                    }
                }
                Ok(Event::Delete(obj)) => {
                    if !applied.is_empty() && !flush(sink, kind, &mut applied, &mut deleted, wrap) {
                        return false;
                    }
                    deleted.push(key_of(&obj));
                }
                Err(e) => {
                    listing = false;
                    if !flush(sink, kind, &mut applied, &mut deleted, wrap) {
                        return false;
                    }
                    let failure = classify(&e, kind, namespace);
                    log::warn!("kube {}: {}", kind.resource(), failure.describe());
                    if !sink(WorkloadsMsg::Failed { kind, failure }) {
                        return false;
                    }
                }
            }
        }
        if !flush(sink, kind, &mut applied, &mut deleted, wrap) {
            return false;
        }
    }
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
pub fn classify(e: &watcher::Error, kind: Kind, namespace: Option<&str>) -> Failure {
    let (verb, inner) = match e {
        watcher::Error::InitialListFailed(e) => ("list", Some(e)),
        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => ("watch", Some(e)),
        watcher::Error::WatchError(s) => {
            if s.code == 401 || s.code == 403 {
                return Failure::Forbidden {
                    code: s.code,
                    verb: "watch",
                    resource: kind.resource(),
                    namespace: namespace.map(str::to_owned),
                    message: s.message.clone(),
                };
            }
            if s.code == 410 {
                return Failure::Transient("watch expired (410 Gone); re-listing".into());
            }
            return Failure::Transient(format!("watch error: {} ({})", s.message, s.code));
        }
        watcher::Error::NoResourceVersion => ("watch", None),
    };
    if let Some(kube::Error::Api(s)) = inner
        && (s.code == 401 || s.code == 403)
    {
        return Failure::Forbidden {
            code: s.code,
            verb,
            resource: kind.resource(),
            namespace: namespace.map(str::to_owned),
            message: s.message.clone(),
        };
    }
    let detail = match inner {
        Some(kube::Error::Api(s)) => format!("{} ({})", s.message, s.code),
        Some(other) => error_chain(other),
        None => e.to_string(),
    };
    Failure::Transient(format!("cannot {verb} {}: {detail}", kind.resource()))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    crate::secret::redact(&s).into_owned()
}
