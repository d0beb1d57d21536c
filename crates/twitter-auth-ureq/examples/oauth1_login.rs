//! Logs a user in with the OAuth 1.0a 3-legged flow over a loopback callback and builds an API
//! client (the README's OAuth 1.0a section is this file).

use std::time::SystemTime;
use twitter_auth_core::api::Credential;
use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback};
use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
use twitter_auth_std::LoopbackReceiver;
use twitter_auth_ureq::{ApiClient, Transport, rand};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = oauth1::App::new(
        ConsumerKey::new("API_KEY"),
        ConsumerSecret::new("API_KEY_SECRET"),
    );
    let transport = Transport::new();
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:8765/callback")?;
    let rng = &mut rand::rng(); // nonces; the adapter re-exports rand
    let callback = Callback::url(&receiver.redirect_uri())?; // Callback::oob() for a PIN
    let pending = transport.execute(app.request_token(callback, SystemTime::now(), rng)?)?;
    println!(
        "open {}",
        app.authorize_url(&pending, AuthorizeKind::Authorize)
    ); // Authenticate: Sign in with X
    let callback = receiver.receive_matching(|url| pending.matches(url))?;
    let authorized = pending.verify_callback(callback.url(), SystemTime::now())?; // or pending.with_pin(&pin, now)
    let user = transport.execute(app.access_token(authorized, SystemTime::now(), rng)?)?;
    // Every request `api.send(request)` sends is signed.
    let signer = app.signer(&user.token);
    let _api = ApiClient::new(transport, app.endpoints(), Credential::OAuth1(signer));
    Ok(())
}
