//! The audit trail against the sandbox, through the real executor: no audit, no operation;
//! an intent line before the request and an outcome line after it, with who, where, what
//! and how it ended; refusals recorded as refusals; a private file.

use crate::support;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flightdeck::ops::{AuditLog, AuditRecord, Executor, Operation, Phase};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use support::ops::{client, deployment, executor, target};

/// The user the sandbox's SelfSubjectReview names (crates/sandbox/src/ADMIN.md).
const CLUSTER_USER: &str = "system:serviceaccount:kube-system:flightdeck-sandbox";

async fn start(scenario: Scenario) -> Sandbox {
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        scenario,
        pods: None,
        seed: 1,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    admin(&sb, "time/pause").await;
    sb
}

async fn admin(sb: &Sandbox, route: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .send()
        .await
        .expect("admin request");
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
}

fn rv(d: &Deployment) -> String {
    d.metadata.resource_version.clone().unwrap_or_default()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn records(path: &Path) -> Vec<AuditRecord> {
    AuditLog::at(path).read_tail(1000).expect("readable")
}

/// The audit file's parent is a regular file: no one, root included, can create the log.
/// The operation is refused with the reason and the deployment is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_audit_log_refuses_the_operation_and_changes_nothing() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the log's directory should be").expect("file");
    let audit = blocker.join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    admin(&sb, "time/advance?seconds=60").await;

    let plan = ex
        .plan(Operation::Rollback {
            target: target("checkout"),
            to_revision: None,
            resource_version: None,
        })
        .await
        .expect("plan");
    assert_eq!(plan.refused, None, "{plan:?}");
    let scale = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 5,
            resource_version: None,
        })
        .await
        .expect("plan");
    for (name, p) in [("checkout", &plan), ("cart", &scale)] {
        let before = deployment(&c, name).await;
        let out = ex.execute(&p.op, &p.before, &p.after).await;
        assert!(!out.ok, "{out:?}");
        assert!(
            out.message.contains("audit log not writable")
                && out.message.contains("nothing was changed")
                && out.message.contains("not-a-dir"),
            "{}",
            out.message
        );
        let after = deployment(&c, name).await;
        assert_eq!(rv(&before), rv(&after), "{name} was changed");
        assert_eq!(before.spec, after.spec);
    }
    assert!(!audit.exists());
}

/// A rollback and a scale: intent then outcome, paired by id, each naming kind/name,
/// context, namespace, the local user and the cluster's own answer to who we are; the
/// outcome carries the result, revision, resourceVersion and duration. The file is 0600.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intent_precedes_outcome_and_both_say_who_where_and_what() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("data").join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    admin(&sb, "time/advance?seconds=60").await;

    let before = deployment(&c, "checkout").await;
    let plan = ex
        .plan(Operation::Rollback {
            target: target("checkout"),
            to_revision: None,
            resource_version: None,
        })
        .await
        .expect("plan");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    let after_rollback = deployment(&c, "checkout").await;
    let scale = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 3,
            resource_version: None,
        })
        .await
        .expect("plan");
    let out = ex.execute(&scale.op, &scale.before, &scale.after).await;
    assert!(out.ok, "{out:?}");

    let mode = std::fs::metadata(&audit)
        .expect("audit file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let dir_mode = std::fs::metadata(audit.parent().expect("parent"))
        .expect("dir")
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "{dir_mode:o}");

    let l = lines(&audit);
    assert_eq!(l.len(), 4, "{l:#?}");
    let phases: Vec<&str> = l.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(phases, ["intent", "outcome", "intent", "outcome"]);
    assert_eq!(l[0]["id"], l[1]["id"]);
    assert_eq!(l[2]["id"], l[3]["id"]);
    assert_ne!(l[0]["id"], l[2]["id"]);
    assert!(l[0]["id"].as_str().is_some_and(|s| !s.is_empty()));
    for (r, object, op) in [
        (&l[0], "deployment/checkout", "rollback"),
        (&l[1], "deployment/checkout", "rollback"),
        (&l[2], "deployment/cart", "scale"),
        (&l[3], "deployment/cart", "scale"),
    ] {
        assert_eq!(r["object"], object, "{r}");
        assert_eq!(r["operation"], op, "{r}");
        assert_eq!(r["context"], "sandbox", "{r}");
        assert_eq!(r["namespace"], "shop", "{r}");
        assert!(r["user"].as_str().is_some_and(|u| !u.is_empty()), "{r}");
        assert_eq!(r["cluster_user"], CLUSTER_USER, "{r}");
        assert!(
            r["time"]
                .as_str()
                .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())
        );
    }
    // the intent says what is about to happen, and nothing of how it ended
    assert!(l[0]["before"].as_str().is_some_and(|b| b.contains("1.8.0")));
    assert!(l[0]["after"].as_str().is_some_and(|a| a.contains("1.7.2")));
    assert!(l[0].get("status").is_none() && l[0].get("duration_ms").is_none());
    // the rollback's outcome: the template of revision 3, restored as the revision the
    // cluster numbered it with (what kubectl shows), and the resourceVersion answered
    assert_eq!(l[1]["status"], "ok");
    let created = after_rollback
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
        .cloned()
        .expect("a revision annotation");
    assert_ne!(created, "3", "a rollback makes a new revision");
    assert_eq!(l[1]["revision"], created.as_str(), "{}", l[1]);
    assert_eq!(l[1]["target_revision"], "3", "{}", l[1]);
    assert!(
        l[1]["result"].as_str().is_some_and(|r| {
            r.contains(&format!(
                "revision {created} runs the template of revision 3"
            ))
        }),
        "{}",
        l[1]
    );
    let answered: u64 = l[1]["resource_version"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a resourceVersion");
    assert!(answered > rv(&before).parse::<u64>().expect("number"));
    assert!(answered <= rv(&after_rollback).parse::<u64>().expect("number"));
    assert!(l[1]["duration_ms"].as_u64().is_some(), "{}", l[1]);
    // the scale's outcome
    assert_eq!(l[3]["status"], "ok");
    assert!(
        l[3]["resource_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(l[3]["duration_ms"].as_u64().is_some());
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(3));

    // the viewer shows one line per operation, newest last
    let shown = flightdeck::app::audit::audit_lines(&records(&audit));
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains("deployment/checkout")
            && shown[0].contains("ok: ")
            && shown[0].contains("revision 3")
            && shown[0].contains(CLUSTER_USER),
        "{}",
        shown[0]
    );
    assert!(shown[1].contains("deployment/cart"), "{}", shown[1]);
}

/// Read-only, invalid input and a plan refused at the confirmation leave one refusal line
/// each; a 409 leaves an intent and an outcome that says conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_conflicts_are_recorded_as_such() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");

    // read-only: the executor itself refuses
    let ro = executor(&c, &audit, true);
    let out = ro
        .execute(
            &Operation::Scale {
                target: target("cart"),
                replicas: 5,
                resource_version: None,
            },
            "replicas 2",
            "replicas 5",
        )
        .await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");

    // invalid input never reaches the server
    let ex = executor(&c, &audit, false);
    let out = ex
        .execute(
            &Operation::Scale {
                target: target("cart"),
                replicas: -1,
                resource_version: None,
            },
            "",
            "",
        )
        .await;
    assert!(
        !out.ok && out.message.contains("replicas must be"),
        "{out:?}"
    );
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(2));

    // a plan refused for a precondition, confirmed anyway
    Api::<Deployment>::namespaced(c.clone(), "shop")
        .patch(
            "checkout",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"paused": true}})),
        )
        .await
        .expect("pause");
    let plan = ex
        .plan(Operation::Restart {
            target: target("checkout"),
            resource_version: None,
        })
        .await
        .expect("plan");
    assert!(
        plan.refused
            .as_deref()
            .is_some_and(|r| r.contains("paused"))
    );
    ex.record_refusal(&plan).await.expect("recorded");

    // a conflict: someone changes the deployment after the confirmation
    let scale = ex
        .plan(Operation::Scale {
            target: target("cart"),
            replicas: 3,
            resource_version: None,
        })
        .await
        .expect("plan");
    Api::<Deployment>::namespaced(c.clone(), "shop")
        .patch(
            "cart",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"touched": "yes"}}})),
        )
        .await
        .expect("touch");
    let out = ex.execute(&scale.op, &scale.before, &scale.after).await;
    assert!(!out.ok && out.message.contains("conflict"), "{out:?}");
    assert_eq!(deployment(&c, "cart").await.spec.replicas, Some(2));

    let l = lines(&audit);
    let phases: Vec<&str> = l.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(
        phases,
        ["refusal", "refusal", "refusal", "intent", "outcome"],
        "{l:#?}"
    );
    for (r, why) in [
        (&l[0], "read-only"),
        (&l[1], "replicas must be"),
        (&l[2], "paused"),
    ] {
        assert_eq!(r["status"], "refused", "{r}");
        assert!(r["error"].as_str().is_some_and(|e| e.contains(why)), "{r}");
        assert_eq!(r["cluster_user"], CLUSTER_USER, "{r}");
        assert!(r.get("duration_ms").is_none(), "nothing ran: {r}");
    }
    assert_eq!(l[0]["object"], "deployment/cart");
    assert_eq!(l[0]["before"], "replicas 2");
    assert_eq!(l[2]["object"], "deployment/checkout");
    assert_eq!(l[2]["operation"], "restart");
    assert_eq!(l[3]["id"], l[4]["id"]);
    assert_eq!(l[4]["status"], "conflict", "{}", l[4]);
    assert!(
        l[4]["error"]
            .as_str()
            .is_some_and(|e| e.contains("conflict"))
    );

    let shown = flightdeck::app::audit::audit_lines(&records(&audit));
    assert_eq!(shown.len(), 4, "{shown:#?}");
    assert!(shown[0].contains("REFUSED") && shown[0].contains("read-only"));
    assert!(shown[3].contains("CONFLICT"), "{}", shown[3]);
}

/// A GitHub approval names the token's login (GET /user), the run and its state after;
/// the token itself appears nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_approval_records_the_github_login() {
    use flightdeck::ops::GithubSetup;
    use flightdeck::sources::github::{Token, TokenSetting};
    let sb = start(Scenario::PendingApproval).await;
    let url = format!(
        "{}/repos/{}/actions/runs?status=waiting",
        sb.github_api_url(),
        sb.github_repo()
    );
    let runs: Value = reqwest::Client::new()
        .get(url)
        .bearer_auth("sandbox-token")
        .send()
        .await
        .expect("runs")
        .json()
        .await
        .expect("json");
    let run = &runs["workflow_runs"][0];
    let run_id = run["id"].as_u64().expect("a waiting run");
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit)).with_github(
        Some(GithubSetup {
            api_url: sb.github_api_url(),
            repo: sb.github_repo(),
            token: TokenSetting::Given(Token::new("sandbox-token")),
        }),
    );
    let plan = ex
        .plan(Operation::ReviewDeployment {
            review: flightdeck::ops::Review::Approve,
            environment: "production".into(),
            run_id,
            run_number: run["run_number"].as_u64().unwrap_or_default(),
            sha: run["head_sha"].as_str().unwrap_or_default().into(),
            environment_ids: vec![161003],
        })
        .await
        .expect("plan");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");

    let l = lines(&audit);
    assert_eq!(l.len(), 2, "{l:#?}");
    for r in &l {
        assert_eq!(r["github_login"], "oncall-lead", "{r}");
        assert_eq!(r["object"], format!("github-run/{run_id}"), "{r}");
        assert_eq!(r["context"], "github");
        assert_eq!(r["namespace"], sb.github_repo().as_str());
        assert!(r.get("cluster_user").is_none(), "{r}");
    }
    assert_eq!(l[1]["status"], "ok");
    assert!(
        l[1]["run_state"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && !s.starts_with("unknown")),
        "{}",
        l[1]
    );
    let text = std::fs::read_to_string(&audit).expect("audit");
    assert!(!text.contains("sandbox-token"), "no token in the audit log");
}

/// The viewer pairs by id: an intent whose outcome never came says so.
#[test]
fn an_intent_without_outcome_says_no_outcome_was_recorded() {
    let intent = AuditRecord {
        time: "2026-01-01T00:00:00Z".into(),
        id: "a".into(),
        phase: Phase::Intent,
        operation: "rollback".into(),
        object: "deployment/checkout".into(),
        target: "checkout".into(),
        context: "prod".into(),
        namespace: "shop".into(),
        user: "alice".into(),
        cluster_user: Some("alice@example.com".into()),
        before: "revision 4".into(),
        after: "revision 3".into(),
        ..AuditRecord::default()
    };
    let shown = flightdeck::app::audit::audit_lines(std::slice::from_ref(&intent));
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].contains("no outcome recorded (console ended?)")
            && shown[0].contains("alice as alice@example.com")
            && shown[0].contains("deployment/checkout"),
        "{}",
        shown[0]
    );
}

/// Where the server has no SelfSubjectReview, the kubeconfig's user is named.
#[test]
fn the_kubeconfig_user_is_the_fallback_identity() {
    let yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: prod\n  context:\n    cluster: c\n    user: alice@prod\n- name: dev\n  context:\n    cluster: c\n    user: dev-user\ncurrent-context: dev\nusers:\n- name: alice@prod\n  user:\n    token: secret\n- name: dev-user\n  user:\n    token: secret\n";
    let kc = kube::config::Kubeconfig::from_yaml(yaml).expect("kubeconfig");
    use flightdeck::sources::kube::identity::user_of;
    assert_eq!(user_of(&kc, Some("prod")).as_deref(), Some("alice@prod"));
    assert_eq!(user_of(&kc, None).as_deref(), Some("dev-user"));
    assert_eq!(user_of(&kc, Some("nowhere")), None);
}

/// A server that cannot say who we are: the executor names the kubeconfig user, else
/// `unknown (why)`, and the answer is cached rather than asked for again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_self_subject_review_the_kubeconfig_user_is_named() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // nothing listens on port 1
    let cfg = kube::Config::new("http://127.0.0.1:1".parse().expect("uri"));
    let c = kube::Client::try_from(cfg).expect("client");
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");
    let ex = Executor::new(Ok(c.clone()), false, AuditLog::at(&audit))
        .with_kubeconfig_user(Some("dev-user".into()));
    assert_eq!(ex.cluster_identity().await, "dev-user (kubeconfig user)");
    let ex = Executor::new(Ok(c), false, AuditLog::at(&audit));
    let who = ex.cluster_identity().await;
    assert!(who.starts_with("unknown (SelfSubjectReview"), "{who}");
    assert_eq!(
        ex.clone().cluster_identity().await,
        who,
        "cached, shared by clones"
    );
}

/// The console refuses an operation key while read-only before any dialog or request; the
/// refusal still goes to the audit log, one `refusal` line per key, naming the object the
/// key was for. The effect is run as the console's runner runs it: by the executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_refusal_in_the_console_appends_one_refusal_line() {
    use flightdeck::app::{Effect, Event, update};
    use flightdeck::pane::PaneId;
    use support::workloads::{fixture, state};

    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);

    let mut s = state(Some("shop"));
    for msg in fixture::messages() {
        let generation = s.generation;
        update(&mut s, Event::Kube { generation, msg });
    }
    flightdeck::app::update::apply(
        &mut s,
        flightdeck::app::Action::FocusPane(PaneId::Workloads),
    );
    let i = flightdeck::app::panes::workloads::visible_deployments(&s)
        .iter()
        .position(|d| d.key.name == "checkout")
        .expect("checkout row");
    s.pane_mut(PaneId::Workloads).selected = i;
    s.scope.read_only = true;

    // the scale key: refused, no dialog, one refusal to record
    let fx = flightdeck::app::update::apply(&mut s, flightdeck::app::Action::Scale);
    assert_eq!(s.overlay, flightdeck::app::state::Overlay::None);
    assert_eq!(fx.len(), 1, "{fx:?}");
    for e in fx {
        let Effect::RecordRefusal(plan) = e else {
            panic!("{e:?}")
        };
        ex.record_refusal(&plan).await.expect("audit line");
    }
    let lines = lines(&audit);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["phase"], "refusal", "{l}");
    assert_eq!(l["status"], "refused", "{l}");
    assert_eq!(l["operation"], "scale", "{l}");
    assert_eq!(l["object"], "deployment/checkout", "{l}");
    assert_eq!(l["namespace"], "shop", "{l}");
    assert_eq!(l["cluster_user"], CLUSTER_USER, "{l}");
    assert_eq!(
        l["error"], "read-only (:read-only was given): scale refused",
        "{l}"
    );
}
