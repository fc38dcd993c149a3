//! `kubectl edit` of any object: its YAML (without `metadata.managedFields`; status kept,
//! as kubectl shows it) under kubectl's comment header in a private (0600) temp file, the
//! user's editor (`$VISUAL`, then `$EDITOR`, then `vi`) on it, and the saved file sent back
//! as an update (PUT) under the resourceVersion it carries. An empty file or one saved
//! unchanged sends nothing. A validation error (422, 400) re-opens the file with the error
//! as `#` comments on top, as kubectl does; a conflict (409: the object changed meanwhile)
//! re-opens it with the user's changes re-applied to the latest version (what kubectl's
//! patch would do), the error and what happened on top. The file is removed at the end.
//!
//! The session runs on the console's task: the editor is called through a function the
//! console gives, which suspends the screen around it. Every update attempt is an
//! [`Operation::Edit`] through [`Executor::execute`]: read-only refused, audited (the
//! changed fields' paths, never a value), preconditioned.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use super::delete::{dynamic_api, get_same};
use super::model::{ObjectRef, Operation, Outcome, Target};
use super::{CONFLICT, Done, Executor, kube_message, post_params};

/// kubectl's header, above the object.
pub const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n\
# and an empty file will abort the edit. If an error occurs while saving this file will be\n\
# reopened with the relevant failures.\n#\n";

/// What an edit that sent nothing says (kubectl's words).
pub const CANCELLED: &str = "Edit cancelled, no changes made.";

/// The comment a Secret's file starts with: nothing is decoded, and nothing hidden.
pub const SECRET_WARNING: &str = "# This is a Secret: the values of `data` are base64 as stored (not decoded); whoever\n\
# sees this screen can read them. The file is private (0600) and removed after the edit.\n#\n";

/// How many times the file re-opens after an error before the session gives up.
const MAX_ROUNDS: usize = 20;

/// The editor kubectl would start: `$VISUAL`, then `$EDITOR`, then `vi`.
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// Runs `editor` on `path` and waits for it, through `sh -c` as kubectl does for an editor
/// with arguments (`code --wait`, `emacs -nw`); the path is passed as an argument, never
/// spliced into the command line.
pub fn run_editor(editor: &str, path: &Path) -> Result<(), String> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("flightdeck-edit")
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor `{editor}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor `{editor}` failed ({status}); nothing was changed"
        ))
    }
}

/// The object as the file shows it: `metadata.managedFields` removed (kubectl's
/// `--show-managed-fields=false`), everything else, status included, kept.
pub fn editable(mut v: Value) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

/// The file's text without its comment lines (kubectl ignores every line that starts with
/// `#` after optional blanks).
pub fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines of `message` as `# ` comments.
fn commented(message: &str) -> String {
    message.lines().map(|l| format!("# {l}\n")).collect()
}

fn to_yaml(v: &Value) -> Result<String, String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_string_with_options(v, options)
        .map_err(|e| format!("cannot write it as YAML: {e}"))
}

/// The JSON merge patch (RFC 7386) that turns `from` into `to`.
pub fn merge_diff(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = Map::new();
            for (k, vb) in b {
                match a.get(k) {
                    Some(va) if va == vb => {}
                    Some(va) => {
                        out.insert(k.clone(), merge_diff(va, vb));
                    }
                    None => {
                        out.insert(k.clone(), vb.clone());
                    }
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    out.insert(k.clone(), Value::Null);
                }
            }
            Value::Object(out)
        }
        _ => to.clone(),
    }
}

/// Applies a JSON merge patch (RFC 7386).
pub fn merge_apply(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_apply(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The paths of what differs between two objects (`spec.replicas`,
/// `metadata.labels.tier`), for the audit line: names only, never a value.
pub fn changed_paths(from: &Value, to: &Value) -> Vec<String> {
    fn walk(patch: &Value, prefix: &str, out: &mut Vec<String>) {
        match patch {
            Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, &p, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut out = Vec::new();
    walk(&merge_diff(from, to), "", &mut out);
    out.retain(|p| !p.is_empty() && p != "metadata.resourceVersion");
    out
}

/// An error the user can fix in the file: the file re-opens with it.
fn fixable(message: &str) -> bool {
    message.starts_with(CONFLICT) || message.contains("(422 ") || message.contains("(400 ")
}

fn resource_version(v: &Value) -> Option<String> {
    v.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One file on disk, private (0600, created new: never someone else's file), removed
/// when dropped.
struct EditFile {
    path: std::path::PathBuf,
}

impl EditFile {
    fn new(object: &ObjectRef) -> Result<EditFile, String> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::env::temp_dir();
        let mut last = String::new();
        for attempt in 0..16u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let path = dir.join(format!(
                "flightdeck-edit-{}-{}-{:x}{attempt}.yaml",
                object.kind.to_lowercase(),
                std::process::id(),
                nanos
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(_) => return Ok(EditFile { path }),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "cannot create the file to edit in {}: {last}",
            dir.display()
        ))
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self, text: &str) -> Result<(), String> {
        use std::os::unix::fs::OpenOptionsExt;
        // opened again each round: an editor may have replaced the file by a rename
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| format!("cannot write the file to edit: {e}"))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.flush())
            .map_err(|e| format!("cannot write the file to edit: {e}"))
    }

    fn read(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.path).map_err(|e| format!("cannot read the edited file: {e}"))
    }
}

impl Drop for EditFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Executor {
    /// A `kubectl edit` session on `object`, `editor` called on the file each round (the
    /// console suspends its screen around it). Ends with what the status line says.
    pub async fn edit(
        &self,
        context: &str,
        object: &ObjectRef,
        editor: &mut impl FnMut(&Path) -> Result<(), String>,
    ) -> Outcome {
        let edit_op = |body: String, object: ObjectRef| Operation::Edit {
            context: context.to_owned(),
            object,
            body,
        };
        let ended = |ok: bool, message: String| Outcome {
            op: "edit".into(),
            target: Target {
                context: context.to_owned(),
                namespace: object.namespace.clone(),
                name: object.name.clone(),
            },
            ok,
            message,
            before: String::new(),
            after: String::new(),
        };
        if self.read_only {
            // refused (and audited) by the executor before anything is read or opened
            return self
                .execute(&edit_op(String::new(), object.clone()), "", "")
                .await;
        }
        let got = match self.client() {
            Ok(c) => {
                tokio::time::timeout(self.plan_bound.min(self.request_bound), get_same(c, object))
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "the API server did not answer within {} s; nothing was changed",
                            self.plan_bound.as_secs()
                        ))
                    })
            }
            Err(e) => Err(e),
        };
        let (_, got) = match got {
            Ok(g) => g,
            Err(e) => return ended(false, format!("edit {}: {e}", object.kubectl_name())),
        };
        let mut original = match serde_json::to_value(&got) {
            Ok(v) => editable(v),
            Err(e) => return ended(false, format!("edit: cannot read the object: {e}")),
        };
        let file = match EditFile::new(object) {
            Ok(f) => f,
            Err(e) => return ended(false, e),
        };
        let secret = if object.is_secret() {
            SECRET_WARNING
        } else {
            ""
        };
        let mut body = match to_yaml(&original) {
            Ok(y) => y,
            Err(e) => return ended(false, e),
        };
        let mut errors = String::new();
        // after a conflict the file holds the user's changes on the latest version: saved
        // as it is, it is applied
        let mut rebased = false;
        for _ in 0..MAX_ROUNDS {
            let written = format!("{HEADER}{errors}{secret}{body}");
            if let Err(e) = file.write(&written) {
                return ended(false, e);
            }
            if let Err(e) = editor(file.path()) {
                return ended(false, e);
            }
            let text = match file.read() {
                Ok(t) => t,
                Err(e) => return ended(false, e),
            };
            let stripped = strip_comments(&text);
            if stripped.trim().is_empty()
                || (!rebased && stripped.trim() == strip_comments(&written).trim())
            {
                return ended(true, CANCELLED.into());
            }
            body = stripped;
            let mut edited: Value = match serde_saphyr::from_str(&body) {
                Ok(v) => v,
                Err(e) => {
                    errors = commented(&format!("error: the file is not valid YAML: {e}\n"));
                    rebased = false;
                    continue;
                }
            };
            if edited == original {
                return ended(true, CANCELLED.into());
            }
            // the update is always conditional: a resourceVersion removed is put back
            if resource_version(&edited).is_none()
                && let (Some(rv), Some(meta)) = (
                    resource_version(&original),
                    edited.get_mut("metadata").and_then(Value::as_object_mut),
                )
            {
                meta.insert("resourceVersion".into(), Value::String(rv));
            }
            let paths = changed_paths(&original, &edited);
            let before = format!(
                "resourceVersion {}",
                resource_version(&original).unwrap_or_default()
            );
            let after = format!("changed: {}", paths.join(", "));
            let target = ObjectRef {
                uid: got.metadata.uid.clone(),
                resource_version: resource_version(&edited),
                ..object.clone()
            };
            let op = edit_op(edited.to_string(), target);
            let outcome = self.execute(&op, &before, &after).await;
            if outcome.ok || !fixable(&outcome.message) {
                return outcome;
            }
            rebased = false;
            if outcome.message.starts_with(CONFLICT) {
                // the user's changes, on the latest version
                let latest = match self.client() {
                    Ok(c) => dynamic_api(c, object)
                        .get(&object.name)
                        .await
                        .map_err(kube_message),
                    Err(e) => Err(e),
                };
                let latest = match latest.map(|l| serde_json::to_value(l).map(editable)) {
                    Ok(Ok(l)) => l,
                    Ok(Err(e)) => return ended(false, format!("edit: {e}")),
                    Err(e) => return ended(false, format!("{}; then: {e}", outcome.message)),
                };
                let mut mine = latest.clone();
                let mut diff = merge_diff(&original, &edited);
                if let Some(meta) = diff.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("resourceVersion");
                }
                merge_apply(&mut mine, &diff);
                errors = commented(&format!(
                    "{}\n\nThe object changed on the server since this file was written \
                     (resourceVersion {} is now {}).\nYour changes ({}) are re-applied below \
                     to the latest version: check them, then save to apply them, or empty the \
                     file to cancel.\n",
                    outcome.message,
                    resource_version(&original).unwrap_or_default(),
                    resource_version(&latest).unwrap_or_default(),
                    paths.join(", "),
                ));
                errors.push_str("#\n");
                original = latest;
                body = match to_yaml(&mine) {
                    Ok(y) => y,
                    Err(e) => return ended(false, e),
                };
                rebased = true;
            } else {
                // kubectl's words: `deployments.apps "web" was not valid:`
                let resource = if object.group.is_empty() {
                    object.plural.clone()
                } else {
                    format!("{}.{}", object.plural, object.group)
                };
                errors = commented(&format!(
                    "{resource} \"{}\" was not valid:\n* {}\n",
                    object.name, outcome.message
                ));
                errors.push_str("#\n");
            }
        }
        ended(
            false,
            format!("edit: gave up after {MAX_ROUNDS} rounds; the last error was not fixed"),
        )
    }

    pub(super) async fn run_edit(&self, object: &ObjectRef, body: &str) -> Result<Done, String> {
        let c = self.client()?;
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!("the edited object: {e}"))?;
        let obj: kube::api::DynamicObject =
            serde_json::from_value(value).map_err(|e| format!("the edited object: {e}"))?;
        let api = dynamic_api(c, object);
        let stored = api
            .replace(&object.name, &post_params(), &obj)
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!("{} edited", object.kubectl_name()),
            resource_version: stored.metadata.resource_version,
            ..Done::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_diff_applied_gives_the_edit() {
        let a = json!({"spec": {"replicas": 2, "x": [1, 2], "gone": 1}, "metadata": {"name": "a"}});
        let b = json!({"spec": {"replicas": 3, "x": [1], "new": "y"}, "metadata": {"name": "a"}});
        let d = merge_diff(&a, &b);
        let mut c = a.clone();
        merge_apply(&mut c, &d);
        assert_eq!(c, b);
        let mut paths = changed_paths(&a, &b);
        paths.sort();
        assert_eq!(paths, ["spec.gone", "spec.new", "spec.replicas", "spec.x"]);
    }

    #[test]
    fn comments_go_and_managed_fields_too() {
        assert_eq!(strip_comments("# a\n  # b\nx: 1\n#c"), "x: 1");
        let v = editable(json!({"metadata": {"managedFields": [], "name": "a"}, "status": {}}));
        assert_eq!(v, json!({"metadata": {"name": "a"}, "status": {}}));
    }

    #[test]
    fn what_reopens_the_file() {
        assert!(fixable(&format!("{CONFLICT}x")));
        assert!(fixable("spec.replicas: Invalid value (422 Invalid)"));
        assert!(!fixable("forbidden: no"));
    }
}
