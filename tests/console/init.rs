//! `flightdeck init` as a new user runs it, in a git checkout whose `origin` is on GitHub,
//! with the sandbox's kubeconfig (and a second file in `KUBECONFIG`): one `[[environment]]`
//! per context, the production ones protected, the repository from the remote, and a file
//! that `check-config` accepts. Nothing of the developer's HOME or config is read.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use flightdeck::config::Config;
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// Runs the binary in `cwd` with a clean environment under `root` and `stdin` as its input.
fn flightdeck(root: &Path, cwd: &Path, kubeconfig: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", root.join("home"))
        .env("XDG_CONFIG_HOME", root.join("cfg"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("KUBECONFIG", kubeconfig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run flightdeck");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn parse(path: &Path) -> Config {
    let text = std::fs::read_to_string(path).expect("config written");
    let (config, diags) = Config::parse_lenient("config.toml", &text);
    assert!(diags.is_empty(), "{diags:?}\n{text}");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_config_check_config_accepts() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let checkout = root.join("checkout");
    for d in ["home", "cfg", "data", "checkout/src"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    git(&checkout, &["init", "-q"]);
    git(
        &checkout,
        &[
            "remote",
            "add",
            "origin",
            "git@github.com:acme/checkout.git",
        ],
    );
    // the sandbox's kubeconfig, and a second cluster's in another file, as KUBECONFIG=a:b
    let yaml = sb.kubeconfig_yaml();
    let a = root.join("sandbox.yaml");
    let b = root.join("prod.yaml");
    std::fs::write(&a, &yaml).expect("kubeconfig");
    std::fs::write(&b, yaml.replace("sandbox", "prod-eu")).expect("kubeconfig");
    let kubeconfig = format!("{}:{}", a.display(), b.display());
    let prometheus = format!("{}/prometheus", sb.base_url());

    // from a subdirectory of the checkout, production named on the command line
    let out = flightdeck(
        root,
        &checkout.join("src"),
        &kubeconfig,
        &[
            "init",
            "--production",
            "prod-eu",
            "--prometheus",
            &prometheus,
        ],
        "",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let written = root.join("cfg").join("flightdeck").join("config.toml");
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some(format!("checked {}: no problems", written.display()).as_str()),
        "{stdout}\n{stderr}"
    );
    let config = parse(&written);
    let envs: Vec<(Option<&str>, Option<&str>, Option<bool>)> = config
        .environments
        .iter()
        .map(|e| (e.context.as_deref(), e.namespace.as_deref(), e.protected))
        .collect();
    assert_eq!(
        envs,
        [
            (Some("sandbox"), Some("shop"), Some(false)),
            (Some("prod-eu"), Some("shop"), Some(true)),
        ]
    );
    let github = config.github.as_ref().expect("[github]");
    assert_eq!(github.repo, "acme/checkout");
    assert_eq!(github.api_url, "https://api.github.com");
    assert_eq!(
        config
            .metrics
            .as_ref()
            .and_then(|m| m.prometheus.as_deref()),
        Some(prometheus.as_str())
    );
    let text = std::fs::read_to_string(&written).expect("read");
    assert!(
        !text.contains("sandbox-token"),
        "no credential is copied:\n{text}"
    );

    // the services were asked of Prometheus; with two contexts and series that carry no
    // namespace, whose they are is left to the user (commented), not guessed
    assert!(
        config
            .metrics
            .as_ref()
            .is_some_and(|m| m.targets.is_empty()),
        "{text}"
    );
    assert!(
        text.contains("# [[metrics.target]]\n# service = \"checkout\"\n"),
        "{text}"
    );
    assert!(stderr.contains("services found in Prometheus"), "{stderr}");
    // with one context they are that environment's
    let one = root.join("one.toml");
    let single = flightdeck(
        root,
        &checkout,
        &a.display().to_string(),
        &[
            "init",
            "--production",
            "sandbox",
            "--prometheus",
            &prometheus,
            "--output",
            &one.display().to_string(),
        ],
        "",
    );
    assert_eq!(single.status.code(), Some(0), "{single:?}");
    let targets: Vec<(String, Option<String>)> = parse(&one)
        .metrics
        .expect("[metrics]")
        .targets
        .into_iter()
        .map(|t| (t.service, t.environment))
        .collect();
    for service in ["checkout", "cart", "frontend"] {
        assert!(
            targets.contains(&(service.to_owned(), Some("sandbox".to_owned()))),
            "{service}: {targets:?}"
        );
    }

    // check-config, run on its own, accepts the file
    let check = flightdeck(root, root, &kubeconfig, &["check-config"], "");
    assert_eq!(check.status.code(), Some(0), "{check:?}");

    // an existing file is not replaced without --force
    let again = flightdeck(
        root,
        &checkout,
        &kubeconfig,
        &["init", "--production", ""],
        "",
    );
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&written).expect("read"), text);

    // --force and --output, production answered on stdin by number
    let other = root.join("elsewhere").join("fd.toml");
    let asked = flightdeck(
        root,
        &checkout,
        &kubeconfig,
        &["init", "--force", "--output", &other.display().to_string()],
        "1\n",
    );
    assert_eq!(asked.status.code(), Some(0), "{asked:?}");
    assert!(
        String::from_utf8_lossy(&asked.stderr).contains("Which are production"),
        "{asked:?}"
    );
    let config = parse(&other);
    let protected: Vec<Option<bool>> = config.environments.iter().map(|e| e.protected).collect();
    assert_eq!(protected, [Some(true), Some(false)]);
    assert!(config.metrics.is_none(), "no --prometheus, no [metrics]");
}
