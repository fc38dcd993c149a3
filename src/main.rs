use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use flightdeck::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // the console's own log; shown in the console (`!` or `:log`), never on the terminal
    if let Err(e) = flightdeck::applog::init(log::LevelFilter::Info) {
        eprint_clean(&format!("flightdeck: cannot start its log: {e}"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprint_clean(&format!("flightdeck: cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            None => report(flightdeck::console::run(&cli.global).await),
            Some(Command::CheckConfig(args)) => {
                let path = args.path.or(cli.global.config.clone());
                let report = flightdeck::config::check(path.as_deref());
                let mut out = std::io::stdout().lock();
                for p in &report.problems {
                    // a closed pipe (`| head`) is not an error worth a panic; file text may
                    // hold control characters
                    let _ = writeln!(out, "{}", flightdeck::text::sanitize(p));
                }
                let _ = writeln!(out, "{}", flightdeck::text::sanitize(&report.summary()));
                if report.problems.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Some(Command::Init(args)) => {
                ExitCode::from(flightdeck::console::init::run(&cli.global, &args))
            }
            Some(Command::Completions(args)) => {
                let mut out = std::io::stdout().lock();
                match flightdeck::cli::write_completions(args.shell, &mut out) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => {
                        eprint_clean(&format!("flightdeck completions: {e}"));
                        ExitCode::FAILURE
                    }
                }
            }
            Some(Command::Man) => {
                let mut out = std::io::stdout().lock();
                match flightdeck::cli::write_man(&mut out).and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    // a closed pipe (`| head`) is not worth a message
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => {
                        eprint_clean(&format!("flightdeck man: {e}"));
                        ExitCode::FAILURE
                    }
                }
            }
            Some(Command::Demo(args)) => {
                match flightdeck::console::demo(&cli.global, &args).await {
                    Ok(code) => ExitCode::from(code),
                    Err(e) => {
                        eprint_clean(&format!("flightdeck demo: {e}"));
                        ExitCode::FAILURE
                    }
                }
            }
            Some(Command::Sandbox(args)) => match flightdeck_sandbox::run_cli(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprint_clean(&format!("flightdeck sandbox: {e}"));
                    ExitCode::FAILURE
                }
            },
            Some(Command::Gpu(args)) => {
                if !args.once {
                    eprintln!(
                        "flightdeck gpu: only one sample is supported: run `flightdeck gpu --once [--json]` \
                         (the live view is the console's GPU pane)"
                    );
                    return ExitCode::from(2);
                }
                let loaded = flightdeck::config::load(cli.global.config.as_deref());
                for w in &loaded.warnings {
                    eprint_clean(&format!("flightdeck: {w}"));
                }
                // what the console reads; NVML too unless `[gpu] prometheus` is the whole
                // view (or `--nvml-lib` asks for it)
                let reads = loaded.config.gpu_reads();
                let sources = flightdeck::sources::gpu::OnceSources {
                    local: loaded.config.gpu.prometheus.is_none() || cli.global.nvml_lib.is_some(),
                    nvml_lib: cli.global.nvml_lib.clone().or(loaded.config.gpu.nvml_lib.clone()),
                    pages: reads.pages,
                    prometheus: reads.prometheus.map(|url| {
                        let mut c = flightdeck::sources::gpu::prometheus::GpuPrometheusConfig::new(url);
                        c.host_label = loaded.config.gpu.host_label().to_owned();
                        c
                    }),
                };
                let (mut report, failed) = flightdeck::sources::gpu::collect_once(sources).await;
                // a fleet's hosts are the nodes its exporters run on, as the cluster says
                let mut config = loaded.config.clone();
                if let Some(path) = &cli.global.kubeconfig {
                    config.kube.kubeconfig = Some(path.clone());
                }
                let note = flightdeck::console::gpu_once::name_fleet(
                    &mut report,
                    &config,
                    cli.global.context.as_deref(),
                )
                .await;
                if let Some(note) = note {
                    eprint_clean(&format!("flightdeck gpu: {note}"));
                }
                let (text, failed) =
                    flightdeck::sources::gpu::write_once(&report, args.json, failed);
                // the table and the JSON carry exporter text (model names, host labels)
                // (and errors quoting a scrape URL, which may hold a password or a token)
                let text = flightdeck::secret::redact(&text);
                let text = if args.json {
                    flightdeck::text::escape_json_hazards(&text)
                } else {
                    flightdeck::text::sanitize_lines(&text)
                };
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                if failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
        }
    });
    // Whatever still runs is abandoned: a task waiting on a hung child (dropped, so its
    // process group is killed) or a blocking call stuck in the kernel (a FIFO nobody
    // reads, a dead NFS mount), which the process's exit ends. Dropping the runtime
    // instead would wait on every blocking task for ever.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    code
}

/// How long the runtime's remaining tasks get to finish once the command is done.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

fn report(result: std::io::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprint_clean(&format!("flightdeck: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// A message on stderr: errors and warnings quote servers, files and plugins, so every line
/// is sanitised as the panes' text is.
fn eprint_clean(message: &str) {
    let message = flightdeck::secret::redact(message);
    eprintln!("{}", flightdeck::text::sanitize_lines(&message));
}
