//! `flightdeck gpu --once`: the Prometheus fleet's hosts named after the nodes their
//! exporters run on (`app::panes::gpu::nodes`), asking the cluster of the current context
//! for just the pods the series name (the console reads them from its pod list instead).

use std::time::Duration;

use crate::app::panes::gpu::nodes::{FleetNames, asks};
use crate::sources::gpu::OnceReport;
use crate::sources::kube::pod_places::pod_places;

/// At most this many hosts are matched to their nodes.
const MAX_HOSTS: usize = 512;

/// How long asking the cluster may take, all requests together: an unreachable cluster
/// delays the sample by no more.
const BOUND: Duration = Duration::from_secs(5);

/// Names the report's fleet hosts after their nodes. Returns a line for stderr when the
/// cluster could not be asked (the hosts keep the names the exporters gave).
pub async fn name_fleet(
    report: &mut OnceReport,
    config: &crate::config::Config,
    context: Option<&str>,
) -> Option<String> {
    let start = report.hosts.len().saturating_sub(report.fleet);
    let fleet = report.hosts.split_off(start);
    let wanted: Vec<_> = fleet
        .iter()
        .filter(|h| h.error.is_none())
        .map(asks)
        .filter(|a| !a.is_empty())
        .take(MAX_HOSTS)
        .collect();
    let mut note = None;
    let mut places = Vec::new();
    if !wanted.is_empty() {
        let ask = async {
            match crate::sources::kube::client_for(config, context).await {
                Ok(client) => Some(pod_places(&client, wanted).await),
                // no cluster configured is no news: the hosts keep their names
                Err(e) => {
                    log::debug!("GPU hosts not matched to nodes: {e}");
                    None
                }
            }
        };
        match tokio::time::timeout(BOUND, ask).await {
            Ok(Some((found, error))) => {
                places = found;
                note = error;
            }
            Ok(None) => {}
            Err(_) => note = Some(format!("no answer in {} s", BOUND.as_secs())),
        }
    }
    let (named, _) = FleetNames::default().name(
        fleet,
        0,
        places
            .iter()
            .map(|(ns, name, node)| (ns.as_str(), name.as_str(), node.as_deref())),
    );
    report.fleet = named.len();
    report.hosts.extend(named);
    note.map(|e| format!("GPU hosts not matched to their nodes (the cluster: {e})"))
}
