//! Delete (`D`) and edit (`e`) of any resource's row in the generic view, against twin
//! sandboxes with the real kubectl as the oracle: the row names its object fully (group,
//! version, plural, kind, namespace, name, and the uid and resourceVersion it was listed
//! with), the confirmed delete and the edit leave what `kubectl delete` and `kubectl
//! edit` leave, both audited. The workload-only keys, and a verb the resource does not
//! serve, are refused with a message that says so; read-only refuses in the executor.

use std::path::Path;

use crate::support;
use crate::support::common;

use super::generic::{Console, kubectl, services_fixture, start};
use flightdeck::app::{Effect, Event, update};
use flightdeck::ops::{ObjectRef, Operation, Propagation};
use flightdeck::pane::PaneId;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams};
use support::ops::executor;
use support::ops_kinds::audit_lines;
use support::workloads::kube_client;

/// The cursor on the row of `name`.
fn select(c: &mut Console, name: &str) {
    flightdeck::app::update::settle(&mut c.state);
    let g = c
        .state
        .workloads
        .generic
        .as_ref()
        .expect("the generic view");
    let i = g
        .shown
        .iter()
        .position(|&i| g.rows[i].name == name)
        .unwrap_or_else(|| panic!("no row {name}"));
    c.state.pane_mut(PaneId::Workloads).selected = i;
}

async fn configmaps(
    c: &kube::Client,
) -> Vec<(String, Option<std::collections::BTreeMap<String, String>>)> {
    let mut v: Vec<_> = Api::<ConfigMap>::namespaced(c.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| (o.metadata.name.unwrap_or_default(), o.data))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_edit_of_a_generic_row_equal_kubectl() {
    let Some(bin) = support::tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (kube_client(&ours).await, kube_client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&co, &audit, false);

    let mut c = Console::start(&ours);
    c.until("discovery", |s| s.resources.resolve("cm").is_some())
        .await;
    c.keys("cm");
    c.until("configmaps listed", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.listed && g.rows.iter().any(|r| r.name == "checkout-config"))
    })
    .await;

    // D: the row's object, named as the server listed it
    select(&mut c, "checkout-config");
    let stored = Api::<ConfigMap>::namespaced(co.clone(), "shop")
        .get("checkout-config")
        .await
        .unwrap();
    let effects = common::keys(&mut c.state, "D");
    let want = ObjectRef {
        group: String::new(),
        version: "v1".into(),
        plural: "configmaps".into(),
        kind: "ConfigMap".into(),
        namespace: "shop".into(),
        name: "checkout-config".into(),
        uid: stored.metadata.uid.clone(),
        resource_version: stored.metadata.resource_version.clone(),
    };
    let planned = effects
        .iter()
        .find_map(|e| match e {
            Effect::PlanOperation(o) => Some(o.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("D plans a delete: {effects:?}"));
    match &planned {
        Operation::Delete {
            object,
            propagation,
            ..
        } => {
            assert_eq!(*object, want);
            assert_eq!(*propagation, Propagation::Background);
        }
        other => panic!("{other:?}"),
    }
    let plan = ex.plan(planned).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert_eq!(plan.title, "Delete ConfigMap checkout-config");
    assert!(
        plan.notes
            .iter()
            .any(|n| n == flightdeck::ops::NOTHING_RECREATES),
        "{plan:?}"
    );
    // the confirmation shows it, and `y` carries out the planned (preconditioned) delete
    let shown = update(&mut c.state, Event::OpPlanned(Ok(Box::new(plan.clone()))));
    assert!(shown.is_empty(), "{shown:?}");
    let fired = common::keys(&mut c.state, "y");
    let Some(Effect::Operation { op, before, after }) = fired.first() else {
        panic!("y fires the delete: {fired:?}");
    };
    assert_eq!(*op, plan.op);
    let out = ex.execute(op, before, after).await;
    assert!(out.ok, "{out:?}");
    update(&mut c.state, Event::OpResult(Box::new(out)));
    kubectl(
        &bin,
        &theirs,
        dir.path(),
        &["delete", "configmap", "checkout-config", "-n", "shop"],
    )
    .await;
    assert_eq!(configmaps(&co).await, configmaps(&ct).await);
    assert!(
        !configmaps(&co)
            .await
            .iter()
            .any(|(n, _)| n == "checkout-config")
    );
    // and the view drops the row through its watch
    c.until("the row gone", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| !g.rows.iter().any(|r| r.name == "checkout-config"))
    })
    .await;

    // a delete confirmed on an object deleted and created again since is refused
    let again = ex
        .plan(Operation::Delete {
            context: "sandbox".into(),
            object: ObjectRef {
                name: "frontend-nginx".into(),
                uid: Some("not-its-uid".into()),
                ..want.clone()
            },
            propagation: Propagation::Background,
        })
        .await;
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.contains("deleted and created again")),
        "{again:?}"
    );

    // e: the same object to the editor; the edit equals kubectl edit's
    select(&mut c, "frontend-nginx");
    let effects = common::keys(&mut c.state, "e");
    let object = effects
        .iter()
        .find_map(|e| match e {
            Effect::Edit { object, .. } => Some(object.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("e edits: {effects:?}"));
    assert_eq!(object.plural, "configmaps");
    assert_eq!(object.name, "frontend-nginx");
    assert!(object.uid.is_some() && object.resource_version.is_some());
    let script = dir.path().join("editor.sh");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(
            &script,
            "#!/bin/sh\nsed -i 's/listen 8080;/listen 9090;/' \"$1\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let editor = script.display().to_string();
    let out = ex
        .edit("sandbox", &object, &mut |p: &Path| {
            flightdeck::ops::edit::run_editor(&editor, p)
        })
        .await;
    assert!(out.ok, "{out:?}");
    let kc = dir.path().join("kubeconfig-edit");
    std::fs::write(&kc, theirs.kubeconfig_yaml()).unwrap();
    let kout = tokio::process::Command::new(&bin)
        .arg("--kubeconfig")
        .arg(&kc)
        .args([
            "edit",
            "--validate=false",
            "configmap",
            "frontend-nginx",
            "-n",
            "shop",
        ])
        .env("EDITOR", &script)
        .env_remove("KUBE_EDITOR")
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        kout.status.success(),
        "{}",
        String::from_utf8_lossy(&kout.stderr)
    );
    let ours_now = configmaps(&co).await;
    assert_eq!(ours_now, configmaps(&ct).await);
    let nginx = ours_now
        .iter()
        .find(|(n, _)| n == "frontend-nginx")
        .and_then(|(_, d)| d.as_ref())
        .and_then(|d| d.get("nginx.conf"))
        .cloned()
        .unwrap_or_default();
    assert!(nginx.contains("listen 9090;"), "{nginx}");

    // both in the audit log, naming the object
    let lines = audit_lines(&audit);
    for (op, name) in [("delete", "checkout-config"), ("edit", "frontend-nginx")] {
        assert!(
            lines.iter().any(|l| l["operation"] == op
                && l["object"] == format!("configmap/{name}").as_str()
                && l["phase"] == "outcome"
                && l["status"] == "ok"),
            "{op} {name}: {lines:?}"
        );
    }
}

/// The workload-only keys say they are not operations on the resource shown; a verb the
/// resource does not serve is refused before anything is asked; read-only records the
/// refusal of the row's delete.
#[test]
fn the_generic_view_refuses_what_it_cannot_do_and_says_why() {
    // the fixture's services serve list and watch only
    let mut s = services_fixture(Some("shop"));
    let effects = common::keys(&mut s, "D");
    assert!(effects.is_empty(), "{effects:?}");
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(
        flash,
        "delete: the server does not allow delete on services"
    );
    for (key, verb) in [("s", "scale"), ("R", "rollback")] {
        let effects = common::keys(&mut s, key);
        assert!(effects.is_empty(), "{key}: {effects:?}");
        let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(
            flash.starts_with(verb)
                && flash.contains("not an operation on services; D deletes, e edits"),
            "{key}: {flash}"
        );
    }
    // with the verb served: the delete is planned, and read-only records its refusal
    if let Some(g) = s.workloads.generic.as_mut() {
        g.resource.verbs.push("delete".into());
    }
    let effects = common::keys(&mut s, "D");
    assert!(
        matches!(&effects[..], [Effect::PlanOperation(Operation::Delete { object, .. })]
            if object.name == "cart" && object.uid.as_deref() == Some("shop-cart")),
        "{effects:?}"
    );
    common::keys(&mut s, "esc");
    s.scope.read_only = true;
    let effects = common::keys(&mut s, "D");
    assert!(
        matches!(&effects[..], [Effect::RecordRefusal(p)]
            if matches!(&p.op, Operation::Delete { object, .. } if object.name == "cart")),
        "{effects:?}"
    );
}

fn key(s: &mut flightdeck::app::state::State, code: crossterm::event::KeyCode) -> Vec<Effect> {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let e = update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    flightdeck::app::update::settle(s);
    e
}

fn shown(s: &flightdeck::app::state::State) -> Vec<String> {
    let g = s.workloads.generic.as_ref().expect("the generic view");
    g.shown
        .iter()
        .map(|&i| format!("{}/{}", g.rows[i].namespace, g.rows[i].name))
        .collect()
}

fn screen(s: &flightdeck::app::state::State) -> String {
    let mut s = s.clone();
    s.size = (140, 40);
    common::text(&common::render(&mut s, 140, 40))
}

/// `o` lists the server's columns; a pick sorts by that column's cells (stably: equal
/// cells keep namespace, name), `O` reverses, the header carries ▲/▼ and the cursor
/// stays on its row. `space` marks rows (the count in the title) and `D` deletes every
/// marked row in one confirmation; `esc` clears the marks.
#[test]
fn the_generic_view_sorts_by_any_column_and_deletes_marked_rows_in_one_batch() {
    use crossterm::event::KeyCode;
    let mut s = services_fixture(Some("shop"));
    if let Some(g) = s.workloads.generic.as_mut() {
        g.resource.verbs.push("delete".into());
    }
    assert_eq!(shown(&s), ["shop/cart", "shop/checkout", "shop-dev/cart"]);
    s.pane_mut(PaneId::Workloads).selected = 1;
    key(&mut s, KeyCode::Char('o'));
    let (_, menu) = s.workloads.sort_menu.clone().expect("the sort menu");
    assert_eq!(menu.columns[..3], ["NAME", "TYPE", "CLUSTER-IP"]);
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Enter);
    assert!(s.workloads.sort_menu.is_none());
    assert_eq!(shown(&s), ["shop/cart", "shop-dev/cart", "shop/checkout"]);
    assert_eq!(
        s.pane(PaneId::Workloads).selected,
        2,
        "the cursor stays on checkout"
    );
    assert!(screen(&s).contains("NAME▲"), "{}", screen(&s));
    key(&mut s, KeyCode::Char('O'));
    assert_eq!(shown(&s), ["shop/checkout", "shop/cart", "shop-dev/cart"]);
    assert!(screen(&s).contains("NAME▼"), "{}", screen(&s));

    // marks: two rows, counted in the title, deleted in one batch
    s.pane_mut(PaneId::Workloads).selected = 1;
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    assert!(screen(&s).contains("services · 2 marked"), "{}", screen(&s));
    let e = key(&mut s, KeyCode::Char('D'));
    let [Effect::PlanOperation(Operation::Batch { items })] = &e[..] else {
        panic!("one batch: {e:?}");
    };
    let objects: Vec<(String, String, Option<String>)> = items
        .iter()
        .map(|i| match &i.op {
            Operation::Delete { object, .. } => (
                object.namespace.clone(),
                object.name.clone(),
                object.uid.clone(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        objects,
        [
            ("shop".into(), "cart".into(), Some("shop-cart".into())),
            (
                "shop-dev".into(),
                "cart".into(),
                Some("shop-dev-cart".into())
            ),
        ]
    );
    s.overlay = flightdeck::app::state::Overlay::None;
    key(&mut s, KeyCode::Esc);
    assert!(
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.marks.is_empty())
    );
    assert!(
        s.workloads.generic.is_some(),
        "esc cleared the marks, not the view"
    );
}

/// A Secret's YAML opened from the generic view (`:secret`, enter) shows no value: each
/// of `data` is `<hidden: N bytes>`, N its decoded size, and neither the base64 nor the
/// plain value is anywhere in the lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secrets_yaml_from_the_generic_view_hides_its_values() {
    let sb = start().await;
    let client = kube_client(&sb).await;
    let mut c = Console::start(&sb);
    c.until("discovery", |s| s.resources.resolve("secret").is_some())
        .await;
    c.keys("secret");
    c.until("secrets listed", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.listed && g.rows.iter().any(|r| r.name == "checkout-db"))
    })
    .await;
    select(&mut c, "checkout-db");
    let effects = common::keys(&mut c.state, "enter");
    let req = effects
        .iter()
        .find_map(|e| match e {
            Effect::FetchObject(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("enter fetches the object: {effects:?}"));
    let stored = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), "shop")
        .get("checkout-db")
        .await
        .unwrap();
    let lines = flightdeck::sources::kube::object::fetch(client, &req)
        .await
        .expect("the secret");
    let text = lines.join("\n");
    assert!(text.contains("kind: Secret"), "{text}");
    let data = stored.data.unwrap_or_default();
    assert_eq!(data.len(), 2);
    for (k, v) in &data {
        let n = v.0.len();
        assert!(
            text.contains(&format!("{k}: \"<hidden: {n} bytes>\"")),
            "{k} in {text}"
        );
        let plain = String::from_utf8_lossy(&v.0).into_owned();
        let b64 = serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        for leak in [plain, b64] {
            assert!(!text.contains(&leak), "{leak} in {text}");
        }
    }
}
