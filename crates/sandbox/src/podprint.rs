//! A pod's READY, STATUS and RESTARTS as kube-apiserver prints them for `kubectl get
//! pods`: a port of `printPod` (kubernetes/kubernetes
//! `pkg/printers/internalversion/printers.go`, with native sidecars, Kubernetes ≥ 1.29)
//! over the pod's JSON. Its cases are the console's table
//! (`tests/support/workloads/printpod_cases.json`), run here too.

use serde_json::Value;

use crate::json::{at, str_at};

/// What `printPod` computes for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPrint {
    pub ready: usize,
    pub total: usize,
    pub status: String,
    pub restarts: i64,
    /// when the last counted restart ended (ms since the epoch)
    pub last_restart_ms: Option<i64>,
}

impl PodPrint {
    /// RESTARTS: `5 (2m ago)` once a restart's end is known.
    pub fn restarts_text(&self, now: i64) -> String {
        match self.last_restart_ms {
            Some(t) if self.restarts != 0 => {
                format!("{} ({} ago)", self.restarts, human_age(now - t))
            }
            _ => self.restarts.to_string(),
        }
    }
}

fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn later(a: Option<i64>, c: &Value) -> Option<i64> {
    let finished = at(c, &["lastState", "terminated", "finishedAt"])
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond());
    match (a, finished) {
        (Some(a), Some(f)) => Some(a.max(f)),
        (a, f) => a.or(f),
    }
}

fn exit_word(t: &Value) -> String {
    match t.get("signal").and_then(Value::as_i64) {
        Some(s) if s != 0 => format!("Signal:{s}"),
        _ => format!(
            "ExitCode:{}",
            t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
        ),
    }
}

fn condition_true(p: &Value, kind: &str) -> bool {
    arr(p, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == kind && str_at(c, &["status"]) == "True")
}

pub fn print_pod(p: &Value) -> PodPrint {
    let inits = arr(p, &["spec", "initContainers"]);
    let sidecar = |name: &str| {
        inits
            .iter()
            .any(|c| str_at(c, &["name"]) == name && str_at(c, &["restartPolicy"]) == "Always")
    };
    let total = arr(p, &["spec", "containers"]).len()
        + inits
            .iter()
            .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
            .count();
    let phase = str_at(p, &["status", "phase"]);
    let pod_reason = str_at(p, &["status", "reason"]);
    let mut reason = if pod_reason.is_empty() {
        phase.to_string()
    } else {
        pod_reason.to_string()
    };
    let gated = arr(p, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    });
    if gated {
        reason = "SchedulingGated".into();
    }
    let (mut restarts, mut last) = (0, None);
    let (mut sidecar_restarts, mut sidecar_last) = (0, None);
    let mut ready = 0;
    let mut initializing = false;
    for (i, c) in arr(p, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let n = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        restarts += n;
        last = later(last, c);
        let is_sidecar = sidecar(str_at(c, &["name"]));
        if is_sidecar {
            sidecar_restarts += n;
            sidecar_last = later(sidecar_last, c);
        }
        let terminated = at(c, &["state", "terminated"]);
        let waiting = str_at(c, &["state", "waiting", "reason"]);
        let code = terminated
            .and_then(|t| t.get("exitCode"))
            .and_then(Value::as_i64);
        if terminated.is_some() && code.unwrap_or(0) == 0 {
            continue;
        }
        if is_sidecar && c.get("started").and_then(Value::as_bool) == Some(true) {
            if c.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(t) = terminated {
            match str_at(t, &["reason"]) {
                "" => format!("Init:{}", exit_word(t)),
                r => format!("Init:{r}"),
            }
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            format!("Init:{waiting}")
        } else {
            format!("Init:{i}/{}", inits.len())
        };
        initializing = true;
        break;
    }
    if !initializing || condition_true(p, "Initialized") {
        restarts = sidecar_restarts;
        last = sidecar_last;
        let mut has_running = false;
        for c in arr(p, &["status", "containerStatuses"]).iter().rev() {
            restarts += c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
            last = later(last, c);
            let waiting = str_at(c, &["state", "waiting", "reason"]);
            let terminated = at(c, &["state", "terminated"]);
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = terminated {
                reason = match str_at(t, &["reason"]) {
                    "" => exit_word(t),
                    r => r.to_string(),
                };
            } else if c.get("ready").and_then(Value::as_bool) == Some(true)
                && at(c, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(p, "Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if at(p, &["metadata", "deletionTimestamp"]).is_some_and(|d| !d.is_null()) {
        if pod_reason == "NodeLost" {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }
    PodPrint {
        ready,
        total,
        status: reason,
        restarts,
        last_restart_ms: last,
    }
}

/// An age as kubectl prints it (apimachinery's `duration.HumanDuration`).
pub fn human_age(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    let (m, h, d, y) = (60, 3600, 86_400, 365 * 86_400);
    let with = |big: i64, unit: &str, small: i64, small_unit: &str| match small {
        0 => format!("{big}{unit}"),
        r => format!("{big}{unit}{r}{small_unit}"),
    };
    match s {
        s if s < 2 * m => format!("{s}s"),
        s if s < 10 * m => with(s / m, "m", s % m, "s"),
        s if s < 3 * h => format!("{}m", s / m),
        s if s < 8 * h => with(s / h, "h", (s % h) / m, "m"),
        s if s < 48 * h => format!("{}h", s / h),
        s if s < 8 * d => with(s / d, "d", (s % d) / h, "h"),
        s if s < 2 * y => format!("{}d", s / d),
        s if s < 8 * y => with(s / y, "y", (s % y) / d, "d"),
        s => format!("{}y", s / y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = include_str!("../../../tests/support/workloads/printpod_cases.json");

    #[test]
    fn printpods_cases() {
        let all: Value = serde_json::from_str(CASES).expect("cases");
        let now = all["now"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .expect("now")
            .as_millisecond();
        let mut wrong = Vec::new();
        for c in all["cases"].as_array().expect("cases") {
            let got = print_pod(&c["pod"]);
            let got = (
                format!("{}/{}", got.ready, got.total),
                got.status.clone(),
                got.restarts_text(now),
            );
            let want = (
                c["ready"].as_str().unwrap_or_default().to_owned(),
                c["status"].as_str().unwrap_or_default().to_owned(),
                c["restarts"].as_str().unwrap_or_default().to_owned(),
            );
            if got != want {
                wrong.push(format!("{}: got {got:?}, kubectl {want:?}", c["source"]));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
