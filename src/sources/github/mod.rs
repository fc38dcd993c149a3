//! GitHub Actions: workflow runs, jobs and steps, pending deployment reviews, deployments
//! per environment; and the calls behind promote, reject, re-run and cancel.

pub mod actions;
pub mod client;
pub mod model;
pub mod poll;
pub mod snapshot;

pub use client::{GhError, GithubClient, Token};
pub use poll::{PollConfig, Poller, TokenSetting, spawn_poller};
pub use snapshot::{PipelineSnapshot, PipelineUpdate};
