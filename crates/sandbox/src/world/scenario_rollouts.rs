//! The Argo Rollouts scenarios: in `canary` and `canary-paused` the main namespace's
//! `checkout` is a canary Rollout (steps 10 % → pause 60 s → analysis → 50 % → pause →
//! 100 %) with the AnalysisTemplate `error-rate`; `canary` rolls out the error-prone
//! 1.8.0, which analysis aborts, `canary-paused` the good 1.8.1, which waits at 50 % for a
//! promotion, beside the blue-green Rollout `search` waiting on `BlueGreenPause`.

use serde_json::{Value, json};

use super::{IMAGE_REPO, MAIN_NS, Scenario, World, at_mut, bump_generation};
use crate::json::set;
use crate::store::Kind;

/// The image `canary` rolls out: its pods run and are ready, and answer ~18 % with 5xx.
pub const CANARY_BAD_IMAGE: &str = "ghcr.io/acme/checkout:1.8.0";
pub const CANARY_GOOD_IMAGE: &str = "ghcr.io/acme/checkout:1.8.1";
pub const SEARCH_IMAGE_OLD: &str = "ghcr.io/acme/search:2.0.0";
pub const SEARCH_IMAGE_NEW: &str = "ghcr.io/acme/search:2.1.0";

fn pod_template(app: &str, image: &str, port: i64) -> Value {
    json!({
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [{
                "name": app,
                "image": image,
                "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"}, "periodSeconds": 5},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
        }
    })
}

/// The canary steps of `checkout`.
pub fn canary_steps() -> Value {
    json!([
        {"setWeight": 10},
        {"pause": {"duration": "60s"}},
        {"analysis": {
            "templates": [{"templateName": "error-rate"}],
            "args": [
                {"name": "service-name", "value": "checkout"},
                {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
            ],
        }},
        {"setWeight": 50},
        {"pause": {}},
        {"setWeight": 100},
    ])
}

impl World {
    fn rollout_meta(&mut self, name: &str, ns: &str) -> Value {
        let mut meta = self.new_meta(name, ns, self.now_ms);
        meta["labels"] = json!({"app": name});
        meta
    }

    /// `checkout` as a canary Rollout with two revisions of history, its Service and the
    /// AnalysisTemplate its analysis step names. Runs while building (instant mode).
    pub(super) fn make_checkout_rollout(&mut self, ns: &str, replicas: i64, port: i64, _wall: i64) {
        let meta = self.rollout_meta("error-rate", ns);
        let query = |filter: &str| {
            format!(
                "sum(rate(http_requests_total{{service=\"{{{{args.service-name}}}}\",rollouts_pod_template_hash=\"{{{{args.canary-hash}}}}\"{filter}}}[1m]))"
            )
        };
        self.create(
            Kind::AnalysisTemplate,
            json!({
                "metadata": meta,
                "spec": {
                    "args": [{"name": "service-name"}, {"name": "canary-hash"}],
                    "metrics": [{
                        "name": "error-rate",
                        "initialDelay": "30s",
                        "interval": "10s",
                        "count": 3,
                        "failureLimit": 0,
                        "successCondition": "result[0] < 0.05",
                        "provider": {"prometheus": {
                            "address": "http://prometheus.monitoring:9090",
                            "query": format!("{} / {}", query(",status=~\"5..\""), query("")),
                        }},
                    }],
                },
            }),
        );
        let meta = self.rollout_meta("checkout", ns);
        let ro = json!({
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "checkout"}},
                "template": pod_template("checkout", &format!("{IMAGE_REPO}:1.7.1"), port),
                "strategy": {"canary": {"steps": canary_steps()}},
            },
        });
        self.create(Kind::Rollout, ro);
        self.reconcile_rollout(ns, "checkout");
        self.now_ms += 86_400_000;
        self.set_rollout_image(ns, "checkout", &format!("{IMAGE_REPO}:1.7.2"));
        self.now_ms -= 86_400_000;
        self.make_service(ns, "checkout", json!({"app": "checkout"}), port);
    }

    /// `search`: a blue-green Rollout with active and preview Services, no auto-promotion.
    pub(super) fn make_search_rollout(&mut self, ns: &str) {
        for svc in ["search-active", "search-preview"] {
            self.make_service(ns, svc, json!({"app": "search"}), 8080);
        }
        let meta = self.rollout_meta("search", ns);
        let ro = json!({
            "metadata": meta,
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "search"}},
                "template": pod_template("search", SEARCH_IMAGE_OLD, 8080),
                "strategy": {"blueGreen": {
                    "activeService": "search-active",
                    "previewService": "search-preview",
                    "autoPromotionEnabled": false,
                }},
            },
        });
        self.create(Kind::Rollout, ro);
        self.reconcile_rollout(ns, "search");
    }

    /// When the scenario's update starts (simulated time).
    pub(super) fn rollout_update_at(&self, wall: i64) -> Option<i64> {
        match self.scenario {
            Scenario::Canary => Some(wall - 20_000),
            Scenario::CanaryPaused => Some(wall - 600_000),
            _ => None,
        }
    }

    /// The scenario's updates: the canary image, and in `canary-paused` the new `search`.
    pub(super) fn start_rollout_updates(&mut self) {
        match self.scenario {
            Scenario::Canary => {
                self.error_images.insert(CANARY_BAD_IMAGE.to_string());
                self.set_rollout_image(MAIN_NS, "checkout", CANARY_BAD_IMAGE);
            }
            Scenario::CanaryPaused => {
                self.set_rollout_image(MAIN_NS, "checkout", CANARY_GOOD_IMAGE);
                self.set_rollout_image(MAIN_NS, "search", SEARCH_IMAGE_NEW);
            }
            _ => {}
        }
    }

    /// A new image in a Rollout's pod template (what a deploy job or `set image` does).
    pub(super) fn set_rollout_image(&mut self, ns: &str, name: &str, image: &str) {
        let Some(ro) = self.store.get(Kind::Rollout, ns, name) else {
            return;
        };
        let mut ro = (*ro).clone();
        if let Some(c) = at_mut(&mut ro, &["spec", "template", "spec", "containers"])
            .and_then(Value::as_array_mut)
            .and_then(|a| a.first_mut())
        {
            c["image"] = json!(image);
        } else {
            set(
                &mut ro,
                &["spec", "template", "spec", "containers"],
                json!([{"name": name, "image": image}]),
            );
        }
        bump_generation(&mut ro);
        self.store.put(Kind::Rollout, ro);
        self.reconcile_rollout(ns, name);
    }
}
