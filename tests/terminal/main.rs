#[path = "../support/mod.rs"]
mod support;

mod binary;
mod env_numbers;
mod escapes;
mod fault_drill;
mod promises;
mod quit;
mod scope_binary;
mod ssh_terminal;
mod suspend;
