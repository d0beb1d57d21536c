//! `twauth login oauth2` (PKCE with a loopback receiver or a pasted redirect) and `twauth login
//! oauth1` (3-legged with a loopback callback, or the PIN flow): the credential is saved before
//! success is printed (an OAuth 2.0 grant with `Grants::login` under the profile's key in
//! `tokens/`, an OAuth 1.0a access token in the profile file).

use std::io::{self, BufRead as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use twitter_auth_core::oauth1::{AuthorizeKind, Callback, RequestToken, UserCredentials};
use twitter_auth_core::oauth1_sign::{ConsumerCredentials, ConsumerKey, ConsumerSecret};
use twitter_auth_core::oauth2::{AuthorizeRequest, Scopes, UsersMe};
use twitter_auth_std::{LoopbackReceiver, read_pasted_redirect};

use crate::profile::{CliError, Opts, error_chain, load_profile, save_profile};
use crate::token::{grants, need_client};

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
    /// OAuth 2.0 authorization code with PKCE; the grant is stored under the profile's name in
    /// `$XDG_CONFIG_HOME/twauth/tokens/` (`<profile>.grant`).
    Oauth2(Oauth2Args),
    /// OAuth 1.0a 3-legged (loopback callback) or PIN flow; the access token goes to the profile.
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
    /// Read the URL the browser ended on from stdin instead of listening (headless use).
    #[arg(long)]
    paste: bool,
    #[command(flatten)]
    browser: BrowserArgs,
    #[command(flatten)]
    opts: Opts,
}

/// `login oauth1` options.
#[derive(clap::Args, Debug)]
struct Oauth1Args {
    /// PIN flow (`oob`): read the PIN X shows from stdin.
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
    opts: Opts,
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
        CliError(
            "login denied: the user did not authorize the app (access denied at the consent page)"
                .to_owned(),
        )
    } else {
        e.into()
    }
}

fn loopback(e: &twitter_auth_std::LoopbackError) -> CliError {
    CliError(error_chain(e))
}

/// Prints the authorize URL (always) and opens the system browser unless told not to.
fn send_user_to(url: &str, browser: &BrowserArgs) {
    eprintln!("Open this URL in a browser to authorize twauth:\n\n    {url}\n");
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
    eprint!("{prompt}");
    let _ = io::stderr().flush();
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("cannot read stdin: {e}")))?;
    Ok(line.trim().to_owned())
}

fn oauth2(args: &Oauth2Args) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let client = need_client(&settings)?;
    let endpoints = settings.endpoints()?;
    let scopes = Scopes::parse(&args.scopes);
    if scopes.is_empty() {
        return Err(
            "no scopes: give --scopes, e.g. \"tweet.read users.read offline.access\"".into(),
        );
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
    let (url, pending) = AuthorizeRequest::new(&client, &redirect, scopes)?.start(
        &endpoints,
        SystemTime::now(),
        &mut rand::rng(),
    );
    send_user_to(url.as_str(), &args.browser);
    let callback = match receiver {
        Some(receiver) => {
            eprintln!("Waiting for the browser… (up to {}s)", args.browser.timeout);
            receiver
                .receive_matching(|url| pending.matches(url))
                .map_err(|e| loopback(&e))?
        }
        None => {
            eprint!("Paste the URL your browser ended on: ");
            let _ = io::stderr().flush();
            read_pasted_redirect(&mut io::stdin().lock()).map_err(|e| loopback(&e))?
        }
    };
    let code = pending
        .on_callback(callback.url(), SystemTime::now())
        .map_err(callback_error)?;
    let http = twitter_auth_ureq::Client::new(endpoints.clone());
    let tokens = http.execute(code.exchange(&client, &endpoints)?)?;
    grants(&settings, http.clone())?.login(&settings.paths.key, tokens.clone())?;
    eprintln!(
        "saved the grant to {}",
        settings.paths.grant_file().display()
    );
    let user = http.execute(UsersMe::new(&endpoints, &tokens)?)?;
    println!("logged in as @{}", user.username);
    Ok(())
}

fn oauth1(args: &Oauth1Args) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let (Some(key), Some(secret)) = (
        settings.values.consumer_key.clone(),
        settings.values.consumer_secret.clone(),
    ) else {
        return Err(
            "no consumer key and secret: give --consumer-key/--consumer-secret (or TWAUTH_CONSUMER_KEY/TWAUTH_CONSUMER_SECRET)".into(),
        );
    };
    let app = ConsumerCredentials::new(
        ConsumerKey::new(key.clone()),
        ConsumerSecret::new(secret.clone()),
    );
    let endpoints = settings.endpoints()?;
    let timeout = Duration::from_secs(args.browser.timeout);
    let mut rng = rand::rng();
    let mut nonce = || oauth1_sign::generate_nonce(&mut rng);
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
    let http = twitter_auth_ureq::Client::new(endpoints.clone());
    let pending = http.execute(RequestToken::new(callback).exchange(
        &app,
        &endpoints,
        SystemTime::now(),
        &nonce(),
    )?)?;
    let kind = if args.sign_in {
        AuthorizeKind::Authenticate
    } else {
        AuthorizeKind::Authorize
    };
    let url = pending.authorize_url(&endpoints, kind);
    send_user_to(url.as_str(), &args.browser);
    let verified = match receiver {
        Some(receiver) => {
            eprintln!("Waiting for the browser… (up to {}s)", args.browser.timeout);
            let callback = receiver
                .receive_matching(|url| pending.matches(url))
                .map_err(|e| loopback(&e))?;
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
        http.execute(verified.access_token(&app, &endpoints, SystemTime::now(), &nonce())?)?;
    // Re-read the file: only the credential changes, whatever else came from flags or env.
    // The consumer key and secret are kept with the token: it is useless without them.
    let mut profile = load_profile(&settings.paths.profile)?;
    profile.consumer_key = Some(key);
    profile.consumer_secret = Some(secret);
    profile.access_token = Some(user.token.token.as_str().to_owned());
    profile.access_token_secret = Some(user.token.secret.secret().to_owned());
    save_profile(&settings.paths, &profile)?;
    eprintln!(
        "saved the access token to {}",
        settings.paths.profile.display()
    );
    let name = match user.screen_name {
        Some(name) => name,
        None => {
            let signer = twitter_auth_core::oauth1::UserSigner::new(&app, &user.token);
            http.execute(UsersMe::oauth1(
                &endpoints,
                &signer,
                SystemTime::now(),
                &nonce(),
            )?)?
            .username
        }
    };
    println!("logged in as @{name}");
    Ok(())
}
