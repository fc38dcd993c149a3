#[path = "../support/mod.rs"]
mod support;

mod http;
mod replay;
mod sandbox;
mod stats;
