//! `twauth token app-only`, `twauth refresh`, `twauth revoke` and `twauth invalidate`:
//! obtaining and invalidating the app-only bearer, refreshing or revoking the profile's OAuth
//! 2.0 grant (its key in the `tokens/` store, through the adapter's `Grants`, with the client
//! the profile recorded), and invalidating an OAuth 1.0a token.

use std::sync::Arc;
use std::time::SystemTime;

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::LoginRequired;
use twitter_auth_core::oauth1;
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{self, AppOnlyBearer, TokenSet};
use twitter_auth_core::{BearerToken, ClientId, ClientSecret, Endpoints};
use twitter_auth_ureq::{ApiClient, Grants};

use crate::error::{CliError, login_required};
use crate::net;
use crate::profile::Secret;
use crate::settings::{
    BearerArgs, ClientArgs, ConsumerArgs, Field, Given, HostArgs, Settings, ShowArgs, UserTokenArgs,
};
use crate::ui::{self, outln};

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
    /// Store the bearer token in the profile (with the consumer key and secret and the base
    /// URL: what `invalidate app-only` needs).
    #[arg(long)]
    save: bool,
    #[command(flatten)]
    show: ShowArgs,
    #[command(flatten)]
    consumer: ConsumerArgs,
    #[command(flatten)]
    host: HostArgs,
}

/// `refresh` / `revoke` options: the profile's grant and the client it recorded.
#[derive(clap::Args, Debug)]
pub(crate) struct GrantArgs {
    #[command(flatten)]
    show: ShowArgs,
    #[command(flatten)]
    client: ClientArgs,
    #[command(flatten)]
    host: HostArgs,
}

/// `invalidate` options.
#[derive(clap::Args, Debug)]
pub(crate) struct InvalidateArgs {
    #[command(subcommand)]
    kind: InvalidateKind,
}

/// Which credential to invalidate at X.
#[derive(clap::Subcommand, Debug)]
enum InvalidateKind {
    /// Invalidate the app-only bearer token (`POST oauth2/invalidate_token`, Basic auth with
    /// the consumer key and secret); it is removed from the profile.
    AppOnly(InvalidateAppOnlyArgs),
    /// Invalidate an OAuth 1.0a access token (`POST 1.1/oauth/invalidate_token`, signed with
    /// it); it is removed from the profile.
    Oauth1(InvalidateOauth1Args),
}

#[derive(clap::Args, Debug)]
struct InvalidateAppOnlyArgs {
    #[command(flatten)]
    consumer: ConsumerArgs,
    #[command(flatten)]
    bearer: BearerArgs,
    #[command(flatten)]
    host: HostArgs,
}

#[derive(clap::Args, Debug)]
struct InvalidateOauth1Args {
    #[command(flatten)]
    consumer: ConsumerArgs,
    #[command(flatten)]
    token: UserTokenArgs,
    #[command(flatten)]
    host: HostArgs,
}

/// A secret as it may be printed: whole with `--show-secrets`, else its first characters.
pub(crate) fn shown(secret: &str) -> String {
    if ui::show_secrets() {
        secret.to_owned()
    } else {
        shorten(secret)
    }
}

/// The first characters of a secret, enough to tell two apart, and no more.
pub(crate) fn shorten(secret: &str) -> String {
    let count = secret.chars().count();
    let keep = if count >= 16 { 4 } else { 0 };
    format!(
        "{}… ({count} chars)",
        secret.chars().take(keep).collect::<String>()
    )
}

/// Runs `token …`.
pub(crate) fn run_token(args: &TokenArgs) -> Result<(), CliError> {
    match &args.kind {
        TokenKind::AppOnly(args) => app_only(args),
    }
}

/// The consumer key and secret (an error saying how to give them).
pub(crate) fn need_consumer(settings: &Settings) -> Result<(String, String), CliError> {
    match (
        settings.get(Field::ConsumerKey),
        settings.get(Field::ConsumerSecret),
    ) {
        (Some(key), Some(secret)) => Ok((key.to_owned(), secret.to_owned())),
        _ => Err(CliError::new(
            "no consumer key and secret: give --consumer-key and --consumer-secret - (or \
             TWAUTH_CONSUMER_KEY / TWAUTH_CONSUMER_SECRET)",
        )),
    }
}

fn app_only(args: &AppOnlyArgs) -> Result<(), CliError> {
    ui::set_show_secrets(args.show.show_secrets);
    let settings = Given::new()
        .host(&args.host)
        .consumer(&args.consumer)
        .resolve()?;
    let (key, secret) = need_consumer(&settings)?;
    let endpoints = settings.endpoints_for(
        settings.any_stored(&[Field::ConsumerSecret]),
        "consumer secret",
    )?;
    if args.save {
        settings.check_save(
            &settings.stored,
            endpoints.api().as_str(),
            &[Field::ConsumerSecret, Field::BearerToken],
            settings.paths.has_grant()?,
        )?;
    }
    let client = net::transport();
    let app = oauth1::App::new(
        ConsumerKey::new(key.clone()),
        ConsumerSecret::new(secret.clone()),
    )
    .with_endpoints(endpoints.clone());
    let bearer = client.execute(app.obtain_bearer()?)?;
    let token = bearer.token().secret().to_owned();
    ui::register(&token);
    let saved_to = if args.save {
        let base = endpoints.api().to_string();
        let bearer = Secret::new(token.clone());
        settings.paths.update(|profile| {
            profile.bearer_token = Some(bearer);
            profile.consumer_key = Some(key);
            profile.consumer_secret = Some(Secret::new(secret));
            profile.base_url = Some(base);
            Ok(())
        })?;
        Some(settings.paths.profile.display().to_string())
    } else {
        None
    };
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "token_type": "bearer",
            "bearer_token": shown(&token),
            "saved_to": saved_to,
        }));
    } else {
        outln!("bearer token: {}", shown(&token));
        if let Some(path) = saved_to {
            outln!("saved to {path}");
        }
    }
    Ok(())
}

/// The OAuth 2.0 client (public, or confidential with a client secret), if a client id is
/// known.
pub(crate) fn oauth2_client(settings: &Settings) -> Option<oauth2::App> {
    let id = ClientId::new(settings.get(Field::ClientId)?);
    Some(match settings.get(Field::ClientSecret) {
        Some(secret) => oauth2::App::confidential(id, ClientSecret::new(secret)),
        None => oauth2::App::public(id),
    })
}

pub(crate) fn need_client(settings: &Settings) -> Result<oauth2::App, CliError> {
    oauth2_client(settings).ok_or_else(|| {
        CliError::new(
            "no OAuth 2.0 client id: give --client-id (or TWAUTH_CLIENT_ID), and \
             --client-secret - for a confidential client",
        )
        .with_hint("`twauth login oauth2` records the client in the profile for later commands")
    })
}

/// The profile's OAuth 2.0 grants (the `tokens/` store), refreshed with its client through
/// `http`.
pub(crate) fn grants(
    settings: &Settings,
    endpoints: &Endpoints,
    http: twitter_auth_ureq::Transport,
) -> Result<Grants, CliError> {
    let store = Arc::new(settings.paths.store()?);
    let app = need_client(settings)?.with_endpoints(endpoints.clone());
    Ok(Grants::new(http, app, store))
}

/// The token set an API client for a user's grant holds now.
fn tokens_of(api: &ApiClient) -> Result<TokenSet, CliError> {
    match api.credential() {
        Some(Credential::OAuth2(tokens)) => Ok(tokens),
        _ => Err(login_required(LoginRequired::NoGrant)),
    }
}

/// The token set as JSON (tokens shortened unless `--show-secrets`).
pub(crate) fn tokens_json(tokens: &TokenSet, generation: Option<u64>) -> serde_json::Value {
    let now = ui::unix_now();
    serde_json::json!({
        "access_token": shown(tokens.access_token().secret()),
        "refresh_token": tokens.refresh_token().map(|r| shown(r.secret())),
        "expires_at": tokens.expires_at().map(ui::unix_secs),
        "expires_in": tokens.expires_at().map(|at| ui::unix_secs(at).saturating_sub(now)),
        "scopes": tokens.scopes().iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>(),
        "generation": generation,
    })
}

fn describe(tokens: &TokenSet) -> String {
    let expires = match tokens.expires_at() {
        Some(at) => {
            let now = ui::unix_secs(SystemTime::now());
            format!("expires in {}s", ui::unix_secs(at).saturating_sub(now))
        }
        None => "no expiry given".to_owned(),
    };
    let scopes: Vec<&str> = tokens.scopes().iter().map(|s| s.as_str()).collect();
    format!(
        "access token {}, refresh token {}, {expires}, scopes {}",
        shown(tokens.access_token().secret()),
        tokens
            .refresh_token()
            .map_or_else(|| "none".to_owned(), |r| shown(r.secret())),
        scopes.join(" ")
    )
}

/// The settings of a command on the profile's grant: its client, its hosts.
fn grant_settings(args: &GrantArgs) -> Result<Settings, CliError> {
    ui::set_show_secrets(args.show.show_secrets);
    Given::new().host(&args.host).client(&args.client).resolve()
}

/// The API client of the profile's grant (an error saying to log in if there is none); the
/// grant (and the client's secret) go only to the base URL the profile recorded.
fn user_api(settings: &Settings) -> Result<ApiClient, CliError> {
    let endpoints = settings.endpoints_for(true, "OAuth 2.0 grant")?;
    let http = net::transport();
    let api = grants(settings, &endpoints, http)?.api(&settings.paths.key)?;
    register_tokens(&api);
    Ok(api)
}

/// Redacts the tokens an API client holds from everything shown.
pub(crate) fn register_tokens(api: &ApiClient) {
    if let Ok(tokens) = tokens_of(api) {
        ui::register(tokens.access_token().secret());
        if let Some(refresh) = tokens.refresh_token() {
            ui::register(refresh.secret());
        }
    }
}

/// Runs `refresh`: the new token set is saved before it is printed or used.
pub(crate) fn run_refresh(args: &GrantArgs) -> Result<(), CliError> {
    let settings = grant_settings(args)?;
    let api = user_api(&settings)?;
    // `refresh_now` returns Ok without refreshing a set that has no refresh token.
    if tokens_of(&api)?.refresh_token().is_none() {
        return Err(twitter_auth_core::Error::NoRefreshToken.into());
    }
    api.refresh_now()?;
    register_tokens(&api);
    let tokens = tokens_of(&api)?;
    if ui::json() {
        let mut json = tokens_json(&tokens, api.generation());
        json["refreshed"] = serde_json::json!(true);
        json["profile"] = serde_json::json!(settings.profile());
        ui::out_json(&json);
    } else {
        outln!("refreshed: {}", describe(&tokens));
    }
    Ok(())
}

/// Runs `revoke`: the grant is deleted only once X has accepted the revocations.
pub(crate) fn run_revoke(args: &GrantArgs) -> Result<(), CliError> {
    let settings = grant_settings(args)?;
    let api = user_api(&settings)?;
    let revoked: &[&str] = match tokens_of(&api)?.refresh_token() {
        Some(_) => &["refresh_token", "access_token"],
        None => &["access_token"],
    };
    api.logout()?;
    let removed = settings.paths.grant_file().display().to_string();
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "revoked": revoked,
            "removed": removed,
            "profile": settings.profile(),
        }));
    } else {
        let which = if revoked.len() == 2 {
            "the refresh token and the access token"
        } else {
            "the access token"
        };
        outln!("revoked {which}; removed {removed}");
    }
    Ok(())
}

/// Runs `invalidate …`.
pub(crate) fn run_invalidate(args: &InvalidateArgs) -> Result<(), CliError> {
    match &args.kind {
        InvalidateKind::AppOnly(args) => invalidate_app_only(args),
        InvalidateKind::Oauth1(args) => invalidate_oauth1(args),
    }
}

fn invalidate_app_only(args: &InvalidateAppOnlyArgs) -> Result<(), CliError> {
    let settings = Given::new()
        .host(&args.host)
        .consumer(&args.consumer)
        .bearer(&args.bearer)
        .resolve()?;
    let (key, secret) = need_consumer(&settings)?;
    let token = settings.get(Field::BearerToken).ok_or_else(|| {
        CliError::new("no app-only bearer token: give --bearer-token - (or TWAUTH_BEARER_TOKEN)")
            .with_hint("`twauth token app-only --save` keeps one in the profile")
    })?;
    let endpoints = settings.endpoints_for(
        settings.any_stored(&[Field::ConsumerSecret, Field::BearerToken]),
        "consumer secret and bearer token",
    )?;
    let bearer = AppOnlyBearer::new(BearerToken::new(token))?;
    let app = oauth1::App::new(ConsumerKey::new(key), ConsumerSecret::new(secret))
        .with_endpoints(endpoints);
    net::transport().execute(app.invalidate_bearer_basic(&bearer)?)?;
    let removed = forget(&settings, Field::BearerToken, token, |p| {
        &mut p.bearer_token
    })?;
    report_invalidated("app_only", "the app-only bearer token", removed.as_deref());
    Ok(())
}

fn invalidate_oauth1(args: &InvalidateOauth1Args) -> Result<(), CliError> {
    let settings = Given::new()
        .host(&args.host)
        .consumer(&args.consumer)
        .user_token(&args.token)
        .resolve()?;
    let (key, secret) = need_consumer(&settings)?;
    let (Some(token), Some(token_secret)) = (
        settings.get(Field::AccessToken),
        settings.get(Field::AccessTokenSecret),
    ) else {
        return Err(CliError::new(
            "no OAuth 1.0a access token: give --access-token - and --access-token-secret - (or \
             TWAUTH_ACCESS_TOKEN / TWAUTH_ACCESS_TOKEN_SECRET), or log in (`twauth login oauth1`)",
        ));
    };
    let endpoints = settings.endpoints_for(
        settings.any_stored(&[
            Field::ConsumerSecret,
            Field::AccessToken,
            Field::AccessTokenSecret,
        ]),
        "OAuth 1.0a credentials",
    )?;
    let app = oauth1::App::new(ConsumerKey::new(key), ConsumerSecret::new(secret))
        .with_endpoints(endpoints);
    let owner = TokenCredentials::new(Token::new(token), TokenSecret::new(token_secret));
    net::transport().execute(app.invalidate_token(
        &owner,
        SystemTime::now(),
        &mut rand::rng(),
    )?)?;
    let removed = forget(&settings, Field::AccessToken, token, |p| {
        &mut p.access_token
    })?;
    if removed.is_some() {
        settings.paths.update(|p| {
            p.access_token_secret = None;
            Ok(())
        })?;
    }
    report_invalidated("oauth1", "the OAuth 1.0a access token", removed.as_deref());
    Ok(())
}

/// Removes an invalidated credential from the profile, if it is the one stored there.
fn forget(
    settings: &Settings,
    field: Field,
    value: &str,
    slot: impl FnOnce(&mut crate::profile::Profile) -> &mut Option<Secret>,
) -> Result<Option<String>, CliError> {
    if !settings.is_stored(field) {
        return Ok(None);
    }
    settings.paths.update(|profile| {
        let slot = slot(profile);
        if slot.as_ref().is_some_and(|s| s.expose() == value) {
            *slot = None;
        }
        Ok(())
    })?;
    Ok(Some(settings.paths.profile.display().to_string()))
}

fn report_invalidated(kind: &str, what: &str, removed_from: Option<&str>) {
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "invalidated": kind,
            "removed_from": removed_from,
        }));
    } else {
        match removed_from {
            Some(path) => outln!("invalidated {what}; removed it from {path}"),
            None => outln!("invalidated {what}"),
        }
    }
}
