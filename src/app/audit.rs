//! The audit viewer's lines (`:audit`): the log's intent, outcome and refusal records as
//! one line per operation.

/// The viewer's lines: one per operation, its intent and outcome paired by id; a refusal
/// (or a line from before intents existed) on its own.
pub fn audit_lines(records: &[crate::ops::AuditRecord]) -> Vec<String> {
    use crate::ops::Phase;
    use std::collections::{HashMap, HashSet};
    let outcomes: HashMap<&str, &crate::ops::AuditRecord> = records
        .iter()
        .filter(|r| r.phase == Phase::Outcome && !r.id.is_empty())
        .map(|r| (r.id.as_str(), r))
        .collect();
    let intents: HashSet<&str> = records
        .iter()
        .filter(|r| r.phase == Phase::Intent && !r.id.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    records
        .iter()
        .filter_map(|r| match r.phase {
            Phase::Intent => Some(audit_line(r, outcomes.get(r.id.as_str()).copied())),
            // shown on its intent's line
            Phase::Outcome if intents.contains(r.id.as_str()) => None,
            Phase::Outcome | Phase::Refusal => Some(audit_line(r, None)),
        })
        .collect()
}

/// One operation as a line for the viewer: `r` (an intent, a refusal or a lone outcome)
/// and, for an intent, its outcome.
pub fn audit_line(
    r: &crate::ops::AuditRecord,
    outcome: Option<&crate::ops::AuditRecord>,
) -> String {
    use crate::ops::Phase;
    let who = match (&r.cluster_user, &r.github_login) {
        (Some(id), _) | (None, Some(id)) => format!("{} as {id}", r.user),
        (None, None) => r.user.clone(),
    };
    let object = if r.object.is_empty() {
        r.target.clone()
    } else {
        r.object.clone()
    };
    let ended = |o: &crate::ops::AuditRecord| {
        let mut facts = Vec::new();
        if let Some(v) = &o.revision {
            facts.push(format!("revision {v}"));
        }
        if let Some(v) = &o.resource_version {
            facts.push(format!("resourceVersion {v}"));
        }
        if let Some(v) = &o.run_state {
            facts.push(format!("run {v}"));
        }
        if let Some(ms) = o.duration_ms {
            facts.push(format!("{ms} ms"));
        }
        let facts = if facts.is_empty() {
            String::new()
        } else {
            format!(" ({})", facts.join(", "))
        };
        let what = match (o.status.as_deref(), &o.result, &o.error) {
            (Some(s), _, Some(e)) => format!("{} {e}", s.to_uppercase()),
            (Some(s), Some(ok), None) => format!("{s}: {ok}"),
            (_, _, Some(e)) => format!("ERROR {e}"),
            (_, Some(ok), None) => ok.clone(),
            _ => String::new(),
        };
        format!("{what}{facts}")
    };
    let end = match (r.phase, outcome) {
        (Phase::Intent, Some(o)) => ended(o),
        (Phase::Intent, None) => "no outcome recorded (console ended?)".into(),
        _ => ended(r),
    };
    crate::text::sanitize(&format!(
        "{} {who} {}/{} {} {object}: {} → {} — {end}",
        r.time, r.context, r.namespace, r.operation, r.before, r.after
    ))
}
