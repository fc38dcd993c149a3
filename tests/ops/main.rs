#[path = "../support/mod.rs"]
mod support;

mod audit;
mod delete_edit;
mod dialog;
mod frozen;
mod keys_sandbox;
mod kinds_sandbox;
mod nodes_sandbox;
mod rollouts;
mod sandbox;
mod wire;
