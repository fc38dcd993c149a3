//! A request's parts: the object it names, the selectors it filters by, and whether it
//! is a dry run.

use std::collections::HashMap;

use axum::response::Response;

use super::status::bad_request;
use crate::select::{Req, field_match, label_match, parse_fields, parse_labels};
use crate::store::{Kind, Obj};

/// A parsed request path.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) kind: Kind,
    pub(super) ns: String,
    pub(super) name: Option<String>,
    pub(super) sub: Option<String>,
}

pub(super) struct Filter {
    pub(super) kind: Kind,
    pub(super) ns: String,
    pub(super) labels: Vec<Req>,
    pub(super) fields: Vec<(String, String, bool)>,
}

impl Filter {
    pub(super) fn matches(&self, o: &Obj) -> bool {
        (self.ns.is_empty() || o.ns == self.ns)
            && label_match(&self.labels, o)
            && field_match(&self.fields, o)
    }
}

fn field_names(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod => &[
            "metadata.name",
            "metadata.namespace",
            "status.phase",
            "spec.nodeName",
            "spec.restartPolicy",
            "status.podIP",
        ],
        Kind::Event => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.name",
            "involvedObject.namespace",
            "involvedObject.uid",
            "reason",
            "type",
        ],
        Kind::Namespace => &["metadata.name", "status.phase"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

pub(super) fn build_filter(t: &Target, q: &HashMap<String, String>) -> Result<Filter, Response> {
    let labels = match q.get("labelSelector") {
        Some(s) => parse_labels(s).map_err(|e| bad_request(&e))?,
        None => Vec::new(),
    };
    let fields = match q.get("fieldSelector") {
        Some(s) => parse_fields(s, field_names(t.kind)).map_err(|e| bad_request(&e))?,
        None => Vec::new(),
    };
    Ok(Filter {
        kind: t.kind,
        ns: t.ns.clone(),
        labels,
        fields,
    })
}

pub(super) fn dry_run(q: &HashMap<String, String>) -> bool {
    q.get("dryRun").map(|v| v == "All").unwrap_or(false)
}
