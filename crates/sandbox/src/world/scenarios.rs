//! The scenarios and the world each one starts from: namespaces, deployments with a few
//! revisions of history, services and an HPA, then the scenario's own trouble.

use serde_json::{Value, json};

use super::cast::{APPS, ENVS, IMAGE_REPO, MAIN_NS, Scenario};
use super::{World, at_mut, bump_generation, ts};
use crate::json::{i64_at, set, str_at};
use crate::metrics::Traffic;
use crate::store::Kind;

impl World {
    /// Roll `image` into the checkout deployment of `ns` (what a deploy job does).
    pub fn deploy_image(&mut self, ns: &str, image: &str, cause: &str) {
        let names: Vec<String> = if self.scenario == Scenario::BlueGreen && ns == MAIN_NS {
            vec!["checkout-green".into()]
        } else {
            vec!["checkout".into()]
        };
        for n in names {
            let Some(d) = self.store.get(Kind::Deployment, ns, &n) else {
                if self.store.obj(Kind::Rollout, ns, &n).is_some() {
                    self.set_rollout_image(ns, &n, image);
                }
                continue;
            };
            let mut d = (*d).clone();
            if let Some(c) = at_mut(&mut d, &["spec", "template", "spec", "containers"])
                .and_then(Value::as_array_mut)
                .and_then(|a| a.first_mut())
            {
                c["image"] = json!(image);
            }
            set(
                &mut d,
                &["metadata", "annotations", "kubernetes.io/change-cause"],
                json!(cause),
            );
            bump_generation(&mut d);
            self.store.put(Kind::Deployment, d);
            self.reconcile_deployment(ns, &n);
            self.dirty.insert((ns.to_string(), n));
        }
    }

    /// Build the world for a scenario.
    pub fn build(&mut self, load_pods: Option<usize>) {
        let wall = self.now_ms;
        if self.scenario == Scenario::GpuFault {
            // the scenario's XID is on dgx-02
            self.gpu.hosts = self.gpu.hosts.max(2);
        }
        self.instant = true;
        self.now_ms = wall - 3 * 86_400_000;
        for ns in [
            "default",
            "kube-system",
            "kube-public",
            "shop-dev",
            "shop-staging",
            "shop",
        ] {
            self.make_namespace(ns);
        }
        if self.scenario == Scenario::BadRelease {
            self.bad_images.insert(format!("{IMAGE_REPO}:1.8.0"));
        }
        // three revisions of history everywhere
        let history = [
            ("1.7.0", "deploy run #121"),
            ("1.7.1", "deploy run #123"),
            ("1.7.2", "deploy run #126"),
        ];
        for env in ENVS.iter() {
            let prod = env.namespace == MAIN_NS;
            for (app, replicas, port, _) in APPS {
                let replicas = if prod { replicas } else { 1 };
                if app == "checkout" && prod && self.scenario == Scenario::BlueGreen {
                    for (color, tag) in [("blue", "1.7.2"), ("green", "1.8.1")] {
                        let name = format!("checkout-{color}");
                        let labels = json!({"app": "checkout", "color": color});
                        self.make_deployment(
                            env.namespace,
                            &name,
                            labels,
                            &format!("{IMAGE_REPO}:{tag}"),
                            replicas,
                            port,
                            &format!("blue-green release {tag}"),
                        );
                    }
                    self.make_service(
                        env.namespace,
                        "checkout",
                        json!({"app": "checkout", "color": "blue"}),
                        port,
                    );
                    continue;
                }
                let labels = json!({"app": app});
                let image_of = |tag: &str| {
                    if app == "checkout" {
                        format!("{IMAGE_REPO}:{tag}")
                    } else {
                        format!("ghcr.io/acme/{app}:2.4.{}", tag.len() % 3)
                    }
                };
                if app == "checkout" && prod && self.scenario.has_rollouts() {
                    self.make_checkout_rollout(env.namespace, replicas, port, wall);
                } else if app == "checkout" {
                    self.make_deployment(
                        env.namespace,
                        app,
                        labels.clone(),
                        &image_of(history[0].0),
                        replicas,
                        port,
                        history[0].1,
                    );
                    for (i, (tag, cause)) in history.iter().enumerate().skip(1) {
                        self.now_ms = wall - (3 - i as i64) * 86_400_000 + 3_600_000;
                        self.deploy_image(env.namespace, &image_of(tag), cause);
                    }
                    self.now_ms = wall - 3 * 86_400_000;
                } else {
                    self.make_deployment(
                        env.namespace,
                        app,
                        labels.clone(),
                        &image_of("x"),
                        replicas,
                        port,
                        "",
                    );
                }
                if app != "worker" {
                    self.make_service(env.namespace, app, labels, port);
                }
            }
            self.make_hpa(
                env.namespace,
                "frontend",
                if prod { 3 } else { 1 },
                if prod { 10 } else { 3 },
            );
        }
        self.make_workloads(MAIN_NS, wall);
        self.make_resources();
        self.make_init_pods(wall);
        self.make_training();
        if self.scenario == Scenario::CanaryPaused {
            self.make_search_rollout(MAIN_NS);
        }
        self.now_ms = wall - 3 * 86_400_000;
        if let Some(n) = load_pods {
            self.build_load(n);
        }
        self.sync_endpoint_slices();
        self.instant = false;
        self.store.compact_all();
        // scenario actions, simulated up to now
        self.github.seed_history(wall);
        match self.scenario {
            Scenario::BadRelease => self
                .github
                .start_release(wall - 880_000, "1.8.0", 127, false),
            Scenario::PendingApproval => {
                self.github
                    .start_release(wall - 700_000, "1.8.1", 127, true)
            }
            _ => {}
        }
        self.now_ms = wall - 900_000;
        let mut update = self.rollout_update_at(wall);
        // how the services' traffic went, for the metrics history (`backfill.rs`)
        let mut story = Vec::new();
        while self.now_ms < wall {
            if let Some(at) = update
                && self.now_ms >= at
            {
                self.start_rollout_updates();
                update = None;
            }
            self.step(1000);
            if story.is_empty() || (wall - self.now_ms) % crate::history::SCRAPE_MS == 0 {
                story.push(self.traffic_story_at());
            }
        }
        if self.scenario == Scenario::BadRelease {
            self.oom_once("cart");
        }
        self.now_ms = wall;
        if self.scenario == Scenario::GpuFault {
            self.start_gpu_faults(wall);
        }
        for (app, _, _, http) in APPS {
            if http {
                self.traffic
                    .insert(app.to_string(), Traffic::new(app, self.seed));
            }
        }
        // an hour of traffic history so counters are not zero, its last part scraped
        self.backfill_traffic(wall, &story);
    }

    fn oom_once(&mut self, app: &str) {
        let Some(mut p) = self
            .store
            .in_ns(Kind::Pod, MAIN_NS)
            .find(|p| p.label("app") == Some(app))
            .map(|p| p.value())
        else {
            return;
        };
        let now = self.now_ms;
        if let Some(cs) = at_mut(&mut p, &["status", "containerStatuses"])
            .and_then(Value::as_array_mut)
            .and_then(|a| a.first_mut())
        {
            cs["restartCount"] = json!(1);
            cs["lastState"] = json!({"terminated": {
                "exitCode": 137, "reason": "OOMKilled",
                "startedAt": ts(now - 7_200_000), "finishedAt": ts(now - 120_000),
                "containerID": format!("containerd://{}", self.rng.hex(64)),
            }});
            cs["state"] = json!({"running": {"startedAt": ts(now - 110_000)}});
        }
        let pod = self.store.put(Kind::Pod, p).value();
        self.record_event(
            &pod,
            Kind::Pod,
            "Warning",
            "OOMKilling",
            "Memory cgroup out of memory: Killed process 4242 (cart)",
        );
    }

    fn build_load(&mut self, n: usize) {
        let mut left = n;
        let mut nsi = 0;
        while left > 0 {
            let ns = format!("load-{nsi:03}");
            self.make_namespace(&ns);
            for d in 0..10 {
                if left == 0 {
                    break;
                }
                let r = ((self.rng.below(20) + 1) as usize).min(left);
                left -= r;
                let name = format!("svc-{d:02}");
                let image = format!("ghcr.io/acme/load:{d}");
                match (self.load_mixed, d % 5) {
                    (true, 3) => self.make_load_set(&ns, &name, &image, r as i64),
                    (true, 4) => self.make_load_job(&ns, &name, &image, r as i64),
                    _ => self.make_deployment(
                        &ns,
                        &name,
                        json!({"app": name}),
                        &image,
                        r as i64,
                        8080,
                        "",
                    ),
                }
            }
            nsi += 1;
        }
        self.load_pods = n;
    }

    pub(super) fn make_namespace(&mut self, ns: &str) {
        let meta = self.new_meta(ns, "", self.now_ms);
        let mut meta = meta;
        meta["labels"] = json!({"kubernetes.io/metadata.name": ns});
        self.create(Kind::Namespace, json!({"metadata": meta, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
        self.make_root_ca(ns);
    }

    #[allow(clippy::too_many_arguments)]
    fn make_deployment(
        &mut self,
        ns: &str,
        name: &str,
        labels: Value,
        image: &str,
        replicas: i64,
        port: i64,
        cause: &str,
    ) {
        let mut meta = self.applied_meta(name, ns, self.now_ms);
        meta["labels"] = labels.clone();
        if !cause.is_empty() {
            meta["annotations"] = json!({"kubernetes.io/change-cause": cause});
        }
        let cname = str_at(&labels, &["app"]).to_string();
        let d = json!({
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [{
                            "name": cname,
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
                        "securityContext": {},
                    }
                }
            },
            "status": {},
        });
        self.create(Kind::Deployment, d);
        self.reconcile_deployment(ns, name);
    }

    pub(super) fn make_service(&mut self, ns: &str, name: &str, selector: Value, port: i64) {
        let mut meta = self.new_meta(name, ns, self.now_ms);
        meta["labels"] = json!({"app": name});
        let ip = format!(
            "10.96.{}.{}",
            self.rng.below(250) + 1,
            self.rng.below(250) + 2
        );
        self.create(
            Kind::Service,
            json!({
                "metadata": meta,
                "spec": {
                    "type": "ClusterIP",
                    "selector": selector,
                    "clusterIP": ip,
                    "clusterIPs": [ip],
                    "ports": [{"name": "http", "port": 80, "targetPort": port, "protocol": "TCP"}],
                    "sessionAffinity": "None",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                    "internalTrafficPolicy": "Cluster",
                },
                "status": {"loadBalancer": {}},
            }),
        );
    }

    fn make_hpa(&mut self, ns: &str, deploy: &str, min: i64, max: i64) {
        let meta = self.new_meta(deploy, ns, self.now_ms);
        let replicas = self
            .store
            .get(Kind::Deployment, ns, deploy)
            .and_then(|d| i64_at(&d, &["spec", "replicas"]))
            .unwrap_or(1);
        self.create(Kind::Hpa, json!({
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy},
                "minReplicas": min,
                "maxReplicas": max,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
            "status": {
                "currentReplicas": replicas,
                "desiredReplicas": replicas,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 41, "averageValue": "41m"}}}],
                "conditions": [
                    {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "recommended size matches current size", "lastTransitionTime": ts(self.now_ms)},
                    {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound", "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)", "lastTransitionTime": ts(self.now_ms)},
                ],
            },
        }));
    }
}
