//! The sandbox: a simulated cluster, CI system, metrics and GPU host over real HTTP.

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// address to listen on (port 0 picks free ports)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
}
