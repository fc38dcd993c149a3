//! The describe page (`d`) against the sandbox with the real kube client: bad-release's
//! crash-looping checkout pod and its deployment show the owner chain, the conditions,
//! and the events folded with their counts, Warnings highlighted; the events shown are
//! those `kubectl get events --field-selector involvedObject.uid=…` lists.

use crate::support;
use crate::support::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::event::Effect;
use flightdeck::app::panes::workloads::{Section, WorkloadRef, table_keys, visible_pods};
use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::model::DescribeMsg;
use flightdeck::sources::kube::object::fetch_described;
use flightdeck::sources::kube::{ObjKey, ObjectRequest, WorkloadKind};
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use support::workloads::{Harness, synced};

const W: u16 = 160;
const H: u16 = 50;

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

fn char_key(s: &mut State, c: char) -> Vec<Effect> {
    update(
        s,
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

fn screen(s: &State) -> String {
    let mut t = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
    common::cells(t.backend().buffer())
}

fn the_fetch(effects: &[Effect]) -> ObjectRequest {
    let found: Vec<&ObjectRequest> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchDescribe(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one describe asked for: {effects:?}");
    found[0].clone()
}

/// Carries out the effect as the console does: the real GETs, the answer into `update`.
async fn answer(h: &mut Harness, req: ObjectRequest) {
    let result = fetch_described(h.client().await, &req).await;
    let msg = DescribeMsg {
        kind: req.kind,
        key: req.key.clone(),
        resource: req.resource.clone(),
        result,
    };
    update(
        &mut h.state,
        Event::Described {
            generation: req.generation,
            msg,
        },
    );
}

fn page(s: &State) -> Vec<String> {
    let view = s.workloads.yaml.as_ref().expect("page open");
    assert!(view.describe, "a describe page");
    assert!(view.error.is_none(), "{:?}", view.error);
    view.lines.clone()
}

/// bad-release, two minutes on: checkout's new pods crash-loop.
async fn crashing() -> Harness {
    let mut h = Harness::start(Scenario::BadRelease, Some("shop")).await;
    h.admin("time/advance?seconds=120", "").await;
    h.until("all kinds listed", synced).await;
    h.drain().await;
    let s = &mut h.state;
    s.size = (W, H);
    s.zoomed = true;
    s.focus = PaneId::Workloads;
    update::settle(s);
    h
}

async fn raw(h: &Harness, path: &str) -> Value {
    let req = http::Request::get(path).body(Vec::new()).expect("request");
    let text = h.client().await.request_text(req).await.expect("GET");
    serde_json::from_str(&text).expect("json")
}

/// The checkout pod with the most repeated BackOff.
async fn backoff_pod(h: &Harness) -> (String, u64) {
    let evs = raw(
        h,
        "/api/v1/namespaces/shop/events?fieldSelector=type%3DWarning",
    )
    .await;
    let e = evs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["reason"] == "BackOff")
        .max_by_key(|e| e["count"].as_u64().unwrap_or(0))
        .unwrap_or_else(|| panic!("no BackOff in {evs}"))
        .clone();
    (
        e["involvedObject"]["name"]
            .as_str()
            .expect("name")
            .to_owned(),
        e["count"].as_u64().expect("count"),
    )
}

fn select_checkout(s: &mut State) {
    let checkout = WorkloadRef::new(WorkloadKind::Deployment, key("checkout"));
    let keys = table_keys(s).into_owned();
    let i = keys.iter().position(|x| *x == checkout).expect("row shown");
    s.pane_mut(PaneId::Workloads).selected = i;
    update::settle(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_pod_shows_its_owners_and_folded_warnings() {
    let mut h = crashing().await;
    let (pod, backoffs) = backoff_pod(&h).await;
    assert!(backoffs > 1, "BackOff repeated: {backoffs}");
    select_checkout(&mut h.state);
    // into the deployment's pods, onto the crash-looping one, then d
    char_key(&mut h.state, 'p');
    assert!(matches!(h.state.workloads.section, Section::Pods { .. }));
    let i = visible_pods(&h.state)
        .iter()
        .position(|p| p.key.name == pod)
        .unwrap_or_else(|| panic!("{pod} listed"));
    h.state.pane_mut(PaneId::Workloads).selected = i;
    update::settle(&mut h.state);
    let req = the_fetch(&char_key(&mut h.state, 'd'));
    assert_eq!((req.kind, &req.key), (WorkloadKind::Pod, &key(&pod)));
    assert!(screen(&h.state).contains("fetching"));
    answer(&mut h, req).await;
    let lines = page(&h.state);
    let text = lines.join("\n");

    // the summary and the owner chain up to the deployment
    assert!(text.contains("Kind:        Pod"), "{text}");
    assert!(text.contains(&format!("Name:        {pod}")), "{text}");
    assert!(text.contains("Namespace:   shop"), "{text}");
    let owners = lines
        .iter()
        .find(|l| l.starts_with("Owners:"))
        .expect("owners line");
    let chain: Vec<&str> = owners["Owners:".len()..]
        .split(" → ")
        .map(|p| p.trim().split('/').next().unwrap_or_default())
        .collect();
    assert_eq!(chain, ["Pod", "ReplicaSet", "Deployment"], "{owners}");
    assert!(owners.ends_with("Deployment/checkout"), "{owners}");
    assert!(text.contains("Controller:  Deployment/checkout"), "{text}");
    // conditions
    assert!(text.contains("Conditions:"), "{text}");
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("Ready ")),
        "{text}"
    );

    // the events: BackOff folded with its count, Unhealthy there, both highlighted
    let backoff = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Warning") && l.contains("BackOff"))
        .unwrap_or_else(|| panic!("a BackOff line:\n{text}"));
    assert!(
        lines[backoff].contains(&format!("×{backoffs} in ")),
        "×{backoffs}: {}",
        lines[backoff]
    );
    let unhealthy = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Warning") && l.contains("Unhealthy"))
        .unwrap_or_else(|| panic!("an Unhealthy line:\n{text}"));
    let view = h.state.workloads.yaml.as_ref().expect("view");
    assert!(view.warnings.contains(&backoff), "{:?}", view.warnings);
    assert!(view.warnings.contains(&unhealthy), "{:?}", view.warnings);
    // no Normal line is highlighted
    for &w in &view.warnings {
        assert!(lines[w].trim_start().starts_with("Warning"), "{}", lines[w]);
    }
    let shown = screen(&h.state);
    assert!(shown.contains(&format!("Describe ─ pod/{pod}")), "{shown}");
    assert!(shown.contains("BackOff"), "{shown}");

    // the same events kubectl lists for the pod's uid: each reason, and its count
    let Some(bin) = support::tools::require("kubectl") else {
        return;
    };
    let uid = raw(&h, &format!("/api/v1/namespaces/shop/pods/{pod}")).await["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::ops_kinds::kubectl(
        &bin,
        &h.sb,
        dir.path(),
        &[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            &format!("involvedObject.uid={uid}"),
            "-o",
            "json",
        ],
    )
    .await;
    let oracle: Value = serde_json::from_str(&out).expect("kubectl json");
    let items = oracle["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{oracle}");
    let mut want: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for e in items {
        *want
            .entry((
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["reason"].as_str().unwrap_or_default().to_owned(),
            ))
            .or_default() += e["count"].as_u64().unwrap_or(1);
    }
    let start = lines
        .iter()
        .position(|l| l.starts_with("Events:"))
        .expect("events header")
        + 2;
    let mut got: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for l in &lines[start..] {
        let cells: Vec<&str> = l.split_whitespace().collect();
        let count = l
            .split('×')
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        *got.entry((cells[0].to_owned(), cells[1].to_owned()))
            .or_default() += count;
    }
    assert_eq!(got, want, "page:\n{text}\nkubectl:\n{out}");
    // newest first
    let total: u64 = want.values().sum();
    assert!(
        lines[start - 2].contains(&format!("{total} events")),
        "{}",
        lines[start - 2]
    );

    // esc closes it, back on the pods list
    update(
        &mut h.state,
        Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    assert!(h.state.workloads.yaml.is_none());
    assert!(matches!(h.state.workloads.section, Section::Pods { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_shows_its_conditions_and_scaling_events() {
    let mut h = crashing().await;
    select_checkout(&mut h.state);
    let req = the_fetch(&char_key(&mut h.state, 'd'));
    assert_eq!(
        (req.kind, &req.key),
        (WorkloadKind::Deployment, &key("checkout"))
    );
    answer(&mut h, req).await;
    let lines = page(&h.state);
    let text = lines.join("\n");
    assert!(text.contains("Kind:        Deployment"), "{text}");
    // a deployment has no owner, and the page says so (not its own name as an owner)
    assert!(lines.iter().any(|l| l == "Owners:      <none>"), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("Progressing")
                || l.trim_start().starts_with("Available")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("Normal") && l.contains("ScalingReplicaSet")),
        "{text}"
    );
    // y turns it into the YAML, d back into the page
    let effects = char_key(&mut h.state, 'y');
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::FetchObject(r) if r.key == key("checkout"))),
        "{effects:?}"
    );
    assert!(!h.state.workloads.yaml.as_ref().expect("view").describe);
    let req = the_fetch(&char_key(&mut h.state, 'd'));
    assert_eq!(req.key, key("checkout"));
}
