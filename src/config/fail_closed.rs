//! Safety settings fail closed. The lenient parse skips what it cannot read, which is right
//! for a colour or a pane size and wrong for protection: an `[[environment]]` entry with a
//! duplicate key, a `protected = "yes"`, or any other problem would otherwise lose its
//! `protected = true` (or the whole entry) and leave production answering a bare `y`.
//!
//! So every `[[environment]]` entry of the file that holds a problem is kept, or recovered
//! from its plain `key = "value"` lines, protected whatever it said, and marked with why.

use super::diag::Diagnostic;
use super::{Config, Environment};

/// Marks or recovers every environment entry of `source` that a diagnostic points into.
pub(super) fn environments(config: &mut Config, source: &str, diags: &[Diagnostic]) {
    let line = |offset| super::diag::line_col(source, offset).0;
    let mut kept = 0usize;
    for part in super::entries::entries(source, "[[environment]]") {
        let (first, last) = (line(part.start), line(part.end.saturating_sub(1)));
        let problem = diags.iter().find(|d| (first..=last).contains(&d.line));
        let text = &source[part.clone()];
        let name = value(text, "name");
        let survivor = name
            .as_deref()
            .and_then(|n| config.environments.iter().position(|e| e.name == n));
        match (problem, survivor) {
            (None, Some(_)) => kept += 1,
            (None, None) => {}
            (Some(d), Some(i)) => {
                let env = &mut config.environments[i];
                env.protected = Some(true);
                env.invalid = Some(why(d));
                kept += 1;
            }
            (Some(d), None) => {
                let Some(name) = name else {
                    continue; // no name to match a scope by: nothing to protect
                };
                let env = Environment {
                    name,
                    context: value(text, "context"),
                    namespace: value(text, "namespace"),
                    github_environment: value(text, "github_environment"),
                    protected: Some(true),
                    // a recovered entry's numbers are not trusted to one filter: none
                    metrics_labels: Default::default(),
                    invalid: Some(why(d)),
                };
                let at = kept.min(config.environments.len());
                config.environments.insert(at, env);
                kept += 1;
            }
        }
    }
}

/// What the status bar says beside the environment (the diagnostic itself is among the
/// start-up warnings, `!`).
fn why(d: &Diagnostic) -> String {
    format!("config line {} invalid: protected", d.line)
}

/// The first `key = "value"` of an entry's text (a basic string without escapes).
fn value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        let v = v.strip_prefix('"')?;
        let end = v.find('"')?;
        let s = &v[..end];
        (!s.contains('\\')).then(|| s.to_owned())
    })
}
