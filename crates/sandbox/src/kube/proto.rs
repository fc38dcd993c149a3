//! Just enough of the Kubernetes protobuf encoding for `kubectl create job --from=cronjob/X`,
//! which sends its Job as `application/vnd.kubernetes.protobuf` (kubectl's typed batch
//! client; it does not fall back to JSON). The Job's metadata (name, namespace, labels,
//! annotations, ownerReferences) is decoded from the body; its spec is the owning CronJob's
//! `spec.jobTemplate.spec`, which is exactly what kubectl copies into it. Any other
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

/// The metadata of a protobuf-encoded Job (`k8s\0` + runtime.Unknown wrapping a batch/v1 Job).
pub fn job_metadata(body: &[u8]) -> Option<Value> {
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
    if kind != "Job" {
        return None;
    }
    for (n, f) in fields(raw?)? {
        if let (1, Field::Bytes(m)) = (n, f) {
            return object_meta(m);
        }
    }
    None
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
}
