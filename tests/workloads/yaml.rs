//! The Workloads pane's YAML view (`y`) against the sandbox with the real kube client:
//! `update` asks for the object, the real GET answers, the view shows it without
//! `managedFields`, searches and highlights, refreshes, and never lets hostile bytes of
//! an annotation reach the terminal.

use crate::support;
use crate::support::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::event::Effect;
use flightdeck::app::panes::workloads::{WorkloadRef, table_keys};
use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::object::fetch;
use flightdeck::sources::kube::{ObjKey, ObjectMsg, ObjectRequest, WorkloadKind};
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use support::workloads::{Harness, synced};

const W: u16 = 120;
const H: u16 = 40;

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

fn press(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(s, Event::Key(KeyEvent::new(code, mods)))
}

fn char_key(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c), KeyModifiers::NONE)
}

fn draw(s: &State) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
    t.backend().buffer().clone()
}

fn screen(s: &State) -> String {
    common::cells(&draw(s))
}

async fn listed() -> Harness {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("orders-db", |s| {
        s.cluster.statefulsets.contains_key(&key("orders-db"))
    })
    .await;
    let s = &mut h.state;
    s.size = (W, H);
    s.zoomed = true;
    s.focus = PaneId::Workloads;
    update::settle(s);
    h
}

fn select(s: &mut State, w: &WorkloadRef) {
    let keys = table_keys(s).into_owned();
    let i = keys.iter().position(|x| x == w).expect("row shown");
    s.pane_mut(PaneId::Workloads).selected = i;
    update::settle(s);
}

fn the_fetch(effects: &[Effect]) -> ObjectRequest {
    let found: Vec<&ObjectRequest> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchObject(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one GET asked for: {effects:?}");
    found[0].clone()
}

/// Carries out the effect as the console does: the real GET, its answer into `update`.
async fn answer(h: &mut Harness, req: ObjectRequest) {
    let result = fetch(h.client().await, &req).await;
    let msg = ObjectMsg {
        kind: req.kind,
        key: req.key.clone(),
        resource: req.resource.clone(),
        result,
    };
    update(
        &mut h.state,
        Event::Object {
            generation: req.generation,
            msg,
        },
    );
}

async fn raw(h: &Harness, path: &str) -> serde_json::Value {
    let req = http::Request::get(path).body(Vec::new()).expect("request");
    let text = h.client().await.request_text(req).await.expect("GET");
    serde_json::from_str(&text).expect("json")
}

fn yaml_text(s: &State) -> String {
    s.workloads
        .yaml
        .as_ref()
        .expect("view open")
        .lines
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_shows_a_deployment_and_a_statefulset_without_managed_fields() {
    let mut h = listed().await;
    // the sandbox serves managedFields, as a real API server does
    for path in [
        "/apis/apps/v1/namespaces/shop/deployments/checkout",
        "/apis/apps/v1/namespaces/shop/statefulsets/orders-db",
    ] {
        let obj = raw(&h, path).await;
        assert!(
            obj["metadata"]["managedFields"].is_array(),
            "{path} has managedFields"
        );
    }

    let checkout = WorkloadRef::new(WorkloadKind::Deployment, key("checkout"));
    select(&mut h.state, &checkout);
    let req = the_fetch(&char_key(&mut h.state, 'y'));
    assert_eq!(
        (req.kind, &req.key),
        (WorkloadKind::Deployment, &key("checkout"))
    );
    assert!(screen(&h.state).contains("fetching"));
    answer(&mut h, req).await;
    let text = yaml_text(&h.state);
    assert!(text.contains("kind: Deployment"), "{text}");
    assert!(text.contains("name: checkout"), "{text}");
    assert!(text.contains("replicas:"), "{text}");
    assert!(!text.contains("managedFields"), "{text}");
    assert!(!text.contains("kubectl-client-side-apply"), "{text}");
    let sc = screen(&h.state);
    assert!(sc.contains("YAML ─ deployment/checkout ─ shop"), "{sc}");
    assert!(
        sc.contains(&format!("of {} lines", text.lines().count())),
        "{sc}"
    );

    // esc goes back to the table, with the same row selected
    press(&mut h.state, KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.state.workloads.yaml.is_none());
    assert!(!screen(&h.state).contains("YAML ─"));

    update::run_command(&mut h.state, "sts");
    update::settle(&mut h.state);
    let sts = WorkloadRef::new(WorkloadKind::StatefulSet, key("orders-db"));
    select(&mut h.state, &sts);
    let req = the_fetch(&char_key(&mut h.state, 'y'));
    assert_eq!(req.kind, WorkloadKind::StatefulSet);
    answer(&mut h, req).await;
    let text = yaml_text(&h.state);
    assert!(text.contains("kind: StatefulSet"), "{text}");
    assert!(text.contains("serviceName: orders-db"), "{text}");
    assert!(!text.contains("managedFields"), "{text}");
    assert!(screen(&h.state).contains("YAML ─ statefulset/orders-db ─ shop"));
    // q leaves the view, not the console
    let effects = char_key(&mut h.state, 'q');
    assert!(!effects.contains(&Effect::Quit) && !h.state.quit);
    assert!(h.state.workloads.yaml.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_highlights_and_steps_through_matches() {
    let mut h = listed().await;
    select(
        &mut h.state,
        &WorkloadRef::new(WorkloadKind::Deployment, key("checkout")),
    );
    let req = the_fetch(&char_key(&mut h.state, 'y'));
    answer(&mut h, req).await;
    let lines = h.state.workloads.yaml.as_ref().expect("view").lines.clone();
    assert!(lines.len() > 10, "{lines:?}");
    // scrolling: G to the end, g g to the top, j down one
    char_key(&mut h.state, 'G');
    let end = h.state.workloads.yaml.as_ref().expect("view").scroll;
    assert!(end > 0, "G scrolls when the text is longer than the pane");
    let last = lines.last().expect("a last line").trim().to_owned();
    assert!(screen(&h.state).contains(&last));
    char_key(&mut h.state, 'g');
    char_key(&mut h.state, 'g');
    assert_eq!(h.state.workloads.yaml.as_ref().expect("view").scroll, 0);

    // `/` then the pattern: matches found as typed, case-insensitive
    char_key(&mut h.state, '/');
    for c in "IMAGE".chars() {
        char_key(&mut h.state, c);
    }
    press(&mut h.state, KeyCode::Enter, KeyModifiers::NONE);
    let view = h.state.workloads.yaml.clone().expect("view");
    let expected: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.to_lowercase().contains("image"))
        .map(|(i, _)| i)
        .collect();
    assert!(expected.len() >= 2, "image and imagePullPolicy: {lines:?}");
    assert_eq!(view.matches, expected);
    assert_eq!(view.current, Some(0));
    // the table's filter is untouched: `/` searched the view
    assert!(h.state.pane(PaneId::Workloads).filter.is_empty());

    // highlighted: the cells of "image" on a matching line have the match style
    let buf = draw(&h.state);
    let matched = h.state.theme.matched();
    let text = common::cells(&buf);
    let (row, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("image: "))
        .expect("an image line on screen");
    let col = line
        .chars()
        .collect::<Vec<_>>()
        .windows(5)
        .position(|w| w.iter().collect::<String>() == "image")
        .expect("column");
    let cell = &buf[(col as u16, row as u16)];
    assert!(
        matched.fg.is_none() || cell.fg == matched.fg.expect("fg"),
        "match colour"
    );
    assert!(
        matched.bg.is_none() || cell.bg == matched.bg.expect("bg"),
        "match background"
    );
    assert!(
        matched.fg.is_some() || matched.bg.is_some(),
        "the theme marks matches"
    );
    assert!(
        text.contains(&format!("/IMAGE 1/{}", expected.len())),
        "{text}"
    );

    // n and N step, wrapping
    char_key(&mut h.state, 'n');
    assert_eq!(
        h.state.workloads.yaml.as_ref().expect("view").current,
        Some(1)
    );
    char_key(&mut h.state, 'N');
    char_key(&mut h.state, 'N');
    assert_eq!(
        h.state.workloads.yaml.as_ref().expect("view").current,
        Some(expected.len() - 1)
    );
    assert!(text.contains("/IMAGE"));

    // a pattern nowhere in the text: no match, nothing current
    char_key(&mut h.state, '/');
    press(&mut h.state, KeyCode::Char('u'), KeyModifiers::CONTROL);
    for c in "no-such-text".chars() {
        char_key(&mut h.state, c);
    }
    press(&mut h.state, KeyCode::Enter, KeyModifiers::NONE);
    let view = h.state.workloads.yaml.as_ref().expect("view");
    assert!(view.matches.is_empty() && view.current.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_annotation_bytes_never_reach_the_terminal_and_r_refreshes() {
    let mut h = listed().await;
    select(
        &mut h.state,
        &WorkloadRef::new(WorkloadKind::Deployment, key("cart")),
    );
    let req = the_fetch(&char_key(&mut h.state, 'y'));
    answer(&mut h, req).await;
    assert!(!yaml_text(&h.state).contains("evil"));

    // someone writes an annotation made to attack terminals
    let hostile =
        "x\u{85}\u{9b}31m\u{1b}]52;c;SGk=\u{7}\u{1b}[2Jdone\rover\u{202e}desrever\u{2028}next";
    let patch = serde_json::json!({"metadata": {"annotations": {"evil": hostile}}});
    let req = http::Request::patch("/apis/apps/v1/namespaces/shop/deployments/cart")
        .header("content-type", "application/merge-patch+json")
        .body(serde_json::to_vec(&patch).expect("patch"))
        .expect("request");
    h.client().await.request_text(req).await.expect("patched");

    // r refreshes the view (it does not restart the deployment)
    let effects = char_key(&mut h.state, 'r');
    assert!(
        h.state.overlay == flightdeck::app::state::Overlay::None,
        "no restart dialog"
    );
    let req = the_fetch(&effects);
    answer(&mut h, req).await;
    let text = yaml_text(&h.state);
    assert!(text.contains("evil"), "{text}");
    let sc = screen(&h.state);
    assert!(sc.contains("evil"), "{sc}");
    // the YAML writer escapes C0/C1 controls itself (`\e`, `\x9B`); a bidi override is
    // printable YAML and arrives raw: the sanitiser drops it
    for bad in [
        '\u{1b}', '\u{7}', '\u{85}', '\u{9b}', '\r', '\u{202e}', '\u{2028}',
    ] {
        assert!(!text.contains(bad), "{bad:?} in the view's lines");
        assert!(!sc.contains(bad), "{bad:?} on screen");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emacs_keys_and_a_pod_in_a_pods_list() {
    let mut h = listed().await;
    update::run_command(&mut h.state, "keymap emacs");
    select(
        &mut h.state,
        &WorkloadRef::new(WorkloadKind::Deployment, key("checkout")),
    );
    // into the deployment's pods, then A-y on the first pod
    press(&mut h.state, KeyCode::Char('d'), KeyModifiers::ALT);
    let pod = flightdeck::app::panes::workloads::visible_pods(&h.state)
        .first()
        .map(|p| p.key.clone())
        .expect("a pod");
    let req = the_fetch(&press(&mut h.state, KeyCode::Char('y'), KeyModifiers::ALT));
    assert_eq!((req.kind, &req.key), (WorkloadKind::Pod, &pod));
    answer(&mut h, req).await;
    let text = yaml_text(&h.state);
    assert!(text.contains("kind: Pod"), "{text}");
    assert!(text.contains(&format!("name: {}", pod.name)), "{text}");
    // C-g goes back to the pods list
    press(&mut h.state, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert!(h.state.workloads.yaml.is_none());
    assert!(matches!(
        h.state.workloads.section,
        flightdeck::app::panes::workloads::Section::Pods { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gone_object_says_so() {
    let h = listed().await;
    let req = ObjectRequest {
        generation: h.state.generation,
        kind: WorkloadKind::Deployment,
        key: key("no-such-deployment"),
        resource: None,
    };
    let err = fetch(h.client().await, &req).await.expect_err("404");
    assert!(
        err.contains("deployment/no-such-deployment is gone (404)"),
        "{err}"
    );
}
