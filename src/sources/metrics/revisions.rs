//! Per-revision numbers in Prometheus API mode: one query for every service's requests per
//! value of `[metrics] revision_label`, and its answer folded into revision points.

use std::collections::BTreeMap;

use super::series::{Series, point_problem};
use super::{RevisionLabel, RevisionPoint, StatusLabel};

/// The label the per-revision query puts on the 5xx share of each revision's requests.
pub const CLASS_LABEL: &str = "flightdeck_class";
/// The label it joins the status and `code` labels into, to tell 5xx apart as direct mode
/// does (the status label, else `code`).
const STATUS_JOIN_LABEL: &str = "flightdeck_status";

/// One query for every service's requests per revision: per (service, revision) two
/// series, the 5xx requests' rate (`flightdeck_class="5xx"`) and the rest's (no such
/// label), so ratio and rate come from one round trip. A request is 5xx when its status
/// label is `5..`, or when it has none and its `code` is (as in direct mode); the rate
/// window is `[metrics] window`, as in the templates.
pub fn revision_query(
    services: &[String],
    status_label: &StatusLabel,
    revision_label: &RevisionLabel,
    window: &str,
) -> String {
    revision_query_in(services, status_label, revision_label, window, "")
}

/// [`revision_query`] with more matchers in its selector (`,namespace="shop"`: an
/// environment's, `Queries::extra_matchers`).
pub fn revision_query_in(
    services: &[String],
    status_label: &StatusLabel,
    revision_label: &RevisionLabel,
    window: &str,
    extra_matchers: &str,
) -> String {
    let alternatives: Vec<String> = services.iter().map(|s| regex_quote(s)).collect();
    let selector = promql_quote(&alternatives.join("|"));
    let status = promql_quote(&status_label.0);
    let revision = &revision_label.0;
    format!(
        r#"sum by (service, {revision}, {CLASS_LABEL}) (label_replace(label_join(rate(http_requests_total{{service=~"{selector}",{revision}!=""{extra_matchers}}}[{window}]), "{STATUS_JOIN_LABEL}", ",", "{status}", "code"), "{CLASS_LABEL}", "5xx", "{STATUS_JOIN_LABEL}", "5..,.*|,5.."))"#
    )
}

/// `s` as an RE2 literal.
fn regex_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` inside a PromQL double-quoted string.
fn promql_quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Folds the per-revision query's series into revision points per service, by time then
/// revision. A revision without traffic at a time (rate 0, or no series) has no point
/// then; one whose numbers cannot be right ([`point_problem`]) has none either.
pub fn revision_points(
    series: Vec<Series>,
    revision_label: &RevisionLabel,
) -> BTreeMap<String, Vec<RevisionPoint>> {
    // (service, revision) → time → (5xx rate, other rate)
    type Rates = BTreeMap<i64, (Option<f64>, Option<f64>)>;
    let mut by_key: BTreeMap<(String, String), Rates> = BTreeMap::new();
    for s in series {
        let (Some(service), Some(revision)) = (
            s.metric.get("service"),
            s.metric.get(&revision_label.0).filter(|r| !r.is_empty()),
        ) else {
            continue;
        };
        let is_5xx = s.metric.get(CLASS_LABEL).is_some_and(|c| c == "5xx");
        let rates = by_key
            .entry((service.clone(), revision.clone()))
            .or_default();
        for (at_ms, value) in s.values {
            let slot = rates.entry(at_ms).or_default();
            if is_5xx {
                slot.0 = Some(value);
            } else {
                slot.1 = Some(value);
            }
        }
    }
    let mut out: BTreeMap<String, Vec<RevisionPoint>> = BTreeMap::new();
    for ((service, revision), rates) in by_key {
        let points = out.entry(service).or_default();
        for (at_ms, (errors, rest)) in rates {
            let errors = errors.unwrap_or(0.0);
            let rate = errors + rest.unwrap_or(0.0);
            let ratio = errors / rate;
            if point_problem(Some(ratio), Some(rate)).is_some() || rate <= 0.0 {
                continue;
            }
            points.push(RevisionPoint {
                revision: revision.clone(),
                at_ms,
                error_ratio: ratio,
                request_rate: rate,
            });
        }
    }
    for points in out.values_mut() {
        points.sort_by(|a, b| {
            a.at_ms
                .cmp(&b.at_ms)
                .then_with(|| a.revision.cmp(&b.revision))
        });
    }
    out.retain(|_, points| !points.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_quoted_for_the_regex_and_the_string() {
        let q = revision_query(
            &["checkout".into(), r#"a.b"c"#.into()],
            &StatusLabel::default(),
            &RevisionLabel::default(),
            "90s",
        );
        assert!(q.contains(r#"service=~"checkout|a\\.b\"c""#), "{q}");
        assert!(q.contains(r#"!=""}[90s])"#), "the rate window: {q}");
        assert!(
            q.starts_with("sum by (service, rollouts_pod_template_hash, flightdeck_class) "),
            "{q}"
        );
        assert!(q.contains(r#"rollouts_pod_template_hash!="""#), "{q}");
        assert!(q.contains(r#""status", "code""#), "{q}");
    }

    fn series(revision: &str, class: Option<&str>, values: &[(i64, f64)]) -> Series {
        let mut metric = BTreeMap::from([
            ("service".to_owned(), "checkout".to_owned()),
            ("rollouts_pod_template_hash".to_owned(), revision.to_owned()),
        ]);
        if let Some(c) = class {
            metric.insert(CLASS_LABEL.to_owned(), c.to_owned());
        }
        Series {
            metric,
            values: values.to_vec(),
        }
    }

    #[test]
    fn errors_and_the_rest_make_one_point_no_traffic_none() {
        let out = revision_points(
            vec![
                series("a", Some("5xx"), &[(1000, 1.0), (2000, 0.0)]),
                series("a", None, &[(1000, 9.0), (2000, 0.0)]),
                // only 5xx: every request failed
                series("b", Some("5xx"), &[(1000, 2.0)]),
                // a NaN rate: no point
                series("c", None, &[(1000, f64::NAN)]),
            ],
            &RevisionLabel::default(),
        );
        let points = &out["checkout"];
        let got: Vec<(&str, i64, f64, f64)> = points
            .iter()
            .map(|p| (p.revision.as_str(), p.at_ms, p.error_ratio, p.request_rate))
            .collect();
        assert_eq!(got, [("a", 1000, 0.1, 10.0), ("b", 1000, 1.0, 2.0)]);
    }
}
