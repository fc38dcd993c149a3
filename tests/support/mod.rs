//! What the integration test binaries share: fixtures, the sandbox harnesses, the outside
//! tools (tmux, prometheus, kubectl) and the fake NVML library. Each binary (`tests/AREA/main.rs`)
//! includes this module whole and uses a part of it, so unused items are expected here.
#![allow(dead_code)]

pub mod common;
pub mod fake_nvml;
pub mod gpu_pages;
pub mod logs;
pub mod ops;
pub mod ops_kinds;
pub mod prometheus;
pub mod proxy;
pub mod sandbox_process;
pub mod tmux;
pub mod tools;
pub mod workloads;
