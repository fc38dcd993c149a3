//! `flightdeck gpu --once [--json]` through the real binary: NVML from the fake
//! libnvidia-ml.so given with `--nvml-lib`, a remote host from the config's `[[gpu.host]]`,
//! served on loopback; exit 1 when a host cannot be read.
#![cfg(target_os = "linux")]

use crate::support::fake_nvml;
use crate::support::gpu_pages;

use std::path::Path;
use std::process::Command;

fn write_config(dir: &Path, hosts: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = String::new();
    for (name, url) in hosts {
        text.push_str(&format!(
            "[[gpu.host]]\nname = \"{name}\"\nscrape = \"{url}\"\n\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs the binary off the async runtime (it serves the page the binary scrapes).
async fn flightdeck(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(&args)
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join("flightdeck-gpu-cli-none"),
            )
            .output()
            .expect("run flightdeck")
    })
    .await
    .expect("join")
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("flightdeck-gpu-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_sample_of_local_and_configured_hosts() {
    let url = gpu_pages::serve_dcgm().await;
    let dir = tempdir("json");
    let config = write_config(&dir, &[("dgx-02", &url)]);
    let lib = fake_nvml::lib("h100x8");
    let out = flightdeck(vec![
        "--config".into(),
        config.display().to_string(),
        "--nvml-lib".into(),
        lib.display().to_string(),
        "gpu".into(),
        "--once".into(),
        "--json".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let hosts = v["hosts"].as_array().expect("hosts");
    assert_eq!(hosts[0]["host"], "local");
    assert_eq!(hosts[1]["host"], "dgx-02");
    assert_eq!(hosts[1]["gpus"].as_array().map(Vec::len), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_exits_1_with_the_table() {
    // a port nothing listens on: bind, read the port, close
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let dir = tempdir("down");
    let config = write_config(
        &dir,
        &[("dgx-09", &format!("http://127.0.0.1:{port}/metrics"))],
    );
    let lib = fake_nvml::lib("h100x8");
    let out = flightdeck(vec![
        "--config".into(),
        config.display().to_string(),
        "--nvml-lib".into(),
        lib.display().to_string(),
        "gpu".into(),
        "--once".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("HOST"), "the table is printed: {stdout}");
    assert!(stdout.contains("dgx-09: "), "the host's error: {stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_once_says_how() {
    let out = flightdeck(vec!["gpu".into()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--once"));
}

/// `flightdeck --config CONFIG --nvml-lib LIB gpu --once [--json]`.
fn once_args(config: &Path, lib: &Path, json: bool) -> Vec<String> {
    let mut args = vec![
        "--config".to_owned(),
        config.display().to_string(),
        "--nvml-lib".into(),
        lib.display().to_string(),
        "gpu".into(),
        "--once".into(),
    ];
    if json {
        args.push("--json".into());
    }
    args
}

/// An exporter page whose model name and host label carry terminal sequences: OSC 52
/// (clipboard), OSC 0 (window title), a screen clear, an 8-bit CSI and a bidi override.
const HOSTILE: &str =
    "H100\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;pwned-title\u{7}\u{1b}[2J\u{9b}31m\u{202e}lave";

/// The raw bytes a terminal would act on, found in `bytes`.
fn terminal_hazards(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .filter(|&c| flightdeck::text::is_hazard(c) && !matches!(c, '\n' | '\t'))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_exporter_text_never_reaches_the_terminal_raw() {
    let page = gpu_pages::dcgm_page("dgx-02", "Hostname", 2)
        .replace("NVIDIA H100 80GB HBM3", &HOSTILE.replace('\\', "\\\\"))
        .replace("Hostname=\"dgx-02\"", &format!("Hostname=\"dgx{HOSTILE}\""));
    assert!(page.contains("pwned-title"), "the page carries the payload");
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let page = page.clone();
            async move { page }
        }),
    );
    let url = format!("{}/metrics", gpu_pages::serve(app).await);
    let dir = tempdir("hostile");
    let config = write_config(&dir, &[("dgx-02", &url)]);
    let lib = fake_nvml::lib("broken");
    let run = |json: bool| flightdeck(once_args(&config, &lib, json));
    let table = run(false).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("H100"), "the GPUs are listed: {text}");
    assert_eq!(
        terminal_hazards(&table.stdout),
        Vec::<String>::new(),
        "{text:?}"
    );
    assert_eq!(terminal_hazards(&table.stderr), Vec::<String>::new());
    // the whole sequence goes, payload included: no printable residue acts or misleads
    for residue in ["pwned-title", "]52;c;", "]0;", "[2J"] {
        assert!(!text.contains(residue), "{residue} in {text:?}");
    }
    let json = run(true).await;
    assert_eq!(terminal_hazards(&json.stdout), Vec::<String>::new());
    // escaped, not lost: the JSON still says exactly what the exporter said
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    let names: Vec<&str> = v["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .flat_map(|h| h["gpus"].as_array().into_iter().flatten())
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(names.contains(&HOSTILE), "{names:?}");
}

/// A scrape URL's password and token stay out of what `gpu --once` prints about it (#29).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_a_scrape_url_are_not_printed() {
    let closed = gpu_pages::closed_url().await;
    let url = closed.replace("http://", "http://ops:pa55word9@") + "?token=tok3n99x";
    let dir = tempdir("creds");
    let config = write_config(&dir, &[("dgx-02", &url)]);
    let lib = fake_nvml::lib("broken");
    for json in [false, true] {
        let out = flightdeck(once_args(&config, &lib, json)).await;
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("dgx-02"), "the host is reported: {all}");
        for secret in ["pa55word9", "tok3n99x"] {
            assert!(!all.contains(secret), "{secret} printed: {all}");
        }
    }
}
