//! `twauth`: X authentication from the command line (to X what curl is to HTTP).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod mock_server;
mod pkce_cmd;
mod sign;

/// X (Twitter) authentication from the command line: every login flow, signed requests, a
/// signature debugger, and a demo against an embedded fake X.
#[derive(Parser)]
#[command(name = "twauth", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every flow through both adapters against the embedded fake X (no network needed).
    Demo(demo::Args),
    /// Print an OAuth 1.0a signature base string and Authorization header (a signature debugger).
    Sign(sign::Args),
    /// Print a fresh (or the given) PKCE verifier and its S256 challenge.
    Pkce(pkce_cmd::Args),
    /// Serve the fake X in the foreground, printing its apps' and users' credentials.
    MockServer(mock_server::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Pkce(args) => pkce_cmd::run(&args),
        Command::MockServer(args) => mock_server::run(&args),
    }
}
