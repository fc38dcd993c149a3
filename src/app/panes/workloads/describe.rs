//! The describe page (`d`): what `kubectl describe` tells an on-call engineer first —
//! the object's summary and owner chain, its status conditions, and its events newest
//! first with repeats folded (`×12 in 5m`) and Warnings highlighted. Pure: the GETs are
//! an [`Effect::FetchDescribe`], the answer an [`crate::app::Event::Described`], and the
//! page is [`page`] of what came back. Shown in the YAML view's frame (scroll, `/`
//! search, `r` refresh, `y` for the YAML, esc closes).

use jiff::Timestamp;
use serde_json::Value;

use crate::app::event::Effect;
use crate::app::state::{FlashLevel, State};
use crate::sources::kube::model::{ApiResource, DescribeMsg, Described, ObjKey};

use super::model::YamlView;

/// How many characters of an annotation's value the page shows.
const ANNOTATION_WIDTH: usize = 80;

fn show(state: &mut State, view: YamlView) -> Vec<Effect> {
    let effect = super::yaml::request(state, &view);
    state.workloads.detail = None;
    state.workloads.yaml = Some(view);
    state.dirty = true;
    vec![effect]
}

/// `d` on the table (a workload row or a pod): the selection's page, asked for.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some((kind, key)) = super::yaml::selected(state) else {
        state.set_flash(FlashLevel::Info, "nothing selected to describe".into());
        return Vec::new();
    };
    show(
        state,
        YamlView {
            kind,
            key,
            loading: true,
            describe: true,
            ..Default::default()
        },
    )
}

/// `d` on a row of any resource (the generic view, a node).
pub fn open_resource(state: &mut State, resource: ApiResource, key: ObjKey) -> Vec<Effect> {
    show(
        state,
        YamlView {
            key,
            resource: Some(resource),
            loading: true,
            describe: true,
            ..Default::default()
        },
    )
}

/// The answer, if the page still shows that object.
pub fn on_msg(state: &mut State, msg: DescribeMsg) -> Vec<Effect> {
    let now = state.now;
    let page_h = YamlView::page(state);
    let Some(view) = state.workloads.yaml.as_mut() else {
        return Vec::new();
    };
    if !view.describe
        || view.kind != msg.kind
        || view.key != msg.key
        || view.resource != msg.resource
    {
        return Vec::new();
    }
    view.loading = false;
    match msg.result {
        Ok(d) => {
            view.error = None;
            let (lines, warnings) = page(&d, now);
            view.lines = lines;
            view.warnings = warnings;
            view.find();
            view.scroll = view.scroll.min(view.max_scroll(page_h));
        }
        Err(e) => view.error = Some(crate::text::sanitize(&e)),
    }
    state.dirty = true;
    Vec::new()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn time(v: &Value) -> Option<Timestamp> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn ago(t: Option<Timestamp>, now: Timestamp) -> String {
    t.map_or("<unknown>".into(), |t| crate::text::age(t, now))
}

fn kind_name(v: &Value) -> String {
    format!("{}/{}", text(&v["kind"]), text(&v["metadata"]["name"]))
}

/// One line per event of a kind (type, reason, message, source), the repeats folded.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedEvent {
    pub warning: bool,
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub from: String,
    pub count: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// The events folded: those alike (type, reason, message, source) are one, their counts
/// added (`series.count`, else `count`, else 1), from the first seen to the last;
/// newest first.
pub fn fold(events: &[Value]) -> Vec<FoldedEvent> {
    let mut out: Vec<FoldedEvent> = Vec::new();
    for e in events {
        let created = time(&e["metadata"]["creationTimestamp"]);
        let event_time = time(&e["eventTime"]);
        let first = time(&e["firstTimestamp"]).or(event_time).or(created);
        let last = time(&e["series"]["lastObservedTime"])
            .or(time(&e["lastTimestamp"]))
            .or(event_time)
            .or(created);
        let count = e["series"]["count"]
            .as_u64()
            .or(e["count"].as_u64())
            .unwrap_or(1)
            .max(1);
        let from = [&e["source"]["component"], &e["reportingComponent"]]
            .into_iter()
            .map(text)
            .find(|s| !s.is_empty())
            .unwrap_or_default()
            .to_owned();
        let kind = text(&e["type"]).to_owned();
        let one = FoldedEvent {
            warning: kind == "Warning",
            kind,
            reason: text(&e["reason"]).to_owned(),
            message: text(&e["message"]).trim().to_owned(),
            from,
            count,
            first,
            last,
        };
        match out.iter_mut().find(|f| {
            f.kind == one.kind
                && f.reason == one.reason
                && f.message == one.message
                && f.from == one.from
        }) {
            Some(f) => {
                f.count += one.count;
                f.first = min_time(f.first, one.first);
                f.last = f.last.max(one.last);
            }
            None => out.push(one),
        }
    }
    out.sort_by(|a, b| b.last.cmp(&a.last).then(b.warning.cmp(&a.warning)));
    out
}

fn min_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `×12 in 5m` for a repeated event, empty for one seen once.
pub fn repeats(e: &FoldedEvent) -> String {
    if e.count <= 1 {
        return String::new();
    }
    match (e.first, e.last) {
        (Some(f), Some(l)) => format!("×{} in {}", e.count, crate::text::age(f, l)),
        _ => format!("×{}", e.count),
    }
}

/// The page: its lines (sanitised) and which of them are Warning events.
pub fn page(d: &Described, now: Timestamp) -> (Vec<String>, Vec<usize>) {
    let mut lines: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let o = &d.object;
    let meta = &o["metadata"];
    let field = |lines: &mut Vec<String>, name: &str, value: &str| {
        lines.push(format!("{:<13}{value}", format!("{name}:")));
    };
    field(&mut lines, "Kind", text(&o["kind"]));
    field(&mut lines, "Name", text(&meta["name"]));
    if !text(&meta["namespace"]).is_empty() {
        field(&mut lines, "Namespace", text(&meta["namespace"]));
    }
    let created = time(&meta["creationTimestamp"]);
    field(
        &mut lines,
        "Created",
        &format!(
            "{} ago ({})",
            ago(created, now),
            text(&meta["creationTimestamp"])
        ),
    );
    for (name, key, trim) in [
        ("Labels", "labels", false),
        ("Annotations", "annotations", true),
    ] {
        let pairs: Vec<String> = meta[key]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        let v = v.replace('\n', " ");
                        if trim && v.chars().count() > ANNOTATION_WIDTH {
                            let cut: String = v.chars().take(ANNOTATION_WIDTH).collect();
                            format!("{k}={cut}…")
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if pairs.is_empty() {
            field(&mut lines, name, "<none>");
        }
        for (i, p) in pairs.iter().enumerate() {
            if i == 0 {
                field(&mut lines, name, p);
            } else {
                // the next pairs under the first one
                lines.push(format!("{:<13}{p}", ""));
            }
        }
    }
    // the owner chain: the object, then each controller up to the top one; an object
    // nothing owns says so (its own name alone would read as its owner)
    let mut chain = vec![kind_name(o)];
    chain.extend(d.owners.iter().map(kind_name));
    let mut owners = chain.join(" → ");
    if let Some(note) = &d.owners_note {
        owners.push_str(&format!(" → ? ({note})"));
    } else if d.owners.is_empty() {
        owners = "<none>".into();
    }
    field(&mut lines, "Owners", &owners);
    if let Some(top) = d.owners.last() {
        field(&mut lines, "Controller", &kind_name(top));
    }

    lines.push(String::new());
    let conditions = o["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if conditions.is_empty() {
        lines.push("Conditions:  <none>".into());
    } else {
        lines.push("Conditions:".into());
        let rows: Vec<[String; 5]> = conditions
            .iter()
            .map(|c| {
                [
                    text(&c["type"]).to_owned(),
                    text(&c["status"]).to_owned(),
                    text(&c["reason"]).to_owned(),
                    time(&c["lastTransitionTime"])
                        .map_or_else(|| "-".into(), |t| crate::text::age(t, now)),
                    text(&c["message"]).replace('\n', " "),
                ]
            })
            .collect();
        table(
            &mut lines,
            ["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"],
            &rows,
        );
    }

    lines.push(String::new());
    let events = fold(&d.events);
    if let Some(note) = &d.events_note {
        lines.push(format!("Events:      cannot list them: {note}"));
    } else if events.is_empty() {
        lines.push("Events:      <none>".into());
    } else {
        let total: u64 = events.iter().map(|e| e.count).sum();
        let warned: u64 = events.iter().filter(|e| e.warning).map(|e| e.count).sum();
        lines.push(format!(
            "Events:      {} ({warned} warning), newest first",
            crate::text::count(total, "event", "events")
        ));
        let rows: Vec<[String; 5]> = events
            .iter()
            .map(|e| {
                [
                    e.kind.clone(),
                    e.reason.clone(),
                    ago(e.last, now),
                    repeats(e),
                    format!("{}{}", e.from, if e.from.is_empty() { "" } else { ": " })
                        + &e.message.replace('\n', " "),
                ]
            })
            .collect();
        let start = lines.len() + 1;
        table(
            &mut lines,
            ["TYPE", "REASON", "LAST", "SEEN", "FROM: MESSAGE"],
            &rows,
        );
        warnings.extend(
            events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.warning)
                .map(|(i, _)| start + i),
        );
    }
    let lines = lines
        .iter()
        .map(|l| crate::text::sanitize(&l.replace('\t', "    ")))
        .collect();
    (lines, warnings)
}

/// A header and rows, columns as wide as their widest cell (the last one not padded).
fn table(lines: &mut Vec<String>, header: [&str; 5], rows: &[[String; 5]]) {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned()
    };
    lines.push(line(header));
    for r in rows {
        lines.push(line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
}

/// `d` on a row of the nodes view: that node's page.
pub fn open_node(state: &mut State, name: &str) -> Vec<Effect> {
    open_resource(state, nodes_resource(), ObjKey::new("", name))
}

/// The node resource (cluster-scoped, core v1).
fn nodes_resource() -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        plural: "nodes".into(),
        singular: "node".into(),
        kind: "Node".into(),
        namespaced: false,
        short_names: vec!["no".into()],
        verbs: vec!["get".into(), "list".into(), "watch".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn alike_events_fold_with_counts_and_series_newest_first() {
        let events = vec![
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting",
                "source": {"component": "kubelet"}, "count": 5,
                "firstTimestamp": "2026-01-01T10:00:00Z", "lastTimestamp": "2026-01-01T10:03:00Z"}),
            json!({"type": "Normal", "reason": "Pulled", "message": "already present",
                "source": {"component": "kubelet"}, "count": 1,
                "firstTimestamp": "2026-01-01T10:04:00Z", "lastTimestamp": "2026-01-01T10:04:00Z"}),
            // the same again in another Event object, and one with a series (events.k8s.io)
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting",
                "source": {"component": "kubelet"}, "count": 2,
                "firstTimestamp": "2026-01-01T10:04:00Z", "lastTimestamp": "2026-01-01T10:05:00Z"}),
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting",
                "reportingComponent": "kubelet", "eventTime": "2026-01-01T09:58:00Z",
                "series": {"count": 5, "lastObservedTime": "2026-01-01T09:59:00Z"}}),
        ];
        let folded = fold(&events);
        assert_eq!(folded.len(), 2, "{folded:?}");
        let b = &folded[0];
        assert_eq!((b.reason.as_str(), b.count), ("BackOff", 12));
        assert_eq!(b.first, Some(ts("2026-01-01T09:58:00Z")));
        assert_eq!(b.last, Some(ts("2026-01-01T10:05:00Z")));
        assert_eq!(repeats(b), "×12 in 7m");
        assert_eq!(folded[1].reason, "Pulled");
        assert_eq!(repeats(&folded[1]), "");
    }

    #[test]
    fn the_page_marks_warnings_and_trims_annotations() {
        let d = Described {
            object: json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "shop",
                "creationTimestamp": "2026-01-01T09:00:00Z",
                "annotations": {"long": "x".repeat(300)}, "labels": {"a": "1", "b": "2"}},
                "status": {"conditions": [{"type": "Ready", "status": "False",
                    "reason": "ContainersNotReady", "lastTransitionTime": "2026-01-01T09:30:00Z",
                    "message": "containers with unready status: [c]"}]}}),
            owners: vec![json!({"kind": "ReplicaSet", "metadata": {"name": "rs"}})],
            owners_note: Some("deployment/d is gone (404)".into()),
            events: vec![
                json!({"type": "Normal", "reason": "Started", "message": "Started container c",
                    "lastTimestamp": "2026-01-01T09:01:00Z"}),
                json!({"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed",
                    "lastTimestamp": "2026-01-01T09:50:00Z"}),
            ],
            events_note: None,
        };
        let (lines, warnings) = page(&d, ts("2026-01-01T10:00:00Z"));
        let text = lines.join("\n");
        assert!(
            text.contains("Owners:      Pod/p → ReplicaSet/rs → ? (deployment/d is gone (404))"),
            "{text}"
        );
        assert!(
            text.contains("Labels:      a=1\n             b=2"),
            "{text}"
        );
        assert!(
            text.contains(&format!("long={}…", "x".repeat(80))),
            "{text}"
        );
        assert!(!text.contains(&"x".repeat(81)), "{text}");
        assert!(
            text.contains("Ready  False   ContainersNotReady  30m"),
            "{text}"
        );
        assert_eq!(warnings.len(), 1);
        assert!(lines[warnings[0]].contains("Unhealthy"), "{text}");
        // newest first: the warning (09:50) above the start (09:01)
        let at = |r: &str| lines.iter().position(|l| l.contains(r)).expect(r);
        assert!(at("Unhealthy") < at("Started"), "{text}");
    }
}
