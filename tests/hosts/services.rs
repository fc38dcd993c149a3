//! Hosts: health checks against a loopback server (hang, redirect, 500) and the sandbox,
//! systemd services through stand-ins for `systemctl`, `journalctl`, `ssh` and `sudo` on
//! PATH (they print output captured from real systems and record their argv, so these
//! tests check exactly what would be run), restart and rollback through the executor, the
//! Hosts pane and the incident hint.

use crate::support::common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use flightdeck::app::{Event, PaneId, State, update};
use flightdeck::config::{Config, HealthCheck, ServiceConfig};
use flightdeck::ops::{AuditLog, Executor, HostOutput, Operation, ServiceOp};
use flightdeck::sources::health::{self, HealthFailure};
use flightdeck::sources::systemd::{self, JournalMsg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `systemctl show` of a real unit with restart=always, as systemd 255 prints it.
const SHOW: &str = "Id=dgx-spark-mcp.service
LoadState=loaded
ActiveState=active
SubState=running
Result=success
NRestarts=4
MainPID=4242
ExecMainStartTimestamp=Tue 2026-03-03 02:58:10 UTC
MemoryCurrent=327155712
CPUUsageNSec=12345678901
";

/// Two entries of `journalctl -o json` (fields as journald exports them).
const JOURNAL: &str = r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1772506690123456","PRIORITY":"6","SYSLOG_IDENTIFIER":"dgx-spark-mcp","_PID":"4242","_SYSTEMD_UNIT":"dgx-spark-mcp.service","MESSAGE":"listening on :8765"}
{"__CURSOR":"s=1;i=3","__REALTIME_TIMESTAMP":"1772506691000000","PRIORITY":"3","SYSLOG_IDENTIFIER":"dgx-spark-mcp","_PID":"4242","_SYSTEMD_UNIT":"dgx-spark-mcp.service","MESSAGE":"GPU 0: \u001b[31mXid 79\u001b[0m fallen off the bus"}
"#;

struct Stand {
    dir: PathBuf,
    log: PathBuf,
}

/// Where the stand-ins are written: one folder per run of this test binary.
fn stand_dir() -> PathBuf {
    std::env::temp_dir().join(format!("flightdeck-hosts-{}", std::process::id()))
}

/// Puts the stand-ins' folder first on PATH before `main` runs, while this process has one
/// thread: changing the environment while test threads run (and read it, or spawn
/// processes) is undefined behaviour. The same start-up hook the `ctor` crate uses.
#[used]
#[unsafe(link_section = ".init_array")]
static PUT_STANDS_ON_PATH: extern "C" fn() = {
    extern "C" fn put() {
        let path = format!(
            "{}:{}",
            stand_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // SAFETY: runs before main, when no other thread exists
        unsafe { std::env::set_var("PATH", path) };
    }
    put
};

/// The stand-ins, written once into the folder that is first on PATH.
fn stand() -> &'static Stand {
    static S: OnceLock<Stand> = OnceLock::new();
    S.get_or_init(|| {
        let dir = stand_dir();
        std::fs::create_dir_all(&dir).expect("dir");
        let log = dir.join("argv.log");
        std::fs::write(dir.join("show.txt"), SHOW).expect("show");
        std::fs::write(dir.join("journal.txt"), JOURNAL).expect("journal");
        // the whole line in one write (O_APPEND): stand-ins run by tests in parallel must
        // not interleave their argv in the log
        let rec = format!(
            "line=\"$(basename \"$0\")\"; for a in \"$@\"; do line=\"$line [$a]\"; done; printf '%s\\n' \"$line\" >> {log}",
            log = log.display()
        );
        let scripts = [
            (
                "systemctl",
                format!(
                    "#!/bin/sh\n{rec}\nif [ \"$1\" = show ]; then cat {}/show.txt; else echo restarted; fi\n",
                    dir.display()
                ),
            ),
            (
                "journalctl",
                format!("#!/bin/sh\n{rec}\ncat {}/journal.txt\n", dir.display()),
            ),
            // ssh: records, then prints what `systemctl show` would on the remote side
            (
                "ssh",
                format!("#!/bin/sh\n{rec}\ncat {}/show.txt\n", dir.display()),
            ),
            ("sudo", format!("#!/bin/sh\n{rec}\nshift; exec \"$@\"\n")),
            (
                "list-backups",
                format!("#!/bin/sh\n{rec}\nprintf '2026-03-02 1200\\n\\n2026-03-01 0900\\n'\n"),
            ),
            ("rollback.sh", format!("#!/bin/sh\n{rec}\necho rolled back to \"$1\"\n")),
        ];
        for (name, body) in scripts {
            let p = dir.join(name);
            std::fs::write(&p, body).expect("script");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        assert!(
            std::env::var("PATH")
                .unwrap_or_default()
                .starts_with(&dir.display().to_string()),
            "the stand-ins' folder is first on PATH"
        );
        Stand { dir, log }
    })
}

/// The argv lines recorded since `from` that start with `program`.
fn recorded(program: &str) -> Vec<String> {
    std::fs::read_to_string(&stand().log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with(&format!("{program} ")))
        .map(str::to_owned)
        .collect()
}

fn service(unit: &str, host: &str) -> ServiceConfig {
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        &format!("[[service]]\nunit = \"{unit}\"\nhost = \"{host}\"\n"),
    );
    assert!(diags.is_empty(), "{diags:?}");
    config.services[0].clone()
}

fn check(name: &str, url: &str) -> HealthCheck {
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        &format!("[[health]]\nname = \"{name}\"\nurl = \"{url}\"\ntimeout_secs = 1\n"),
    );
    assert!(diags.is_empty(), "{diags:?}");
    config.health[0].clone()
}

/// A loopback server: `/hang` never answers, `/moved` redirects, `/boom` answers 500,
/// `/ok` 200. One answer per connection, said with `Connection: close`, so the client does
/// not send its next check on a connection this server has closed (a reset, not a 500).
async fn loopback() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                let answer = if req.starts_with("GET /hang") {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                } else if req.starts_with("GET /stall") || req.starts_with("GET /cut") {
                    // the headers and part of the body, then the rest never comes (or the
                    // connection is closed)
                    let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart";
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.flush().await;
                    if req.starts_with("GET /stall") {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    return;
                } else if req.starts_with("GET /moved") {
                    "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else if req.starts_with("GET /boom") {
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom"
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                };
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// A body that stalls past the timeout is a timeout, and one that breaks off is a read
/// error: neither is "the body lacks …", which would blame the service's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_or_breaks_off_is_a_timeout_or_an_error_not_a_missing_text() {
    let base = loopback().await;
    let client = health::client(Duration::from_secs(1)).expect("client");
    let with_body = |name: &str, path: &str| {
        let (config, diags) = Config::parse_lenient(
            "t.toml",
            &format!(
                "[[health]]\nname = \"{name}\"\nurl = \"{base}{path}\"\ntimeout_secs = 1\n\
                 body_contains = \"ready\"\n"
            ),
        );
        assert!(diags.is_empty(), "{diags:?}");
        config.health[0].clone()
    };
    let stalled = health::check_once(&client, &with_body("stall", "/stall")).await;
    assert_eq!(stalled.result, Err(HealthFailure::Timeout { secs: 1 }));
    let cut = health::check_once(&client, &with_body("cut", "/cut")).await;
    match &cut.result {
        Err(HealthFailure::Other(why)) => {
            assert!(why.contains("reading the body failed"), "{why}")
        }
        other => panic!("a body that breaks off is a read error: {other:?}"),
    }
    // a whole body without the text still is "the body lacks …"
    let lacks = health::check_once(&client, &with_body("ok", "/ok")).await;
    assert!(
        matches!(lacks.result, Err(HealthFailure::Body { status: 200, .. })),
        "{lacks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_name_timeouts_redirects_and_count_500s_until_failing() {
    let base = loopback().await;
    let client = health::client(Duration::from_secs(1)).expect("client");

    let hang = health::check_once(&client, &check("hang", &format!("{base}/hang"))).await;
    assert_eq!(hang.result, Err(HealthFailure::Timeout { secs: 1 }));
    assert!(
        hang.result
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("timeout")
    );

    let moved = health::check_once(&client, &check("moved", &format!("{base}/moved"))).await;
    match &moved.result {
        Err(HealthFailure::Redirect {
            status: 302,
            location,
        }) => assert_eq!(location, "/login"),
        other => panic!("a redirect is named as such: {other:?}"),
    }

    let ok = health::check_once(&client, &check("ok", &format!("{base}/ok"))).await;
    assert_eq!(ok.result, Ok(200));

    // three 500s in a row: failing (the default threshold), with the hint saying so
    let boom = check("api", &format!("{base}/boom"));
    let (config, _) = Config::parse_lenient(
        "t.toml",
        &format!("[[health]]\nname = \"api\"\nurl = \"{base}/boom\"\ntimeout_secs = 1\n"),
    );
    let mut state = common::state_with(config);
    for n in 1..=3u32 {
        let s = health::check_once(&client, &boom).await;
        assert_eq!(
            s.result,
            Err(HealthFailure::Status {
                status: 500,
                expected: 200
            })
        );
        update(&mut state, Event::Health(s));
        let h = &state.hosts.health[0];
        assert_eq!(h.consecutive, n);
        assert_eq!(h.last_status(), Some(500));
        assert_eq!(h.is_failing(), n >= 3, "after {n}");
    }
    let hint = flightdeck::app::hint::incident_hint(&state).expect("a hint");
    assert!(
        hint.contains("api /boom failed 3× in a row since"),
        "{hint}"
    );
    assert!(matches!(
        state.sources.get(&flightdeck::app::state::SourceId::Hosts),
        Some(flightdeck::app::state::SourceStatus::Failing { .. })
    ));
    // one success resets the count
    let good = health::check_once(&client, &check("api", &format!("{base}/ok"))).await;
    update(&mut state, Event::Health(good));
    assert_eq!(state.hosts.health[0].consecutive, 0);
    assert!(flightdeck::app::hint::hosts_hint(&state).is_none());
}

/// A check pointed at a listener that accepts and never answers is `unknown` until its
/// first answer: its row says so and the status bar's `hosts` is not live (it was, from
/// the first timeout on, until the third made it failing); it turns failing at the
/// threshold, and live at the first answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_never_answered_is_unknown_not_live() {
    use flightdeck::app::state::{FaceKind, SourceId};
    let base = loopback().await;
    let client = health::client(Duration::from_secs(1)).expect("client");
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        &format!(
            "[[health]]\nname = \"api\"\nurl = \"{base}/hang\"\ntimeout_secs = 1\n\
             interval_secs = 1\n"
        ),
    );
    assert!(diags.is_empty(), "{diags:?}");
    let hang = config.health[0].clone();
    let mut state = common::state_builder()
        .config(config)
        .size(140, 40)
        .at(jiff::Timestamp::now())
        .build();
    state.focus = PaneId::Hosts;
    state.zoomed = true;
    for n in 1..=3u32 {
        let sample = health::check_once(&client, &hang).await;
        assert_eq!(sample.result, Err(HealthFailure::Timeout { secs: 1 }));
        state.now = jiff::Timestamp::now();
        update(&mut state, Event::Health(sample));
        let face = state.face(SourceId::Hosts).expect("a face");
        if n < 3 {
            assert_eq!(face.kind, FaceKind::Connecting, "after {n}: {face:?}");
            assert!(state.hosts.health[0].is_unknown());
            let text = screen(&state);
            assert!(
                text.contains(&format!(
                    "api /hang  unknown — no answer yet (timeout: no answer in 1s, {n}× in a row)"
                )),
                "{text}"
            );
            assert!(!text.contains("hosts live"), "{text}");
        } else {
            assert_eq!(face.kind, FaceKind::Stale, "{face:?}");
            assert!(face.text.starts_with("failing"), "{face:?}");
            let text = screen(&state);
            assert!(
                text.contains("DOWN timeout: no answer in 1s — 3× in a row"),
                "{text}"
            );
        }
    }
    // the first answer: live
    let ok = health::check_once(&client, &check("api", &format!("{base}/ok"))).await;
    state.now = jiff::Timestamp::now();
    update(&mut state, Event::Health(ok));
    let face = state.face(SourceId::Hosts).expect("a face");
    assert_eq!(face.kind, FaceKind::Live, "{face:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_health_fails_while_the_bad_revision_serves() {
    use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
    let sb = Sandbox::start(SandboxOptions {
        scenario: Scenario::BadRelease,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    let client = health::client(Duration::from_secs(2)).expect("client");
    let base = sb.base_url();
    let checkout = health::check_once(
        &client,
        &check("checkout", &format!("{base}/health/checkout")),
    )
    .await;
    assert_eq!(
        checkout
            .result
            .as_ref()
            .err()
            .and_then(HealthFailure::status),
        Some(503)
    );
    let frontend = health::check_once(
        &client,
        &check("frontend", &format!("{base}/health/frontend")),
    )
    .await;
    assert_eq!(frontend.result, Ok(200));
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemctl_show_runs_locally_and_through_ssh_without_a_shell() {
    stand();
    let local = systemd::show(&service("dgx-spark-mcp.service", "local")).await;
    let st = local.state.expect("parsed");
    assert_eq!(
        (st.active.as_str(), st.restarts, st.main_pid),
        ("active", Some(4), Some(4242))
    );
    assert_eq!(st.memory_bytes, Some(327_155_712));
    assert!(
        recorded("systemctl").iter().any(|l| l.starts_with(
            "systemctl [show] [dgx-spark-mcp.service] [--property=Id,LoadState,ActiveState"
        )),
        "{:?}",
        recorded("systemctl")
    );
    let remote = systemd::show(&service("dgx-spark-mcp.service", "ops@dgx-01")).await;
    assert_eq!(remote.service, "ops@dgx-01/dgx-spark-mcp.service");
    assert!(remote.state.is_ok());
    assert!(
        recorded("ssh").iter().any(|l| l.starts_with(
            "ssh [-o] [BatchMode=yes] [-o] [ConnectTimeout=5] [--] [ops@dgx-01] [systemctl] [show] [dgx-spark-mcp.service]"
        )),
        "{:?}",
        recorded("ssh")
    );
    // a unit name that could inject is refused by the config, never run
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        "[[service]]\nunit = \"x;reboot.service\"\n[[service]]\nunit = \"ok.service\"\nhost = \"-oProxyCommand=id\"\n",
    );
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(config.services.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_streams_into_the_logs_pane_with_levels_from_priority() {
    stand();
    let msgs: Arc<Mutex<Vec<JournalMsg>>> = Arc::default();
    let sink = {
        let msgs = msgs.clone();
        Arc::new(move |m: JournalMsg| {
            let mut v = msgs.lock().expect("msgs");
            v.push(m);
            // stop after the stand-in's end was reported once
            !v.iter().any(|m| matches!(m, JournalMsg::Ended { .. }))
        })
    };
    let svc = service("dgx-spark-mcp.service", "local");
    tokio::time::timeout(Duration::from_secs(10), systemd::follow_journal(svc, sink))
        .await
        .expect("the follower stops when nobody listens");
    assert!(
        recorded("journalctl").iter().any(|l| l
            == "journalctl [-u] [dgx-spark-mcp.service] [-o] [json] [-f] [-n] [50] [--no-pager]"),
        "{:?}",
        recorded("journalctl")
    );
    let mut state = common::state();
    let msgs = msgs.lock().expect("msgs").clone();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    for m in msgs {
        update(&mut state, Event::Journal(m));
    }
    let source = "host/dgx-spark-mcp.service";
    let lines: Vec<_> = state
        .logs
        .entries
        .iter()
        .filter(|e| state.logs.pod(e).is_some_and(|p| p.name == source))
        .map(|e| e.line.clone())
        .collect();
    assert_eq!(lines[0].level, Some(log::Level::Info));
    assert_eq!(lines[0].message, "listening on :8765");
    assert_eq!(lines[1].level, Some(log::Level::Error));
    assert!(
        !lines[1].message.contains('\u{1b}'),
        "sanitised: {:?}",
        lines[1]
    );
    assert!(lines[1].message.contains("Xid 79"));
}

fn executor(
    dir: &std::path::Path,
    read_only: bool,
    services: Vec<ServiceConfig>,
) -> (Executor, Arc<Mutex<Vec<HostOutput>>>) {
    let lines: Arc<Mutex<Vec<HostOutput>>> = Arc::default();
    let sink = {
        let lines = lines.clone();
        Arc::new(move |l: HostOutput| lines.lock().expect("lines").push(l))
    };
    let ex = Executor::new(
        Err("no cluster".into()),
        read_only,
        AuditLog::at(dir.join("audit.jsonl")),
    )
    .with_services(services)
    .with_output(sink);
    (ex, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_and_rollback_go_through_the_operations_path() {
    stand();
    let dir = tempfile::tempdir().expect("dir");
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        r#"
[[service]]
unit = "dgx-spark-mcp.service"
sudo = true
list_backups = ["list-backups"]
rollback = ["rollback.sh"]
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let svc = config.services.clone();

    // read-only: refused, audited, nothing run
    let (ro, _) = executor(dir.path(), true, svc.clone());
    let restart = Operation::Service {
        service: "dgx-spark-mcp.service".into(),
        op: ServiceOp::Restart,
    };
    let before = recorded("sudo").len();
    let out = ro.execute(&restart, "", "").await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    assert_eq!(recorded("sudo").len(), before, "nothing ran");

    let (ex, lines) = executor(dir.path(), false, svc);
    let plan = ex.plan(restart.clone()).await.expect("plan");
    assert!(
        plan.before
            .contains(r#"["sudo", "-n", "systemctl", "restart", "dgx-spark-mcp.service"]"#),
        "{}",
        plan.before
    );
    let out = ex.execute(&restart, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    assert!(
        recorded("sudo")
            .iter()
            .any(|l| l == "sudo [-n] [systemctl] [restart] [dgx-spark-mcp.service]")
    );
    assert!(
        lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l.action == "dgx-spark-mcp.service" && l.text == "restarted")
    );

    // rollback: the backups list_backups printed, newest first, blank lines skipped
    let backups = ex
        .list_backups("dgx-spark-mcp.service")
        .await
        .expect("backups");
    assert_eq!(backups, ["2026-03-02 1200", "2026-03-01 0900"]);
    let rollback = Operation::Service {
        service: "dgx-spark-mcp.service".into(),
        op: ServiceOp::Rollback {
            backup: backups[1].clone(),
        },
    };
    let out = ex.execute(&rollback, "", "").await;
    assert!(out.ok, "{out:?}");
    // one argument, space and all
    assert!(
        recorded("rollback.sh")
            .iter()
            .any(|l| l == "rollback.sh [2026-03-01 0900]"),
        "{:?}",
        recorded("rollback.sh")
    );
    // a backup that would be an option is refused
    let bad = Operation::Service {
        service: "dgx-spark-mcp.service".into(),
        op: ServiceOp::Rollback {
            backup: "--force".into(),
        },
    };
    assert!(
        ex.execute(&bad, "", "")
            .await
            .message
            .starts_with("refused")
    );

    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit");
    let phases: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("systemd/dgx-spark-mcp.service"))
        .filter_map(|l| {
            ["\"refusal\"", "\"intent\"", "\"outcome\""]
                .into_iter()
                .find(|p| l.contains(p))
        })
        .collect();
    assert_eq!(
        phases,
        [
            "\"refusal\"",
            "\"intent\"",
            "\"outcome\"",
            "\"intent\"",
            "\"outcome\"",
            "\"refusal\""
        ],
        "{audit}"
    );
}

fn screen(state: &State) -> String {
    let backend = ratatui::backend::TestBackend::new(state.size.0, state.size.1);
    let mut term = ratatui::Terminal::new(backend).expect("terminal");
    term.draw(|f| flightdeck::ui::render(state, f))
        .expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_pane_shows_services_and_health_checks_of_a_host_without_gpus() {
    stand();
    let (config, diags) = Config::parse_lenient(
        "t.toml",
        r#"
[[service]]
unit = "dgx-spark-mcp.service"
host = "ops@dgx-01"
list_backups = ["list-backups"]
rollback = ["rollback.sh"]

[[health]]
name = "api"
url = "http://127.0.0.1:1/health"
host = "ops@dgx-01"
service = "dgx-spark-mcp.service"
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let svc = config.services[0].clone();
    let mut state = common::state_builder().config(config).size(140, 40).build();
    update(&mut state, Event::Service(systemd::show(&svc).await));
    let client = health::client(Duration::from_secs(1)).expect("client");
    let check = state.hosts.health[0].check.clone();
    for _ in 0..3 {
        update(
            &mut state,
            Event::Health(health::check_once(&client, &check).await),
        );
    }
    state.focus = PaneId::Hosts;
    state.zoomed = true;
    // as the run loop does after each batch of events: the hints are worked out there
    flightdeck::app::update::settle(&mut state);
    let text = screen(&state);
    assert!(text.contains("Hosts"), "{text}");
    assert!(text.contains("ops@dgx-01"), "{text}");
    assert!(
        text.contains("dgx-spark-mcp.service  active/running  pid 4242  restarts 4"),
        "{text}"
    );
    // the reason first (whole as far as the line allows), the count in the hint above
    assert!(text.contains("api  DOWN cannot connect"), "{text}");
    assert!(text.contains("api /health failed 3× in a row"), "{text}");
    assert!(
        text.contains("rolls back ops@dgx-01/dgx-spark-mcp.service"),
        "{text}"
    );
    let _ = stand().dir.clone();
}

#[test]
fn rollback_offers_the_printed_backups_and_plans_the_chosen_one() {
    use crossterm::event::{KeyCode, KeyEvent};
    use flightdeck::app::Effect;
    let (config, _) = Config::parse_lenient(
        "t.toml",
        "[[service]]\nunit = \"mcp.service\"\nlist_backups = [\"ls\"]\nrollback = [\"rb\"]\n",
    );
    let mut state = common::state_with(config);
    state.focus = PaneId::Hosts;
    let asked = update(&mut state, Event::Key(KeyEvent::from(KeyCode::Char('R'))));
    assert_eq!(
        asked,
        [Effect::ListBackups {
            service: "mcp.service".into()
        }]
    );
    update(
        &mut state,
        Event::Backups {
            service: "mcp.service".into(),
            backups: Ok(vec!["2026-03-02".into(), "2026-03-01".into()]),
        },
    );
    update(&mut state, Event::Key(KeyEvent::from(KeyCode::Char('j'))));
    let planned = update(&mut state, Event::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(
        planned,
        [Effect::PlanOperation(Operation::Service {
            service: "mcp.service".into(),
            op: ServiceOp::Rollback {
                backup: "2026-03-01".into()
            },
        })]
    );
}

/// How a check is named on screen and in the hint: its path, never its query string,
/// which may carry a token (#29).
#[test]
fn a_checks_title_never_shows_its_query_string() {
    let state = |url: &str| flightdeck::app::panes::hosts::HealthState {
        check: check("api", url),
        last: None,
        consecutive: 0,
        failing_since: None,
        answered: None,
    };
    assert_eq!(
        state("https://api.example/health?token=s3cr3tX&x=1").title(),
        "api /health"
    );
    assert_eq!(state("https://api.example/?api_key=k").title(), "api");
    assert_eq!(state("https://api.example").title(), "api");
    assert_eq!(state("http://h:1/ready#frag").title(), "api /ready");
}

/// Two services with a rollback on one host, and a failing check on it: the hint offers the
/// rollback of the service the check names (`service = ...`), never the first one found
/// on the host; a check that names none offers no rollback and says which check failed.
/// From a pane with no selection of its own the hint's key acts on that service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_check_offers_the_rollback_of_its_own_service() {
    use crossterm::event::{KeyCode, KeyEvent};
    use flightdeck::app::Effect;
    let base = loopback().await;
    let config = |link: &str| {
        let (config, diags) = Config::parse_lenient(
            "t.toml",
            &format!(
                "[[service]]\nunit = \"evil.service\"\nlist_backups = [\"ls\"]\nrollback = [\"rb\"]\n\
                 [[service]]\nunit = \"api.service\"\nlist_backups = [\"ls\"]\nrollback = [\"rb\"]\n\
                 [[health]]\nname = \"api\"\nurl = \"{base}/boom\"\ntimeout_secs = 1\n{link}"
            ),
        );
        assert!(diags.is_empty(), "{diags:?}");
        config
    };
    let client = health::client(Duration::from_secs(1)).expect("client");
    let failing = |config: Config| {
        let client = client.clone();
        async move {
            let mut state = common::state_with(config);
            let check = state.hosts.health[0].check.clone();
            for _ in 0..3 {
                let s = health::check_once(&client, &check).await;
                update(&mut state, Event::Health(s));
            }
            state
        }
    };

    // no link: which check failed, and no rollback offered
    let mut state = failing(config("")).await;
    let hint = flightdeck::app::hint::incident_hint(&state).expect("a hint");
    assert!(hint.contains("api /boom failed 3× in a row"), "{hint}");
    assert!(!hint.contains("rolls back"), "{hint}");
    assert!(!hint.contains("evil"), "{hint}");
    state.focus = PaneId::Logs;
    let asked = update(&mut state, Event::Key(KeyEvent::from(KeyCode::Char('R'))));
    assert!(asked.is_empty(), "{asked:?}");

    // linked: that service's rollback, from any pane without a selection of its own
    let mut state = failing(config("service = \"api.service\"\n")).await;
    let hint = flightdeck::app::hint::incident_hint(&state).expect("a hint");
    assert!(hint.contains("api /boom failed 3× in a row"), "{hint}");
    assert!(hint.ends_with("R rolls back api.service"), "{hint}");
    assert!(!hint.contains("evil"), "{hint}");
    for pane in [PaneId::Logs, PaneId::Errors] {
        state.focus = pane;
        let asked = update(&mut state, Event::Key(KeyEvent::from(KeyCode::Char('R'))));
        assert_eq!(
            asked,
            [Effect::ListBackups {
                service: "api.service".into()
            }],
            "{pane:?}: {:?}",
            state.flash
        );
    }

    // a link to no [[service]] is a config problem, at its line
    let (_, diags) = Config::parse_lenient(
        "t.toml",
        "[[health]]\nname = \"api\"\nurl = \"http://127.0.0.1:1/\"\nservice = \"nosuch.service\"\n",
    );
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].line, 4, "{diags:?}");
    assert!(diags[0].message.contains("nosuch.service"), "{diags:?}");
}
