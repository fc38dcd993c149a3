//! What the scope's context serves (from discovery) and what a typed name means, resolved
//! exactly as kubectl resolves it: `resource.version.group` and `resource.group` (the
//! group in full), then a plural or singular name of any group (case-insensitive: a kind,
//! `Deployment`, is its singular), then a short name (as written: kubectl finds `svc`, not
//! `SVC`), the first in kubectl's priority order (the core group first, then the groups
//! as the server lists them) winning. Fuzzy matching in the palette comes only after this
//! finds nothing. And the one table saying which resources have their own, richer view.
//! Pure.

use crate::app::panes::workloads::Narrow;
use crate::sources::kube::model::{ApiResource, DiscoveryMsg, WorkloadKind};

/// What discovery has said for the scope's context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Catalog {
    /// Nothing heard yet for this context.
    #[default]
    Unknown,
    /// The resources of `context`, in priority order; `failed` names group versions
    /// not read.
    Known {
        context: Option<String>,
        resources: Vec<ApiResource>,
        failed: Vec<String>,
    },
    /// Discovery failed (and is retried); one line why.
    Failed(String),
}

impl Catalog {
    pub fn resources(&self) -> &[ApiResource] {
        match self {
            Catalog::Known { resources, .. } => resources,
            Catalog::Unknown | Catalog::Failed(_) => &[],
        }
    }

    /// Takes discovery's message for `context`; a failure keeps what was known (stale
    /// beats nothing).
    pub fn on_msg(&mut self, msg: DiscoveryMsg, context: Option<&str>) {
        match msg {
            DiscoveryMsg::Resources { resources, failed } => {
                *self = Catalog::Known {
                    context: context.map(str::to_owned),
                    resources,
                    failed,
                }
            }
            DiscoveryMsg::Failed(e) => {
                if !matches!(self, Catalog::Known { .. }) {
                    *self = Catalog::Failed(e);
                }
            }
        }
    }

    /// A new scope: what was known of another context is forgotten.
    pub fn on_scope(&mut self, context: Option<&str>) {
        if let Catalog::Known { context: c, .. } = self
            && c.as_deref() != context
        {
            *self = Catalog::Unknown;
        }
    }

    /// What `name` means, as kubectl resolves it.
    pub fn resolve(&self, name: &str) -> Option<&ApiResource> {
        resolve(self.resources(), name)
    }
}

/// What `name` means among `resources` (in priority order), as kubectl resolves it;
/// `None` where kubectl would say `the server doesn't have a resource type`.
pub fn resolve<'a>(resources: &'a [ApiResource], name: &str) -> Option<&'a ApiResource> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    // `resource.version.group`, then `resource.group` (as kubectl's ParseResourceArg)
    if let Some((res, rest)) = name.split_once('.') {
        if let Some((version, group)) = rest.split_once('.')
            && let Some(r) = find(resources, res, Some(group), Some(version))
        {
            return Some(r);
        }
        return find(resources, res, Some(rest), None);
    }
    find(resources, name, None, None)
}

fn find<'a>(
    resources: &'a [ApiResource],
    name: &str,
    group: Option<&str>,
    version: Option<&str>,
) -> Option<&'a ApiResource> {
    let in_scope = |r: &&ApiResource| {
        group.is_none_or(|g| r.group.eq_ignore_ascii_case(g))
            && version.is_none_or(|v| r.version.eq_ignore_ascii_case(v))
    };
    // a full name is never taken for another resource's short name (kubectl's
    // shortcut expander checks plurals and singulars first)
    resources
        .iter()
        .filter(in_scope)
        .find(|r| r.plural.eq_ignore_ascii_case(name) || r.singular.eq_ignore_ascii_case(name))
        .or_else(|| {
            resources
                .iter()
                .filter(in_scope)
                .find(|r| r.short_names.iter().any(|s| s == name))
        })
}

/// The resources with a view of their own, richer than the generic table: the workload
/// kinds of the Workloads pane, as (group, plural) and the narrowing that shows them. A
/// resource not here opens in the generic view.
pub const OWN_VIEWS: &[(&str, &str, Narrow)] = &[
    (
        "apps",
        "deployments",
        Narrow::Only(WorkloadKind::Deployment),
    ),
    (
        "apps",
        "statefulsets",
        Narrow::Only(WorkloadKind::StatefulSet),
    ),
    ("apps", "daemonsets", Narrow::Only(WorkloadKind::DaemonSet)),
    ("batch", "jobs", Narrow::Only(WorkloadKind::Job)),
    ("batch", "cronjobs", Narrow::Only(WorkloadKind::CronJob)),
    (
        "argoproj.io",
        "rollouts",
        Narrow::Only(WorkloadKind::Rollout),
    ),
    ("", "pods", Narrow::Pods),
];

/// Nodes have their own view (`:nodes`: status, taints, pods, GPUs, cordon and drain).
pub fn is_nodes(r: &ApiResource) -> bool {
    r.group.is_empty() && r.plural == "nodes"
}

/// The resource's own view, where it has one.
pub fn own_view(r: &ApiResource) -> Option<Narrow> {
    OWN_VIEWS
        .iter()
        .find(|(g, p, _)| r.group == *g && r.plural == *p)
        .map(|(_, _, n)| *n)
}

/// What the palette offers for resources: each resource's plural, group-qualified where
/// a resource of a higher-priority group has the same plural (so each names one).
pub fn palette_names(resources: &[ApiResource]) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(resources.len());
    for r in resources {
        let name = if seen.insert(r.plural.clone()) {
            r.plural.clone()
        } else {
            r.label()
        };
        let scope = if r.namespaced { "" } else { ", cluster" };
        let short = if r.short_names.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.short_names.join(", "))
        };
        out.push((name, format!("{}{short}{scope}", r.kind)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(group: &str, plural: &str, kind: &str, short: &[&str]) -> ApiResource {
        ApiResource {
            group: group.into(),
            version: "v1".into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            namespaced: true,
            short_names: short.iter().map(|s| s.to_string()).collect(),
            verbs: vec!["list".into(), "watch".into()],
        }
    }

    fn catalog() -> Vec<ApiResource> {
        vec![
            res("", "events", "Event", &["ev"]),
            res("", "nodes", "Node", &["no"]),
            res("", "services", "Service", &["svc"]),
            res("apps", "deployments", "Deployment", &["deploy"]),
            res("batch", "cronjobs", "CronJob", &["cj"]),
            res("events.k8s.io", "events", "Event", &["ev"]),
            res(
                "cert-manager.io",
                "certificates",
                "Certificate",
                &["cert", "certs"],
            ),
            // a CRD whose short name is another resource's plural
            res("example.com", "widgets", "Widget", &["services"]),
        ]
    }

    fn label(name: &str) -> Option<String> {
        resolve(&catalog(), name).map(ApiResource::label)
    }

    #[test]
    fn names_resolve_as_kubectl_resolves_them() {
        assert_eq!(label("svc").as_deref(), Some("services"));
        // full names are case-insensitive, short names are not (kubectl: `get SVC` fails)
        assert_eq!(label("SERVICES").as_deref(), Some("services"));
        assert_eq!(label("SVC"), None);
        assert_eq!(label("no").as_deref(), Some("nodes"));
        assert_eq!(label("ev").as_deref(), Some("events"));
        assert_eq!(label("events").as_deref(), Some("events"));
        assert_eq!(label("event").as_deref(), Some("events"));
        assert_eq!(label("Event").as_deref(), Some("events"));
        assert_eq!(label("Deployment").as_deref(), Some("deployments.apps"));
        assert_eq!(
            label("deployments.apps").as_deref(),
            Some("deployments.apps")
        );
        assert_eq!(
            label("deployments.v1.apps").as_deref(),
            Some("deployments.apps")
        );
        assert_eq!(
            label("events.events.k8s.io").as_deref(),
            Some("events.events.k8s.io")
        );
        assert_eq!(
            label("certificates.cert-manager.io").as_deref(),
            Some("certificates.cert-manager.io")
        );
        assert_eq!(
            label("certs").as_deref(),
            Some("certificates.cert-manager.io")
        );
        // a plural is never another resource's short name
        assert_eq!(label("services").as_deref(), Some("services"));
        assert_eq!(label("widgets").as_deref(), Some("widgets.example.com"));
        // a partial group is not a group; nothing is fuzzy here
        assert_eq!(label("certificates.cert-manager"), None);
        assert_eq!(label("nod"), None);
        assert_eq!(label("cronjob").as_deref(), Some("cronjobs.batch"));
    }

    #[test]
    fn workload_kinds_keep_their_own_views() {
        let c = catalog();
        let deploy = resolve(&c, "deploy").unwrap();
        assert_eq!(
            own_view(deploy),
            Some(Narrow::Only(WorkloadKind::Deployment))
        );
        assert_eq!(own_view(resolve(&c, "svc").unwrap()), None);
    }
}
