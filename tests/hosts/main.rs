#[path = "../support/mod.rs"]
mod support;

mod cut_text;
mod gpu_cli;
mod gpu_dcgm;
mod gpu_device_check;
mod gpu_exporters;
mod gpu_fleet;
mod gpu_fleet_sandbox;
mod gpu_index;
mod gpu_join;
mod gpu_local;
mod gpu_nodes;
mod gpu_once;
mod gpu_pods;
mod gpu_remote;
mod gpu_replaced;
mod gpu_sandbox;
mod gpu_state;
mod host_actions;
mod services;
mod ui_gpu;
