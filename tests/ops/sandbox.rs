//! Operations against the sandbox: the executor drives the same API a cluster serves.

use crate::support;
use crate::support::tools;

use std::path::Path;
use std::process::Stdio;

use flightdeck::ops::{AuditLog, Executor, Operation, Placeholders};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use support::ops::{client, deployment, executor, target};

async fn start(scenario: Scenario) -> Sandbox {
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario,
        pods: None,
        seed: 1,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    admin(&sb, "time/pause").await;
    sb
}

async fn admin(sb: &Sandbox, route: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
    r.json().await.unwrap()
}

async fn state(sb: &Sandbox) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::get(format!("{}/state", sb.admin_url()))
        .await
        .unwrap();
    assert!(r.status().is_success());
    r.json().await.unwrap()
}

fn rollback(name: &str, to: Option<i64>) -> Operation {
    Operation::Rollback {
        target: target(name),
        to_revision: to,
        resource_version: None,
    }
}

fn revision(d: &Deployment) -> String {
    d.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision").cloned())
        .unwrap_or_default()
}

fn image(d: &Deployment) -> String {
    d.spec.template.spec.as_ref().unwrap().containers[0]
        .image
        .clone()
        .unwrap()
}

fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_in_bad_release_restores_the_old_revision_and_ends_the_crash_loops() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    admin(&sb, "time/advance?seconds=60").await;
    let st = state(&sb).await;
    assert!(st["crashing_pods"].as_u64().unwrap() > 0, "{st}");
    let before = deployment(&c, "checkout").await;
    assert_eq!(image(&before), "ghcr.io/acme/checkout:1.8.0");
    // the service's health endpoint fails while the bad revision serves it
    let health = || async {
        reqwest::get(format!("{}/health/checkout", sb.base_url()))
            .await
            .expect("GET /health/checkout")
            .status()
            .as_u16()
    };
    assert_eq!(health().await, 503);

    // the plan names the exact change and passes the server dry run
    let plan = ex.plan(rollback("checkout", None)).await.unwrap();
    assert_eq!(plan.refused, None);
    assert!(plan.before.contains("1.8.0"), "{plan:?}");
    assert!(
        plan.after
            .contains("revision 3 ghcr.io/acme/checkout:1.7.2"),
        "{plan:?}"
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("dry run") && n.contains("ok"))
    );
    // the dry run changed nothing
    assert_eq!(
        image(&deployment(&c, "checkout").await),
        "ghcr.io/acme/checkout:1.8.0"
    );

    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    let after = deployment(&c, "checkout").await;
    assert_eq!(image(&after), "ghcr.io/acme/checkout:1.7.2");
    admin(&sb, "time/advance?seconds=300").await;
    let st = state(&sb).await;
    assert_eq!(st["crashing_pods"].as_u64(), Some(0), "{st}");
    // and recovers once the rollback has replaced the bad pods
    assert_eq!(health().await, 200);
    let after = deployment(&c, "checkout").await;
    assert_eq!(revision(&after), "5");

    // rolling back to the current template again is a no-op that says so
    let again = ex.execute(&rollback("checkout", Some(5)), "", "").await;
    assert!(
        again.ok && again.message.contains("skipped rollback"),
        "{again:?}"
    );
    // each operation: an intent line, then its outcome
    let lines: Vec<_> = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["phase"] == "outcome")
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["operation"], "rollback");
    assert_eq!(lines[0]["namespace"], "shop");
    assert_eq!(lines[0]["target"], "checkout");
    assert!(lines[0]["result"].as_str().unwrap().contains("revision 3"));
}

async fn kubectl(bin: &Path, sb: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("write kubeconfig");
    let out = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn same_as_kubectl(to: Option<i64>) {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start(Scenario::BadRelease).await;
    let theirs = start(Scenario::BadRelease).await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "rollout".to_owned(),
        "undo".into(),
        "deployment/checkout".into(),
    ];
    if let Some(r) = to {
        args.push(format!("--to-revision={r}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kubectl(&bin, &theirs, dir.path(), &args).await;
    let c = client(&ours).await;
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    let out = ex.execute(&rollback("checkout", to), "", "").await;
    assert!(out.ok, "{out:?}");
    let a = deployment(&c, "checkout").await;
    let b = deployment(&client(&theirs).await, "checkout").await;
    assert_eq!(a.spec.template, b.spec.template);
    assert_eq!(a.metadata.annotations, b.metadata.annotations);
    assert_eq!(revision(&a), "5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_previous_equals_kubectl_rollout_undo() {
    same_as_kubectl(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_revision_equals_kubectl_rollout_undo() {
    same_as_kubectl(Some(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_is_refused_by_the_executor_itself_and_audited() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, true);
    for op in [
        rollback("checkout", None),
        Operation::Scale {
            target: target("cart"),
            replicas: 5,
            resource_version: None,
        },
        Operation::Restart {
            target: target("cart"),
            resource_version: None,
        },
    ] {
        let out = ex.execute(&op, "", "").await;
        assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    }
    assert_eq!(
        image(&deployment(&c, "checkout").await),
        "ghcr.io/acme/checkout:1.8.0"
    );
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(2));
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["error"].as_str().unwrap().contains("read-only"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_underneath_gives_a_conflict_not_a_retry() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let plan = ex.plan(rollback("checkout", None)).await.unwrap();
    let scale = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 3,
            resource_version: None,
        })
        .await
        .unwrap();
    // someone else changes both objects
    for name in ["checkout", "cart"] {
        Api::<Deployment>::namespaced(c.clone(), "shop")
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"touched": "yes"}}})),
            )
            .await
            .unwrap();
    }
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok && out.message.contains("conflict"), "{out:?}");
    assert_eq!(
        image(&deployment(&c, "checkout").await),
        "ghcr.io/acme/checkout:1.8.0"
    );
    let out = ex.execute(&scale.op, &scale.before, &scale.after).await;
    assert!(!out.ok && out.message.contains("conflict"), "{out:?}");
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(2));
    // each operation: an intent line, then its outcome
    let lines: Vec<_> = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["phase"] == "outcome")
        .collect();
    assert_eq!(lines.len(), 2, "failed operations are audited too");
    assert!(
        lines
            .iter()
            .all(|l| l["error"].as_str().unwrap().contains("conflict"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_with_and_without_an_hpa_and_restart() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);

    let plan = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 4,
            resource_version: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (plan.before.as_str(), plan.after.as_str()),
        ("replicas 2", "replicas 4")
    );
    assert!(plan.alternative.is_none() && plan.type_to_confirm.is_none());
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(4));

    let zero = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 0,
            resource_version: None,
        })
        .await
        .unwrap();
    assert_eq!(zero.type_to_confirm.as_deref(), Some("cart"));

    // frontend has an HPA: the plan warns and offers its bounds instead
    let plan = ex
        .plan(Operation::Scale {
            target: target("frontend"),
            replicas: 9,
            resource_version: None,
        })
        .await
        .unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("HPA") && n.contains("override")),
        "{plan:?}"
    );
    let alt = plan.alternative.clone().expect("HPA alternative");
    let alt_plan = ex.plan(alt).await.unwrap();
    let out = ex
        .execute(&alt_plan.op, &alt_plan.before, &alt_plan.after)
        .await;
    assert!(out.ok, "{out:?}");
    let hpa = Api::<HorizontalPodAutoscaler>::namespaced(c.clone(), "shop")
        .get("frontend")
        .await
        .unwrap();
    assert!(
        hpa.spec.max_replicas >= 9 && hpa.spec.min_replicas == Some(9),
        "{:?}",
        hpa.spec
    );
    // or scale anyway, as asked
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    assert_eq!(deployment(&c, "frontend").await.spec.replicas, Some(9));

    // restart: kubectl's annotation, RFC 3339, a new rollout
    let before = deployment(&c, "cart").await;
    let plan = ex
        .plan(Operation::Restart {
            target: target("cart"),
            resource_version: None,
        })
        .await
        .unwrap();
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    let after = deployment(&c, "cart").await;
    let at = after
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get("kubectl.kubernetes.io/restartedAt").cloned())
        .expect("restartedAt");
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "{at}");
    assert!(after.metadata.generation > before.metadata.generation);
    // four operations, an intent and an outcome line each
    assert_eq!(audit_lines(&audit).len(), 8);

    // paused deployments are refused for restart and rollback
    Api::<Deployment>::namespaced(c.clone(), "shop")
        .patch(
            "checkout",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"paused": true}})),
        )
        .await
        .unwrap();
    let out = ex
        .execute(
            &Operation::Restart {
                target: target("checkout"),
                resource_version: None,
            },
            "",
            "",
        )
        .await;
    assert!(!out.ok && out.message.contains("paused"), "{out:?}");
    let out = ex.execute(&rollback("checkout", None), "", "").await;
    assert!(!out.ok && out.message.contains("paused"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_switch_and_back() {
    let sb = start(Scenario::BlueGreen).await;
    let c = client(&sb).await;
    admin(&sb, "time/advance?seconds=120").await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let svc = Api::<Service>::namespaced(c.clone(), "shop");
    let selector = |s: Service| s.spec.unwrap().selector.unwrap()["color"].clone();
    for to in ["green", "blue"] {
        let plan = ex
            .plan(Operation::Switch {
                target: target("checkout"),
                label: "color".into(),
                to: to.into(),
                resource_version: None,
            })
            .await
            .unwrap();
        assert_eq!(plan.refused, None, "{plan:?}");
        assert_eq!(plan.after, format!("selector color={to}"));
        let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
        assert!(out.ok, "{out:?}");
        assert_eq!(selector(svc.get("checkout").await.unwrap()), to);
    }
    // not switching to a colour that is not ready
    Api::<Deployment>::namespaced(c.clone(), "shop")
        .patch_scale(
            "checkout-green",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 0}})),
        )
        .await
        .unwrap();
    let plan = ex
        .plan(Operation::Switch {
            target: target("checkout"),
            label: "color".into(),
            to: "green".into(),
            resource_version: None,
        })
        .await
        .unwrap();
    assert!(plan.refused.is_some(), "{plan:?}");
    // a switch to the colour already live, or on a label the Service does not select on,
    // is refused with the reason
    for (label, to, why) in [
        ("color", "blue", "already selects color=blue"),
        ("colour", "green", "does not select on `colour`"),
    ] {
        let plan = ex
            .plan(Operation::Switch {
                target: target("checkout"),
                label: label.into(),
                to: to.into(),
                resource_version: None,
            })
            .await
            .unwrap();
        assert!(
            plan.refused.as_deref().is_some_and(|r| r.contains(why)),
            "{plan:?}"
        );
    }
    // two switches, an intent and an outcome line each
    assert_eq!(audit_lines(&audit).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_action_arguments_cannot_be_escaped_by_names() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("argv.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n",
    )
    .unwrap();
    let pwned = dir.path().join("pwned");
    let action = flightdeck::config::HostAction {
        name: "argv".into(),
        command: vec![
            "/bin/sh".into(),
            script.display().to_string(),
            "{deployment}".into(),
            "--ns={namespace}".into(),
            "{namespace}".into(),
            "{revision}".into(),
        ],
        cwd: Some(dir.path().to_owned()),
        timeout_secs: 10,
        confirm: true,
    };
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = {
        let lines = lines.clone();
        std::sync::Arc::new(move |l: flightdeck::ops::HostOutput| lines.lock().unwrap().push(l))
    };
    let audit = dir.path().join("audit.jsonl");
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit))
        .with_host_actions(vec![action])
        .with_output(sink);
    let hostile = format!("x; rm -rf ~ $(touch {})", pwned.display());
    let op = Operation::Host {
        action: "argv".into(),
        vars: Placeholders {
            deployment: hostile.clone(),
            namespace: "`touch pwned`".into(),
            context: "ctx".into(),
            revision: "4".into(),
        },
    };
    let out = ex.execute(&op, "", "").await;
    assert!(out.ok, "{out:?}");
    let mut got: Vec<String> = lines.lock().unwrap().iter().map(|l| l.tagged()).collect();
    // the last line says how long it ran: "exit 0 after 0.0s"
    let end = got.pop().unwrap_or_default();
    assert!(end.starts_with("[argv] exit 0 after "), "{end}");
    assert_eq!(
        got,
        vec![
            format!("[argv] arg:{hostile}"),
            "[argv] arg:--ns={namespace}".to_owned(),
            "[argv] arg:`touch pwned`".to_owned(),
            "[argv] arg:4".to_owned(),
        ]
    );
    let last = lines.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.kind, flightdeck::ops::OutputKind::Exit { ok: true });
    assert!(!pwned.exists() && !dir.path().join("pwned").exists());

    // killed at the timeout, and a failing exit is an error; both audited
    let slow = flightdeck::config::HostAction {
        name: "slow".into(),
        command: vec!["/bin/sh".into(), "-c".into(), "exec sleep 30".into()],
        cwd: None,
        timeout_secs: 1,
        confirm: true,
    };
    let fail = flightdeck::config::HostAction {
        name: "fail".into(),
        command: vec!["/bin/sh".into(), "-c".into(), "exit 3".into()],
        cwd: None,
        timeout_secs: 10,
        confirm: false,
    };
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit))
        .with_host_actions(vec![slow, fail]);
    for (name, want) in [("slow", "timeout"), ("fail", "exit 3")] {
        let op = Operation::Host {
            action: name.into(),
            vars: Placeholders::default(),
        };
        let out = ex.execute(&op, "", "").await;
        assert!(!out.ok && out.message.contains(want), "{out:?}");
    }
    // three host actions, an intent and an outcome line each
    assert_eq!(audit_lines(&audit).len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_the_pending_deployment_through_the_executor_and_audit_it() {
    use flightdeck::ops::GithubSetup;
    use flightdeck::sources::github::{Token, TokenSetting};
    let sb = start(Scenario::PendingApproval).await;
    let run = &waiting_run(&sb).await;
    let run_id = run["id"].as_u64().expect("a waiting run");
    let pending = gh_get(&sb, &format!("/actions/runs/{run_id}/pending_deployments")).await;
    let env_id = pending[0]["environment"]["id"]
        .as_u64()
        .expect("environment id");
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit)).with_github(
        Some(GithubSetup {
            api_url: sb.github_api_url(),
            repo: sb.github_repo(),
            token: TokenSetting::Given(Token::new("sandbox-token")),
        }),
    );
    let op = Operation::ReviewDeployment {
        review: flightdeck::ops::Review::Approve,
        environment: "production".into(),
        run_id,
        run_number: run["run_number"].as_u64().unwrap_or_default(),
        sha: run["head_sha"].as_str().unwrap_or_default().into(),
        environment_ids: vec![env_id],
    };
    let plan = ex.plan(op).await.unwrap();
    assert_eq!(plan.refused, None);
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    // twice: GitHub's refusal comes back, and is audited too
    let again = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!again.ok, "{again:?}");
    let text = std::fs::read_to_string(&audit).unwrap();
    // two approvals, an intent and an outcome line each
    assert_eq!(text.lines().count(), 4);
    assert!(!text.contains("sandbox-token"), "no token in the audit log");
}

/// The executor's GitHub setup for the sandbox, with its token.
fn github_executor(sb: &Sandbox, audit: &Path, read_only: bool) -> Executor {
    use flightdeck::ops::GithubSetup;
    use flightdeck::sources::github::{Token, TokenSetting};
    Executor::new(Err("no cluster".into()), read_only, AuditLog::at(audit)).with_github(Some(
        GithubSetup {
            api_url: sb.github_api_url(),
            repo: sb.github_repo(),
            token: TokenSetting::Given(Token::new("sandbox-token")),
        },
    ))
}

/// GET `path` of the sandbox's repository, as the reviewer.
async fn gh_get(sb: &Sandbox, path: &str) -> serde_json::Value {
    let url = format!("{}/repos/{}{path}", sb.github_api_url(), sb.github_repo());
    reqwest::Client::new()
        .get(url)
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn waiting_run(sb: &Sandbox) -> serde_json::Value {
    gh_get(sb, "/actions/runs?status=waiting").await["workflow_runs"][0].clone()
}

/// Reject, re-run the failed jobs, cancel and re-run, each planned from what GitHub says
/// now (a plan the run's state makes pointless is refused before anything is sent), each
/// executed through the executor and audited without the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_rerun_and_cancel_through_the_executor() {
    use flightdeck::ops::{Review, RunAction};
    let sb = start(Scenario::PendingApproval).await;
    let run = waiting_run(&sb).await;
    let run_id = run["id"].as_u64().expect("a waiting run");
    let run_number = run["run_number"].as_u64().unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let poke = std::sync::Arc::new(tokio::sync::Notify::new());
    let ex = github_executor(&sb, &audit, false).with_github_refresh(poke.clone());
    let run_op = |action| Operation::Run {
        action,
        run_id,
        run_number,
        workflow: "release".into(),
    };

    // while it waits for review it is active: nothing to re-run, but it can be cancelled
    let plan = ex.plan(run_op(RunAction::RerunFailed)).await.unwrap();
    assert!(
        plan.refused
            .as_deref()
            .is_some_and(|r| r.contains("still running")),
        "{plan:?}"
    );
    assert!(plan.before.contains("waiting"), "{}", plan.before);

    let plan = ex
        .plan(Operation::ReviewDeployment {
            review: Review::Reject,
            environment: "production".into(),
            run_id,
            run_number,
            sha: run["head_sha"].as_str().unwrap_or_default().into(),
            environment_ids: vec![161003],
        })
        .await
        .unwrap();
    assert_eq!(plan.refused, None);
    assert!(plan.title.starts_with("Reject"), "{}", plan.title);
    use futures::FutureExt;
    assert!(
        poke.notified().now_or_never().is_none(),
        "planning pokes nothing"
    );
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    assert!(
        poke.notified().now_or_never().is_some(),
        "the pipeline is told to poll at once"
    );

    // rejected: the run failed, so cancel is refused and re-run failed is offered
    let plan = ex.plan(run_op(RunAction::Cancel)).await.unwrap();
    assert!(
        plan.refused
            .as_deref()
            .is_some_and(|r| r.contains("not running")),
        "{plan:?}"
    );
    let plan = ex.plan(run_op(RunAction::RerunFailed)).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert!(plan.before.contains("failed: "), "{}", plan.before);
    assert!(plan.after.contains("attempt 2"), "{}", plan.after);
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");

    // going again: cancel it; a second cancel, planned on a stale screen, still gets
    // GitHub's own refusal when executed
    let plan = ex.plan(run_op(RunAction::Cancel)).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    let again = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!again.ok, "{again:?}");
    assert!(again.message.contains("Cannot cancel"), "{}", again.message);

    let plan = ex.plan(run_op(RunAction::Rerun)).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert!(plan.after.contains("attempt 3"), "{}", plan.after);
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");

    let lines: Vec<_> = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["phase"] == "outcome")
        .collect();
    let ops: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["operation"].as_str())
        .collect();
    assert_eq!(ops, ["reject", "rerun-failed", "cancel", "cancel", "rerun"]);
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains("sandbox-token"), "no token in the audit log");
    assert!(text.contains(&format!("release #{run_number}")), "{text}");
    assert_eq!(lines[0]["namespace"], sb.github_repo().as_str(), "{text}");

    // read-only: refused by the executor itself, and audited
    let ro = github_executor(&sb, &audit, true);
    let out = ro.execute(&run_op(RunAction::Cancel), "", "").await;
    assert!(!out.ok);
    assert!(out.message.contains("read-only"), "{}", out.message);
}

/// An API server that accepts connections and never answers: the plan and the run each end
/// within the executor's bound, the run's outcome says the change may or may not have been
/// made, and the audit log has the intent and the failed outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_bounds_the_plan_and_the_run() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: silent\n  context:\n    cluster: silent\n    user: silent\ncurrent-context: silent\nusers:\n- name: silent\n  user:\n    token: silent-token\n"
    );
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let c = flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
        .await
        .expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false).with_request_bound(std::time::Duration::from_secs(2));
    let op = Operation::Restart {
        target: target("checkout"),
        resource_version: None,
    };
    let plan = ex.plan(op.clone()).await;
    let err = plan.expect_err("a plan against a silent server");
    assert!(err.contains("no answer within 2 s"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");

    let out = ex.execute(&op, "revision 1", "restart").await;
    assert!(!out.ok, "{out:?}");
    assert!(
        out.message.contains("may or may not have been made"),
        "{out:?}"
    );
    let lines = std::fs::read_to_string(&audit).expect("audit log");
    let phases: Vec<String> = lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            format!("{} {}", v["phase"], v["status"])
        })
        .collect();
    assert_eq!(
        phases,
        ["\"intent\" null", "\"outcome\" \"failed\""],
        "{lines}"
    );
    held.abort();
}
