//! `twauth`: X authentication from the command line (to X what curl is to HTTP).

use std::process::ExitCode;

use clap::{ArgAction, CommandFactory as _, Parser, Subcommand};

#[cfg(feature = "demo")]
mod demo;
mod error;
mod login;
#[cfg(feature = "demo")]
mod mock_server;
mod net;
mod pkce_cmd;
mod profile;
mod profiles;
mod request;
mod settings;
mod sign;
mod token;
mod ui;
mod whoami;

use error::CliError;

/// Shown at the end of `twauth --help`.
const AFTER_HELP: &str = "\
Credentials: a flag, its TWAUTH_* environment variable, .env in the current directory, then the
profile ($XDG_CONFIG_HOME/twauth/). Give secrets as `-` (one line of stdin each) or through the
environment: a value on the command line is visible in `ps`. A profile's stored credentials go
only to the base URL that issued them (--allow-other-host to override, with a warning).

Exit codes: 0 success; 1 the command failed (X refused, no answer, no credential; `request
--fail` on a 4xx/5xx; `sign --expect-signature` that does not match); 2 usage error; 141 stdout
closed early (`| head`).";

/// X (Twitter) authentication from the command line: every login flow, signed requests, a
/// signature debugger, and a demo against an embedded fake X.
#[derive(Parser)]
#[command(name = "twauth", version, propagate_version = true, after_help = AFTER_HELP)]
struct Cli {
    /// The profile to use: its credentials and hosts (default: the one `profiles default` set,
    /// else `default`).
    #[arg(short = 'u', long, global = true, help_heading = "Global options", env = "TWAUTH_PROFILE", value_name = "NAME",
          value_parser = profile::profile_name, hide_env_values = true)]
    profile: Option<String>,
    /// Print one JSON object on stdout (an error: one JSON object on stderr).
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
    /// Show each request and response on stderr, secrets redacted (-vv: with headers and
    /// bodies).
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Global options")]
    verbose: u8,
    /// Show each request and response in full on stderr (headers, bodies), secrets redacted.
    #[arg(long, global = true, help_heading = "Global options")]
    trace: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in to X in the browser (`login oauth2`: PKCE; `login oauth1`: 3-legged or PIN) and
    /// save the credential, its app keys and its hosts in the profile.
    Login(login::Args),
    /// Make one signed or authorized API request and print the status, rate limit and body.
    Request(Box<request::Args>),
    /// Print who the profile's user credential belongs to (`GET 2/users/me`).
    Whoami(Box<whoami::Args>),
    /// Show the profile in use: its credentials, expiry, scopes, hosts (no network).
    Status(profiles::StatusArgs),
    /// Refresh the profile's OAuth 2.0 grant (`$XDG_CONFIG_HOME/twauth/tokens/<profile>.grant`;
    /// the new set is saved first).
    Refresh(token::GrantArgs),
    /// Log the profile's OAuth 2.0 grant out: revoke its tokens at X, then delete it.
    Revoke(token::GrantArgs),
    /// Obtain a token (`token app-only`: the app's OAuth 2.0 bearer token).
    Token(token::TokenArgs),
    /// Invalidate the app-only bearer token or an OAuth 1.0a access token at X.
    Invalidate(token::InvalidateArgs),
    /// List, show, delete profiles, or set the default one.
    Profiles(profiles::Args),
    /// Print an OAuth 1.0a signature base string and Authorization header (a signature debugger).
    Sign(sign::Args),
    /// Print a fresh (or the given) PKCE verifier and its S256 challenge.
    Pkce(pkce_cmd::Args),
    /// Run every flow through both adapters against the embedded fake X (no network needed).
    #[cfg(feature = "demo")]
    Demo(demo::Args),
    /// Serve the fake X in the foreground, printing its apps' and users' credentials.
    #[cfg(feature = "demo")]
    MockServer(mock_server::Args),
    /// Print a shell completion script (e.g. `twauth completions bash > ~/.local/share/bash-completion/completions/twauth`).
    Completions(CompletionsArgs),
}

#[derive(clap::Args)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Exit 0, or print the error (and X's hint) and exit with its code.
fn finish(outcome: Result<(), CliError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if ui::json() {
                ui::err_json(&e.to_json());
            } else {
                ui::err(&format!("twauth: {e}"));
            }
            ExitCode::from(e.code)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ui::set_json(cli.json);
    ui::set_verbosity(if cli.trace { 2 } else { cli.verbose.min(2) });
    settings::set_profile_arg(cli.profile);
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(&args),
        #[cfg(feature = "demo")]
        Command::MockServer(args) => mock_server::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Pkce(args) => pkce_cmd::run(&args),
        Command::Completions(args) => {
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "twauth", &mut out);
            ui::write_stdout(&out);
            ExitCode::SUCCESS
        }
        Command::Token(args) => finish(token::run_token(&args)),
        Command::Login(args) => finish(login::run(&args)),
        Command::Whoami(args) => finish(whoami::run(&args)),
        Command::Status(args) => finish(profiles::status(&args)),
        Command::Refresh(args) => finish(token::run_refresh(&args)),
        Command::Revoke(args) => finish(token::run_revoke(&args)),
        Command::Invalidate(args) => finish(token::run_invalidate(&args)),
        Command::Profiles(args) => finish(profiles::run(&args)),
        Command::Request(args) => finish(request::run(&args)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own consistency checks over every command (they run only in debug builds, on
    /// first use of a command: this runs them all).
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
