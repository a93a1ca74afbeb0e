//! The `newsdesk` binary: parse flags, run, map errors to an exit code.

use clap::Parser;

fn main() {
    let cli = newsdesk::cli::Cli::parse();
    match newsdesk::cli::main_with(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("newsdesk: {e:#}");
            std::process::exit(2);
        }
    }
}
