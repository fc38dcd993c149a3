//! Configuration: `config.toml`, themes and keymaps. Bundled themes and keymaps are
//! embedded and parsed by the same code as user files; a user file of the same name is
//! merged over the bundled one. Loading for the console is lenient: a bad entry (a syntax
//! error in its table, an unknown key, a bad value) becomes a warning shown in the console
//! and only that entry is skipped (`lenient.rs`); `flightdeck check-config` reports the same
//! problems, every one, in file order.

mod check;
pub mod colors;
pub mod diag;
mod entries;
mod fail_closed;
pub mod gpu;
pub mod hosts;
pub mod key;
pub mod keymap;
mod lenient;
mod load;
mod metrics;
mod model;
mod parse;
pub mod theme;

pub use check::{CheckReport, check};
pub use diag::Diagnostic;
pub use gpu::{GpuConfig, GpuHost};
pub use hosts::{HealthCheck, ServiceConfig};
pub use keymap::Keymap;
pub use load::{
    Assets, BUNDLED_KEYMAPS, BUNDLED_THEMES, Loaded, config_dir, data_dir, load, load_assets,
};
pub use metrics::{
    DEFAULT_ERROR_RATIO, DEFAULT_ERROR_THRESHOLD, DEFAULT_LATENCY_P95, DEFAULT_RATE_WINDOW,
    MetricsConfig, MetricsTarget, is_label_name, parse_rate_window,
};
pub use model::{Config, Environment, GithubConfig, HostAction, KubeConfig, LogsConfig, UiConfig};
pub use theme::Theme;

#[cfg(test)]
mod tests;
