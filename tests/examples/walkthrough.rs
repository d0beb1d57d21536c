//! Every flow of `twitter-auth-core` against the embedded fake X on loopback, step by step,
//! with a plain HTTP client: `cargo run -p twitter-auth-tests --example walkthrough`.
//!
//! Needs no credentials and no network. (`twauth demo` will do the same through the adapters.)

use std::process::ExitCode;
use std::time::Duration;

use rand::SeedableRng as _;
use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback};
use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
use twitter_auth_core::oauth2::{self, RevokeToken, Scope, Scopes};
use twitter_auth_core::{ClientId, ClientSecret};
use twitter_auth_mock::{DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig, pin_from_page};
use twitter_auth_tests::{Loopback, Transport, follow_consent};

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// The first characters of a secret, enough to tell two apart.
fn redact(secret: &str) -> String {
    format!(
        "{}… ({} chars)",
        secret.chars().take(6).collect::<String>(),
        secret.len()
    )
}

/// `client` is at the fake X's hosts (`with_endpoints`).
fn pkce(x: &mut Loopback, client: &oauth2::App, rng: &mut rand::rngs::StdRng) -> Outcome {
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let (url, pending) = client
        .authorize("http://127.0.0.1:8765/callback", scopes)?
        .start(x.now(), rng);
    println!(
        "  authorize URL   {}…",
        &url.as_str()[..80.min(url.as_str().len())]
    );
    let callback = follow_consent(x, url.as_str());
    println!(
        "  consent given   redirected to {}…",
        &callback[..40.min(callback.len())]
    );
    let code = pending.on_callback(&callback, x.now())?;
    let tokens = x.run(client.exchange(code)?)?;
    println!(
        "  token obtained  access {}, scopes {:?}",
        redact(tokens.access_token().secret()),
        tokens
            .scopes()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
    );
    let me = x.run(client.users_me(&tokens)?)?;
    println!("  2/users/me      @{} (id {})", me.username, me.id.as_str());
    x.advance(Duration::from_secs(7200));
    println!("  two hours pass  the access token has expired");
    let tokens = x.run(client.refresh(&tokens)?)?;
    println!(
        "  refreshed       new access {}, rotated refresh token",
        redact(tokens.access_token().secret())
    );
    let refresh = tokens.refresh_token().ok_or("no refresh token")?;
    x.run(client.revoke(RevokeToken::Refresh(refresh))?)?;
    println!("  revoked         the grant is gone");
    Ok(())
}

fn oauth1(x: &mut Loopback, pin: bool, rng: &mut rand::rngs::StdRng) -> Outcome {
    let app = x.config().app(DEMO_WEB_APP).ok_or("no web app")?;
    let app = oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(x.endpoints());
    let callback = if pin {
        Callback::oob()
    } else {
        Callback::url("http://127.0.0.1:8765/callback")?
    };
    let pending = x.run(app.request_token(callback, x.now(), rng)?)?;
    println!(
        "  request token   {}",
        redact(pending.request_token().as_str())
    );
    let url = app.authorize_url(&pending, AuthorizeKind::Authorize);
    println!("  authorize URL   {url}");
    let verified = if pin {
        let page = x.send(&http::Request::get(url.as_str()).body(Vec::new())?)?;
        let html = String::from_utf8(page.into_body())?;
        let pin = pin_from_page(&html).ok_or("no PIN on the page")?;
        println!("  PIN page        the user reads PIN {pin} and types it in");
        pending.with_pin(pin, x.now())?
    } else {
        let callback = follow_consent(x, url.as_str());
        println!("  consent given   callback carries oauth_token and oauth_verifier");
        pending.on_callback(&callback, x.now())?
    };
    let user = x.run(app.access_token(verified, x.now(), rng)?)?;
    println!(
        "  access token    {} for @{}",
        redact(user.token.token.as_str()),
        user.screen_name.as_deref().unwrap_or("?")
    );
    let signer = app.signer(&user.token);
    let me = x.run(app.verify_credentials(&signer, x.now(), rng)?)?;
    println!(
        "  signed request  1.1/account/verify_credentials.json → @{}",
        me.screen_name
    );
    Ok(())
}

fn app_only(x: &mut Loopback) -> Outcome {
    let app = x.config().app(DEMO_WEB_APP).ok_or("no web app")?;
    let app = oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(x.endpoints());
    let bearer = x.run(app.obtain_bearer()?)?;
    println!(
        "  bearer token    {}",
        redact(
            bearer
                .authorization_header()
                .to_str()?
                .trim_start_matches("Bearer ")
        )
    );
    x.run(app.invalidate_bearer_basic(&bearer)?)?;
    println!("  invalidated     the bearer no longer works");
    Ok(())
}

fn main() -> ExitCode {
    let mut x = Loopback::start(MockConfig::default());
    println!(
        "fake X on {} (no network, made-up credentials)\n",
        x.mock().base_url()
    );
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let native = x
        .config()
        .app(DEMO_NATIVE_APP)
        .and_then(|a| a.client_id())
        .unwrap_or_default()
        .to_owned();
    let web = x.config().app(DEMO_WEB_APP).cloned();
    let confidential = web.as_ref().map(|a| {
        oauth2::App::confidential(
            ClientId::new(a.client_id().unwrap_or_default()),
            ClientSecret::new(a.client_secret().unwrap_or_default()),
        )
        .with_endpoints(x.endpoints())
    });
    let mut results = Vec::new();
    let mut step = |name: &str, outcome: Outcome| {
        match &outcome {
            Ok(()) => println!("  ✓ {name}\n"),
            Err(e) => println!("  ✗ {name}: {e}\n"),
        }
        results.push((name.to_owned(), outcome.is_ok()));
    };
    let public = oauth2::App::public(ClientId::new(native)).with_endpoints(x.endpoints());
    println!("OAuth 2.0 PKCE, public client");
    step("PKCE (public)", pkce(&mut x, &public, &mut rng));
    println!("OAuth 2.0 PKCE, confidential client");
    let outcome = confidential
        .ok_or_else(|| "no web app".into())
        .and_then(|c| pkce(&mut x, &c, &mut rng));
    step("PKCE (confidential)", outcome);
    println!("OAuth 1.0a 3-legged");
    step("OAuth 1.0a 3-legged", oauth1(&mut x, false, &mut rng));
    println!("OAuth 1.0a PIN");
    step("OAuth 1.0a PIN", oauth1(&mut x, true, &mut rng));
    println!("OAuth 2.0 app-only");
    step("App-only bearer", app_only(&mut x));
    let failed = results.iter().filter(|(_, ok)| !ok).count();
    println!("{} flows, {} failed", results.len(), failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
