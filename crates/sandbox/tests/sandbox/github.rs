//! The sandbox's GitHub Actions API: JSON shapes, ETags, rate-limit headers, paging, and the
//! approval flow that rolls the new image into the simulated prod namespace.

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn start(scenario: Scenario) -> (Sandbox, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(scenario))
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    (sb, c)
}

fn repo_url(sb: &Sandbox, rest: &str) -> String {
    format!("{}/repos/{}/{rest}", sb.github_api_url(), sb.github_repo())
}

async fn get(c: &reqwest::Client, url: &str) -> Value {
    let r = c.get(url).bearer_auth("any-token").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {url}");
    r.json().await.unwrap()
}

async fn advance(sb: &Sandbox, c: &reqwest::Client, secs: u64) {
    let r = c
        .post(format!("{}/time/advance?seconds={secs}", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_list_shapes_filters_etag_and_headers() {
    let (sb, c) = start(Scenario::Steady).await;
    let url = repo_url(&sb, "actions/runs");
    let r = c.get(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
        "x-ratelimit-resource",
    ] {
        assert!(h.get(name).is_some(), "missing header {name}");
    }
    let remaining: u64 = h["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let etag = h["etag"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let runs = body["workflow_runs"].as_array().unwrap();
    assert_eq!(body["total_count"].as_u64().unwrap() as usize, runs.len());
    assert!(runs.len() >= 6);
    for run in runs {
        for k in [
            "id",
            "name",
            "head_branch",
            "head_sha",
            "display_title",
            "run_number",
            "event",
            "status",
            "conclusion",
            "workflow_id",
            "created_at",
            "updated_at",
            "run_started_at",
            "run_attempt",
            "html_url",
            "jobs_url",
            "logs_url",
        ] {
            assert!(run.get(k).is_some(), "run lacks {k}");
        }
    }
    // newest first
    assert!(runs[0]["run_number"].as_u64() > runs[1]["run_number"].as_u64());

    // a conditional request with the ETag: 304, no body, not counted
    let r = c
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let rem2: u64 = r.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rem2, remaining);
    assert!(r.bytes().await.unwrap().is_empty());

    // filters
    let b = get(&c, &format!("{url}?branch=feat/gift-cards")).await;
    let rs = b["workflow_runs"].as_array().unwrap();
    assert!(!rs.is_empty());
    assert!(rs.iter().all(|r| r["head_branch"] == "feat/gift-cards"));
    let f = get(&c, &format!("{url}?status=failure")).await;
    assert!(
        f["workflow_runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["conclusion"] == "failure")
    );
    assert!(f["total_count"].as_u64().unwrap() >= 1);
    let done = get(&c, &format!("{url}?status=completed")).await;
    assert_eq!(done["total_count"], body["total_count"]);

    // paging with a link header
    let r = c.get(format!("{url}?per_page=2")).send().await.unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=2") && link.contains("rel=\"last\""),
        "{link}"
    );
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["workflow_runs"].as_array().unwrap().len(), 2);
    assert_eq!(page["total_count"], body["total_count"]);

    // environments and a 404
    let envs = get(&c, &repo_url(&sb, "environments")).await;
    let names: Vec<&str> = envs["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["development", "staging", "production"]);
    assert_eq!(envs["total_count"], 3);
    let r = c
        .get(format!(
            "{}/repos/other/repo/actions/runs",
            sb.github_api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "Not Found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_rolls_the_new_image_into_prod() {
    let (sb, c) = start(Scenario::PendingApproval).await;
    let runs = get(&c, &repo_url(&sb, "actions/runs?status=waiting")).await;
    let run = runs["workflow_runs"][0].clone();
    assert_eq!(run["status"], "waiting");
    assert_eq!(run["conclusion"], Value::Null);
    let id = run["id"].as_u64().unwrap();

    // jobs: the pipeline ran up to the approval gate
    let jobs = get(&c, &repo_url(&sb, &format!("actions/runs/{id}/jobs"))).await;
    assert_eq!(jobs["total_count"], 6);
    let list = jobs["jobs"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "lint",
            "test",
            "build",
            "deploy-dev",
            "deploy-staging",
            "deploy-production"
        ]
    );
    for j in &list[..5] {
        assert_eq!(j["status"], "completed");
        assert_eq!(j["conclusion"], "success");
        let steps = j["steps"].as_array().unwrap();
        assert!(steps.len() >= 3);
        for s in steps {
            for k in [
                "name",
                "status",
                "conclusion",
                "number",
                "started_at",
                "completed_at",
            ] {
                assert!(s.get(k).is_some(), "step lacks {k}");
            }
            assert_eq!(s["status"], "completed");
        }
    }
    assert_eq!(list[5]["status"], "waiting");

    let pending = get(
        &c,
        &repo_url(&sb, &format!("actions/runs/{id}/pending_deployments")),
    )
    .await;
    let p = &pending.as_array().unwrap()[0];
    assert_eq!(p["environment"]["name"], "production");
    assert_eq!(p["current_user_can_approve"], true);
    let env_id = p["environment"]["id"].as_u64().unwrap();

    let prod_image = |c: reqwest::Client, url: String| async move {
        let d: Value = c.get(url).send().await.unwrap().json().await.unwrap();
        d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let dep_url = format!(
        "{}/apis/apps/v1/namespaces/shop/deployments/checkout",
        sb.kube_url()
    );
    let staging_url = format!(
        "{}/apis/apps/v1/namespaces/shop-staging/deployments/checkout",
        sb.kube_url()
    );
    assert_eq!(
        prod_image(c.clone(), staging_url).await,
        "ghcr.io/acme/checkout:1.8.1"
    );
    assert_eq!(
        prod_image(c.clone(), dep_url.clone()).await,
        "ghcr.io/acme/checkout:1.7.2"
    );

    // every field is required
    let post_url = repo_url(&sb, &format!("actions/runs/{id}/pending_deployments"));
    for body in [
        json!({"environment_ids": [env_id], "state": "approved"}),
        json!({"environment_ids": [env_id], "comment": "x"}),
        json!({"state": "approved", "comment": "x"}),
        json!({"environment_ids": [env_id], "state": "maybe", "comment": "x"}),
    ] {
        let r = c.post(&post_url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(
        prod_image(c.clone(), dep_url.clone()).await,
        "ghcr.io/acme/checkout:1.7.2"
    );

    let r = c
        .post(&post_url)
        .bearer_auth("t")
        .json(&json!({"environment_ids": [env_id], "state": "approved", "comment": "ship it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let deps: Value = r.json().await.unwrap();
    assert_eq!(deps[0]["environment"], "production");
    assert_eq!(
        prod_image(c.clone(), dep_url.clone()).await,
        "ghcr.io/acme/checkout:1.8.1"
    );
    let run = get(&c, &repo_url(&sb, &format!("actions/runs/{id}"))).await;
    assert_eq!(run["status"], "in_progress");
    assert!(get(&c, &post_url).await.as_array().unwrap().is_empty());

    advance(&sb, &c, 120).await;
    let run = get(&c, &repo_url(&sb, &format!("actions/runs/{id}"))).await;
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "success");
    let d: Value = c.get(&dep_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["status"]["updatedReplicas"], 4);
    assert_eq!(d["status"]["readyReplicas"], 4);

    // deployments and their statuses for the environment
    let deployments = get(&c, &repo_url(&sb, "deployments?environment=production")).await;
    let latest = &deployments.as_array().unwrap()[0];
    assert_eq!(latest["environment"], "production");
    assert_eq!(latest["sha"], run["head_sha"]);
    let statuses = get(&c, latest["statuses_url"].as_str().unwrap()).await;
    let states: Vec<&str> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"success"), "{states:?}");
    assert!(states.contains(&"waiting"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_rerun_and_cancel() {
    let (sb, c) = start(Scenario::PendingApproval).await;
    let runs = get(&c, &repo_url(&sb, "actions/runs?status=waiting")).await;
    let id = runs["workflow_runs"][0]["id"].as_u64().unwrap();
    let url = repo_url(&sb, &format!("actions/runs/{id}"));
    let r = c
        .post(format!("{url}/pending_deployments"))
        .json(&json!({"environment_ids": [161003], "state": "rejected", "comment": "not today"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let run = get(&c, &url).await;
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "failure");
    let prod: Value = c
        .get(format!(
            "{}/apis/apps/v1/namespaces/shop/deployments/checkout",
            sb.kube_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        prod["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/checkout:1.7.2"
    );

    // re-run the failed jobs: a new attempt that goes back to waiting for approval
    let r = c
        .post(format!("{url}/rerun-failed-jobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    advance(&sb, &c, 5).await;
    let run = get(&c, &url).await;
    assert_eq!(run["run_attempt"], 2);
    assert_eq!(run["status"], "waiting");
    let r = c.post(format!("{url}/rerun")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a running run cannot be re-run"
    );

    // cancel it, and a second cancel is a conflict
    let r = c.post(format!("{url}/cancel")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let run = get(&c, &url).await;
    assert_eq!(run["conclusion"], "cancelled");
    let r = c.post(format!("{url}/cancel")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // a whole re-run starts from lint
    let r = c.post(format!("{url}/rerun")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    advance(&sb, &c, 10).await;
    let jobs = get(&c, &format!("{url}/jobs")).await;
    assert_eq!(jobs["jobs"][0]["name"], "lint");
    assert_eq!(jobs["jobs"][0]["status"], "in_progress");
    assert_eq!(jobs["jobs"][1]["status"], "queued");
    assert_eq!(get(&c, &url).await["run_attempt"], 3);
}
