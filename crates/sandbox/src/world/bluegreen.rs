//! The blue-green half of the Argo Rollouts controller: the new ReplicaSet comes up behind
//! the preview Service, the Rollout pauses (`BlueGreenPause`) unless auto-promotion is on,
//! and promotion points the active Service at the new pods.

use serde_json::{Value, json};

use super::rollouts::{HASH_LABEL, Plan, Rs, clear_pause, drop_field, pause_cond, set_pause};
use super::{World, ts};
use crate::json::{at, set, str_at};
use crate::store::{Kind, meta_str};

impl World {
    /// Blue-green: the new ReplicaSet comes up behind the preview Service; promotion points
    /// the active Service at it.
    pub(super) fn plan_blue_green(
        &mut self,
        ro: &Value,
        st: &mut Value,
        cur: &str,
        revision: i64,
        rss: &[Rs],
        desired: i64,
    ) -> Plan {
        let now = self.now_ms;
        let ns = meta_str(ro, "namespace").to_string();
        let bg = at(ro, &["spec", "strategy", "blueGreen"])
            .cloned()
            .unwrap_or(json!({}));
        let active_svc = str_at(&bg, &["activeService"]).to_string();
        let preview_svc = str_at(&bg, &["previewService"]).to_string();
        let stable = str_at(st, &["stableRS"]).to_string();
        let ready = rss
            .iter()
            .find(|r| r.hash == cur)
            .map(|r| r.ready)
            .unwrap_or(0);
        if stable == cur {
            clear_pause(st);
            self.point_service(&ns, &active_svc, cur);
            self.point_service(&ns, &preview_svc, cur);
            set(st, &["blueGreen", "activeSelector"], json!(cur));
            set(st, &["blueGreen", "previewSelector"], json!(cur));
            let ok = ready >= desired;
            return Plan {
                targets: vec![(cur.to_string(), desired)],
                phase: if ok { "Healthy" } else { "Progressing" },
                message: if ok {
                    String::new()
                } else {
                    "updated replicas are still becoming available".into()
                },
                weight: 0,
            };
        }
        if st.get("abort").and_then(Value::as_bool) == Some(true) {
            if st.get("abortedAt").is_none() {
                st["abortedAt"] = json!(ts(now));
            }
            clear_pause(st);
            self.point_service(&ns, &preview_svc, &stable);
            set(st, &["blueGreen", "previewSelector"], json!(stable));
            return Plan {
                targets: vec![(stable, desired)],
                phase: "Degraded",
                message: format!("RolloutAborted: Rollout aborted update to revision {revision}"),
                weight: 0,
            };
        }
        let targets = vec![(cur.to_string(), desired), (stable.clone(), desired)];
        if ready < desired {
            return Plan {
                targets,
                phase: "Progressing",
                message: "updated replicas are still becoming available".into(),
                weight: 0,
            };
        }
        self.point_service(&ns, &preview_svc, cur);
        set(st, &["blueGreen", "previewSelector"], json!(cur));
        set(st, &["blueGreen", "activeSelector"], json!(stable));
        let paused = at(ro, &["spec", "paused"]).and_then(Value::as_bool) == Some(true);
        let auto = bg.get("autoPromotionEnabled").and_then(Value::as_bool) != Some(false);
        let full = st.get("promoteFull").and_then(Value::as_bool) == Some(true);
        let cond = pause_cond(st, "BlueGreenPause");
        let promoted = st.get("controllerPause").and_then(Value::as_bool) == Some(true);
        if paused && !full {
            return Plan {
                targets,
                phase: "Paused",
                message: "manually paused".into(),
                weight: 0,
            };
        }
        if !auto && !full && (cond.is_some() || !promoted) {
            if cond.is_none() {
                set_pause(st, "BlueGreenPause", now);
            }
            return Plan {
                targets,
                phase: "Paused",
                message: "BlueGreenPause".into(),
                weight: 0,
            };
        }
        // promotion: the active Service switches to the new pods
        clear_pause(st);
        drop_field(st, "promoteFull");
        self.point_service(&ns, &active_svc, cur);
        set(st, &["blueGreen", "activeSelector"], json!(cur));
        st["stableRS"] = json!(cur);
        Plan {
            targets: vec![(cur.to_string(), desired)],
            phase: "Healthy",
            message: String::new(),
            weight: 0,
        }
    }

    /// Point a Service's selector at one ReplicaSet's pods (`rollouts-pod-template-hash`).
    fn point_service(&mut self, ns: &str, svc: &str, hash: &str) {
        if svc.is_empty() || hash.is_empty() {
            return;
        }
        let Some(s) = self.store.get(Kind::Service, ns, svc) else {
            return;
        };
        if str_at(&s, &["spec", "selector", HASH_LABEL]) != hash {
            let mut s = (*s).clone();
            set(&mut s, &["spec", "selector", HASH_LABEL], json!(hash));
            self.store.put(Kind::Service, s);
        }
    }
}
