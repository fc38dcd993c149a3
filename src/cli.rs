//! The command line: global flags and subcommands (README.md, "Using it").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "A terminal operations console for on-call engineers",
    long_about = "flightdeck shows a release's whole path on one screen: CI pipeline stages, \
                  Kubernetes workloads and pod health, error rates and alerts, live logs and \
                  GPU gauges, with keys that promote, roll back, scale and restart.\n\n\
                  New here? Run `flightdeck demo`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// config.toml to use instead of the one in the config directory
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config (and instead of
    /// `[kube] kubeconfig`)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// kube context to start on (default: the kubeconfig's current context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// namespace to start on (default: the context's namespace, else `default`; `all` for
    /// every namespace)
    #[arg(
        short = 'n',
        long,
        global = true,
        value_name = "NAME",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// start on every namespace
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
    /// theme name (bundled: dark, light, high-contrast, mono)
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// keymap name (bundled: default, emacs)
    #[arg(long, global = true, value_name = "NAME")]
    pub keymap: Option<String>,
    /// refuse every mutating operation
    #[arg(long, global = true)]
    pub read_only: bool,
    /// load this libnvidia-ml.so instead of the system one
    #[arg(long, global = true, value_name = "PATH")]
    pub nvml_lib: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the sandbox in-process on loopback and open the console against it
    Demo(DemoArgs),
    /// Serve the sandbox only, until killed
    Sandbox(flightdeck_sandbox::SandboxArgs),
    /// Print GPU samples and exit
    Gpu(GpuArgs),
    /// Check config, themes and keymaps strictly; exit 1 on any error
    CheckConfig(CheckConfigArgs),
    /// Write a commented config.toml from the kubeconfig's contexts, the current git
    /// checkout's GitHub repository and a Prometheus URL, then check it
    Init(InitArgs),
    /// Print a shell completion script (e.g. `flightdeck completions bash >
    /// ~/.local/share/bash-completion/completions/flightdeck`)
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout (e.g. `flightdeck man | man -l -`)
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// scenario: steady, bad-release, pending-approval, blue-green, gpu-hot, gpu-fault,
    /// canary, canary-paused
    #[arg(long, default_value = "bad-release", value_name = "NAME")]
    pub scenario: String,
    /// spread this many pods over many namespaces and deployments
    #[arg(long, value_name = "N")]
    pub pods: Option<usize>,
    /// simulate this many DGX hosts (8 GPUs each; 1 to 1000)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub gpu_hosts: usize,
    /// seed for the simulation (same seed, same world)
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct GpuArgs {
    /// take one sample and exit
    #[arg(long)]
    pub once: bool,
    /// print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckConfigArgs {
    /// config.toml to check (default: the one in the config directory)
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// where to write config.toml (default: `--config`, else the config directory's)
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// overwrite the file if it exists
    #[arg(long)]
    pub force: bool,
    /// the kube contexts that are production (comma-separated; `--production ''` for
    /// none); without it, init asks on stdin
    #[arg(long, value_name = "CTX,...", value_delimiter = ',')]
    pub production: Option<Vec<String>>,
    /// Prometheus base URL for the Error-rate pane (API mode)
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// GitHub repository `OWNER/NAME` (default: the current git checkout's `origin`)
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// bash, elvish, fish, powershell or zsh
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`, generated from [`Cli`]. Generated into memory first:
/// clap_complete panics on a failed write (`| head`), this returns the error.
pub fn write_completions(
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "flightdeck", &mut buf);
    out.write_all(&buf)?;
    out.flush()
}

/// The man page (roff), generated from [`Cli`].
pub fn write_man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(cmd).render(out)
}
