//! Start-up of the console: load config leniently, build State, start sources, run.

use jiff::Timestamp;

use crate::app::run::{self, Sender};
use crate::app::state::{Scope, SourceId, SourceStatus, StartOptions, State};
use crate::cli::GlobalArgs;
use crate::config;

/// Builds the initial State from files and flags. Never fails: problems become warnings.
pub fn initial_state(global: &GlobalArgs, config_override: Option<config::Config>) -> State {
    let loaded = config::load(global.config.as_deref());
    let mut cfg = config_override.unwrap_or(loaded.config);
    if global.nvml_lib.is_some() {
        cfg.gpu.nvml_lib = global.nvml_lib.clone();
    }
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    let opts = StartOptions {
        theme: global.theme.clone(),
        keymap: global.keymap.clone(),
        scope: Scope {
            context: global.context.clone(),
            namespace: global.namespace.clone().filter(|n| n != "all"),
            environment: None,
            read_only: global.read_only,
        },
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    State::new(cfg, loaded.assets, loaded.warnings, opts, Timestamp::now())
}

/// Starts the sources this build has for the current scope; the others say honestly
/// that they are not available.
pub fn start_sources(state: &State, tx: &Sender) {
    let generation = state.generation;
    let unavailable = |source: SourceId, reason: &str| {
        let _ = tx.send(crate::app::Event::SourceStatus {
            generation,
            source,
            status: SourceStatus::Unavailable {
                reason: reason.to_owned(),
            },
        });
    };
    if !matches!(
        state.source(SourceId::Pipeline),
        Some(SourceStatus::NotConfigured { .. })
    ) {
        unavailable(
            SourceId::Pipeline,
            "the GitHub Actions source is not in this build yet",
        );
    }
    unavailable(
        SourceId::Kube,
        "the Kubernetes source is not in this build yet",
    );
    if !matches!(
        state.source(SourceId::Metrics),
        Some(SourceStatus::NotConfigured { .. })
    ) {
        unavailable(
            SourceId::Metrics,
            "the metrics source is not in this build yet",
        );
    }
    unavailable(SourceId::Gpu, "the GPU source is not in this build yet");
}

pub async fn run(global: &GlobalArgs) -> std::io::Result<()> {
    let state = initial_state(global, None);
    run::run(state, start_sources).await
}
