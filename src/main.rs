use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use flightdeck::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // the console's own log; shown in the console (`!` or `:log`), never on the terminal
    if let Err(e) = flightdeck::applog::init(log::LevelFilter::Info) {
        eprintln!("flightdeck: cannot start its log: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flightdeck: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match cli.command {
            None => report(flightdeck::console::run(&cli.global).await),
            Some(Command::CheckConfig(args)) => {
                let path = args.path.or(cli.global.config.clone());
                let problems = flightdeck::config::check(path.as_deref());
                let mut out = std::io::stdout().lock();
                for p in &problems {
                    // a closed pipe (`| head`) is not an error worth a panic
                    let _ = writeln!(out, "{p}");
                }
                if problems.is_empty() {
                    let _ = writeln!(out, "config, themes and keymaps: no problems");
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Some(Command::Demo(args)) => {
                match flightdeck::console::demo(&cli.global, &args).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("flightdeck demo: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Some(Command::Sandbox(args)) => match flightdeck::sandbox::run_cli(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("flightdeck sandbox: {e}");
                    ExitCode::FAILURE
                }
            },
            Some(Command::Gpu(_args)) => {
                eprintln!("flightdeck gpu: not in this build yet");
                ExitCode::FAILURE
            }
        }
    })
}

fn report(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flightdeck: {e}");
            ExitCode::FAILURE
        }
    }
}
