#[path = "../support/mod.rs"]
mod support;

mod http;
mod sandbox;
mod stats;
