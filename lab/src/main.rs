//! `newsdesk-lab`: quality on public evaluation sets and speed benchmarks, run through the
//! product's public API. Nothing here ships in the `newsdesk` binary.

use clap::Parser;

fn main() {
    let cli = newsdesk_lab::Cli::parse();
    match newsdesk_lab::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("newsdesk-lab: {e:#}");
            std::process::exit(2);
        }
    }
}
