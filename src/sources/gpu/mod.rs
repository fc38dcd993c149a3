//! GPU gauges: local GPUs through NVML, remote hosts through their exporters' text.
//!
//! Sources here never touch the ui: they send owned [`GpuUpdate`]s, and the pane
//! renders from [`GpuState`], which those updates build.

pub mod local;
pub mod model;
pub mod once;
pub mod remote;
pub mod state;

pub use local::{GpuError, LocalOptions, LocalSampler, sample_local_once, spawn_local};
pub use model::{GpuProcess, GpuSample, GpuUpdate, HostSample, Memory, Pcie, ThrottleReason};
pub use once::{OnceReport, run_once};
pub use remote::{map_samples, scrape_host, spawn_remote};
pub use state::{GpuEntry, GpuHistory, GpuState, HistoryPoint, HostState};
