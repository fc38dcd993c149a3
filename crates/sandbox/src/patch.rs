//! Strategic merge patch, for the fields the sandbox's kinds have: a merge patch, except that
//! lists with a merge key (containers by name, ports by containerPort, ...) are merged item by
//! item, and the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList`
//! directives are understood.

use serde_json::{Map, Value};

fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ownerReferences" => "uid",
        "podIPs" | "hostIPs" => "ip",
        "ports" => "containerPort",
        _ => return None,
    })
}

pub fn strategic_merge(target: &mut Value, patch: &Value) {
    merge_obj(target, patch);
}

fn merge_obj(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut m = p.clone();
        m.remove("$patch");
        *target = Value::Object(m);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(cur)), Value::Array(del)) = (t.get_mut(field), v) {
                cur.retain(|x| !del.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (t.get_mut(k), v) {
            (Some(cur @ Value::Array(_)), Value::Array(items)) if merge_key(k).is_some() => {
                let key = merge_key(k).unwrap_or("name");
                merge_list(cur, items, key);
            }
            (Some(cur @ Value::Object(_)), Value::Object(_)) => merge_obj(cur, v),
            _ => {
                let mut nv = v.clone();
                strip_directives(&mut nv);
                t.insert(k.clone(), nv);
            }
        }
    }
}

fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            for x in m.values_mut() {
                strip_directives(x);
            }
        }
        Value::Array(a) => {
            a.retain(|x| x.get("$patch").and_then(Value::as_str) != Some("delete"));
            for x in a {
                strip_directives(x);
            }
        }
        _ => {}
    }
}

fn merge_list(cur: &mut Value, items: &[Value], key: &str) {
    let Value::Array(list) = cur else { return };
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        let mut nl: Vec<Value> = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        for x in nl.iter_mut() {
            strip_directives(x);
        }
        *list = nl;
        return;
    }
    for item in items {
        let Some(kv) = item.get(key) else {
            list.push(item.clone());
            continue;
        };
        let pos = list.iter().position(|x| x.get(key) == Some(kv));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                list.remove(i);
            }
            (Some(i), false) => merge_obj(&mut list[i], item),
            (None, true) => {}
            (None, false) => {
                let mut nv = item.clone();
                strip_directives(&mut nv);
                list.push(nv);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_merge_by_name() {
        let mut t = json!({"spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}});
        strategic_merge(
            &mut t,
            &json!({"spec": {"containers": [{"name": "b", "image": "b:2"}]}}),
        );
        assert_eq!(t["spec"]["containers"][0]["image"], "a:1");
        assert_eq!(t["spec"]["containers"][1]["image"], "b:2");
        strategic_merge(
            &mut t,
            &json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
        );
        assert_eq!(t["spec"]["containers"].as_array().map(Vec::len), Some(1));
    }
}
