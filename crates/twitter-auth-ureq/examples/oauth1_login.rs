//! Logs a user in with the OAuth 1.0a 3-legged flow over a loopback callback and builds an API
//! client (the README's OAuth 1.0a section is this file).

use std::time::SystemTime;
use twitter_auth_core::Endpoints;
use twitter_auth_core::api::Credential;
use twitter_auth_core::oauth1::{AuthorizeKind, Callback, RequestToken, UserSigner};
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, generate_nonce,
};
use twitter_auth_std::LoopbackReceiver;
use twitter_auth_ureq::{ApiClient, Client, rand};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = ConsumerCredentials::new(
        ConsumerKey::new("API_KEY"),
        ConsumerSecret::new("API_KEY_SECRET"),
    );
    let client = Client::new(Endpoints::x());
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:8765/callback")?;
    let nonce = || generate_nonce(&mut rand::rng()); // the adapter re-exports rand
    let step = RequestToken::new(Callback::url(&receiver.redirect_uri())?) // Callback::oob() for a PIN
        .exchange(&app, client.endpoints(), SystemTime::now(), &nonce())?;
    let pending = client.execute(step)?;
    println!(
        "open {}",
        pending.authorize_url(client.endpoints(), AuthorizeKind::Authorize)
    ); // Authenticate: Sign in with X
    let callback = receiver.receive_matching(|url| pending.matches(url))?;
    let verified = pending.on_callback(callback.url(), SystemTime::now())?; // or pending.with_pin(&pin, now)
    let step = verified.access_token(&app, client.endpoints(), SystemTime::now(), &nonce())?;
    let user = client.execute(step)?;
    // Every request `api.send(request)` sends is signed.
    let _api = ApiClient::new(
        client,
        Credential::OAuth1(UserSigner::new(&app, &user.token)),
    );
    Ok(())
}
