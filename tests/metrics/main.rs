#[path = "../support/mod.rs"]
mod support;

mod contact;
mod direct;
mod exposition;
mod fold;
mod history;
mod prometheus;
mod revisions;
mod sandbox;
mod sandbox_fidelity;
mod ui_errors;
mod ui_errors_revisions;
