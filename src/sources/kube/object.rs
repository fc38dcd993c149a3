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

/// What the request names (`deployment/checkout`) and its API path.
fn target(req: &ObjectRequest) -> (String, String) {
    match &req.resource {
        Some(r) => (
            format!("{}/{}", r.singular, req.key.name),
            r.object_path(&req.key.namespace, &req.key.name),
        ),
        None => (
            format!("{}/{}", req.kind.resource(), req.key.name),
            api_path(req.kind, &req.key),
        ),
    }
}

/// One GET of `path` as JSON, bounded by [`GET_TIMEOUT`]; errors are one redacted line.
async fn get_json(client: &kube::Client, what: &str, path: String) -> Result<Value, String> {
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
        Ok(Err(e)) => return Err(describe(what, &e)),
        Ok(Ok(t)) => t,
    };
    serde_json::from_str(&text).map_err(|e| format!("{what}: the API's answer is not JSON ({e})"))
}

/// GETs the object and returns its YAML lines; errors are one redacted line.
pub async fn fetch(client: kube::Client, req: &ObjectRequest) -> Result<Vec<String>, String> {
    let (what, path) = target(req);
    let mut value = get_json(&client, &what, path).await?;
    prepare(&mut value);
    to_yaml_lines(&value).map_err(|e| format!("{what}: {e}"))
}

/// How many owners the describe page follows up (a chain is Pod → ReplicaSet →
/// Deployment, or Pod → Job → CronJob; this bounds a cycle or a very long one).
pub const MAX_OWNERS: usize = 6;

/// How many events the describe page asks for (the newest are kept by the page).
pub const EVENTS_LIMIT: usize = 500;

/// The object, its owner chain (each owner's controller reference followed by GET, in
/// the object's namespace) and its events (`fieldSelector=involvedObject.uid=…`). Only a
/// failure to read the object itself is an error; an owner or the events that cannot be
/// read are noted on the page.
pub async fn fetch_described(
    client: kube::Client,
    req: &ObjectRequest,
) -> Result<Box<super::model::Described>, String> {
    let (what, path) = target(req);
    let mut object = get_json(&client, &what, path).await?;
    prepare(&mut object);
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut owners = Vec::new();
    let mut owners_note = None;
    let mut current = object.clone();
    while owners.len() < MAX_OWNERS {
        let Some(owner) = controller_of(&current) else {
            break;
        };
        let Some(path) = owner_path(&owner, &namespace) else {
            owners_note = Some(format!(
                "{}/{}: not followed (no apiVersion)",
                owner.kind, owner.name
            ));
            break;
        };
        let owner_what = format!("{}/{}", owner.kind.to_lowercase(), owner.name);
        match get_json(&client, &owner_what, path).await {
            Ok(v) => {
                current = v.clone();
                owners.push(v);
            }
            Err(e) => {
                owners_note = Some(e);
                break;
            }
        }
    }
    let (events, events_note) = match object["metadata"]["uid"].as_str() {
        Some(uid) => {
            let path = events_path(&namespace, uid);
            match get_json(&client, "events", path).await {
                Ok(v) => (v["items"].as_array().cloned().unwrap_or_default(), None),
                Err(e) => (Vec::new(), Some(e)),
            }
        }
        None => (Vec::new(), Some("the object has no uid".into())),
    };
    Ok(Box::new(super::model::Described {
        object,
        owners,
        owners_note,
        events,
        events_note,
    }))
}

/// The owner an object's ownerReferences name as its controller (else the first one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

pub fn controller_of(obj: &Value) -> Option<OwnerRef> {
    let refs = obj["metadata"]["ownerReferences"].as_array()?;
    let r = refs
        .iter()
        .find(|r| r["controller"].as_bool() == Some(true))
        .or_else(|| refs.first())?;
    Some(OwnerRef {
        api_version: r["apiVersion"].as_str().unwrap_or_default().to_owned(),
        kind: r["kind"].as_str()?.to_owned(),
        name: r["name"].as_str()?.to_owned(),
    })
}

/// The owner's path: its apiVersion's group, its kind as a plural (lower case and an
/// `s`, as every controller kind is named), in the namespace of what it owns (owners
/// are in the same namespace, or cluster-scoped when it has none).
pub fn owner_path(owner: &OwnerRef, namespace: &str) -> Option<String> {
    if owner.api_version.is_empty() {
        return None;
    }
    let prefix = if owner.api_version.contains('/') {
        format!("/apis/{}", owner.api_version)
    } else {
        format!("/api/{}", owner.api_version)
    };
    let plural = format!("{}s", owner.kind.to_lowercase());
    Some(if namespace.is_empty() {
        format!("{prefix}/{}/{}", segment(&plural), segment(&owner.name))
    } else {
        format!(
            "{prefix}/namespaces/{}/{}/{}",
            segment(namespace),
            segment(&plural),
            segment(&owner.name)
        )
    })
}

/// The events about the object with this uid: in its namespace, or all namespaces for a
/// cluster-scoped object (a node's events are in `default`).
pub fn events_path(namespace: &str, uid: &str) -> String {
    let selector = segment(&format!("involvedObject.uid={uid}"));
    if namespace.is_empty() {
        format!("/api/v1/events?fieldSelector={selector}&limit={EVENTS_LIMIT}")
    } else {
        format!(
            "/api/v1/namespaces/{}/events?fieldSelector={selector}&limit={EVENTS_LIMIT}",
            segment(namespace)
        )
    }
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
