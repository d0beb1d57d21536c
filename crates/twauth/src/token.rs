//! `twauth token app-only`, `twauth refresh`, `twauth revoke`: obtaining the app-only bearer,
//! and refreshing or revoking the profile's OAuth 2.0 grant (its key in the `tokens/` store),
//! both through the adapter's `Grants`.

use std::sync::Arc;
use std::time::SystemTime;

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::LoginRequired;
use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
use twitter_auth_core::oauth2::{self, AppOnly, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, UnixTime};
use twitter_auth_ureq::{ApiClient, Grants};

use crate::profile::{CliError, Opts, Settings, load_profile, login_required, save_profile};

/// `token` options.
#[derive(clap::Args, Debug)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    kind: TokenKind,
}

/// Which token.
#[derive(clap::Subcommand, Debug)]
enum TokenKind {
    /// Obtain the app's OAuth 2.0 app-only bearer token with the consumer key and secret.
    AppOnly(AppOnlyArgs),
}

/// `token app-only` options.
#[derive(clap::Args, Debug)]
struct AppOnlyArgs {
    /// Store the bearer token in the profile.
    #[arg(long)]
    save: bool,
    #[command(flatten)]
    opts: Opts,
}

/// `refresh` / `revoke` options.
#[derive(clap::Args, Debug)]
pub(crate) struct StoreArgs {
    #[command(flatten)]
    opts: Opts,
}

/// Runs `token …`.
pub(crate) fn run_token(args: &TokenArgs) -> Result<(), CliError> {
    match &args.kind {
        TokenKind::AppOnly(args) => app_only(args),
    }
}

fn app_only(args: &AppOnlyArgs) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let (Some(key), Some(secret)) = (
        &settings.values.consumer_key,
        &settings.values.consumer_secret,
    ) else {
        return Err(
            "no consumer key and secret: give --consumer-key/--consumer-secret (or TWAUTH_CONSUMER_KEY/TWAUTH_CONSUMER_SECRET)".into(),
        );
    };
    let endpoints = settings.endpoints()?;
    let client = twitter_auth_ureq::Client::new(endpoints.clone());
    let app = AppOnly::new(
        ConsumerKey::new(key.clone()),
        ConsumerSecret::new(secret.clone()),
    );
    let bearer = client.execute(app.obtain(&endpoints)?)?;
    let token = bearer.token().secret();
    println!("bearer token: {}", settings.shown(token));
    if args.save {
        // Re-read the file: only the bearer changes, whatever else came from flags or env.
        let mut profile = load_profile(&settings.paths.profile)?;
        profile.bearer_token = Some(token.to_owned());
        save_profile(&settings.paths, &profile)?;
        println!("saved to {}", settings.paths.profile.display());
    }
    Ok(())
}

/// The OAuth 2.0 client of the profile (public, or confidential with a client secret).
pub(crate) fn oauth2_client(settings: &Settings) -> Option<oauth2::Client> {
    let id = ClientId::new(settings.values.client_id.clone()?);
    Some(match &settings.values.client_secret {
        Some(secret) => oauth2::Client::confidential(id, ClientSecret::new(secret.clone())),
        None => oauth2::Client::public(id),
    })
}

pub(crate) fn need_client(settings: &Settings) -> Result<oauth2::Client, CliError> {
    oauth2_client(settings).ok_or_else(|| {
        "no OAuth 2.0 client id: give --client-id (or TWAUTH_CLIENT_ID), and --client-secret for a confidential client".into()
    })
}

/// The profile's OAuth 2.0 grants (the `tokens/` store), refreshed with its client through
/// `http`.
pub(crate) fn grants(
    settings: &Settings,
    http: twitter_auth_ureq::Client,
) -> Result<Grants, CliError> {
    let store = Arc::new(settings.paths.store());
    Ok(Grants::new(http, need_client(settings)?, store))
}

/// The token set an API client for a user's grant holds now.
fn tokens_of(api: &ApiClient) -> Result<TokenSet, CliError> {
    match api.credential() {
        Some(Credential::OAuth2(tokens)) => Ok(tokens),
        _ => Err(login_required(LoginRequired::NoGrant)),
    }
}

fn describe(settings: &Settings, tokens: &TokenSet) -> String {
    let expires = match tokens.expires_at() {
        Some(at) => {
            let now = UnixTime::from_system(SystemTime::now()).as_secs();
            format!("expires in {}s", at.as_secs().saturating_sub(now))
        }
        None => "no expiry given".to_owned(),
    };
    let scopes: Vec<&str> = tokens.scopes().iter().map(|s| s.as_str()).collect();
    format!(
        "access token {}, refresh token {}, {expires}, scopes {}",
        settings.shown(tokens.access_token().secret()),
        tokens
            .refresh_token()
            .map_or_else(|| "none".to_owned(), |r| settings.shown(r.secret())),
        scopes.join(" ")
    )
}

/// The API client of the profile's grant (an error saying to log in if there is none).
fn user_api(settings: &Settings) -> Result<ApiClient, CliError> {
    let http = twitter_auth_ureq::Client::new(settings.endpoints()?);
    Ok(grants(settings, http)?.api(&settings.paths.key)?)
}

/// Runs `refresh`: the new token set is saved before it is printed or used.
pub(crate) fn run_refresh(args: &StoreArgs) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let api = user_api(&settings)?;
    // `refresh_now` returns Ok without refreshing a set that has no refresh token.
    if tokens_of(&api)?.refresh_token().is_none() {
        return Err(twitter_auth_core::Error::NoRefreshToken.into());
    }
    api.refresh_now()?;
    println!("refreshed: {}", describe(&settings, &tokens_of(&api)?));
    Ok(())
}

/// Runs `revoke`: the grant is deleted only once X has accepted the revocations.
pub(crate) fn run_revoke(args: &StoreArgs) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let api = user_api(&settings)?;
    let which = match tokens_of(&api)?.refresh_token() {
        Some(_) => "the refresh token and the access token",
        None => "the access token",
    };
    api.logout()?;
    println!(
        "revoked {which}; removed {}",
        settings.paths.grant_file().display()
    );
    Ok(())
}
