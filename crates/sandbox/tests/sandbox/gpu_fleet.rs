//! A fleet of simulated DGX hosts (`--gpu-hosts N`): one DCGM page per host with Kubernetes
//! pod labels that match the training pods the API lists, a real Prometheus (Debian's
//! `prometheus`; see `tests/support/tools.rs`) scraping all of them with
//! `Sandbox::gpu_scrape_config`, the `gpu-fault` scenario, the admin fault routes, and the
//! older exporters' label names.

use crate::tools;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::Value;

type Series = BTreeMap<(String, BTreeMap<String, String>), f64>;

async fn start(scenario: Scenario, gpu_hosts: usize) -> (Sandbox, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        gpu_hosts,
        ..SandboxOptions::scenario(scenario)
    })
    .await
    .expect("sandbox starts");
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .expect("admin");
    assert!(r.status().is_success());
    (sb, c)
}

async fn text(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.expect("GET page");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.text().await.expect("page body")
}

async fn admin(c: &reqwest::Client, sb: &Sandbox, method: &str, route: &str) -> (u16, Value) {
    let url = format!("{}/{route}", sb.admin_url());
    let req = match method {
        "DELETE" => c.delete(&url),
        _ => c.post(&url),
    };
    let r = req.send().await.expect("admin");
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

/// (name, labels) -> value for the sandbox's plain exposition (no escapes in its values).
fn parse(body: &str) -> Series {
    let mut out = BTreeMap::new();
    for line in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("value");
        let (name, rest) = series.split_once('{').expect("labels");
        let labels = rest
            .trim_end_matches('}')
            .split("\",")
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("label");
                (k.to_string(), v.trim_matches('"').to_string())
            })
            .collect();
        out.insert((name.to_string(), labels), value.parse().expect("number"));
    }
    out
}

/// The values of one series name, by GPU index.
fn by_gpu(m: &Series, name: &str) -> BTreeMap<String, (f64, BTreeMap<String, String>)> {
    m.iter()
        .filter(|((n, _), _)| n == name)
        .map(|((_, l), v)| (l["gpu"].clone(), (*v, l.clone())))
        .collect()
}

async fn ml_pods(c: &reqwest::Client, sb: &Sandbox) -> Vec<Value> {
    let v: Value = c
        .get(format!("{}/api/v1/namespaces/ml/pods", sb.kube_url()))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_hosts_with_pod_labels_matching_the_training_pods() {
    let (sb, c) = start(Scenario::Steady, 32).await;
    let hosts = sb.gpu_hosts();
    assert_eq!(hosts.len(), 32);
    assert_eq!(hosts[0].0, "dgx-01");
    assert_eq!(hosts[31].0, "dgx-32");
    // the DGX hosts are the cluster's GPU nodes
    let nodes: Value = c
        .get(format!("{}/api/v1/nodes", sb.kube_url()))
        .send()
        .await
        .expect("nodes")
        .json()
        .await
        .expect("json");
    let gpu_nodes: BTreeSet<String> = nodes["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["metadata"]["labels"]["nvidia.com/gpu.present"] == "true")
        .inspect(|n| assert_eq!(n["status"]["capacity"]["nvidia.com/gpu"], "8"))
        .map(|n| n["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    let host_names: BTreeSet<String> = hosts.iter().map(|h| h.0.clone()).collect();
    assert_eq!(gpu_nodes, host_names);

    let pods = ml_pods(&c, &sb).await;
    // one 4-GPU pod per host: half the fleet's GPUs
    assert_eq!(pods.len(), 32);
    let mut pod_node: BTreeMap<String, String> = BTreeMap::new();
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Running", "{p}");
        let limits = &p["spec"]["containers"][0]["resources"]["limits"];
        assert_eq!(limits["nvidia.com/gpu"], "4", "{p}");
        pod_node.insert(
            p["metadata"]["name"].as_str().unwrap_or("").into(),
            p["spec"]["nodeName"].as_str().unwrap_or("").into(),
        );
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut uuids = BTreeSet::new();
    let mut busy = 0;
    for (host, url) in &hosts {
        let m = parse(&text(&c, url).await);
        for name in [
            "DCGM_FI_DEV_GPU_UTIL",
            "DCGM_FI_DEV_FB_USED",
            "DCGM_FI_DEV_FB_FREE",
            "DCGM_FI_DEV_GPU_TEMP",
            "DCGM_FI_DEV_POWER_USAGE",
            "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
            "DCGM_FI_DEV_XID_ERRORS",
            "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
            "dgx_gpu_utilization_percent",
        ] {
            assert_eq!(by_gpu(&m, name).len(), 8, "{host} {name}");
        }
        for (gpu, (util, l)) in by_gpu(&m, "DCGM_FI_DEV_GPU_UTIL") {
            for k in ["gpu", "UUID", "device", "modelName", "Hostname"] {
                assert!(l.contains_key(k), "{host} GPU {gpu} lacks {k}: {l:?}");
            }
            assert_eq!(&l["Hostname"], host);
            assert_eq!(l["modelName"], "NVIDIA H100 80GB HBM3");
            assert_eq!(l["device"], format!("nvidia{gpu}"));
            uuids.insert(l["UUID"].clone());
            assert!(!l.contains_key("pod_name"), "{l:?}");
            if let Some(pod) = l.get("pod") {
                busy += 1;
                assert_eq!(l["namespace"], "ml");
                assert_eq!(l["container"], "trainer");
                // the pod the label names runs on this host
                assert_eq!(pod_node.get(pod), Some(host), "{pod} on {host}");
                *seen.entry(pod.clone()).or_default() += 1;
                assert!(util > 0.0, "{host} GPU {gpu} holds {pod} but idles");
            } else {
                assert_eq!(util, 0.0, "{host} GPU {gpu} is free but busy");
            }
        }
        let xid = by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS");
        assert!(xid.values().all(|(v, _)| *v == 0.0), "{host}: {xid:?}");
    }
    assert_eq!(uuids.len(), 256, "a UUID per GPU across the fleet");
    assert_eq!(busy, 128);
    // every training pod holds exactly its four GPUs
    assert_eq!(seen.len(), 32);
    assert!(seen.values().all(|n| *n == 4), "{seen:?}");
    assert!(
        c.get(format!("{}/gpu/dgx-33/metrics", sb.base_url()))
            .send()
            .await
            .expect("GET")
            .status()
            == 404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_training_pod_frees_its_gpus_and_its_successor_gets_them() {
    let (sb, c) = start(Scenario::Steady, 2).await;
    let url = &sb.gpu_hosts()[1].1;
    let pods_on = |m: &Series| -> BTreeSet<String> {
        by_gpu(m, "DCGM_FI_DEV_GPU_UTIL")
            .values()
            .filter_map(|(_, l)| l.get("pod").cloned())
            .collect()
    };
    let before = parse(&text(&c, url).await);
    assert_eq!(pods_on(&before), BTreeSet::from(["train-llama-1".into()]));
    let r = c
        .delete(format!(
            "{}/api/v1/namespaces/ml/pods/train-llama-1",
            sb.kube_url()
        ))
        .send()
        .await
        .expect("delete");
    assert!(r.status().is_success());
    let gone = parse(&text(&c, url).await);
    assert!(pods_on(&gone).is_empty(), "{gone:?}");
    // the StatefulSet controller makes it again, and it lands on the free GPUs
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, _) = admin(&c, &sb, "POST", "time/advance?seconds=5").await;
        assert_eq!(code, 200);
        let m = parse(&text(&c, url).await);
        if pods_on(&m) == BTreeSet::from(["train-llama-1".into()]) {
            break;
        }
        assert!(Instant::now() < deadline, "train-llama-1 never came back");
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

fn start_prometheus(bin: &Path, dir: &Path, scrape: &str, port: u16) -> Running {
    let config = format!("global:\n  scrape_interval: 1s\nscrape_configs:\n{scrape}");
    std::fs::write(dir.join("prometheus.yml"), config).expect("write config");
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
    let child = Command::new(bin)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Running(child)
}

async fn query(c: &reqwest::Client, base: &str, q: &str) -> Vec<Value> {
    let Ok(r) = c
        .get(format!("{base}/api/v1/query"))
        .query(&[("query", q)])
        .send()
        .await
    else {
        return vec![];
    };
    let v: Value = r.json().await.unwrap_or(Value::Null);
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_all_thirty_two_hosts() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let (sb, c) = start(Scenario::Steady, 32).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let scrape = sb.gpu_scrape_config("dcgm");
    let _prom = start_prometheus(&bin, dir.path(), &scrape, port);
    let base = format!("http://127.0.0.1:{port}");
    // bounded polling until every target has been scraped once
    let deadline = Instant::now() + Duration::from_secs(60);
    let count = loop {
        let r = query(&c, &base, "count(DCGM_FI_DEV_GPU_UTIL)").await;
        let n = r
            .first()
            .and_then(|s| s["value"][1].as_str())
            .and_then(|v| v.parse::<f64>().ok());
        if n == Some(256.0) {
            break n;
        }
        if Instant::now() > deadline {
            let log =
                std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
            panic!("Prometheus has {n:?} GPUs after 60 s\n{scrape}\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(count, Some(256.0));
    let by_host = query(&c, &base, "count by (Hostname) (DCGM_FI_DEV_GPU_UTIL)").await;
    assert_eq!(by_host.len(), 32, "{by_host:?}");
    for s in &by_host {
        assert_eq!(s["value"][1], "8", "{s}");
    }
    // each target's instance is its host; all 32 are up
    let up = query(&c, &base, "up{job=\"dcgm\"} == 1").await;
    let instances: BTreeSet<&str> = up
        .iter()
        .filter_map(|s| s["metric"]["instance"].as_str())
        .collect();
    assert_eq!(instances.len(), 32, "{up:?}");
    assert!(instances.contains("dgx-17"));
    // the pod labels survive the scrape: 128 busy GPUs, 4 per training pod
    let pods = query(
        &c,
        &base,
        "count by (pod) (DCGM_FI_DEV_GPU_UTIL{namespace=\"ml\"})",
    )
    .await;
    assert_eq!(pods.len(), 32, "{pods:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_fault_xid_79_then_the_gpu_falls_off_the_bus_and_one_gpu_throttles() {
    // the scenario has at least two hosts even when asked for one
    let (sb, c) = start(Scenario::GpuFault, 1).await;
    let hosts = sb.gpu_hosts();
    assert_eq!(hosts.len(), 2);
    let dgx02 = &hosts[1].1;
    let m = parse(&text(&c, dgx02).await);
    let xid = by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS");
    assert_eq!(xid.len(), 8);
    assert_eq!(xid["3"].0, 79.0, "{xid:?}");
    assert!(xid.iter().all(|(g, (v, _))| g == "3" || *v == 0.0));
    // a training pod sits on the GPU, and the API says it runs on dgx-02
    let pod = xid["3"]
        .1
        .get("pod")
        .cloned()
        .expect("a pod on the XID GPU");
    let pods = ml_pods(&c, &sb).await;
    let p = pods
        .iter()
        .find(|p| p["metadata"]["name"] == pod.as_str())
        .expect("the pod exists");
    assert_eq!(p["spec"]["nodeName"], "dgx-02");
    // still there within the window, then gone: the host's other seven GPUs stay
    let again = parse(&text(&c, dgx02).await);
    assert_eq!(by_gpu(&again, "DCGM_FI_DEV_XID_ERRORS")["3"].0, 79.0);
    let (code, _) = admin(&c, &sb, "POST", "time/advance?seconds=31").await;
    assert_eq!(code, 200);
    let after = parse(&text(&c, dgx02).await);
    for name in [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_GPU_TEMP",
        "dgx_gpu_utilization_percent",
    ] {
        let gpus: BTreeSet<String> = by_gpu(&after, name).into_keys().collect();
        assert_eq!(gpus.len(), 7, "{name}: {gpus:?}");
        assert!(!gpus.contains("3"), "{name}");
    }
    // dgx-01 GPU 5: thermal slowdown (SW 0x20 and HW 0x40) near the slowdown temperature,
    // and it lasts
    for _ in 0..2 {
        let m = parse(&text(&c, &hosts[0].1).await);
        let throttle = by_gpu(&m, "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS");
        assert_eq!(throttle["5"].0 as u64, 0x60, "{throttle:?}");
        let thermal = throttle
            .values()
            .filter(|(v, _)| (*v as u64) & 0x60 != 0)
            .count();
        assert_eq!(thermal, 1, "{throttle:?}");
        let temp = by_gpu(&m, "DCGM_FI_DEV_GPU_TEMP")["5"].0;
        let slowdown = by_gpu(&m, "DCGM_FI_DEV_SLOWDOWN_TEMP")["5"].0;
        assert!((slowdown - 2.0..=slowdown + 3.0).contains(&temp), "{temp}");
        admin(&c, &sb, "POST", "time/advance?seconds=120").await;
    }
    // the steady scenario has none of it
    let (steady, c2) = start(Scenario::Steady, 2).await;
    let m = parse(&text(&c2, &steady.gpu_hosts()[1].1).await);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS")["3"].0, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_injects_xid_and_dbe_on_any_gpu_and_clears_them() {
    let (sb, c) = start(Scenario::Steady, 3).await;
    let url = &sb.gpu_hosts()[2].1;
    let (code, v) = admin(&c, &sb, "POST", "gpu/dgx-03/6/xid?code=48").await;
    assert_eq!(code, 200, "{v}");
    let (code, _) = admin(&c, &sb, "POST", "gpu/dgx-03/6/dbe?count=2").await;
    assert_eq!(code, 200);
    let (code, v) = admin(&c, &sb, "POST", "gpu/dgx-03/6/dbe").await;
    assert_eq!(v["fault"]["dbe"], 3, "{v}");
    assert_eq!(code, 200);
    let m = parse(&text(&c, url).await);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS")["6"].0, 48.0);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL")["6"].0, 3.0);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL")["5"].0, 0.0);
    // an XID other than 79 leaves the GPU on the page
    admin(&c, &sb, "POST", "time/advance?seconds=120").await;
    let m = parse(&text(&c, url).await);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS").len(), 8);
    let (code, _) = admin(&c, &sb, "POST", "gpu/dgx-03/0/throttle?reasons=0x4").await;
    assert_eq!(code, 200);
    let m = parse(&text(&c, url).await);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS")["0"].0, 4.0);
    let (code, _) = admin(&c, &sb, "DELETE", "gpu/dgx-03/6").await;
    assert_eq!(code, 200);
    let m = parse(&text(&c, url).await);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_XID_ERRORS")["6"].0, 0.0);
    assert_eq!(by_gpu(&m, "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL")["6"].0, 0.0);
    // bad input is a clear 4xx
    for (route, want) in [
        ("gpu/dgx-04/0/xid?code=79", 404),
        ("gpu/dgx-03/8/xid?code=79", 404),
        ("gpu/dgx-03/0/xid?code=banana", 400),
        ("gpu/dgx-03/0/xid", 400),
        ("gpu/dgx-03/0/melt", 404),
        ("gpu/labels?style=ancient", 400),
    ] {
        let (code, v) = admin(&c, &sb, "POST", route).await;
        assert_eq!(code, want, "{route}: {v}");
        assert!(v["error"].is_string(), "{route}: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_label_names_switch() {
    let pod_labels = |m: &Series| -> Vec<BTreeMap<String, String>> {
        by_gpu(m, "DCGM_FI_DEV_GPU_UTIL")
            .into_values()
            .map(|(_, l)| l)
            .filter(|l| l.contains_key("pod") || l.contains_key("pod_name"))
            .collect()
    };
    let (sb, c) = start(Scenario::Steady, 1).await;
    let url = &sb.gpu_hosts()[0].1;
    let new = pod_labels(&parse(&text(&c, url).await));
    assert_eq!(new.len(), 4);
    assert!(new.iter().all(|l| l["pod"] == "train-llama-0"
        && l["namespace"] == "ml"
        && l["container"] == "trainer"
        && !l.contains_key("pod_name")));
    let (code, v) = admin(&c, &sb, "POST", "gpu/labels?style=old").await;
    assert_eq!((code, v["pod_labels"].as_str()), (200, Some("old")));
    let old = pod_labels(&parse(&text(&c, url).await));
    assert_eq!(old.len(), 4);
    assert!(old.iter().all(|l| l["pod_name"] == "train-llama-0"
        && l["pod_namespace"] == "ml"
        && l["container_name"] == "trainer"
        && !l.contains_key("pod")
        && !l.contains_key("namespace")));
    admin(&c, &sb, "POST", "gpu/labels?style=new").await;
    assert_eq!(pod_labels(&parse(&text(&c, url).await)), new);
    // and as a start-up option
    let sb = Sandbox::start(SandboxOptions {
        gpu_old_pod_labels: true,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    let old = pod_labels(&parse(&text(&c, &sb.gpu_hosts()[0].1).await));
    assert!(old.len() == 4 && old.iter().all(|l| l.contains_key("pod_name")));
}

#[tokio::test]
async fn gpu_hosts_out_of_range_is_refused() {
    for n in [0, 1001] {
        let e = Sandbox::start(SandboxOptions {
            gpu_hosts: n,
            ..SandboxOptions::default()
        })
        .await
        .err()
        .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("1 to 1000")),
            "{n}: {e:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_written_as_other_exporters_write_them_and_a_replaced_gpu_set() {
    let (sb, c) = start(Scenario::Steady, 2).await;
    let url = |q: &str| format!("{}/gpu/dgx-01/metrics{q}", sb.base_url());
    let plain = parse(&text(&c, &url("")).await);
    let uuids: BTreeSet<String> = plain
        .keys()
        .filter(|(n, _)| n == "DCGM_FI_DEV_GPU_TEMP")
        .map(|(_, l)| l["UUID"].clone())
        .collect();
    assert_eq!(uuids.len(), 8);

    // DCGM alone, its newer `hostname`, GPUs 0 and 1 partitioned into three MIG instances
    let page = parse(&text(&c, &url("?exporter=dcgm&hostname=lower&mig=2")).await);
    assert!(page.keys().all(|(n, _)| n.starts_with("DCGM_")));
    assert!(page.keys().all(
        |(_, l)| l.get("hostname").map(String::as_str) == Some("dgx-01")
            && !l.contains_key("Hostname")
    ));
    let temps: Vec<&BTreeMap<String, String>> = page
        .keys()
        .filter(|(n, l)| n == "DCGM_FI_DEV_GPU_TEMP" && l["gpu"] == "0")
        .map(|(_, l)| l)
        .collect();
    let instances: BTreeSet<(&str, &str)> = temps
        .iter()
        .map(|l| (l["GPU_I_ID"].as_str(), l["GPU_I_PROFILE"].as_str()))
        .collect();
    assert_eq!(
        instances,
        BTreeSet::from([("2", "3g.40gb"), ("3", "2g.20gb"), ("9", "1g.10gb")])
    );
    // no GPU_UTIL for a MIG GPU; the engine's activity per instance instead
    assert!(
        !page
            .keys()
            .any(|(n, l)| n == "DCGM_FI_DEV_GPU_UTIL" && l["gpu"] == "1")
    );
    let engine = page
        .iter()
        .filter(|((n, l), _)| n == "DCGM_FI_PROF_GR_ENGINE_ACTIVE" && l["gpu"] == "0")
        .count();
    assert_eq!(engine, 3);
    // the pod on the first instance only
    let pods: Vec<&str> = temps
        .iter()
        .filter_map(|l| l.get("pod").map(|_| l["GPU_I_ID"].as_str()))
        .collect();
    assert_eq!(pods, ["2"]);

    let r = c.get(url("?mig=9")).send().await.expect("GET");
    assert_eq!(r.status().as_u16(), 400);

    // a replaced set: eight other UUIDs on the same page
    let (code, v) = admin(&c, &sb, "POST", "gpu/dgx-01/replace").await;
    assert_eq!((code, v["generation"].as_u64()), (200, Some(1)));
    let after: BTreeSet<String> = parse(&text(&c, &url("")).await)
        .keys()
        .filter(|(n, _)| n == "DCGM_FI_DEV_GPU_TEMP")
        .map(|(_, l)| l["UUID"].clone())
        .collect();
    assert_eq!(after.len(), 8);
    assert!(after.is_disjoint(&uuids));
    let (code, _) = admin(&c, &sb, "POST", "gpu/dgx-09/replace").await;
    assert_eq!(code, 404);
}

/// `?hostname=pod`: the host label names the exporter's own pod on that node, as
/// dcgm-exporter in Kubernetes writes it without `NODE_NAME`; while no such pod runs there the
/// page is 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_can_name_its_host_by_the_exporter_pod_on_the_node() {
    use k8s_openapi::api::apps::v1::DaemonSet;
    use k8s_openapi::api::core::v1::{Namespace, Pod};
    use kube::api::{Api, ListParams, PostParams};

    let (sb, c) = start(Scenario::Steady, 2).await;
    let url = format!(
        "{}/gpu/dgx-02/metrics?hostname=pod&exporter=dcgm",
        sb.base_url()
    );
    let r = c.get(&url).send().await.expect("GET page");
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);

    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "gpu-operator"}}))
            .expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
    let labels = serde_json::json!({"app.kubernetes.io/name": "dcgm-exporter"});
    let ds: DaemonSet = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "dcgm-exporter", "namespace": "gpu-operator"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {"nvidia.com/gpu.present": "true"},
                    "containers": [{"name": "exporter", "image": "dcgm-exporter:4"}],
                },
            },
        },
    }))
    .expect("daemonset");
    Api::<DaemonSet>::namespaced(client.clone(), "gpu-operator")
        .create(&PostParams::default(), &ds)
        .await
        .expect("create daemonset");
    let pods = Api::<Pod>::namespaced(client, "gpu-operator")
        .list(&ListParams::default())
        .await
        .expect("list pods");
    let on_dgx02 = pods
        .items
        .iter()
        .find(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some("dgx-02"))
        .and_then(|p| p.metadata.name.clone())
        .expect("an exporter pod on dgx-02");
    let page = text(&c, &url).await;
    let hosts: BTreeSet<&str> = page
        .lines()
        .filter(|l| l.starts_with("DCGM_FI_"))
        .filter_map(|l| l.split("Hostname=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(hosts, BTreeSet::from([on_dgx02.as_str()]), "{page}");
}
