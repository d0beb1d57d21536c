//! `twauth login oauth2` (PKCE with a loopback receiver or a pasted redirect) and `twauth login
//! oauth1` (3-legged with a loopback callback, or the PIN flow).
//!
//! The credential is saved before success is printed, with everything it needs later: an OAuth
//! 2.0 grant goes to the profile's key in `tokens/` (`Grants::login`) and the client id, client
//! secret, base URL and authorize URL to the profile; an OAuth 1.0a token goes to the profile
//! with the consumer key and secret and the base URL. A failed check of the new credential
//! (`GET 2/users/me`) after the save is reported as such, and the login still exits 0.

use std::io::{self, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use twitter_auth_core::Endpoints;
use twitter_auth_core::oauth1::{AuthorizeKind, Callback, UserCredentials};
use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
use twitter_auth_core::oauth2::Scopes;
use twitter_auth_std::{LoopbackReceiver, read_pasted_redirect};

use crate::error::{CliError, error_chain};
use crate::net;
use crate::profile::Secret;
use crate::settings::{ClientArgs, ConsumerArgs, Field, Given, HostArgs, Settings};
use crate::token::{grants, need_client, need_consumer};
use crate::ui::{self, errln, outln};

/// The redirect URI (and OAuth 1.0a callback) used unless one is given.
const DEFAULT_REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// `login` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    flow: Flow,
}

/// Which protocol to log in with.
#[derive(clap::Subcommand, Debug)]
enum Flow {
    /// OAuth 2.0 authorization code with PKCE: the grant goes to
    /// `$XDG_CONFIG_HOME/twauth/tokens/<profile>.grant`, the client and hosts to the profile.
    Oauth2(Oauth2Args),
    /// OAuth 1.0a 3-legged (loopback callback) or PIN flow: the access token, the consumer key
    /// and secret and the base URL go to the profile.
    Oauth1(Oauth1Args),
}

/// How the user is sent to the authorize page and how long to wait.
#[derive(clap::Args, Debug)]
struct BrowserArgs {
    /// Print the authorize URL only; do not open the system browser.
    #[arg(long)]
    no_browser: bool,
    /// Seconds to wait for the browser to come back.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
}

/// `login oauth2` options.
#[derive(clap::Args, Debug)]
struct Oauth2Args {
    /// Scopes to ask for, space-separated.
    #[arg(long, default_value = "tweet.read users.read offline.access")]
    scopes: String,
    /// The redirect URI registered for the app: a loopback `http://` URL to listen on.
    #[arg(long, value_name = "URL", default_value = DEFAULT_REDIRECT)]
    redirect: String,
    /// Read the URL the browser ended on from stdin instead of listening (headless use; after
    /// any `-` secrets).
    #[arg(long)]
    paste: bool,
    /// OAuth 2.0 authorize page URL (default: the one of the base URL; X's is
    /// `https://x.com/i/oauth2/authorize`).
    #[arg(
        long,
        env = "TWAUTH_AUTH_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    auth_url: Option<String>,
    #[command(flatten)]
    browser: BrowserArgs,
    #[command(flatten)]
    client: ClientArgs,
    #[command(flatten)]
    host: HostArgs,
}

/// `login oauth1` options.
#[derive(clap::Args, Debug)]
struct Oauth1Args {
    /// PIN flow (`oob`): read the PIN X shows from stdin (after any `-` secrets).
    #[arg(long, conflicts_with = "callback")]
    pin: bool,
    /// The callback URL registered for the app: a loopback `http://` URL to listen on.
    #[arg(long, value_name = "URL")]
    callback: Option<String>,
    /// Use `oauth/authenticate` ("Sign in with X") instead of `oauth/authorize`.
    #[arg(long)]
    sign_in: bool,
    #[command(flatten)]
    browser: BrowserArgs,
    #[command(flatten)]
    consumer: ConsumerArgs,
    #[command(flatten)]
    host: HostArgs,
}

/// Runs `login …`.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    match &args.flow {
        Flow::Oauth2(args) => oauth2(args),
        Flow::Oauth1(args) => oauth1(args),
    }
}

/// A callback error; a refusal says plainly that the user denied the login.
fn callback_error(e: twitter_auth_core::Error) -> CliError {
    if matches!(e, twitter_auth_core::Error::Denied) {
        CliError::new(
            "login denied: the user did not authorize the app (access denied at the consent page)",
        )
    } else {
        e.into()
    }
}

fn loopback(e: &twitter_auth_std::LoopbackError) -> CliError {
    CliError::new(error_chain(e))
}

/// Prints the authorize URL (always) and opens the system browser unless told not to.
fn send_user_to(url: &str, browser: &BrowserArgs) {
    errln!("Open this URL in a browser to authorize twauth:\n\n    {url}\n");
    if !browser.no_browser {
        open_browser(url);
    }
}

/// Spawns the system's URL opener; failures are ignored (the URL is printed anyway).
fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = Command::new(program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Asks for one line on stderr and reads it from stdin.
fn prompt_line(prompt: &str) -> Result<String, CliError> {
    eprint!("{}", ui::clean(prompt));
    let _ = io::stderr().flush();
    let mut line = String::new();
    io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
    Ok(line.trim().to_owned())
}

/// Waits for the browser's callback, with a countdown on a terminal.
fn receive(
    receiver: LoopbackReceiver,
    timeout: u64,
    matches: impl Fn(&str) -> bool,
) -> Result<twitter_auth_std::ReceivedCallback, CliError> {
    let countdown = ui::Countdown::start(Duration::from_secs(timeout), "Waiting for the browser");
    let callback = receiver.receive_matching(matches);
    drop(countdown);
    callback.map_err(|e| loopback(&e))
}

/// Prints the outcome of a login whose credential is saved: who it belongs to, or why the
/// check failed (exit 0 either way: the credential works or will be retried by its user).
fn report_login(
    settings: &Settings,
    saved_to: &std::path::Path,
    kind: &str,
    user: Result<(String, String), CliError>,
) {
    let (user_json, check_error) = match &user {
        Ok((username, id)) => (
            serde_json::json!({"username": username, "id": id}),
            serde_json::Value::Null,
        ),
        Err(e) => (serde_json::Value::Null, serde_json::json!(e.to_string())),
    };
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "logged_in": true,
            "credential": kind,
            "profile": settings.profile(),
            "saved_to": saved_to.display().to_string(),
            "user": user_json,
            "check_error": check_error,
        }));
        return;
    }
    match user {
        Ok((username, _)) => outln!("logged in as @{username}"),
        Err(e) => {
            outln!(
                "logged in: the credential is saved to {}",
                saved_to.display()
            );
            errln!(
                "twauth: warning: the check of the new credential (GET 2/users/me) failed; the \
                 saved credential is kept:\n  {e}"
            );
        }
    }
}

fn oauth2(args: &Oauth2Args) -> Result<(), CliError> {
    let settings = Given::new()
        .host(&args.host)
        .auth_url(args.auth_url.as_ref())
        .client(&args.client)
        .resolve()?;
    let endpoints = settings.endpoints_for(
        settings.any_stored(&[Field::ClientSecret]),
        "OAuth 2.0 client secret",
    )?;
    let client = need_client(&settings)?.with_endpoints(endpoints.clone());
    let grant = settings.paths.has_grant()?;
    settings.check_save(
        &settings.stored,
        endpoints.api().as_str(),
        &[Field::ClientSecret],
        false,
    )?;
    if grant && settings.recorded_base() != crate::settings::normalized(endpoints.api().as_str()) {
        return Err(CliError::new(format!(
            "profile '{}' holds an OAuth 2.0 grant issued by {}; this login is at {}",
            settings.profile(),
            settings.recorded_base(),
            endpoints.api()
        ))
        .with_hint("log in to another profile (-u NAME), or delete this one first (`twauth profiles delete NAME`)"));
    }
    let scopes = Scopes::parse(&args.scopes);
    if scopes.is_empty() {
        return Err(CliError::usage(
            "no scopes: give --scopes, e.g. \"tweet.read users.read offline.access\"",
        ));
    }
    let timeout = Duration::from_secs(args.browser.timeout);
    // Bind before anyone can be sent to the authorize page, so the redirect always finds us.
    let receiver = if args.paste {
        None
    } else {
        Some(
            LoopbackReceiver::bind(&args.redirect)
                .map_err(|e| loopback(&e))?
                .with_timeout(timeout),
        )
    };
    let redirect = receiver
        .as_ref()
        .map_or_else(|| args.redirect.clone(), LoopbackReceiver::redirect_uri);
    let (url, pending) = client
        .authorize(&redirect, scopes)?
        .start(SystemTime::now(), &mut rand::rng());
    send_user_to(url.as_str(), &args.browser);
    let callback = match receiver {
        Some(receiver) => receive(receiver, args.browser.timeout, |url| pending.matches(url))?,
        None => {
            eprint!("Paste the URL your browser ended on: ");
            let _ = io::stderr().flush();
            read_pasted_redirect(&mut io::stdin().lock()).map_err(|e| loopback(&e))?
        }
    };
    let code = pending
        .on_callback(callback.url(), SystemTime::now())
        .map_err(callback_error)?;
    let http = net::transport();
    let tokens = http.execute(client.exchange(code)?)?;
    ui::register(tokens.access_token().secret());
    if let Some(refresh) = tokens.refresh_token() {
        ui::register(refresh.secret());
    }
    // The profile first (what the grant needs to be refreshed and where it may go), then the
    // grant: a grant without its client could never be refreshed.
    save_oauth2_profile(&settings, &endpoints)?;
    grants(&settings, &endpoints, http.clone())?.login(&settings.paths.key, tokens.clone())?;
    if !ui::json() {
        errln!(
            "saved the grant to {} and its client and hosts to {}",
            settings.paths.grant_file().display(),
            settings.paths.profile.display()
        );
    }
    let user = http
        .execute(client.users_me(&tokens)?)
        .map(|user| (user.username, user.id.as_str().to_owned()))
        .map_err(CliError::from);
    report_login(&settings, &settings.paths.grant_file(), "oauth2", user);
    Ok(())
}

/// Records the client and the hosts of an OAuth 2.0 login in the profile.
fn save_oauth2_profile(settings: &Settings, endpoints: &Endpoints) -> Result<(), CliError> {
    let id = settings.get(Field::ClientId).map(str::to_owned);
    let secret = settings.get(Field::ClientSecret).map(Secret::new);
    let base = endpoints.api().to_string();
    let auth = endpoints.oauth2_authorize().to_string();
    settings.paths.update(|profile| {
        profile.client_id = id;
        profile.client_secret = secret;
        profile.base_url = Some(base);
        profile.auth_url = Some(auth);
        Ok(())
    })
}

fn oauth1(args: &Oauth1Args) -> Result<(), CliError> {
    let settings = Given::new()
        .host(&args.host)
        .consumer(&args.consumer)
        .resolve()?;
    let (key, secret) = need_consumer(&settings)?;
    let endpoints = settings.endpoints_for(
        settings.any_stored(&[Field::ConsumerSecret]),
        "OAuth 1.0a consumer secret",
    )?;
    let app = twitter_auth_core::oauth1::App::new(
        ConsumerKey::new(key.clone()),
        ConsumerSecret::new(secret.clone()),
    )
    .with_endpoints(endpoints.clone());
    let grant = settings.paths.has_grant()?;
    settings.check_save(
        &settings.stored,
        endpoints.api().as_str(),
        &[
            Field::ConsumerSecret,
            Field::AccessToken,
            Field::AccessTokenSecret,
        ],
        grant,
    )?;
    let timeout = Duration::from_secs(args.browser.timeout);
    let mut rng = rand::rng();
    let receiver = if args.pin {
        None
    } else {
        let url = args.callback.as_deref().unwrap_or(DEFAULT_REDIRECT);
        Some(
            LoopbackReceiver::bind(url)
                .map_err(|e| loopback(&e))?
                .with_timeout(timeout),
        )
    };
    let callback = match &receiver {
        Some(receiver) => Callback::url(&receiver.redirect_uri())?,
        None => Callback::oob(),
    };
    let http = net::transport();
    let pending = http.execute(app.request_token(callback, SystemTime::now(), &mut rng)?)?;
    let kind = if args.sign_in {
        AuthorizeKind::Authenticate
    } else {
        AuthorizeKind::Authorize
    };
    let url = app.authorize_url(&pending, kind);
    send_user_to(url.as_str(), &args.browser);
    let verified = match receiver {
        Some(receiver) => {
            let callback = receive(receiver, args.browser.timeout, |url| pending.matches(url))?;
            pending
                .on_callback(callback.url(), SystemTime::now())
                .map_err(callback_error)?
        }
        None => {
            let pin = prompt_line("Enter the PIN X shows: ")?;
            pending.with_pin(&pin, SystemTime::now())?
        }
    };
    let user: UserCredentials =
        http.execute(app.access_token(verified, SystemTime::now(), &mut rng)?)?;
    ui::register(user.token.token.as_str());
    ui::register(user.token.secret.secret());
    // The consumer key and secret are kept with the token (it is useless without them), and
    // the base URL that issued it.
    let base = endpoints.api().to_string();
    let token = Secret::new(user.token.token.as_str());
    let token_secret = Secret::new(user.token.secret.secret());
    settings.paths.update(|profile| {
        profile.consumer_key = Some(key);
        profile.consumer_secret = Some(Secret::new(secret));
        profile.access_token = Some(token);
        profile.access_token_secret = Some(token_secret);
        profile.base_url = Some(base);
        Ok(())
    })?;
    if !ui::json() {
        errln!(
            "saved the access token to {}",
            settings.paths.profile.display()
        );
    }
    let name = match user.screen_name {
        Some(name) => Ok((
            name,
            user.user_id
                .map(|id| id.as_str().to_owned())
                .unwrap_or_default(),
        )),
        None => {
            let signer = app.signer(&user.token);
            app.users_me(&signer, SystemTime::now(), &mut rng)
                .map_err(CliError::from)
                .and_then(|step| http.execute(step).map_err(CliError::from))
                .map(|me| (me.username, me.id.as_str().to_owned()))
        }
    };
    report_login(&settings, &settings.paths.profile, "oauth1", name);
    Ok(())
}
