//! The cluster's namespaces, for `:ns` completion: a list then a watch of `namespaces`
//! (cluster scope). Sends the whole sorted list on every change (there are few); a 401/403
//! is reported once as [`NamespacesMsg::Forbidden`] and the task ends, so the palette falls
//! back to the namespaces the kubeconfig and config.toml name.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, ResourceExt};
use tokio::task::AbortHandle;

use super::model::NamespacesMsg;

/// Where messages go; returns false once nobody listens (the task then ends).
pub type Sink = Arc<dyn Fn(NamespacesMsg) -> bool + Send + Sync>;

/// Builds the client for `context` and follows the namespaces until aborted.
pub fn spawn_namespaces(
    config: Arc<crate::config::Config>,
    context: Option<String>,
    sink: Sink,
) -> AbortHandle {
    spawn_follower(config, context, sink, NamespacesMsg::Failed, follow)
}

/// A sink of `M`s (each source's `Sink`).
pub(super) type SinkOf<M> = Arc<dyn Fn(M) -> bool + Send + Sync>;

/// Builds the client for `context`, then runs `follow` with it until aborted; a client
/// that cannot be built is said through `failed`. The cluster-wide lists (namespaces,
/// nodes) start this way.
pub(super) fn spawn_follower<M, Fut>(
    config: Arc<crate::config::Config>,
    context: Option<String>,
    sink: SinkOf<M>,
    failed: fn(String) -> M,
    follow: fn(kube::Client, SinkOf<M>) -> Fut,
) -> AbortHandle
where
    M: Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let client = match super::client::client_for(&config, context.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                sink(failed(e.to_string()));
                return;
            }
        };
        follow(client, sink).await;
    })
    .abort_handle()
}

/// Lists then watches namespaces with `client`, until the sink closes or a 401/403.
pub async fn follow(client: kube::Client, sink: Sink) {
    let api: Api<Namespace> = Api::all(client);
    let stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .ready_chunks(256);
    futures::pin_mut!(stream);
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut init: Option<BTreeSet<String>> = None;
    while let Some(chunk) = stream.next().await {
        let mut changed = false;
        for item in chunk {
            match item {
                Ok(Event::Init) => init = Some(BTreeSet::new()),
                Ok(Event::InitApply(ns)) => {
                    init.get_or_insert_with(BTreeSet::new).insert(ns.name_any());
                }
                Ok(Event::InitDone) => {
                    names = init.take().unwrap_or_default();
                    changed = true;
                }
                Ok(Event::Apply(ns)) => changed |= names.insert(ns.name_any()),
                Ok(Event::Delete(ns)) => changed |= names.remove(&ns.name_any()),
                Err(e) => {
                    if let Some(why) = refused(&e, "namespaces") {
                        log::info!(
                            "namespaces: {why}; :ns completes from the kubeconfig and config.toml"
                        );
                        sink(NamespacesMsg::Forbidden(why));
                        return;
                    }
                    let text = crate::secret::redact(&e.to_string()).into_owned();
                    if !sink(NamespacesMsg::Failed(text)) {
                        return;
                    }
                }
            }
        }
        if changed && !sink(NamespacesMsg::Names(names.iter().cloned().collect())) {
            return;
        }
    }
}

/// A list or watch of `resource` refused for the user (401/403), in words: `cannot list
/// nodes (403): …`. Other failures are retried by the watcher.
pub(super) fn refused(e: &watcher::Error, resource: &str) -> Option<String> {
    let status = match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s,
        watcher::Error::WatchError(s) => s,
        _ => return None,
    };
    (status.code == 401 || status.code == 403).then(|| {
        format!(
            "cannot list {resource} ({}): {}",
            status.code, status.message
        )
    })
}
