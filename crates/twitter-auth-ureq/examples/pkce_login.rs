//! Logs a user in with OAuth 2.0 PKCE over a loopback callback, stores the grant under a key,
//! and calls `2/users/me` (the README's PKCE section is this file).

use std::sync::Arc;
use std::time::SystemTime;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{AuthorizeRequest, Client, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints, http};
use twitter_auth_std::{FileStore, LoopbackReceiver};
use twitter_auth_ureq::{Client as Http, Grants};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoints = Endpoints::x();
    let client = Client::public(ClientId::new("YOUR_CLIENT_ID")); // or Client::confidential(id, secret)
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:8765/callback")?; // listen before the browser
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let (url, pending) = AuthorizeRequest::new(&client, &receiver.redirect_uri(), scopes)?.start(
        &endpoints,
        SystemTime::now(),
        &mut rand::rng(),
    );
    println!("open {url}");
    let callback = receiver.receive_matching(|url| pending.matches(url))?;
    let code = pending.on_callback(callback.url(), SystemTime::now())?;
    let http_client = Http::new(endpoints.clone());
    let tokens = http_client.execute(code.exchange(&client, &endpoints)?)?;
    // One directory holds every user's grant; the key is yours (here: one local user).
    let grants = Grants::new(http_client, client, Arc::new(FileStore::new("tokens")));
    // Stored before use; refreshed before expiry and once after a 401, once for all threads
    // and processes sharing the directory.
    let api = grants.login(&UserKey::new("me")?, tokens)?;
    let me =
        api.send(http::Request::get(endpoints.api_url("2/users/me").as_str()).body(Vec::new())?)?;
    println!("{}", String::from_utf8_lossy(me.body()));
    Ok(())
}
