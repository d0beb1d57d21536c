//! `twauth whoami`: `GET 2/users/me` with the profile's best user credential.

use twitter_auth_core::http::Method;
use twitter_auth_core::retry::RetryPolicy;

use crate::profile::{CliError, Opts};
use crate::request::{Auth, api_client, build};

/// `whoami` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Which credential to use (app-only bearers cannot ask who they are).
    #[arg(long, value_enum, default_value_t = Auth::Auto)]
    auth: Auth,
    #[command(flatten)]
    opts: Opts,
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let api = api_client(&settings, args.auth, false, RetryPolicy::new())?;
    let answer = api.send(build(
        &settings,
        Method::GET,
        "2/users/me",
        &[],
        Vec::new(),
    )?)?;
    if !answer.status().is_success() {
        return Err(twitter_auth_core::error_from_response(&answer).into());
    }
    let body: serde_json::Value = serde_json::from_slice(answer.body())
        .map_err(|_| "2/users/me answered with a body that is not JSON")?;
    let user = &body["data"];
    let field = |name: &str| user[name].as_str().unwrap_or("?").to_owned();
    println!(
        "@{} (id {}, name {})",
        field("username"),
        field("id"),
        field("name")
    );
    Ok(())
}
