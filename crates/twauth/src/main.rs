//! `twauth`: X authentication from the command line (to X what curl is to HTTP).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod login;
mod mock_server;
mod pkce_cmd;
mod profile;
mod request;
mod sign;
mod token;
mod whoami;

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
    /// Obtain a token (`token app-only`: the app's OAuth 2.0 bearer token).
    Token(token::TokenArgs),
    /// Log in to X in the browser (`login oauth2`: PKCE; `login oauth1`: 3-legged or PIN) and
    /// save the credential in the profile.
    Login(login::Args),
    /// Print who the profile's user credential belongs to (`GET 2/users/me`).
    Whoami(whoami::Args),
    /// Refresh the profile's OAuth 2.0 grant (`$XDG_CONFIG_HOME/twauth/tokens/<profile>.grant`;
    /// the new set is saved first).
    Refresh(token::StoreArgs),
    /// Log the profile's OAuth 2.0 grant out: revoke its tokens at X, then delete it.
    Revoke(token::StoreArgs),
    /// Make one signed or authorized API request and print the status, rate limit and body.
    Request(Box<request::Args>),
}

/// Exit 0, or print the error and exit 1.
fn finish(outcome: Result<(), profile::CliError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twauth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Pkce(args) => pkce_cmd::run(&args),
        Command::MockServer(args) => mock_server::run(&args),
        Command::Token(args) => finish(token::run_token(&args)),
        Command::Login(args) => finish(login::run(&args)),
        Command::Whoami(args) => finish(whoami::run(&args)),
        Command::Refresh(args) => finish(token::run_refresh(&args)),
        Command::Revoke(args) => finish(token::run_revoke(&args)),
        Command::Request(args) => finish(request::run(&args)),
    }
}
