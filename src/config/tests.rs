use super::*;

/// A token never comes from config.toml (files get shared and committed): the key is
/// refused, and the token is looked up in the named environment variable.
#[test]
fn a_token_in_the_config_file_is_refused() {
    let err = Config::parse_strict(
        "config.toml",
        "[github]\nrepo = \"a/b\"\ntoken = \"ghp_x\"\n",
    )
    .expect_err("token is not a config key");
    let text = err.iter().map(ToString::to_string).collect::<String>();
    assert!(text.contains("token"), "{text}");
    assert!(!text.contains("ghp_x"), "the secret is not echoed: {text}");
    let cfg = Config::parse_strict("config.toml", "[github]\nrepo = \"a/b\"\n").expect("ok");
    let gh = cfg.github.expect("github");
    assert_eq!((gh.token_env.as_str(), gh.token), ("GITHUB_TOKEN", None));
}

#[test]
fn design_sketch_parses() {
    let src = r#"
[[environment]]
name = "prod"
context = "prod-cluster"
namespace = "shop"
github_environment = "production"

[github]
repo = "acme/checkout"

[metrics]
prometheus = "http://prometheus:9090"
threshold = 0.05

[[metrics.target]]
service = "checkout"
url = "http://checkout:8080/metrics"

[[gpu.host]]
name = "dgx-01"
scrape = "http://dgx-01:9400/metrics"

[[host_action]]
name = "rollback dgx-spark-mcp"
command = ["sudo", "/opt/dgx-spark-mcp/scripts/rollback.sh"]
confirm = true
"#;
    let c = Config::parse_strict("c.toml", src).expect("parses");
    assert_eq!(c.environments[0].name, "prod");
    assert_eq!(
        c.github.as_ref().map(|g| g.api_url.as_str()),
        Some("https://api.github.com")
    );
    assert_eq!(c.metrics.as_ref().map(|m| m.targets.len()), Some(1));
    assert_eq!(c.gpu.hosts[0].name, "dgx-01");
    assert_eq!(c.host_actions[0].timeout_secs, 300);
}

#[test]
fn strict_names_line_and_column_lenient_keeps_the_rest() {
    let src = "[github]\nrepo = \"acme/checkout\"\n\n[metrics]\nthreshhold = 0.1\n";
    let err = Config::parse_strict("c.toml", src).unwrap_err();
    assert!(
        err[0]
            .to_string()
            .starts_with("c.toml:5:1: unknown field `threshhold`"),
        "{}",
        err[0]
    );
    let (c, diags) = Config::parse_lenient("c.toml", src);
    assert_eq!(diags.len(), 1);
    assert!(c.github.is_some(), "the good section is kept");
    let m = c.metrics.expect("the section of the unknown key is kept");
    assert_eq!(
        m.threshold, DEFAULT_ERROR_THRESHOLD,
        "without the unknown key"
    );
}

/// A syntax error loses its own table only: `[kube] kubeconfig` and the environments
/// around a broken `[github]` are still used.
#[test]
fn a_syntax_error_in_one_section_keeps_the_others() {
    let src = "[kube]\nkubeconfig = \"/srv/kube/config\"\n\n[github]\nrepo = \"acme/checkout\napi_url = \"https://ghe.example\"\n\n[[environment]]\nname = \"prod\"\n\n[ui]\ntheme = \"light\"\n";
    let (c, diags) = Config::parse_lenient("c.toml", src);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(text[0].starts_with("c.toml:5:"), "{text:?}");
    assert_eq!(
        c.kube.kubeconfig.as_deref(),
        Some(std::path::Path::new("/srv/kube/config"))
    );
    assert_eq!(c.environments.len(), 1);
    assert_eq!(c.ui.theme.as_deref(), Some("light"));
    assert_eq!(c.github, None, "the broken table is the one skipped");
    let err = Config::parse_strict("c.toml", src).expect_err("strict still fails");
    assert_eq!(err.len(), 1);
}

/// An unknown key is skipped alone: the rest of its table is kept.
#[test]
fn an_unknown_key_in_github_keeps_repo() {
    let src = "[github]\nrepo = \"acme/checkout\"\nbranch = \"main\"\ntoken_env = \"GH_TOKEN\"\n";
    let (c, diags) = Config::parse_lenient("c.toml", src);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].starts_with("c.toml:3:1: unknown field `branch`"),
        "{text:?}"
    );
    let gh = c.github.expect("github is kept");
    assert_eq!(
        (gh.repo.as_str(), gh.token_env.as_str()),
        ("acme/checkout", "GH_TOKEN")
    );
}

/// Every problem, in the order of the file (not the order of the fields).
#[test]
fn every_problem_is_reported_in_file_order() {
    let src = "[metrics]\nthreshhold = 0.1\nbogus_key = 1\nprometheus = \"ftp://prom\"\nthreshold = \"high\"\nstatus_label = \"code\"\n\n[github]\nrepo = \"acme/checkout\"\nbranch = 1\n";
    let err = Config::parse_strict("c.toml", src).expect_err("problems");
    let at: Vec<String> = err
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
        .collect();
    assert_eq!(at.len(), 5, "{at:#?}");
    assert!(
        at[0].starts_with("2:1 unknown field `threshhold`"),
        "{at:#?}"
    );
    assert!(
        at[1].starts_with("3:1 unknown field `bogus_key`"),
        "{at:#?}"
    );
    assert!(at[2].starts_with("4:15 metrics.prometheus"), "{at:#?}");
    assert!(at[3].starts_with("5:13 invalid type"), "{at:#?}");
    assert!(at[4].starts_with("10:1 unknown field `branch`"), "{at:#?}");
    // and the console keeps what was good in the same tables
    let (c, _) = Config::parse_lenient("c.toml", src);
    let m = c.metrics.expect("metrics kept");
    assert_eq!(m.status_label, "code");
    assert_eq!(c.github.map(|g| g.repo).as_deref(), Some("acme/checkout"));
}

/// One bad `[[environment]]` does not drop the others; a bad value is one problem, not
/// also a "missing field" for the key it took with it.
#[test]
fn a_bad_entry_of_an_array_is_skipped_alone() {
    let src = "[[environment]]\nname = \"dev\"\n\n[[environment]]\nname = 5\ncontext = \"x\"\n\n[[environment]]\ncontext = \"y\"\n\n[[environment]]\nname = \"prod\"\n\n[[host_action]]\nname = \"ok\"\ncommand = [\"true\"]\ntimeout_secs = -1\n";
    let (c, diags) = Config::parse_lenient("c.toml", src);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let names: Vec<&str> = c.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "prod"], "{text:?}");
    assert_eq!(text.len(), 3, "{text:#?}");
    assert!(text[0].starts_with("c.toml:5:8: invalid type"), "{text:#?}");
    assert!(
        text[1].starts_with("c.toml:8:1: missing field `name`"),
        "{text:#?}"
    );
    assert!(text[2].starts_with("c.toml:17:16: "), "{text:#?}");
    assert_eq!(c.host_actions.len(), 1, "only the bad timeout is dropped");
    assert_eq!(c.host_actions[0].timeout_secs, 300);
}

/// `check-config` names unknown themes and keymaps at their line, as the console warns.
#[test]
fn check_reports_unknown_theme_and_keymap_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[ui]\nmouse = true\ntheme = \"nosuch\"\nkeymap = \"vi\"\n",
    )
    .expect("write");
    let report = check(Some(&path));
    let file = path.display().to_string();
    assert_eq!(
        report.problems,
        [
            format!(
                "{file}:3:1: ui.theme `nosuch` is not a theme (themes: dark, high-contrast, light, mono)"
            ),
            format!("{file}:4:1: ui.keymap `vi` is not a keymap (keymaps: default, emacs)"),
        ]
    );
    assert_eq!(report.summary(), format!("checked {file}: 2 problems"));

    let missing = check(Some(&dir.path().join("nope.toml")));
    assert!(
        missing.missing && missing.problems.len() == 1,
        "{missing:?}"
    );
    assert!(
        missing.summary().contains("no config file at"),
        "{}",
        missing.summary()
    );
}

#[test]
fn validation_errors() {
    let src = "[github]\nrepo = \"checkout\"\napi_url = \"ftp://x\"\n";
    let err = Config::parse_strict("c.toml", src).unwrap_err();
    let text: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("c.toml:3:12: github.api_url")),
        "{text:?}"
    );
    assert!(text.iter().any(|t| t.contains("OWNER/NAME")), "{text:?}");
    let (c, _) = Config::parse_lenient("c.toml", src);
    assert!(c.github.is_none());
}

#[test]
fn syntax_error_gives_defaults_and_a_warning() {
    let (c, diags) = Config::parse_lenient("c.toml", "[github\nrepo=1");
    assert_eq!(c, Config::default());
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0].to_string().starts_with("c.toml:1:"),
        "{}",
        diags[0]
    );
}

#[test]
fn ui_start_must_name_an_environment() {
    let src = "[ui]\ntheme = \"dark\"\nstart = \"prdo\"\n\n[[environment]]\nname = \"prod\"\nnamespace = \"shop\"\n";
    let err = Config::parse_strict("c.toml", src).expect_err("unknown environment");
    let text = err.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        text,
        ["c.toml:3:1: ui.start `prdo` names no [[environment]] (prod)"]
    );
    // lenient: the rest is kept, the start is dropped
    let (c, diags) = Config::parse_lenient("c.toml", src);
    assert_eq!(diags.len(), 1);
    assert_eq!(c.ui.start, None);
    assert_eq!(c.ui.theme.as_deref(), Some("dark"));
    assert_eq!(c.environments.len(), 1);
    let ok = Config::parse_strict("c.toml", &src.replace("prdo", "prod")).expect("ok");
    assert_eq!(ok.ui.start.as_deref(), Some("prod"));
}

#[test]
fn protected_defaults_to_prod_names_and_a_wrong_type_fails_closed() {
    let src = "[[environment]]\nname = \"prod\"\n\n[[environment]]\nname = \"production\"\n\n[[environment]]\nname = \"dev\"\n\n[[environment]]\nname = \"live\"\nprotected = true\n\n[[environment]]\nname = \"prod-eu\"\nprotected = false\n";
    let c = Config::parse_strict("c.toml", src).expect("ok");
    let protected: Vec<bool> = c.environments.iter().map(|e| e.is_protected()).collect();
    assert_eq!(protected, [true, true, false, true, false]);

    let bad =
        "[[environment]]\nname = \"dev\"\n\n[[environment]]\nname = \"prod\"\nprotected = \"no\"\n";
    let err = Config::parse_strict("c.toml", bad).expect_err("a string is not a bool");
    let text = err.iter().map(ToString::to_string).collect::<String>();
    assert!(text.starts_with("c.toml:6:13: "), "{text}");
    assert!(text.contains("bool"), "{text}");
    // the console keeps every environment, and the bad one counts as protected
    let (c, diags) = Config::parse_lenient("c.toml", bad);
    assert_eq!(diags.len(), 1);
    let names: Vec<(&str, bool)> = c
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.is_protected()))
        .collect();
    assert_eq!(names, [("dev", false), ("prod", true)]);
}

#[test]
fn services_and_health_checks_parse_with_defaults_and_bad_entries_are_skipped() {
    let src = r#"
[[service]]
unit = "dgx-spark-mcp.service"
list_backups = ["ls"]
rollback = ["rb"]

[[service]]
unit = "bad name.service"

[[health]]
name = "api"
url = "http://api/health"

[[health]]
name = "ftp"
url = "ftp://x"
"#;
    let (c, diags) = Config::parse_lenient("c.toml", src);
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(
        diags[0].to_string().contains("not a systemd unit name"),
        "{}",
        diags[0]
    );
    assert!(
        diags[1].to_string().contains("not an http(s) URL"),
        "{}",
        diags[1]
    );
    assert_eq!(c.services.len(), 1);
    let s = &c.services[0];
    assert_eq!(
        (s.host.as_str(), s.interval_secs, s.journal),
        ("local", 5, true)
    );
    assert_eq!(c.health.len(), 1);
    let h = &c.health[0];
    assert_eq!(
        (h.expect_status, h.failures, h.timeout_secs, h.host.as_str()),
        (200, 3, 5, "local")
    );
    // rollback without list_backups has nothing to offer
    let (c, diags) = Config::parse_lenient(
        "c.toml",
        "[[service]]\nunit = \"a.service\"\nrollback = [\"rb\"]\n",
    );
    assert!(c.services.is_empty() && diags.len() == 1, "{diags:?}");
}

/// `[metrics] revision_label`: a Prometheus label name, `rollouts_pod_template_hash` unless
/// set; a bad one is a problem at its line and the console keeps the default.
#[test]
fn revision_label_default_and_validation() {
    let (c, diags) = Config::parse_lenient("c.toml", "[metrics]\nthreshold = 0.05\n");
    assert!(diags.is_empty(), "{diags:?}");
    let m = c.metrics.expect("metrics");
    assert_eq!(m.revision_label, "rollouts_pod_template_hash");
    for bad in ["", "9lives", "pod-template-hash", "app.version"] {
        let src = format!("[metrics]\nrevision_label = \"{bad}\"\n");
        let (c, diags) = Config::parse_lenient("c.toml", &src);
        let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{bad}: {text:?}");
        assert!(
            text[0].starts_with("c.toml:2:1: metrics.revision_label"),
            "{text:?}"
        );
        assert!(
            text[0].contains("is not a Prometheus label name"),
            "{text:?}"
        );
        let m = c.metrics.expect("metrics kept");
        assert_eq!(m.revision_label, "rollouts_pod_template_hash");
    }
    for good in ["version", "_hash", "app_kubernetes_io_version"] {
        let src = format!("[metrics]\nrevision_label = \"{good}\"\n");
        let (c, diags) = Config::parse_lenient("c.toml", &src);
        assert!(diags.is_empty(), "{good}: {diags:?}");
        assert_eq!(c.metrics.expect("metrics").revision_label, good);
    }
}

#[test]
fn gpu_prometheus_defaults_to_metrics_and_checks_its_keys() {
    let (c, diags) =
        Config::parse_lenient("c.toml", "[metrics]\nprometheus = \"http://prom:9090\"\n");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(c.gpu_prometheus(), Some("http://prom:9090"));
    assert_eq!(c.gpu.host_label(), "hostname");
    let (c, diags) = Config::parse_lenient(
        "c.toml",
        "[metrics]\nprometheus = \"http://prom:9090\"\n\n[gpu]\nprometheus = \"prom:9090\"\nhost_label = \"node-name\"\n",
    );
    let texts: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("c.toml:5:1: gpu.prometheus: `prom:9090`")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("gpu.host_label `node-name`")),
        "{texts:?}"
    );
    // the bad keys are dropped: the fleet falls back to [metrics] prometheus
    assert_eq!(c.gpu_prometheus(), Some("http://prom:9090"));
    assert_eq!(c.gpu.host_label(), "hostname");
}

/// `[ui] color`, `mouse` and `clipboard`: the SSH settings, and a bad colour depth named
/// at its line.
#[test]
fn ui_color_mouse_and_clipboard() {
    let (c, diags) = Config::parse_lenient(
        "c.toml",
        "[ui]\ncolor = \"256\"\nmouse = false\nclipboard = false\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(c.ui.color, crate::term::ColorSetting::Ansi256);
    assert!(!c.ui.mouse && !c.ui.clipboard);
    let d = Config::default();
    assert_eq!(d.ui.color, crate::term::ColorSetting::Auto);
    assert!(d.ui.mouse && d.ui.clipboard);
    let (_, diags) = Config::parse_lenient("c.toml", "[ui]\ncolor = \"88\"\n");
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.starts_with("c.toml:2:")), "{text:?}");
}

/// `[metrics] window`: `5m` unless set; a value that is not a Prometheus duration is a
/// problem at its line, and the console keeps the default.
#[test]
fn rate_window_default_and_validation() {
    let (c, diags) = Config::parse_lenient("c.toml", "[metrics]\nthreshold = 0.05\n");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(c.metrics.expect("metrics").window, "5m");
    for bad in ["", "5", "5 m", "-5m", "0s", "five", "5mm", "2w1d1y"] {
        let src = format!("[metrics]\nthreshold = 0.05\nwindow = \"{bad}\"\n");
        let (c, diags) = Config::parse_lenient("c.toml", &src);
        let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{bad}: {text:?}");
        assert!(
            text[0].starts_with("c.toml:3:1: metrics.window"),
            "{text:?}"
        );
        assert!(text[0].contains("is not a Prometheus duration"), "{text:?}");
        assert_eq!(c.metrics.expect("metrics kept").window, "5m");
    }
    for (good, secs) in [("90s", 90), ("1h30m", 5400), ("2m", 120)] {
        let src = format!("[metrics]\nwindow = \"{good}\"\n");
        let (c, diags) = Config::parse_lenient("c.toml", &src);
        assert!(diags.is_empty(), "{good}: {diags:?}");
        assert_eq!(c.metrics.expect("metrics").window, good);
        assert_eq!(
            crate::config::parse_rate_window(good),
            Some(std::time::Duration::from_secs(secs))
        );
    }
}

// [keys.prompt]: single named or C-/A- keys, prompt actions, no global fallback
mod prompt_keys {
    use crate::action::Action;
    use crate::config::keymap::{self, Key, KeyCode, KeyContext, Lookup};

    #[test]
    fn the_prompt_context_takes_single_named_keys_and_prompt_actions() {
        let src = "[keys.prompt]\n\
                   C-j = \"prompt.accept\"\n\
                   esc = \"prompt.close\"\n\
                   j = \"prompt.next\"\n\
                   C-q = \"app.quit\"\n\
                   C-x = { C-s = \"prompt.accept\" }\n\
                   C-c = \"prompt.clear\"\n\
                   A-b = \"prompt.left\"\n";
        let (file, diags) = keymap::parse("t", "t.toml", src);
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 5, "{text:#?}");
        assert!(
            text[0].starts_with("t.toml:3:1: `esc` always leaves a prompt"),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("t.toml:4:1: `j` is typed text in a prompt"),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with("t.toml:5:1: `app.quit` does nothing in a prompt"),
            "{}",
            text[2]
        );
        assert!(
            text[3].starts_with("t.toml:6:1: [keys.prompt] binds single keys"),
            "{}",
            text[3]
        );
        assert!(
            text[4].starts_with("t.toml:7:1: `C-c` always leaves a prompt"),
            "{}",
            text[4]
        );
        let km = file.keymap;
        let cj = Key::parse("C-j").expect("C-j");
        assert_eq!(
            km.lookup(KeyContext::Prompt, &[cj]),
            Lookup::Action(Action::PromptAccept)
        );
        assert_eq!(
            km.lookup(KeyContext::Prompt, &[Key::parse("A-b").expect("A-b")]),
            Lookup::Action(Action::PromptLeft)
        );
    }

    #[test]
    fn a_prompt_never_falls_back_to_global_keys() {
        let src = "[keys.global]\nq = \"app.quit\"\nC-n = \"select.down\"\n[keys.prompt]\ndown = \"prompt.next\"\n";
        let (file, diags) = keymap::parse("t", "t.toml", src);
        assert!(diags.is_empty(), "{diags:?}");
        let km = file.keymap;
        assert_eq!(
            km.lookup(KeyContext::Prompt, &[Key::char('q')]),
            Lookup::Unbound
        );
        assert_eq!(km.key_for(KeyContext::Prompt, Action::SelectDown), None);
        assert_eq!(
            km.key_for(KeyContext::Dialog, Action::SelectDown)
                .as_deref(),
            Some("C-n")
        );
        assert_eq!(
            km.key_for(KeyContext::Prompt, Action::PromptNext)
                .as_deref(),
            Some("down")
        );
    }

    #[test]
    fn hints_write_the_minus_sign_as_itself() {
        assert_eq!(Key::parse("minus").map(|k| k.hint()).as_deref(), Ok("-"));
        assert_eq!(Key::parse("C--").map(|k| k.hint()).as_deref(), Ok("C--"));
        assert_eq!(
            Key::parse("space").map(|k| k.hint()).as_deref(),
            Ok("space")
        );
    }

    #[test]
    fn a_keymap_without_prompt_keys_keeps_the_defaults() {
        let (default, _) = keymap::parse(
            "default",
            "d.toml",
            "[keys.prompt]\nenter = \"prompt.accept\"\n[keys.dialog]\nenter = \"dialog.next\"\ny = \"dialog.confirm\"\n",
        );
        let (mine, diags) = keymap::parse(
            "mine",
            "m.toml",
            "[keys.global]\nq = \"app.quit\"\n[keys.dialog]\ny = \"noop\"\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let mut km = mine.keymap;
        km.fill_from(&default.keymap);
        let enter = Key::plain(KeyCode::Enter);
        assert_eq!(
            km.lookup(KeyContext::Prompt, &[enter]),
            Lookup::Action(Action::PromptAccept)
        );
        assert_eq!(
            km.lookup(KeyContext::Dialog, &[enter]),
            Lookup::Action(Action::DialogNext)
        );
        // what the keymap says stays
        assert_eq!(
            km.lookup(KeyContext::Dialog, &[Key::char('y')]),
            Lookup::Unbound
        );
    }
}

/// Safety settings fail closed: an environment entry with a problem inside it keeps the
/// strictest protection, whatever it said, and says why (#29).
#[test]
fn an_environment_entry_with_a_problem_stays_protected() {
    // a duplicate key makes the entry a syntax error: it used to be dropped whole, and
    // prod became unprotected
    let src = "[[environment]]\nname = \"staging\"\nnamespace = \"shop-staging\"\n\n\
               [[environment]]\nname = \"prod\"\ncontext = \"prod-eu\"\nnamespace = \"shop\"\n\
               protected = false\nprotected = true\n\n\
               [[environment]]\nname = \"payments-live\"\nprotected = \"yes\"\n\n\
               [[environment]]\nname = \"dev\"\nprotected = false\n";
    let (c, diags) = Config::parse_lenient("config.toml", src);
    assert!(diags.len() >= 2, "{diags:?}");
    let names: Vec<&str> = c.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["staging", "prod", "payments-live", "dev"],
        "file order kept"
    );
    let prod = &c.environments[1];
    assert!(prod.is_protected());
    assert_eq!(prod.context.as_deref(), Some("prod-eu"));
    assert_eq!(prod.namespace.as_deref(), Some("shop"));
    assert_eq!(
        prod.invalid.as_deref(),
        Some("config line 10 invalid: protected"),
        "{diags:?}"
    );
    // a bad value for `protected` does not fall back to the name's default (false here)
    let live = &c.environments[2];
    assert!(live.is_protected());
    assert!(live.invalid.is_some());
    // entries without a problem are as they say
    assert!(!c.environments[0].is_protected());
    assert!(c.environments[0].invalid.is_none());
    assert!(!c.environments[3].is_protected());
}

/// A problem of an `[[health]]`/`[[service]]` entry is at that entry's line, not at the
/// first place its name happens to occur in the file.
#[test]
fn an_entry_problem_points_at_its_own_entry() {
    let src = "[[health]]\nname = \"api-gateway\"\nurl = \"http://api/healthz\"\n\n\
               [[health]]\nname = \"api\"\nurl = \"ftp://api/healthz\"\n\n\
               [[service]]\nunit = \"web-old.service\"\n\n\
               [[service]]\nunit = \"web.service\"\ninterval_secs = 0\n\n\
               [[service]]\nunit = \"web.service\"\nhost = \"-oProxyCommand=x\"\n";
    let err = Config::parse_strict("c.toml", src).expect_err("bad entries");
    let text: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 3, "{text:#?}");
    assert!(text[0].starts_with("c.toml:7:1: health `api`"), "{text:#?}");
    assert!(
        text[1].starts_with("c.toml:14:1: service `web.service`"),
        "{text:#?}"
    );
    assert!(text[2].starts_with("c.toml:18:1: host `-o"), "{text:#?}");
}

/// An entry the lenient parse drops (here: no `url`) is not counted: the problem of the
/// next entry of the same name is at that entry's line.
#[test]
fn a_dropped_entry_does_not_shift_the_next_ones_problem() {
    let src = "[[health]]\nname = \"api\"\n\n\
               [[health]]\nname = \"api\"\nbogus = 1\nurl = \"ftp://api/healthz\"\n";
    let (c, diags) = Config::parse_lenient("c.toml", src);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(c.health.is_empty(), "{text:#?}");
    assert_eq!(text.len(), 3, "{text:#?}");
    assert!(
        text[0].starts_with("c.toml:1:1: missing field `url`"),
        "{text:#?}"
    );
    assert!(
        text[1].starts_with("c.toml:6:1: unknown field `bogus`"),
        "{text:#?}"
    );
    assert!(text[2].starts_with("c.toml:7:1: health `api`"), "{text:#?}");

    // and after a part dropped for a syntax error
    let src = "[[health]]\nname = \"api\"\nurl = \n\n\
               [[health]]\nname = \"api\"\nurl = \"ftp://api/healthz\"\n";
    let (_, diags) = Config::parse_lenient("c.toml", src);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 2, "{text:#?}");
    assert!(text[0].starts_with("c.toml:3:"), "{text:#?}");
    assert!(text[1].starts_with("c.toml:7:1: health `api`"), "{text:#?}");
}

#[test]
fn gpu_reads_are_one_decision_for_the_pane_and_gpu_once() {
    let reads = |text: &str| {
        let (c, diags) = Config::parse_lenient("c.toml", text);
        assert!(diags.is_empty(), "{diags:?}");
        c.gpu_reads()
    };
    // an explicit fleet is the whole view
    let r = reads(
        "[gpu]\nprometheus = \"http://prom:9090\"\n\n[[gpu.host]]\nname = \"a\"\nscrape = \"http://a/metrics\"\n",
    );
    assert_eq!(r.prometheus.as_deref(), Some("http://prom:9090"));
    assert!(!r.local && r.pages.is_empty());
    // [metrics] prometheus adds the fleet beside NVML when no page is listed
    let r = reads("[metrics]\nprometheus = \"http://m:9090\"\n");
    assert_eq!(r.prometheus.as_deref(), Some("http://m:9090"));
    assert!(r.local);
    // listed pages: those, and no fleet
    let r = reads(
        "[metrics]\nprometheus = \"http://m:9090\"\n\n[[gpu.host]]\nname = \"a\"\nscrape = \"http://a/metrics\"\n",
    );
    assert_eq!(r.prometheus, None);
    assert!(!r.local);
    assert_eq!(r.pages, [("a".to_owned(), "http://a/metrics".to_owned())]);
}

#[test]
fn metrics_targets_name_their_environment() {
    let src = r#"
[[environment]]
name = "prod"
namespace = "shop"

[[environment]]
name = "staging"
namespace = "shop-staging"
metrics_labels = { namespace = "shop-staging" }

[metrics]
prometheus = "http://prometheus:9090"

[[metrics.target]]
service = "checkout"
environment = "prod"

[[metrics.target]]
service = "checkout"
environment = "staging"

[[metrics.target]]
service = "search"
"#;
    let c = Config::parse_strict("c.toml", src).expect("parses");
    let m = c.metrics.as_ref().expect("[metrics]");
    let of = |env: Option<&str>| -> Vec<(&str, Option<&str>)> {
        m.targets_for(env)
            .map(|t| (t.service.as_str(), t.environment.as_deref()))
            .collect()
    };
    // a target naming no environment is every environment's, as before targets named one
    assert_eq!(
        of(Some("prod")),
        [("checkout", Some("prod")), ("search", None)]
    );
    assert_eq!(
        of(Some("staging")),
        [("checkout", Some("staging")), ("search", None)]
    );
    assert_eq!(of(None), [("search", None)]);
    assert_eq!(
        c.environments[1]
            .metrics_labels
            .get("namespace")
            .map(String::as_str),
        Some("shop-staging")
    );

    // an environment no [[environment]] has, a page-less target in direct mode, a bad label
    let bad = r#"
[[environment]]
name = "prod"
metrics_labels = { "kube-namespace" = "shop" }

[metrics]

[[metrics.target]]
service = "checkout"
url = "http://checkout/metrics"
environment = "production"

[[metrics.target]]
service = "cart"
"#;
    let (c, diags) = Config::parse_lenient("c.toml", bad);
    let said: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[0].starts_with("c.toml:4:1: environment `prod`: metrics_labels"),
        "{said:?}"
    );
    assert!(
        said[1].starts_with("c.toml:11:1: metrics.target `checkout`: environment `production` names no [[environment]] (prod)"),
        "{said:?}"
    );
    assert!(
        said[2].starts_with("c.toml:13:1: metrics.target `cart` has no url"),
        "{said:?}"
    );
    assert!(c.metrics.as_ref().is_some_and(|m| m.targets.is_empty()));
}
