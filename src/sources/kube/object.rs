//! One object as the API returns it, for the Workloads pane's YAML view: a GET of the
//! object's path, bounded by a timeout, `metadata.managedFields` removed, a Secret's
//! values hidden, written as YAML lines. I/O (the GET) and the pure preparation it needs.
//!
//! YAML: `serde-saphyr` writes it. It is already built into the tree (kube-client reads
//! kubeconfigs with it), is maintained, and — unlike the deprecated `serde_yaml` — quotes
//! what YAML 1.1 readers would mistake for another type (`yes`, `0755`, timestamps). It
//! is asked for literal `|` blocks for multi-line strings and never to fold long lines,
//! so a line of the view is a line of the value and a search finds what it holds.

use std::time::Duration;

use serde_json::Value;

use super::model::{ObjKey, ObjectRequest, WorkloadKind};

/// How long the GET may take before the view says so.
pub const GET_TIMEOUT: Duration = Duration::from_secs(15);

/// The API path of an object of `kind`.
pub fn api_path(kind: WorkloadKind, key: &ObjKey) -> String {
    let (prefix, plural) = match kind {
        WorkloadKind::Deployment => ("apis/apps/v1", "deployments"),
        WorkloadKind::StatefulSet => ("apis/apps/v1", "statefulsets"),
        WorkloadKind::DaemonSet => ("apis/apps/v1", "daemonsets"),
        WorkloadKind::Job => ("apis/batch/v1", "jobs"),
        WorkloadKind::CronJob => ("apis/batch/v1", "cronjobs"),
        WorkloadKind::Pod => ("api/v1", "pods"),
        WorkloadKind::Rollout => ("apis/argoproj.io/v1alpha1", "rollouts"),
    };
    format!(
        "/{prefix}/namespaces/{}/{plural}/{}",
        segment(&key.namespace),
        segment(&key.name)
    )
}

/// A path segment: names are DNS labels, but nothing from outside is trusted to be one.
fn segment(s: &str) -> String {
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

/// GETs the object and returns its YAML lines; errors are one redacted line.
pub async fn fetch(client: kube::Client, req: &ObjectRequest) -> Result<Vec<String>, String> {
    let (what, path) = match &req.resource {
        Some(r) => (
            format!("{}/{}", r.singular, req.key.name),
            r.object_path(&req.key.namespace, &req.key.name),
        ),
        None => (
            format!("{}/{}", req.kind.resource(), req.key.name),
            api_path(req.kind, &req.key),
        ),
    };
    let request = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| format!("cannot ask for {what}: {e}"))?;
    let text = match tokio::time::timeout(GET_TIMEOUT, client.request_text(request)).await {
        Err(_) => {
            return Err(format!(
                "no answer for {what} within {} s",
                GET_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(describe(&what, &e)),
        Ok(Ok(t)) => t,
    };
    let mut value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{what}: the API's answer is not JSON ({e})"))?;
    prepare(&mut value);
    to_yaml_lines(&value).map_err(|e| format!("{what}: {e}"))
}

fn describe(what: &str, e: &kube::Error) -> String {
    let text = match e {
        kube::Error::Api(s) if s.code == 404 => format!("{what} is gone (404)"),
        kube::Error::Api(s) if s.code == 401 || s.code == 403 => format!(
            "cannot get {what} ({}): {}; ask for RBAC access",
            s.code, s.message
        ),
        kube::Error::Api(s) => format!("cannot get {what} ({}): {}", s.code, s.message),
        other => format!("cannot get {what}: {other}"),
    };
    crate::secret::redact(&text).into_owned()
}

/// What the view never shows: `metadata.managedFields` (bookkeeping of who wrote which
/// field, longer than the object itself), and for a Secret every value of `data` and
/// `stringData` (as `<hidden: N bytes>`, N the decoded size) and the last-applied
/// annotation, which holds the same values in plain text.
pub fn prepare(value: &mut Value) {
    let is_secret = value.get("kind").and_then(Value::as_str) == Some("Secret");
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if is_secret
            && let Some(notes) = meta.get_mut("annotations").and_then(Value::as_object_mut)
            && let Some(v) = notes.get_mut("kubectl.kubernetes.io/last-applied-configuration")
        {
            *v = Value::String(hidden(v.as_str().map_or(0, str::len)));
        }
    }
    if !is_secret {
        return;
    }
    for (field, base64) in [("data", true), ("stringData", false)] {
        if let Some(map) = value.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                let text = v.as_str().unwrap_or_default();
                let n = if base64 {
                    decoded_len(text)
                } else {
                    text.len()
                };
                *v = Value::String(hidden(n));
            }
        }
    }
}

fn hidden(bytes: usize) -> String {
    format!("<hidden: {bytes} bytes>")
}

/// The size of what a base64 text decodes to (without decoding it).
fn decoded_len(text: &str) -> usize {
    let t = text.trim_end();
    let pad = t.bytes().rev().take_while(|b| *b == b'=').count().min(2);
    (t.len() / 4 * 3 + (t.len() % 4).saturating_sub(1)).saturating_sub(pad)
}

/// The value as YAML, one string per line (no document marker, no trailing empty line).
pub fn to_yaml_lines(value: &Value) -> Result<Vec<String>, String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    let text = serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| format!("cannot write it as YAML: {e}"))?;
    Ok(text.lines().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn managed_fields_go_and_the_rest_stays() {
        let mut v = json!({"kind": "Deployment", "metadata": {"name": "cart", "managedFields": [
            {"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]}, "spec": {"replicas": 2}});
        prepare(&mut v);
        assert_eq!(
            v,
            json!({"kind": "Deployment", "metadata": {"name": "cart"}, "spec": {"replicas": 2}})
        );
    }

    #[test]
    fn a_secrets_values_are_hidden_with_their_size() {
        let mut v = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}",
                "team": "orders"}},
            "type": "Opaque",
            "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4=", "key": "YWJj"},
            "stringData": {"token": "s3cr3t-token"}});
        prepare(&mut v);
        assert_eq!(v["data"]["password"], "<hidden: 7 bytes>");
        assert_eq!(v["data"]["user"], "<hidden: 5 bytes>");
        assert_eq!(v["data"]["key"], "<hidden: 3 bytes>");
        assert_eq!(v["stringData"]["token"], "<hidden: 12 bytes>");
        assert_eq!(v["metadata"]["annotations"]["team"], "orders");
        let text = to_yaml_lines(&v).expect("yaml").join("\n");
        for secret in ["aHVudGVyMg", "YWRtaW4", "YWJj", "s3cr3t", "hunter2"] {
            assert!(!text.contains(secret), "{secret} shown:\n{text}");
        }
        assert!(text.contains("<hidden: 7 bytes>"), "{text}");
    }

    #[test]
    fn other_kinds_keep_a_data_field() {
        let mut v = json!({"kind": "ConfigMap", "data": {"a": "b"}});
        prepare(&mut v);
        assert_eq!(v["data"]["a"], "b");
    }

    #[test]
    fn yaml_quotes_what_would_change_type_and_keeps_lines() {
        let v = json!({"metadata": {"annotations": {
            "yes": "yes", "mode": "0755", "at": "2025-12-20T00:00:00Z", "num": "12",
            "hash": "# not a comment", "colon": "a: b", "pad": " x ", "null": "null",
            "script": "line one\nline two\n",
            "long": "word ".repeat(40).trim_end(),
        }}, "spec": {"replicas": 3, "paused": false, "list": [], "map": {}}});
        let lines = to_yaml_lines(&v).expect("yaml");
        let text = lines.join("\n");
        for quoted in [
            r#""yes": "yes""#,
            r#"mode: "0755""#,
            r#"num: "12""#,
            r#"at: "2025-12-20T00:00:00Z""#,
            r##"hash: "# not a comment""##,
            r#"colon: "a: b""#,
            r#"pad: " x ""#,
            r#""null": "null""#,
        ] {
            assert!(text.contains(quoted), "{quoted} in\n{text}");
        }
        assert!(
            text.contains("replicas: 3") && text.contains("paused: false"),
            "{text}"
        );
        assert!(
            text.contains("list: []") && text.contains("map: {}"),
            "{text}"
        );
        assert!(text.contains("script: |"), "a literal block: {text}");
        assert!(lines.iter().any(|l| l.trim() == "line one"), "{text}");
        // long lines are not folded: the whole value is on one line
        assert!(
            lines.iter().any(|l| l.contains(&"word ".repeat(39))),
            "{text}"
        );
        // what the lines say is what the value holds
        let back: Value = serde_saphyr::from_str(&text).expect("reads back");
        assert_eq!(back, v);
    }

    #[test]
    fn paths_escape_what_is_not_a_name() {
        let k = ObjKey::new("shop", "a/../b c");
        assert_eq!(
            api_path(WorkloadKind::StatefulSet, &k),
            "/apis/apps/v1/namespaces/shop/statefulsets/a%2F..%2Fb%20c"
        );
        assert_eq!(
            api_path(WorkloadKind::Pod, &ObjKey::new("shop", "p")),
            "/api/v1/namespaces/shop/pods/p"
        );
    }
}
