//! Discovery: every resource a context serves — the core group (`/api/v1`), the named
//! groups `/apis` lists (CRDs and aggregated APIs among them) — read as kubectl reads it,
//! each group on its own so that one failing group (a 503 aggregated API is common) leaves
//! the rest whole. Run once per scope, again when a CustomResourceDefinition changes
//! (watched where that is allowed), when the ui task asks (a `:` name it does not know),
//! and every few minutes. I/O only: what a name means is decided in `app::resources`.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::model::{ApiResource, DiscoveryMsg};

pub type Sink = Arc<dyn Fn(DiscoveryMsg) -> bool + Send + Sync>;

/// How long one discovery request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery again after this long even when nothing asks.
const REFRESH: Duration = Duration::from_secs(300);
/// Sooner where a group could not be read.
const RETRY_FAILED: Duration = Duration::from_secs(30);

/// The resources of one APIResourceList (subresources left out), in its order.
pub fn resources_of(list: &meta::APIResourceList, group: &str, version: &str) -> Vec<ApiResource> {
    list.resources
        .iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| ApiResource {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: r.name.clone(),
            // kubectl's mapper takes the kind in lower case where discovery gives none
            singular: if r.singular_name.is_empty() {
                r.kind.to_lowercase()
            } else {
                r.singular_name.clone()
            },
            kind: r.kind.clone(),
            namespaced: r.namespaced,
            short_names: r.short_names.clone().unwrap_or_default(),
            verbs: r.verbs.clone(),
        })
        .collect()
}

async fn bounded<T>(
    f: impl std::future::Future<Output = kube::Result<T>>,
    what: &str,
) -> Result<T, String> {
    match tokio::time::timeout(REQUEST_TIMEOUT, f).await {
        Err(_) => Err(format!(
            "{what}: no answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        )),
        Ok(Err(kube::Error::Api(s))) => Err(format!("{what}: {} ({})", s.message, s.code)),
        Ok(Err(e)) => Err(format!("{what}: {}", crate::sources::http::error_chain(&e))),
        Ok(Ok(v)) => Ok(v),
    }
}

/// One discovery: the resources in kubectl's priority order, and the group versions that
/// could not be read. `Err` only when neither the core group nor the group list answered.
pub async fn discover(client: &kube::Client) -> Result<(Vec<ApiResource>, Vec<String>), String> {
    let core = bounded(client.list_core_api_resources("v1"), "/api/v1").await;
    let groups = bounded(client.list_api_groups(), "/apis").await;
    let (core, groups) = match (core, groups) {
        (Err(a), Err(_)) => return Err(crate::secret::redact(&a).into_owned()),
        (c, g) => (c, g),
    };
    let mut failed = Vec::new();
    let mut resources = Vec::new();
    match core {
        Ok(list) => resources.extend(resources_of(&list, "", "v1")),
        Err(_) => failed.push("v1".to_owned()),
    }
    let groups = match groups {
        Ok(g) => g.groups,
        Err(_) => {
            failed.push("/apis".to_owned());
            Vec::new()
        }
    };
    // the preferred version of each group, as `kubectl api-resources` lists them, read
    // side by side
    let wanted: Vec<(String, String)> = groups
        .iter()
        .filter_map(|g| {
            let v = g
                .preferred_version
                .as_ref()
                .or_else(|| g.versions.first())?;
            Some((g.name.clone(), v.version.clone()))
        })
        .collect();
    let answers = futures::stream::iter(wanted.into_iter().map(|(g, v)| {
        let client = client.clone();
        async move {
            let gv = format!("{g}/{v}");
            let r = bounded(client.list_api_group_resources(&gv), &gv).await;
            (g, v, r)
        }
    }))
    .buffered(8)
    .collect::<Vec<_>>()
    .await;
    for (g, v, r) in answers {
        match r {
            Ok(list) => resources.extend(resources_of(&list, &g, &v)),
            Err(e) => {
                log::warn!("discovery: {}", crate::secret::redact(&e));
                failed.push(format!("{g}/{v}"));
            }
        }
    }
    Ok((resources, failed))
}

/// Waits until a CustomResourceDefinition is added, changed or deleted (after the watch's
/// first list); never returns where CRDs cannot be watched (not served, forbidden).
async fn crd_changed(client: kube::Client) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::runtime::watcher::{self, Event};
    let api: kube::Api<kube::core::PartialObjectMeta<CustomResourceDefinition>> =
        kube::Api::all(client);
    let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
    let mut initialised = false;
    while let Some(e) = stream.next().await {
        match e {
            Ok(Event::InitDone) => initialised = true,
            Ok(Event::Apply(_) | Event::Delete(_)) if initialised => return,
            Ok(_) => {}
            Err(e) => {
                // forbidden or not served: periodic discovery only
                log::info!("discovery: not watching CRDs: {e}");
                break;
            }
        }
    }
    std::future::pending::<()>().await
}

/// Discovery for the scope's context, sent to `sink` each time it runs; `poke` runs it
/// again at once (a name the ui task does not know).
pub fn spawn_discovery(
    config: Arc<crate::config::Config>,
    context: Option<String>,
    poke: Arc<Notify>,
    sink: Sink,
) -> AbortHandle {
    tokio::spawn(async move {
        let client = match super::client::client_for(&config, context.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                sink(DiscoveryMsg::Failed(
                    crate::secret::redact(&e.to_string()).into_owned(),
                ));
                return;
            }
        };
        let mut backoff = Duration::from_secs(2);
        loop {
            let (msg, crds, again) = match discover(&client).await {
                Ok((resources, failed)) => {
                    backoff = Duration::from_secs(2);
                    let crds = resources.iter().any(|r| {
                        r.group == "apiextensions.k8s.io"
                            && r.plural == "customresourcedefinitions"
                            && r.watchable()
                    });
                    let again = if failed.is_empty() {
                        REFRESH
                    } else {
                        RETRY_FAILED
                    };
                    (DiscoveryMsg::Resources { resources, failed }, crds, again)
                }
                Err(e) => {
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    (DiscoveryMsg::Failed(e), false, backoff)
                }
            };
            if !sink(msg) {
                return;
            }
            let watch = crd_changed(client.clone());
            tokio::select! {
                _ = poke.notified() => {}
                _ = tokio::time::sleep(again) => {}
                _ = watch, if crds => {
                    // a CRD is often applied with others: let the burst settle
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    })
    .abort_handle()
}
