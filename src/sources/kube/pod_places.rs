//! Where a few named pods run (`spec.nodeName`), for `gpu --once`, which has no pod list:
//! one GET per pod whose namespace is known, one list by `metadata.name` across namespaces
//! for a name alone; each host's asks in order until one finds a node.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

/// A pod found: (namespace, name, node).
pub type Place = (String, String, Option<String>);

/// At most this many requests at once.
const CONCURRENT: usize = 8;

/// The pods each host's `asks` name ((namespace when known, name), in order), until one of
/// a host's is on a node. Returns the pods found and the first error (an unreachable
/// cluster, a 403), if any.
pub async fn pod_places(
    client: &kube::Client,
    asks: Vec<Vec<(Option<String>, String)>>,
) -> (Vec<Place>, Option<String>) {
    let per_host = futures::stream::iter(asks)
        .map(|host| async move {
            let mut found = Vec::new();
            let mut error = None;
            for (namespace, name) in host {
                match lookup(client, namespace.as_deref(), &name).await {
                    Ok(pods) => {
                        let placed = pods.iter().any(|p| p.2.is_some());
                        found.extend(pods);
                        if placed {
                            break;
                        }
                    }
                    Err(e) => {
                        error.get_or_insert(e);
                        break;
                    }
                }
            }
            (found, error)
        })
        .buffer_unordered(CONCURRENT)
        .collect::<Vec<_>>()
        .await;
    let mut places = Vec::new();
    let mut first_error = None;
    for (found, error) in per_host {
        places.extend(found);
        if first_error.is_none() {
            first_error = error;
        }
    }
    (places, first_error)
}

fn place(p: Pod) -> Option<Place> {
    Some((
        p.metadata.namespace?,
        p.metadata.name?,
        p.spec.and_then(|s| s.node_name),
    ))
}

/// Whether `name` can be a pod's (a DNS-1123 subdomain): what an exporter's label holds is
/// never put into a selector otherwise.
fn pod_name_like(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

async fn lookup(
    client: &kube::Client,
    namespace: Option<&str>,
    name: &str,
) -> Result<Vec<Place>, String> {
    if !pod_name_like(name) || namespace.is_some_and(|n| !pod_name_like(n)) {
        return Ok(Vec::new());
    }
    match namespace {
        Some(ns) => Api::<Pod>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|p| p.and_then(place).into_iter().collect())
            .map_err(|e| e.to_string()),
        None => Api::<Pod>::all(client.clone())
            .list(&ListParams::default().fields(&format!("metadata.name={name}")))
            .await
            .map(|list| list.items.into_iter().filter_map(place).collect())
            .map_err(|e| e.to_string()),
    }
}
