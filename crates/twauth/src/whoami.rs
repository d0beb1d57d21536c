//! `twauth whoami`: `GET 2/users/me` with the profile's best user credential, sent to the base
//! URL the profile recorded.

use twitter_auth_core::http::Method;
use twitter_auth_core::retry::RetryPolicy;

use crate::error::CliError;
use crate::request::{Auth, CredentialArgs, api_client, build};
use crate::ui::{self, outln};

/// `whoami` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Which credential to use (app-only bearers cannot ask who they are).
    #[arg(long, value_enum, default_value_t = Auth::Auto)]
    auth: Auth,
    #[command(flatten)]
    credentials: CredentialArgs,
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let settings = args.credentials.given().resolve()?;
    let (api, endpoints) = api_client(&settings, args.auth, false, &RetryPolicy::new())?;
    let request = build(
        &settings,
        &endpoints,
        Method::GET,
        "2/users/me",
        &[],
        Vec::new(),
    )?;
    let answer = api.send(request)?;
    if !answer.status().is_success() {
        return Err(twitter_auth_core::error_from_response(&answer).into());
    }
    let body: serde_json::Value = serde_json::from_slice(answer.body())
        .map_err(|_| "2/users/me answered with a body that is not JSON")?;
    let user = &body["data"];
    let field = |name: &str| user[name].as_str().unwrap_or("?").to_owned();
    let credential = match api.credential() {
        Some(twitter_auth_core::api::Credential::OAuth1(_)) => "oauth1",
        Some(twitter_auth_core::api::Credential::AppOnly(_)) => "app-only",
        _ => "oauth2",
    };
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "id": user["id"],
            "username": user["username"],
            "name": user["name"],
            "credential": credential,
            "profile": settings.profile(),
        }));
    } else {
        outln!(
            "@{} (id {}, name {})",
            field("username"),
            field("id"),
            field("name")
        );
    }
    Ok(())
}
