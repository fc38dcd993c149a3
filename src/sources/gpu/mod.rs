//! GPU gauges: local GPUs through NVML, remote hosts through their exporters' text, a
//! fleet through Prometheus ([`prometheus`]).
//!
//! Sources here never touch the ui: they send owned [`GpuUpdate`]s (plain data in
//! [`model`]); the pane's history is built from them in `app::panes::gpu`.

pub mod join;
pub mod local;
pub mod model;
pub mod once;
pub mod prometheus;
pub mod remote;

pub use local::{GpuError, LocalOptions, LocalSampler, sample_local_once, spawn_local};
pub use model::{
    GpuIndex, GpuOrigin, GpuPod, GpuProcess, GpuSample, GpuUpdate, HostSample, Memory, MigInstance,
    Pcie, ThrottleReason, gib_text,
};
pub use once::{OnceReport, OnceSources, collect_once, run_once, run_once_with, write_once};
pub use remote::{map_samples, scrape_host, spawn_remote};
