//! Label and field selectors, query-string decoding, continue tokens.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::store::Obj;

pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    if let Some(q) = q {
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            m.insert(pct_decode(k), pct_decode(v));
        }
    }
    m
}

#[derive(Debug, Clone, PartialEq)]
pub enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Split on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 316
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

pub fn parse_labels(s: &str) -> Result<Vec<Req>, String> {
    let mut out = Vec::new();
    for part in split_top(s) {
        let req = if let Some((k, v)) = part.split_once("!=") {
            Req::Ne(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once("==") {
            Req::Eq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once('=') {
            Req::Eq(k.trim().into(), v.trim().into())
        } else if let Some(k) = part.strip_prefix('!') {
            Req::NotExists(k.trim().into())
        } else if let Some(idx) = part.find(" notin ").or_else(|| part.find(" notin(")) {
            let k = part[..idx].trim().to_string();
            Req::NotIn(k, set_values(&part[idx + 6..])?)
        } else if let Some(idx) = part.find(" in ").or_else(|| part.find(" in(")) {
            let k = part[..idx].trim().to_string();
            Req::In(k, set_values(&part[idx + 3..])?)
        } else {
            Req::Exists(part.trim().into())
        };
        let key = match &req {
            Req::Eq(k, _)
            | Req::Ne(k, _)
            | Req::In(k, _)
            | Req::NotIn(k, _)
            | Req::Exists(k)
            | Req::NotExists(k) => k,
        };
        if !valid_key(key) {
            return Err(format!(
                "unable to parse requirement: invalid label key \"{key}\""
            ));
        }
        out.push(req);
    }
    Ok(out)
}

fn set_values(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .ok_or_else(|| format!("unable to parse requirement: found '{s}', expected: '('"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

pub fn label_match(reqs: &[Req], obj: &Obj) -> bool {
    let get = |k: &str| obj.label(k);
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k) == Some(v.as_str()),
        Req::Ne(k, v) => get(k) != Some(v.as_str()),
        Req::In(k, vs) => get(k).map(|x| vs.iter().any(|v| v == x)).unwrap_or(false),
        Req::NotIn(k, vs) => get(k).map(|x| !vs.iter().any(|v| v == x)).unwrap_or(true),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

/// Field selectors: (path, wanted, equal?)
pub fn parse_fields(s: &str, kind_fields: &[&str]) -> Result<Vec<(String, String, bool)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v, eq) = if let Some((k, v)) = part.split_once("!=") {
            (k, v, false)
        } else if let Some((k, v)) = part.split_once("==") {
            (k, v, true)
        } else if let Some((k, v)) = part.split_once('=') {
            (k, v, true)
        } else {
            return Err(format!(
                "invalid selector: '{part}'; can't understand '{part}'"
            ));
        };
        let k = k.trim();
        if !kind_fields.contains(&k) {
            return Err(format!("field label not supported: {k}"));
        }
        out.push((k.to_string(), v.trim().to_string(), eq));
    }
    Ok(out)
}

pub fn field_match(sel: &[(String, String, bool)], obj: &Obj) -> bool {
    sel.iter().all(|(k, v, eq)| (obj.field(k) == *v) == *eq)
}

/// Where a paged list goes on: after the object `ns/name`, with `served` items of the list
/// already sent (for `remainingItemCount` without counting the rest on every page).
pub fn encode_continue(ns: &str, name: &str, served: usize) -> String {
    let raw = format!("{ns}\u{0}{name}\u{0}{served}");
    let mut out = String::with_capacity(raw.len() * 2);
    for b in raw.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The key after which a list goes on, and how many items were sent before.
pub fn decode_continue(tok: &str) -> Option<((String, String), usize)> {
    if !tok.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..tok.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(tok.get(i..i + 2)?, 16).ok())
        .collect();
    let s = String::from_utf8(bytes?).ok()?;
    let (a, rest) = s.split_once('\u{0}')?;
    let (b, served) = rest.split_once('\u{0}')?;
    Some(((a.to_string(), b.to_string()), served.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors() {
        let o = Obj::from_value(
            &json!({"metadata": {"labels": {"app": "checkout", "tier": "web"}}}),
            1,
        );
        assert!(label_match(&parse_labels("app=checkout").unwrap(), &o));
        assert!(label_match(
            &parse_labels("app in (cart,checkout),tier").unwrap(),
            &o
        ));
        assert!(!label_match(
            &parse_labels("app notin (checkout)").unwrap(),
            &o
        ));
        assert!(label_match(&parse_labels("!missing,tier!=db").unwrap(), &o));
        assert_eq!(pct_decode("app%3Dcheckout%2Cx+y"), "app=checkout,x y");
        let t = encode_continue("ns", "n", 500);
        assert_eq!(decode_continue(&t), Some((("ns".into(), "n".into()), 500)));
    }
}
