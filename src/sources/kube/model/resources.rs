//! What the cluster serves (discovery) and any resource's rows as the API server prints
//! them (the server-side Table that `kubectl get` shows): plain data for `app` and `ui`.

/// One resource a context serves, as discovery lists it (subresources left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ApiResource {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    /// The plural: the path segment (`services`, `certificates`).
    pub plural: String,
    /// As discovery gives it; where it gives none, the kind in lower case (as kubectl).
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub verbs: Vec<String>,
}

impl ApiResource {
    /// `services`, `deployments.apps`, `certificates.cert-manager.io`: how kubectl names
    /// it unambiguously (the core group has no suffix).
    pub fn label(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `v1` or `apps/v1`.
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether the resource can be listed and watched: what a table needs.
    pub fn listable(&self) -> bool {
        self.verbs.iter().any(|v| v == "list")
    }

    pub fn watchable(&self) -> bool {
        self.verbs.iter().any(|v| v == "watch")
    }

    /// `/api/v1` or `/apis/GROUP/VERSION`.
    pub fn prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The collection's path: in one namespace, or across all (and cluster-scoped ones).
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!(
                "{}/namespaces/{}/{}",
                self.prefix(),
                path_segment(ns),
                self.plural
            ),
            None => format!("{}/{}", self.prefix(), self.plural),
        }
    }

    /// One object's path.
    pub fn object_path(&self, namespace: &str, name: &str) -> String {
        let ns = if self.namespaced && !namespace.is_empty() {
            Some(namespace)
        } else {
            None
        };
        format!("{}/{}", self.list_path(ns), path_segment(name))
    }
}

/// A path segment: names are DNS labels, but nothing from outside is trusted to be one.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What discovery found for one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryMsg {
    /// Every resource found, in kubectl's priority order (the core group first, then the
    /// groups as `/apis` lists them, each group's preferred version first); `failed`
    /// names the group versions that could not be read (a 503 aggregated API): the rest
    /// is still complete.
    Resources {
        resources: Vec<ApiResource>,
        failed: Vec<String>,
    },
    /// Nothing could be read (no client, the API server unreachable): one line, redacted.
    Failed(String),
}

/// A column of a server-side Table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// As the server names it (`Name`, `Ready`); kubectl shows it in upper case.
    pub name: String,
    /// 0: `kubectl get`; more: only with `-o wide`.
    pub priority: i32,
    /// The column's type (`string`, `integer`, `date`): `date` columns are ages.
    pub kind: String,
}

/// One row of a server-side Table: its cells as kubectl prints them, and the object's
/// identity from the metadata that comes with it (`includeObject=Metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub resource_version: String,
    pub cells: Vec<String>,
}

impl TableRow {
    /// What tells rows apart: the uid, or where a server gives none, namespace/name.
    pub fn id(&self) -> String {
        if self.uid.is_empty() {
            format!("{}/{}", self.namespace, self.name)
        } else {
            self.uid.clone()
        }
    }
}

/// What the ui task asks for: one resource's table in a namespace (or all of them),
/// kept live by a watch until it is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRequest {
    pub generation: u64,
    /// Distinguishes one opening of the view from the next (the same resource opened
    /// again starts a new list).
    pub view: u64,
    pub resource: ApiResource,
    /// `None`: all namespaces (or a cluster-scoped resource).
    pub namespace: Option<String>,
}

/// Messages of a table's list and watch, tagged with the request's `view`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableMsg {
    /// A list (first, or again after the watch expired): the rows replace what was shown.
    Listed {
        view: u64,
        columns: Vec<TableColumn>,
        rows: Vec<TableRow>,
    },
    /// Rows added or changed by the watch.
    Applied { view: u64, rows: Vec<TableRow> },
    /// Rows deleted (by their [`TableRow::id`]).
    Deleted { view: u64, ids: Vec<String> },
    /// The list or watch failed: one line saying what (a 403 names the verb, resource and
    /// namespace); retried with backoff unless it was refused.
    Failed {
        view: u64,
        error: String,
        forbidden: bool,
    },
}

impl TableMsg {
    pub fn view(&self) -> u64 {
        match self {
            TableMsg::Listed { view, .. }
            | TableMsg::Applied { view, .. }
            | TableMsg::Deleted { view, .. }
            | TableMsg::Failed { view, .. } => *view,
        }
    }
}
