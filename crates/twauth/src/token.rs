//! `twauth token app-only`, `twauth refresh`, `twauth revoke`: obtaining the app-only bearer,
//! and refreshing or revoking the profile's OAuth 2.0 token set (kept in its `FileStore`).

use std::fs;
use std::io;
use std::time::SystemTime;

use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
use twitter_auth_core::oauth2::{self, AppOnly, RevokeToken, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, UnixTime};
use twitter_auth_std::{FileStore, TokenStore as _};

use crate::profile::{CliError, Opts, Settings, load_profile, save_profile};

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

fn need_client(settings: &Settings) -> Result<oauth2::Client, CliError> {
    oauth2_client(settings).ok_or_else(|| {
        "no OAuth 2.0 client id: give --client-id (or TWAUTH_CLIENT_ID), and --client-secret for a confidential client".into()
    })
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

/// Runs `refresh`: the new token set is saved before it is printed or used.
pub(crate) fn run_refresh(args: &StoreArgs) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let client = need_client(&settings)?;
    let endpoints = settings.endpoints()?;
    let store = FileStore::new(&settings.paths.tokens);
    let _lock = store.lock()?;
    let tokens = store
        .load()?
        .ok_or("no OAuth 2.0 token set in this profile's token store: log in first")?;
    let http = twitter_auth_ureq::Client::new(endpoints.clone());
    let fresh = http.execute(oauth2::refresh(&client, &endpoints, &tokens)?)?;
    store.save(&fresh)?;
    println!("refreshed: {}", describe(&settings, &fresh));
    Ok(())
}

/// Runs `revoke`: the store is emptied only once X has accepted the revocation.
pub(crate) fn run_revoke(args: &StoreArgs) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let client = need_client(&settings)?;
    let endpoints = settings.endpoints()?;
    let store = FileStore::new(&settings.paths.tokens);
    let lock = store.lock()?;
    let tokens = store
        .load()?
        .ok_or("no OAuth 2.0 token set in this profile's token store: log in first")?;
    let (which, token) = match tokens.refresh_token() {
        Some(refresh) => ("refresh token", RevokeToken::Refresh(refresh)),
        None => ("access token", RevokeToken::Access(tokens.access_token())),
    };
    let http = twitter_auth_ureq::Client::new(endpoints.clone());
    http.execute(oauth2::revoke(&client, &endpoints, token)?)?;
    match fs::remove_file(store.path()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(CliError(format!(
                "revoked, but cannot remove {}: {e}",
                store.path().display()
            )));
        }
    }
    // The `.lock` file stays: removing it could split a waiting process's lock from ours.
    drop(lock);
    println!(
        "revoked the {which}; removed {}",
        settings.paths.tokens.display()
    );
    Ok(())
}
