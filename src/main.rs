use clap::Parser;

fn main() {
    let _cli = flightdeck::cli::Cli::parse();
}
