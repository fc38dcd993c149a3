//! State: plain data owned by the ui task. Sources never touch it; they send events.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::config::keymap::Key;
use crate::config::{Assets, Config, Keymap, Theme};
use crate::pane::PaneId;

/// The data sources behind the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    Pipeline,
    Kube,
    Metrics,
    Logs,
    Gpu,
    /// `[[service]]` and `[[health]]`: failing when any of them fails.
    Hosts,
}

impl SourceId {
    pub const ALL: [SourceId; 6] = [
        SourceId::Pipeline,
        SourceId::Kube,
        SourceId::Metrics,
        SourceId::Logs,
        SourceId::Gpu,
        SourceId::Hosts,
    ];

    /// Short label for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            SourceId::Pipeline => "ci",
            SourceId::Kube => "k8s",
            SourceId::Metrics => "metrics",
            SourceId::Logs => "logs",
            SourceId::Gpu => "gpu",
            SourceId::Hosts => "hosts",
        }
    }

    pub fn for_pane(pane: PaneId) -> SourceId {
        match pane {
            PaneId::Pipeline => SourceId::Pipeline,
            PaneId::Workloads => SourceId::Kube,
            PaneId::Errors => SourceId::Metrics,
            PaneId::Logs => SourceId::Logs,
            PaneId::Hosts => SourceId::Gpu,
        }
    }
}

/// What is known about a source, honestly: never "live" without data behind it.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceStatus {
    /// Nothing in the config enables it; `hint` names the key that would.
    NotConfigured { hint: String },
    /// Configured, but this build or this situation cannot serve it; `reason` says why.
    Unavailable { reason: String },
    /// Trying since `since`, nothing answered yet.
    Connecting { since: Timestamp },
    Live {
        /// The last successful contact: a poll answered (changed or not), a stream's
        /// last message (an event, a bookmark), a probe of the server answered. An open
        /// stream is not contact by itself: the face turns stale past the source's bound
        /// without one (`State::contact_bound`).
        updated: Timestamp,
        /// When the data last changed.
        changed: Timestamp,
        /// A stream (a watch, a followed log) is open.
        open: bool,
    },
    /// Failing now; the last good data (if any) is kept and shown as stale.
    Failing {
        error: String,
        since: Timestamp,
        /// The last successful contact, if there was one.
        last_ok: Option<Timestamp>,
    },
}

/// Quiet: connected, nothing changed for at least this long (not stale: in contact).
pub const QUIET_AFTER_SECS: i64 = 60;

/// Why a live source is stale when nothing failed: nothing proved contact within its bound.
pub const NO_CONTACT: &str = "no contact";

/// How a source looks in the status bar: each has its own theme style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceKind {
    /// `connecting 12s`: trying, nothing answered yet.
    Connecting,
    /// `live`: in contact, changed within the last minute.
    Live,
    /// `quiet 3m`: in contact, nothing changed for that long.
    Quiet,
    /// `stale 40s (connection refused)`: failing, age of the last successful contact; or
    /// `failing 40s (…)` when nothing ever answered.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Face {
    pub kind: FaceKind,
    pub text: String,
}

impl SourceStatus {
    /// Contact and change at `at` (a poll that brought data).
    pub fn polled(at: Timestamp) -> SourceStatus {
        SourceStatus::Live {
            updated: at,
            changed: at,
            open: false,
        }
    }

    /// A poll answered at `at` with nothing new: contact, and the change time of `prev`
    /// kept.
    pub fn unchanged(prev: Option<&SourceStatus>, at: Timestamp) -> SourceStatus {
        let changed = match prev {
            Some(SourceStatus::Live { changed, .. }) => *changed,
            _ => at,
        };
        SourceStatus::Live {
            updated: at,
            changed,
            open: false,
        }
    }

    /// Failing at `at`: since the first failure of a run of them (`prev` failing already
    /// keeps its `since`), so a retry never restarts the failing age.
    pub fn failing(
        prev: Option<&SourceStatus>,
        error: String,
        at: Timestamp,
        last_ok: Option<Timestamp>,
    ) -> SourceStatus {
        let since = match prev {
            Some(SourceStatus::Failing { since, .. }) => *since,
            _ => at,
        };
        SourceStatus::Failing {
            error,
            since,
            last_ok,
        }
    }

    /// An open stream whose data last changed at `changed`, its last contact then too (a
    /// later contact moves `updated` on: see `Live`).
    pub fn streaming(changed: Timestamp) -> SourceStatus {
        SourceStatus::Live {
            updated: changed,
            changed,
            open: true,
        }
    }

    pub fn last_update(&self) -> Option<Timestamp> {
        match self {
            SourceStatus::Live { updated, .. } => Some(*updated),
            SourceStatus::Failing { last_ok, .. } => *last_ok,
            _ => None,
        }
    }

    /// The last successful contact. An open stream is not contact by itself (a frozen
    /// server holds it open and silent): its source moves `updated` on with what proves
    /// contact (an event, a bookmark, a probe answered).
    pub fn last_contact(&self) -> Option<Timestamp> {
        self.last_update()
    }

    /// What the status bar shows for the source; `None` for one that is off. `bound`: the
    /// longest a live source may go without contact; past it the source is stale, aged
    /// from that contact, whatever its last message said.
    pub fn face(&self, now: Timestamp, bound: Option<std::time::Duration>) -> Option<Face> {
        let age = |t: Timestamp| crate::text::age(t, now);
        let (kind, text) = match self {
            SourceStatus::NotConfigured { .. } | SourceStatus::Unavailable { .. } => return None,
            SourceStatus::Connecting { since } => {
                (FaceKind::Connecting, format!("connecting {}", age(*since)))
            }
            SourceStatus::Live { updated, .. }
                if bound.is_some_and(|b| {
                    now.duration_since(*updated)
                        >= jiff::SignedDuration::try_from(b).unwrap_or(jiff::SignedDuration::MAX)
                }) =>
            {
                (
                    FaceKind::Stale,
                    format!("stale {} ({NO_CONTACT})", age(*updated)),
                )
            }
            SourceStatus::Live { changed, .. } => {
                if now.duration_since(*changed).as_secs() >= QUIET_AFTER_SECS {
                    (FaceKind::Quiet, format!("quiet {}", age(*changed)))
                } else {
                    (FaceKind::Live, "live".to_owned())
                }
            }
            SourceStatus::Failing {
                error,
                since,
                last_ok,
            } => {
                let reason = short_reason(error);
                match last_ok {
                    Some(t) => (FaceKind::Stale, format!("stale {} ({reason})", age(*t))),
                    None => (
                        FaceKind::Stale,
                        format!("failing {} ({reason})", age(*since)),
                    ),
                }
            }
        };
        Some(Face { kind, text })
    }
}

/// A few fixed words for why a source fails, from its error text ("connection
/// refused", "timed out", "forbidden", "HTTP 503"…); never the text itself, which may be
/// long or come from outside.
pub fn short_reason(error: &str) -> String {
    let e = error.to_ascii_lowercase();
    const KNOWN: [(&str, &str); 16] = [
        ("connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("no answer", "timed out"),
        (NO_CONTACT, NO_CONTACT),
        ("connection reset", "connection reset"),
        ("unauthorized", "unauthorized"),
        ("(401)", "unauthorized"),
        ("forbidden", "forbidden"),
        ("(403)", "forbidden"),
        ("rate limit", "rate limited"),
        ("dns error", "unknown host"),
        ("failed to lookup", "unknown host"),
        ("certificate", "TLS error"),
        ("not found", "not found"),
        // the Hosts source: a health check that failed N× in a row
        ("in a row", "health check down"),
    ];
    if let Some((_, r)) = KNOWN.iter().find(|(k, _)| e.contains(k)) {
        return (*r).into();
    }
    // "… (503)" or "HTTP 503": the status a server answered with
    let code = e
        .match_indices(|c: char| c.is_ascii_digit())
        .map(|(i, _)| i)
        .find(|&i| {
            let d = &e.as_bytes()[i..];
            d.len() >= 3
                && d[..3].iter().all(u8::is_ascii_digit)
                && (i == 0 || !e.as_bytes()[i - 1].is_ascii_digit())
                && d.get(3).is_none_or(|b| !b.is_ascii_digit())
                && matches!(d[0], b'4' | b'5')
        });
    match code {
        Some(i) => format!("HTTP {}", &e[i..i + 3]),
        None => "error".into(),
    }
}

/// A one-line text prompt (filter, palette).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prompt {
    pub input: String,
    /// Cursor position in chars.
    pub cursor: usize,
    /// Selected completion (palette).
    pub selected: usize,
}

impl Prompt {
    pub fn with(text: &str) -> Prompt {
        Prompt {
            input: text.to_owned(),
            cursor: text.chars().count(),
            selected: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Palette(Prompt),
    Filter(Prompt),
    ConsoleLog,
    /// An operation dialog (src/ops/dialog.rs).
    Dialog(Box<crate::app::dialog::Dialog>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub level: FlashLevel,
    pub at: Timestamp,
    /// Kept until the next key instead of fading: errors, and messages that may not fit in
    /// the status bar (the view then shows them whole in a toast above it).
    pub sticky: bool,
}

/// Columns of the status bar that the scope, the source ages and the margins take; a
/// message longer than the rest may not fit.
pub const STATUS_RESERVED: usize = 50;

/// Selection and filter of one pane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaneView {
    pub selected: usize,
    pub filter: String,
}

/// Which cluster and namespace the console looks at (`namespace: None` is all
/// namespaces). The environment is not kept here: it is derived from these two
/// ([`crate::app::scope::environment`]). Changing the scope bumps the generation, and
/// results tagged with an older generation are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct State {
    pub config: Arc<Config>,
    pub assets: Arc<Assets>,
    pub theme: Theme,
    pub keymap: Keymap,
    pub scope: Scope,
    /// The merged kubeconfig's contexts (names and namespaces), read at start.
    pub kubeconfig: crate::sources::kube::KubeContexts,
    /// The cluster's namespaces for the scope's context, for `:ns`.
    pub namespaces: super::scope::NamespaceList,
    /// What the scope's context serves (discovery), for `:` and the generic view.
    pub resources: super::resources::Catalog,
    pub generation: u64,
    pub focus: PaneId,
    pub zoomed: bool,
    pub overlay: Overlay,
    pub pending_keys: Vec<Key>,
    pub panes: BTreeMap<PaneId, PaneView>,
    pub sources: BTreeMap<SourceId, SourceStatus>,
    /// Config problems that were skipped; shown in the console, never fatal.
    pub warnings: Vec<String>,
    pub flash: Option<Flash>,
    pub size: (u16, u16),
    pub now: Timestamp,
    pub mouse: bool,
    /// The terminal's colour depth; every theme is mapped to it (`Theme::for_depth`).
    pub color_depth: crate::term::ColorDepth,
    pub quit: bool,

    // --- what each source has told us; one field per pane, owned by src/app/panes/ ---
    pub pipeline: super::panes::pipeline::PipelineData,

    /// Every object the cluster source watches: the one home of the cluster's rows, read
    /// by the Workloads pane's view, dialogs, copy, hints, the Hosts pane and the logs
    /// follower.
    pub cluster: super::cluster::ClusterStore,
    /// The Workloads pane's view of `cluster`: narrowing, sort, section, detail, YAML.
    pub workloads: super::panes::workloads::WorkloadsView,
    /// The cluster's nodes and the Nodes view (`:nodes`), shown in the Workloads pane.
    pub nodes: super::panes::nodes::NodesView,

    pub errors: crate::app::panes::errors::ErrorRateState,
    /// Revision changes per service, drawn on the error-rate pane (fed by the cluster store).
    pub deploys: super::panes::errors::DeployMarks,
    /// The process's exit status once it quits (a signal's 128 + n; 0 for `q`).
    pub exit_code: u8,
    /// Whether read-only came from the command line (else from `:read-only`), to say why
    /// an operation is refused.
    pub read_only_at_start: bool,
    /// The incident hint over the Workloads table, worked out by `settle` and on each tick
    /// (its age moves), never while drawing.
    pub hint: Option<String>,
    /// The Hosts pane's own hint (a failing health check or service), by `settle`.
    pub hosts_hint: Option<String>,

    pub logs: super::panes::logs::LogsData,

    pub gpu: super::panes::gpu::GpuState,

    /// The Hosts pane's services and health checks.
    pub hosts: super::panes::hosts::HostsData,

    pub ops: crate::app::dialog::OpsState,

    /// Something visible changed since the last frame.
    pub dirty: bool,
}

pub struct StartOptions {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    pub scope: Scope,
    pub no_color: bool,
}

impl State {
    /// A message in the status bar (it fades after a while; see `update`).
    pub fn set_flash(&mut self, level: FlashLevel, text: String) {
        let text = crate::text::sanitize(&text);
        // every message also goes to the console's own log (`!`), where it stays
        match level {
            FlashLevel::Info => log::info!("{text}"),
            FlashLevel::Warn => log::warn!("{text}"),
            FlashLevel::Error => log::error!("{text}"),
        }
        let width = unicode_width::UnicodeWidthStr::width(text.as_str());
        let sticky =
            level == FlashLevel::Error || width + STATUS_RESERVED > usize::from(self.size.0);
        self.flash = Some(Flash {
            text,
            level,
            at: self.now,
            sticky,
        });
        self.dirty = true;
    }

    pub fn new(
        config: Config,
        assets: Assets,
        mut warnings: Vec<String>,
        opts: StartOptions,
        now: Timestamp,
    ) -> State {
        let theme_name = opts
            .theme
            .clone()
            .or_else(|| config.ui.theme.clone())
            .unwrap_or_else(|| {
                if opts.no_color {
                    "mono".into()
                } else {
                    "dark".into()
                }
            });
        let theme = match assets.themes.get(&theme_name) {
            Some(t) => t.clone(),
            None => {
                warnings.push(format!(
                    "unknown theme `{theme_name}`; using `dark` (themes: {})",
                    assets.theme_names().join(", ")
                ));
                assets
                    .themes
                    .get("dark")
                    .cloned()
                    .unwrap_or_else(|| Theme::new("dark", Default::default()))
            }
        };
        let keymap_name = opts
            .keymap
            .clone()
            .or_else(|| config.ui.keymap.clone())
            .unwrap_or_else(|| "default".into());
        let keymap = match assets.keymaps.get(&keymap_name) {
            Some(k) => k.clone(),
            None => {
                warnings.push(format!(
                    "unknown keymap `{keymap_name}`; using `default` (keymaps: {})",
                    assets.keymap_names().join(", ")
                ));
                assets.keymaps.get("default").cloned().unwrap_or_default()
            }
        };
        let sources = initial_sources(&config, now);
        let hosts = super::panes::hosts::HostsData::new(&config);
        // the scope comes resolved (console::initial_state, app::scope::start_scope)
        let scope = opts.scope;
        let read_only_at_start = scope.read_only;
        State {
            mouse: config.ui.mouse,
            color_depth: crate::term::ColorDepth::TrueColor,
            config: Arc::new(config),
            assets: Arc::new(assets),
            theme,
            keymap,
            scope,
            kubeconfig: Default::default(),
            namespaces: Default::default(),
            resources: Default::default(),
            generation: 1,
            focus: PaneId::Workloads,
            zoomed: false,
            overlay: Overlay::None,
            pending_keys: Vec::new(),
            panes: PaneId::ALL
                .iter()
                .map(|p| (*p, PaneView::default()))
                .collect(),
            sources,
            warnings,
            flash: None,
            size: (80, 24),
            now,
            quit: false,
            dirty: true,
            pipeline: Default::default(),
            cluster: Default::default(),
            workloads: Default::default(),
            nodes: Default::default(),
            errors: crate::app::panes::errors::ErrorRateState::new(
                std::time::Duration::from_secs(30 * 60),
                crate::sources::metrics::SCRAPE_INTERVAL,
            ),
            deploys: Default::default(),
            hint: None,
            hosts_hint: None,
            read_only_at_start,
            exit_code: 0,
            logs: Default::default(),
            gpu: super::panes::gpu::GpuState::new(),
            hosts,
            ops: Default::default(),
        }
    }

    pub fn pane(&self, id: PaneId) -> &PaneView {
        static EMPTY: PaneView = PaneView {
            selected: 0,
            filter: String::new(),
        };
        self.panes.get(&id).unwrap_or(&EMPTY)
    }

    pub fn pane_mut(&mut self, id: PaneId) -> &mut PaneView {
        self.panes.entry(id).or_default()
    }

    pub fn source(&self, id: SourceId) -> Option<&SourceStatus> {
        self.sources.get(&id)
    }

    /// How the source looks now, its contact held to its bound ([`State::contact_bound`]).
    pub fn face(&self, id: SourceId) -> Option<Face> {
        self.source(id)?.face(self.now, self.contact_bound(id))
    }

    /// The longest the source may go without contact and still be shown as live: for the
    /// cluster and the logs streamed through it, `[kube] stale_after_secs` (the cluster
    /// source proves contact well within it); for the Hosts checks and services, two of
    /// their slowest rounds (interval and timeout). Metrics and GPUs: three of their poll
    /// rounds (interval and request timeout), at least 10 s, so a poller that stops answering
    /// without an error turns stale. CI has none: it reports a failed poll itself, within its
    /// requests' bounds.
    pub fn contact_bound(&self, id: SourceId) -> Option<std::time::Duration> {
        use std::time::Duration;
        // a poll's request gives up after its interval (`sources::http::client`)
        let polled = |interval: Duration| {
            let timeout = interval.clamp(Duration::from_millis(500), Duration::from_secs(10));
            ((interval + timeout) * 3).max(Duration::from_secs(10))
        };
        match id {
            SourceId::Kube | SourceId::Logs => Some(self.config.kube.stale_after()),
            SourceId::Hosts => {
                let round = self
                    .config
                    .health
                    .iter()
                    .map(|h| h.interval_secs.max(1) + h.timeout_secs.max(1))
                    .chain(
                        self.config
                            .services
                            .iter()
                            .map(|s| s.interval_secs.max(1) + s.timeout_secs.max(1)),
                    )
                    .max()?;
                Some(std::time::Duration::from_secs(round.saturating_mul(2)))
            }
            SourceId::Metrics => Some(polled(crate::sources::metrics::SCRAPE_INTERVAL)),
            // the slowest of its reads: scrapes and Prometheus every 2 s at least
            SourceId::Gpu => Some(polled(Duration::from_millis(
                self.config.gpu.interval_ms.unwrap_or(2000).max(2000),
            ))),
            SourceId::Pipeline => None,
        }
    }
}

/// What each source is before it reports: not configured (with the key that enables it),
/// or connecting.
fn initial_sources(config: &Config, now: Timestamp) -> BTreeMap<SourceId, SourceStatus> {
    let mut s = BTreeMap::new();
    s.insert(
        SourceId::Pipeline,
        match &config.github {
            None => SourceStatus::NotConfigured {
                hint: "[github] repo = \"OWNER/NAME\" in config.toml".into(),
            },
            Some(_) => SourceStatus::Connecting { since: now },
        },
    );
    s.insert(SourceId::Kube, SourceStatus::Connecting { since: now });
    s.insert(
        SourceId::Metrics,
        match &config.metrics {
            Some(m) if m.prometheus.is_some() || !m.targets.is_empty() => {
                SourceStatus::Connecting { since: now }
            }
            _ => SourceStatus::NotConfigured {
                hint: "[metrics] prometheus = URL, or [[metrics.target]] in config.toml".into(),
            },
        },
    );
    s.insert(
        SourceId::Logs,
        SourceStatus::Unavailable {
            reason: "select a deployment or pod in Workloads to follow its logs".into(),
        },
    );
    s.insert(SourceId::Gpu, SourceStatus::Connecting { since: now });
    if !config.health.is_empty() || !config.services.is_empty() {
        s.insert(SourceId::Hosts, SourceStatus::Connecting { since: now });
    }
    s
}
