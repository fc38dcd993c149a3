//! Just enough of the Kubernetes protobuf encoding for `kubectl create job --from=cronjob/X`,
//! which sends its Job as `application/vnd.kubernetes.protobuf` (kubectl's typed batch
//! client; it does not fall back to JSON). The Job's metadata (name, namespace, labels,
//! annotations, ownerReferences) is decoded from the body; its spec is the owning CronJob's
//! `spec.jobTemplate.spec`, which is exactly what kubectl copies into it. ConfigMaps,
//! Secrets and Namespaces (`kubectl create configmap|secret|namespace`, also protobuf) are
//! decoded whole. Any other
//! protobuf body still gets 415.

use serde_json::{Map, Value, json};

/// The fields of one protobuf message: (field number, value).
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let x = *b.get(*i)?;
        *i += 1;
        v |= u64::from(x & 0x7f) << shift;
        if x & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn fields(b: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i)?;
        let (num, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((num, Field::Varint(varint(b, &mut i)?))),
            1 => i = i.checked_add(8)?,
            2 => {
                let len = usize::try_from(varint(b, &mut i)?).ok()?;
                let end = i.checked_add(len)?;
                out.push((num, Field::Bytes(b.get(i..end)?)));
                i = end;
            }
            5 => i = i.checked_add(4)?,
            _ => return None,
        }
    }
    (i == b.len()).then_some(out)
}

fn string(f: &Field) -> Option<String> {
    match f {
        Field::Bytes(b) => std::str::from_utf8(b).ok().map(String::from),
        Field::Varint(_) => None,
    }
}

fn map_entry(b: &[u8]) -> Option<(String, String)> {
    let mut k = String::new();
    let mut v = String::new();
    for (n, f) in fields(b)? {
        match n {
            1 => k = string(&f)?,
            2 => v = string(&f)?,
            _ => {}
        }
    }
    Some((k, v))
}

fn owner_reference(b: &[u8]) -> Option<Value> {
    let mut o = Map::new();
    for (n, f) in fields(b)? {
        let name = match n {
            1 => "kind",
            3 => "name",
            4 => "uid",
            5 => "apiVersion",
            6 => "controller",
            7 => "blockOwnerDeletion",
            _ => continue,
        };
        let v = match f {
            Field::Varint(x) => json!(x != 0),
            f => json!(string(&f)?),
        };
        o.insert(name.into(), v);
    }
    Some(Value::Object(o))
}

fn object_meta(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut owners = Vec::new();
    for (n, f) in fields(b)? {
        match (n, &f) {
            (1, _) => {
                m.insert("name".into(), json!(string(&f)?));
            }
            (2, _) => {
                m.insert("generateName".into(), json!(string(&f)?));
            }
            (3, _) => {
                m.insert("namespace".into(), json!(string(&f)?));
            }
            (11, Field::Bytes(e)) => {
                let (k, v) = map_entry(e)?;
                labels.insert(k, json!(v));
            }
            (12, Field::Bytes(e)) => {
                let (k, v) = map_entry(e)?;
                annotations.insert(k, json!(v));
            }
            (13, Field::Bytes(e)) => owners.push(owner_reference(e)?),
            _ => {}
        }
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    if !owners.is_empty() {
        m.insert("ownerReferences".into(), json!(owners));
    }
    Some(Value::Object(m))
}

/// The kind and the raw object of a protobuf body (`k8s\0` + runtime.Unknown).
fn unknown(body: &[u8]) -> Option<(String, &[u8])> {
    let unknown = body.strip_prefix(b"k8s\x00")?;
    let mut raw = None;
    let mut kind = String::new();
    for (n, f) in fields(unknown)? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                for (tn, tf) in fields(tm)? {
                    if tn == 2 {
                        kind = string(&tf)?;
                    }
                }
            }
            (2, Field::Bytes(r)) => raw = Some(r),
            _ => {}
        }
    }
    Some((kind, raw?))
}

/// The metadata of a protobuf-encoded Job (`k8s\0` + runtime.Unknown wrapping a batch/v1 Job).
pub fn job_metadata(body: &[u8]) -> Option<Value> {
    let (kind, raw) = unknown(body)?;
    if kind != "Job" {
        return None;
    }
    for (n, f) in fields(raw)? {
        if let (1, Field::Bytes(m)) = (n, f) {
            return object_meta(m);
        }
    }
    None
}

/// Standard base64 with padding (how JSON carries bytes).
fn base64(b: &[u8]) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHA[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A map entry whose value is bytes, the value in base64.
fn bytes_entry(b: &[u8]) -> Option<(String, String)> {
    let mut k = String::new();
    let mut v = String::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, f) => k = string(&f)?,
            (2, Field::Bytes(x)) => v = base64(x),
            _ => {}
        }
    }
    Some((k, v))
}

/// A protobuf-encoded ConfigMap or Secret as JSON (metadata, data, binaryData, type,
/// stringData, immutable), or a Namespace (its metadata); None for any other kind or a
/// malformed body.
pub fn config_object(body: &[u8]) -> Option<Value> {
    let (kind, raw) = unknown(body)?;
    let secret = match kind.as_str() {
        "ConfigMap" | "Namespace" => false,
        "Secret" => true,
        _ => return None,
    };
    let namespace = kind == "Namespace";
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!("v1"));
    o.insert("kind".into(), json!(kind));
    let mut data = Map::new();
    let mut other = Map::new();
    for (n, f) in fields(raw)? {
        match (n, f, secret) {
            (1, Field::Bytes(m), _) => {
                o.insert("metadata".into(), object_meta(m)?);
            }
            // a Namespace's spec (finalizers) and status are the server's to fill in
            _ if namespace => {}
            (2, Field::Bytes(e), false) => {
                let (k, v) = map_entry(e)?;
                data.insert(k, json!(v));
            }
            (2, Field::Bytes(e), true) | (3, Field::Bytes(e), false) => {
                let (k, v) = bytes_entry(e)?;
                if secret {
                    data.insert(k, json!(v));
                } else {
                    other.insert(k, json!(v));
                }
            }
            (3, f, true) => {
                o.insert("type".into(), json!(string(&f)?));
            }
            (4, Field::Bytes(e), true) => {
                let (k, v) = map_entry(e)?;
                other.insert(k, json!(v));
            }
            (4, Field::Varint(x), false) | (5, Field::Varint(x), true) => {
                o.insert("immutable".into(), json!(x != 0));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        o.insert("data".into(), Value::Object(data));
    }
    if !other.is_empty() {
        let name = if secret { "stringData" } else { "binaryData" };
        o.insert(name.into(), Value::Object(other));
    }
    Some(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(num: u64, b: &[u8]) -> Vec<u8> {
        let mut v = vec![((num << 3) | 2) as u8, b.len() as u8];
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn decodes_job_metadata_and_refuses_the_rest() {
        let entry = [
            ld(1, b"cronjob.kubernetes.io/instantiate"),
            ld(2, b"manual"),
        ]
        .concat();
        let owner = [
            ld(1, b"CronJob"),
            ld(3, b"nightly"),
            ld(4, b"u-1"),
            vec![6 << 3, 1],
        ]
        .concat();
        let meta = [
            ld(1, b"manual-1"),
            ld(3, b"shop"),
            ld(12, &entry),
            ld(13, &owner),
        ]
        .concat();
        let job = ld(1, &meta);
        let tm = [ld(1, b"batch/v1"), ld(2, b"Job")].concat();
        let body = [b"k8s\x00".to_vec(), ld(1, &tm), ld(2, &job)].concat();
        let m = job_metadata(&body).unwrap();
        assert_eq!(m["name"], "manual-1");
        assert_eq!(
            m["annotations"]["cronjob.kubernetes.io/instantiate"],
            "manual"
        );
        assert_eq!(m["ownerReferences"][0]["kind"], "CronJob");
        assert_eq!(m["ownerReferences"][0]["controller"], true);
        assert!(job_metadata(b"{\"kind\":\"Job\"}").is_none());
        assert!(job_metadata(&body[..body.len() - 3]).is_none());
        let pod_tm = [ld(1, b"v1"), ld(2, b"Pod")].concat();
        let pod = [b"k8s\x00".to_vec(), ld(1, &pod_tm), ld(2, &job)].concat();
        assert!(job_metadata(&pod).is_none());
    }

    #[test]
    fn decodes_configmaps_and_secrets() {
        let meta = [ld(1, b"flags"), ld(3, b"shop")].concat();
        let entry = [ld(1, b"ONE_CLICK"), ld(2, b"true")].concat();
        let cm = [ld(1, &meta), ld(2, &entry)].concat();
        let tm = [ld(1, b"v1"), ld(2, b"ConfigMap")].concat();
        let body = [b"k8s\x00".to_vec(), ld(1, &tm), ld(2, &cm)].concat();
        let o = config_object(&body).unwrap();
        assert_eq!(o["metadata"]["name"], "flags");
        assert_eq!(o["data"]["ONE_CLICK"], "true");
        let secret = [
            ld(1, &meta),
            ld(2, &[ld(1, b"pw"), ld(2, b"hunter2")].concat()),
            ld(3, b"Opaque"),
        ]
        .concat();
        let tm = [ld(1, b"v1"), ld(2, b"Secret")].concat();
        let body = [b"k8s\x00".to_vec(), ld(1, &tm), ld(2, &secret)].concat();
        let o = config_object(&body).unwrap();
        assert_eq!(o["data"]["pw"], "aHVudGVyMg==");
        assert_eq!(o["type"], "Opaque");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}
