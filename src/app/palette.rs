//! The command palette (`:`): commands, their arguments and completion. Pure.

use super::state::State;
use crate::pane::PaneId;

/// (command, argument kind, description)
pub const COMMANDS: &[(&str, Arg, &str)] = &[
    ("theme", Arg::Theme, "switch theme"),
    ("keymap", Arg::Keymap, "switch keymap"),
    ("pane", Arg::Pane, "focus a pane"),
    ("zoom", Arg::None, "zoom the focused pane"),
    ("ctx", Arg::Context, "switch kube context"),
    (
        "ns",
        Arg::Namespace,
        "switch namespace (`all` for every namespace); alone: the namespaces",
    ),
    ("env", Arg::Environment, "switch environment"),
    ("log", Arg::None, "flightdeck's own log"),
    ("audit", Arg::None, "the operations audit log"),
    (
        "save",
        Arg::Path,
        "write the logs pane's (filtered) lines to a file",
    ),
    ("deploy", Arg::None, "workloads: deployments"),
    ("sts", Arg::None, "workloads: statefulsets"),
    ("ds", Arg::None, "workloads: daemonsets"),
    ("jobs", Arg::None, "workloads: jobs"),
    ("cronjobs", Arg::None, "workloads: cronjobs"),
    ("cj", Arg::None, "workloads: cronjobs"),
    ("rollouts", Arg::None, "workloads: Argo Rollouts"),
    ("ro", Arg::None, "workloads: Argo Rollouts"),
    ("pods", Arg::None, "workloads: every pod, any owner"),
    ("all", Arg::None, "workloads: every kind"),
    (
        "nodes",
        Arg::None,
        "nodes: status, taints, pods, GPUs (c cordon · u uncordon · r drain)",
    ),
    ("help", Arg::None, "key bindings"),
    ("read-only", Arg::None, "refuse every operation from now on"),
    (
        "mouse",
        Arg::None,
        "release the mouse to select text, or capture it again",
    ),
    ("quit", Arg::None, "quit flightdeck"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    Theme,
    Keymap,
    Pane,
    Context,
    Namespace,
    Environment,
    Path,
}

/// Candidates for what is typed so far: command names and the resources the cluster
/// serves, then the argument's values. A name that is exactly a console command or, as
/// kubectl resolves it, a resource (`no`, `ev`, `svc`, `Deployment`) comes first as typed,
/// so that Enter runs it and never a fuzzy match of another name.
pub fn completions(state: &State, input: &str) -> Vec<String> {
    let trimmed = input.trim_start();
    match trimmed.split_once(' ') {
        None => {
            let resources = super::resources::palette_names(state.resources.resources());
            let names = COMMANDS.iter().map(|(c, _, _)| (*c).to_owned()).chain(
                resources
                    .into_iter()
                    .map(|(n, _)| n)
                    .filter(|n| describe(n).is_none()),
            );
            let mut found = best_first(names, trimmed);
            let exact_command = describe(trimmed).is_some();
            if !exact_command && state.resources.resolve(trimmed).is_some() {
                found.retain(|c| c != trimmed);
                found.insert(0, trimmed.to_owned());
            }
            found
        }
        Some((cmd, arg)) => {
            let Some((_, kind, _)) = COMMANDS.iter().find(|(c, _, _)| *c == cmd) else {
                return Vec::new();
            };
            let arg = arg.trim_start();
            let mut values = argument_values(state, *kind);
            // where the names are not the cluster's own list (namespaces that cannot be
            // listed, contexts with no kubeconfig), what is typed is a name too: Enter
            // takes the highlighted completion, and this keeps the typed one reachable
            if !arg.is_empty() && !arg.contains(' ') && !values_are_complete(state, *kind) {
                values.retain(|v| v != arg);
                values.insert(0, arg.to_owned());
            }
            best_first(values, arg)
                .into_iter()
                .map(|v| format!("{cmd} {v}"))
                .collect()
        }
    }
}

/// The candidates that fuzzily match `query`, best first; all of them, in their own
/// order, for an empty query. A small scorer rather than a matcher crate: the palette
/// ranks a few dozen short names, where this is all a crate would do.
fn best_first(candidates: impl IntoIterator<Item = String>, query: &str) -> Vec<String> {
    let mut scored: Vec<(i64, usize, String)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| Some((fuzzy_score(&c, query)?, i, c)))
        .collect();
    // stable: equal scores keep the candidates' own order
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// How well `query` matches `candidate` as a subsequence, ignoring case: `None` when it
/// does not; more for an exact match, a prefix, characters in a run and characters at
/// the start of a word (after `-`, `_`, `.`, `/`, space), less for gaps and length.
pub fn fuzzy_score(candidate: &str, query: &str) -> Option<i64> {
    let cand: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    let q: Vec<char> = query.chars().flat_map(char::to_lowercase).collect();
    if q.is_empty() {
        return Some(0);
    }
    let mut score: i64 = 0;
    let mut ci = 0;
    let mut prev: Option<usize> = None;
    for qc in &q {
        let at = (ci..cand.len()).find(|&i| cand[i] == *qc)?;
        score += 10;
        match prev {
            Some(p) if at == p + 1 => score += 15,
            Some(p) => score -= (at - p - 1).min(10) as i64,
            None => score -= at.min(10) as i64,
        }
        if at == 0 || matches!(cand[at - 1], '-' | '_' | '.' | '/' | ' ') {
            score += 8;
        }
        prev = Some(at);
        ci = at + 1;
    }
    if cand.starts_with(&q) {
        score += 50;
    }
    if cand == q {
        score += 100;
    }
    Some(score - cand.len() as i64)
}

fn argument_values(state: &State, kind: Arg) -> Vec<String> {
    match kind {
        Arg::None | Arg::Path => Vec::new(),
        Arg::Theme => state.assets.theme_names(),
        Arg::Keymap => state.assets.keymap_names(),
        Arg::Pane => PaneId::ALL.iter().map(|p| p.name().to_owned()).collect(),
        Arg::Context => super::scope::context_names(state),
        Arg::Namespace => super::scope::namespace_names(state),
        Arg::Environment => state
            .config
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect(),
    }
}

/// Whether `argument_values` lists every value the command accepts: an argument outside
/// the list is refused (or, for namespaces, not the cluster's).
fn values_are_complete(state: &State, kind: Arg) -> bool {
    match kind {
        Arg::Namespace => matches!(state.namespaces, super::scope::NamespaceList::Listed(_)),
        Arg::Context => !state.kubeconfig.contexts.is_empty(),
        Arg::None | Arg::Path | Arg::Theme | Arg::Keymap | Arg::Pane | Arg::Environment => true,
    }
}

/// What a candidate of the palette is: a command's description, else the resource it
/// names (`Node (no), cluster`).
pub fn describe_in(state: &State, name: &str) -> Option<String> {
    if let Some(d) = describe(name) {
        return Some(d.to_owned());
    }
    let r = state.resources.resolve(name)?;
    let short = if r.short_names.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.short_names.join(", "))
    };
    let scope = if r.namespaced { "" } else { ", cluster-scoped" };
    Some(format!("{}{short}: {}{scope}", r.kind, r.label()))
}

pub fn describe(cmd: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|(c, _, _)| *c == cmd)
        .map(|(_, _, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(q: &str) -> Vec<String> {
        best_first(COMMANDS.iter().map(|(c, _, _)| (*c).to_owned()), q)
    }

    #[test]
    fn fuzzy_matches_out_of_prefix_best_first() {
        // not a prefix of anything: a subsequence still finds it
        assert_eq!(names("cjb").first().map(String::as_str), Some("cronjobs"));
        assert_eq!(names("rdo").first().map(String::as_str), Some("read-only"));
        // an exact name beats the longer names it is a prefix of
        assert_eq!(names("ro").first().map(String::as_str), Some("ro"));
        assert_eq!(names("ns").first().map(String::as_str), Some("ns"));
        // a prefix beats a scattered match
        let z = names("z");
        assert_eq!(z.first().map(String::as_str), Some("zoom"));
        assert!(names("qqq").is_empty());
        assert_eq!(names("").len(), COMMANDS.len());
        assert_eq!(
            fuzzy_score("Kube-System", "ks"),
            fuzzy_score("kube-system", "KS")
        );
        assert!(fuzzy_score("kube-system", "ks") > fuzzy_score("kubes-ystem", "ks"));
    }
}
