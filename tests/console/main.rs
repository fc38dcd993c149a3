#[path = "../support/mod.rs"]
mod support;

mod architecture;
mod check_config;
mod completions;
mod copy_keys;
mod frozen_server;
mod init;
mod keys;
mod promises;
mod run_loop;
mod scope_update;
mod shipped_files;
mod source_faces;
mod ui_sandbox;
mod ui_shell;
