//! Delete of any object and `kubectl edit`, against twin sandboxes with the real kubectl as
//! the oracle: `kubectl delete` and `kubectl edit` (its EDITOR a script that changes one
//! field) on one, the executor on the other, the same objects left. An edit that meets a
//! change underneath re-opens with the error on top and applies on the latest version; an
//! unchanged or emptied file sends nothing; read-only refuses both, audited; marked rows go
//! in one batch with per-row preconditions and per-row results.

use std::path::{Path, PathBuf};

use crate::support;
use crate::support::tools;

use flightdeck::ops::edit::{CANCELLED, HEADER};
use flightdeck::ops::{BatchItem, Executor, ObjectRef, Operation, Propagation};
use flightdeck::sources::kube::{ObjKey, WorkloadKind};
use flightdeck_sandbox::Sandbox;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::Value;
use support::ops::{client, executor};
use support::ops_kinds::{advance, audit_lines, kubectl, start};

async fn clear(sb: &Sandbox) {
    let r = reqwest::Client::new()
        .delete(format!("{}/requests", sb.admin_url()))
        .send()
        .await
        .expect("clear requests");
    assert!(r.status().is_success());
}

fn deployment_ref(name: &str) -> ObjectRef {
    ObjectRef::of_workload(WorkloadKind::Deployment, &ObjKey::new("shop", name))
}

fn delete_op(name: &str, propagation: Propagation) -> Operation {
    Operation::Delete {
        context: "sandbox".into(),
        object: deployment_ref(name),
        propagation,
    }
}

/// The names of what `shop` holds of deployments, ReplicaSets and pods.
async fn names(c: &kube::Client) -> (Vec<String>, Vec<String>, usize) {
    let lp = ListParams::default();
    let mut d: Vec<String> = Api::<Deployment>::namespaced(c.clone(), "shop")
        .list(&lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    let mut rs: Vec<String> = Api::<ReplicaSet>::namespaced(c.clone(), "shop")
        .list(&lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    let pods = Api::<Pod>::namespaced(c.clone(), "shop")
        .list(&lp)
        .await
        .unwrap()
        .items
        .len();
    d.sort();
    rs.sort();
    (d, rs, pods)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_equals_kubectl_delete_and_names_what_recreates() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&co, &audit, false);
    kubectl(
        &bin,
        &theirs,
        dir.path(),
        &["delete", "deployment", "cart", "-n", "shop"],
    )
    .await;
    let plan = ex
        .plan(delete_op("cart", Propagation::Background))
        .await
        .unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n == flightdeck::ops::NOTHING_RECREATES),
        "{plan:?}"
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("--cascade=background")),
        "{plan:?}"
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("dry run") && n.ends_with("ok"))
    );
    // the alternative switches the policy, as --cascade does
    assert!(
        matches!(
            &plan.alternative,
            Some(Operation::Delete {
                propagation: Propagation::Foreground,
                ..
            })
        ),
        "{plan:?}"
    );
    let Operation::Delete { object, .. } = &plan.op else {
        panic!("{plan:?}");
    };
    assert!(object.uid.is_some() && object.resource_version.is_some());
    clear(&ours).await;
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.message,
        "deployment.apps \"cart\" deleted (--cascade=background)"
    );
    // one DELETE of the object (its preconditions: see the conflict test below)
    let deletes: Vec<_> = ours
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes, ["/apis/apps/v1/namespaces/shop/deployments/cart"]);
    for sb in [&ours, &theirs] {
        advance(sb, 120).await;
    }
    assert_eq!(names(&co).await, names(&ct).await);
    assert!(!names(&co).await.0.contains(&"cart".to_string()));

    // a pod of a ReplicaSet: the plan says what replaces it
    let pods = Api::<Pod>::namespaced(co.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap();
    let pod = pods
        .items
        .iter()
        .find(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("checkout-"))
        })
        .and_then(|p| p.metadata.name.clone())
        .expect("a checkout pod");
    let plan = ex
        .plan(Operation::Delete {
            context: "sandbox".into(),
            object: ObjectRef::of_workload(WorkloadKind::Pod, &ObjKey::new("shop", &pod)),
            propagation: Propagation::Background,
        })
        .await
        .unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("ReplicaSet checkout-")
                && n.ends_with("recreates it under a new name")),
        "{plan:?}"
    );

    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2, "intent and outcome: {lines:?}");
    assert_eq!(lines[0]["object"], "deployment/cart");
    assert_eq!(lines[1]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_confirmed_before_a_change_is_refused_by_its_preconditions() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    let plan = ex
        .plan(delete_op("worker", Propagation::Background))
        .await
        .unwrap();
    kubectl(
        &bin,
        &sb,
        dir.path(),
        &["annotate", "deployment", "worker", "-n", "shop", "seen=1"],
    )
    .await;
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok && out.message.starts_with("conflict: "), "{out:?}");
    assert!(names(&c).await.0.contains(&"worker".to_string()));
}

/// An EDITOR script that counts its calls, keeps a copy of each file it was given
/// (`seen-N`), then runs `then` (with the file as `$1`).
fn editor_script(dir: &Path, name: &str, then: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let d = dir.display();
    let path = dir.join(name);
    let text = format!(
        "#!/bin/sh\nn=$(cat '{d}/{name}.calls' 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > '{d}/{name}.calls'\ncp \"$1\" '{d}/{name}.seen-'$n\n{then}\n"
    );
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn calls(dir: &Path, name: &str) -> usize {
    std::fs::read_to_string(dir.join(format!("{name}.calls")))
        .map(|s| s.trim().parse().unwrap_or(0))
        .unwrap_or(0)
}

fn seen(dir: &Path, name: &str, n: usize) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.seen-{n}"))).unwrap_or_default()
}

/// The first `  replicas: N` (spec's: keys are in order, status comes after) becomes 5.
const REPLICAS_TO_5: &str = "sed -i '0,/^  replicas: [0-9]*$/s//  replicas: 5/' \"$1\"";

async fn edit(ex: &Executor, object: &ObjectRef, script: &Path) -> flightdeck::ops::Outcome {
    let editor = script.display().to_string();
    ex.edit("sandbox", object, &mut |p: &Path| {
        flightdeck::ops::edit::run_editor(&editor, p)
    })
    .await
}

async fn kubectl_edit(bin: &Path, sb: &Sandbox, dir: &Path, script: &Path, args: &[&str]) {
    let kubeconfig = dir.join("kubeconfig-edit");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).unwrap();
    let out = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("edit")
        // the sandbox serves no OpenAPI document for kubectl's client-side validation
        .arg("--validate=false")
        .args(args)
        .env("EDITOR", script)
        .env_remove("KUBE_EDITOR")
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl edit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn spec(c: &kube::Client, name: &str) -> Value {
    let d = Api::<Deployment>::namespaced(c.clone(), "shop")
        .get(name)
        .await
        .unwrap();
    serde_json::to_value(d.spec).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_equals_kubectl_edit() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&co, &audit, false);
    let theirs_script = editor_script(dir.path(), "kubectl", REPLICAS_TO_5);
    let ours_script = editor_script(dir.path(), "ours", REPLICAS_TO_5);
    kubectl_edit(
        &bin,
        &theirs,
        dir.path(),
        &theirs_script,
        &["deployment", "frontend", "-n", "shop"],
    )
    .await;
    let out = edit(&ex, &deployment_ref("frontend"), &ours_script).await;
    assert!(out.ok, "{out:?}");
    assert_eq!(out.message, "deployment.apps/frontend edited");
    assert_eq!(
        (calls(dir.path(), "kubectl"), calls(dir.path(), "ours")),
        (1, 1)
    );
    assert_eq!(spec(&co, "frontend").await["replicas"], 5);
    assert_eq!(spec(&co, "frontend").await, spec(&ct, "frontend").await);

    // the file shows what kubectl's does: its header, status kept, managedFields not
    let (theirs_file, ours_file) = (seen(dir.path(), "kubectl", 1), seen(dir.path(), "ours", 1));
    assert!(ours_file.starts_with(HEADER), "{ours_file}");
    assert!(theirs_file.starts_with(HEADER), "{theirs_file}");
    for (what, file) in [("kubectl", &theirs_file), ("ours", &ours_file)] {
        assert_eq!(
            file.contains("\nstatus:"),
            theirs_file.contains("\nstatus:"),
            "{what}: {file}"
        );
        assert!(!file.contains("managedFields"), "{what}: {file}");
    }
    // the file is gone, and the update was a PUT under the shown resourceVersion
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with(&format!(
                "flightdeck-edit-deployment-{}-",
                std::process::id()
            ))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["operation"], "edit");
    assert_eq!(lines[0]["after"], "changed: spec.replicas");
    assert_eq!(lines[1]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_meeting_a_change_reopens_with_the_error_and_applies_on_the_latest() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    let kubeconfig = dir.path().join("kubeconfig-underneath");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).unwrap();
    // the first call changes replicas, and the object changes underneath meanwhile;
    // the second leaves the re-opened file as it is
    let script = editor_script(
        dir.path(),
        "conflict",
        &format!(
            "if [ $n = 1 ]; then {REPLICAS_TO_5}; '{}' --kubeconfig '{}' annotate deployment frontend -n shop underneath=yes >/dev/null; fi",
            bin.display(),
            kubeconfig.display()
        ),
    );
    let out = edit(&ex, &deployment_ref("frontend"), &script).await;
    assert!(out.ok, "{out:?}");
    assert_eq!(calls(dir.path(), "conflict"), 2);
    let second = seen(dir.path(), "conflict", 2);
    assert!(second.starts_with(HEADER), "{second}");
    let comments: String = second
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(comments.contains("# conflict: "), "{comments}");
    assert!(comments.contains("spec.replicas"), "{comments}");
    assert!(
        second.contains("underneath: 'yes'") || second.contains("underneath: \"yes\""),
        "{second}"
    );
    // both changes: the user's and the one made underneath
    let d = Api::<Deployment>::namespaced(c.clone(), "shop")
        .get("frontend")
        .await
        .unwrap();
    assert_eq!(d.spec.replicas, Some(5));
    assert_eq!(
        d.metadata
            .annotations
            .unwrap_or_default()
            .get("underneath")
            .map(String::as_str),
        Some("yes")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_or_emptied_file_sends_nothing_and_an_invalid_one_reopens() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let writes = |sb: &Sandbox| {
        sb.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .count()
    };
    for (name, then) in [("unchanged", "true"), ("emptied", ": > \"$1\"")] {
        clear(&sb).await;
        let script = editor_script(dir.path(), name, then);
        let out = edit(&ex, &deployment_ref("checkout"), &script).await;
        assert_eq!(out.message, CANCELLED, "{name}: {out:?}");
        assert_eq!(writes(&sb), 0, "{name}: {:?}", sb.requests());
    }
    assert!(audit_lines(&audit).is_empty());

    // a file the server refuses (another name than the URL's) re-opens with the error on
    // top; emptied then, nothing more is sent
    let script = editor_script(
        dir.path(),
        "invalid",
        "if [ $n = 1 ]; then sed -i 's/^  name: checkout$/  name: checkout-renamed/' \"$1\"; else : > \"$1\"; fi",
    );
    let out = edit(&ex, &deployment_ref("checkout"), &script).await;
    assert_eq!(out.message, CANCELLED, "{out:?}");
    assert_eq!(calls(dir.path(), "invalid"), 2);
    let second = seen(dir.path(), "invalid", 2);
    assert!(second.starts_with(HEADER), "{second}");
    assert!(
        second.contains("# deployments.apps \"checkout\" was not valid:"),
        "{second}"
    );
    assert!(second.contains("does not match"), "{second}");
    assert!(
        second.contains("name: checkout-renamed"),
        "the user's text is kept: {second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_delete_and_edit_in_the_executor() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, true);
    let plan = ex
        .plan(delete_op("cart", Propagation::Background))
        .await
        .unwrap();
    assert!(plan.refused.is_some(), "{plan:?}");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    let script = editor_script(dir.path(), "ro", REPLICAS_TO_5);
    let out = edit(&ex, &deployment_ref("cart"), &script).await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    assert_eq!(calls(dir.path(), "ro"), 0, "the editor never opened");
    assert!(names(&c).await.0.contains(&"cart".to_string()));
    assert_eq!(spec(&c, "cart").await["replicas"], 2);
    let lines = audit_lines(&audit);
    let ops: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap_or(""),
                l["phase"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [("delete", "refusal"), ("edit", "refusal")],
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_rows_go_in_one_batch_each_with_its_preconditions() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let batch = Operation::Batch {
        items: ["cart", "payments", "worker"]
            .iter()
            .map(|n| BatchItem {
                op: delete_op(n, Propagation::Background),
                before: String::new(),
                after: String::new(),
            })
            .collect(),
    };
    let plan = ex.plan(batch).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert_eq!(plan.title, "delete 3 objects");
    for n in ["cart", "payments", "worker"] {
        assert!(
            plan.notes
                .iter()
                .any(|l| l.starts_with(&format!("deployment/{n}: "))),
            "{plan:?}"
        );
    }
    // one of them changes after the confirmation: only that one is refused
    kubectl(
        &bin,
        &sb,
        dir.path(),
        &["annotate", "deployment", "payments", "-n", "shop", "seen=1"],
    )
    .await;
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok, "{out:?}");
    assert!(
        out.message
            .starts_with("2 of 3 done; deployment/payments: conflict"),
        "{out:?}"
    );
    let left = names(&c).await.0;
    assert!(left.contains(&"payments".to_string()), "{left:?}");
    assert!(!left.contains(&"cart".to_string()) && !left.contains(&"worker".to_string()));
    // each row its own intent and outcome lines
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 6, "{lines:?}");
}

/// The confirmation of a delete switches the propagation policy with its alternative key,
/// and with tab while a name is typed (there every character is text).
#[test]
fn the_confirmation_switches_the_cascade_even_while_a_name_is_typed() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use flightdeck::app::dialog::{self, Dialog};
    use flightdeck::app::{Effect, Event, update};
    let mut s = crate::support::common::state_builder().build();
    let plan = |typed: bool| flightdeck::ops::Plan {
        op: delete_op("cart", Propagation::Background),
        title: "Delete Deployment cart".into(),
        before: String::new(),
        after: "deleted (--cascade=background)".into(),
        notes: Vec::new(),
        refused: None,
        type_to_confirm: typed.then(|| "cart".into()),
        alternative: Some(delete_op("cart", Propagation::Foreground)),
    };
    for (typed, key) in [(false, KeyCode::Char('h')), (true, KeyCode::Tab)] {
        dialog::open(
            &mut s,
            Dialog::Confirm {
                plan: Box::new(plan(typed)),
                typed: String::new(),
            },
        );
        let footer = match &s.overlay {
            flightdeck::app::state::Overlay::Dialog(d) => {
                flightdeck::app::keyhints::dialog_footer(&s.keymap, d)
            }
            _ => panic!("a dialog"),
        };
        assert!(footer.contains("--cascade=foreground instead"), "{footer}");
        let e = update(&mut s, Event::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        assert_eq!(
            e,
            [Effect::PlanOperation(delete_op(
                "cart",
                Propagation::Foreground
            ))],
            "typed {typed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_and_foreground_equal_kubectl_cascade() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    for (flag, policy, name) in [
        ("--cascade=orphan", Propagation::Orphan, "frontend"),
        ("--cascade=foreground", Propagation::Foreground, "checkout"),
    ] {
        let ours = start().await;
        let theirs = start().await;
        let (co, ct) = (client(&ours).await, client(&theirs).await);
        let dir = tempfile::tempdir().unwrap();
        let ex = executor(&co, &dir.path().join("audit.jsonl"), false);
        kubectl(
            &bin,
            &theirs,
            dir.path(),
            &["delete", "deployment", name, "-n", "shop", flag],
        )
        .await;
        let plan = ex.plan(delete_op(name, policy)).await.unwrap();
        assert!(plan.after.contains(flag), "{plan:?}");
        let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
        assert!(out.ok, "{out:?}");
        for sb in [&ours, &theirs] {
            advance(sb, 120).await;
        }
        let (o, t) = (names(&co).await, names(&ct).await);
        assert_eq!(o, t, "{flag}");
        let kept = o.1.iter().any(|rs| rs.starts_with(&format!("{name}-")));
        assert_eq!(kept, policy == Propagation::Orphan, "{flag}: {o:?}");
        // orphans keep no reference to the deleted owner, on either side
        for c in [&co, &ct] {
            for rs in Api::<ReplicaSet>::namespaced(c.clone(), "shop")
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|r| {
                    r.metadata
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(name))
                })
            {
                assert!(rs.metadata.owner_references.unwrap_or_default().is_empty());
            }
        }
    }
}
