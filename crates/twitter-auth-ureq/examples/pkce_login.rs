//! Logs a user in with OAuth 2.0 PKCE over a loopback callback, stores the grant under a key,
//! and asks X who the user is (the README's PKCE section is this file).

use std::sync::Arc;
use std::time::SystemTime;
use twitter_auth_core::ClientId;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_std::{FileStore, LoopbackReceiver};
use twitter_auth_ureq::{Grants, Transport};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let transport = Transport::new(); // HTTP for every app and user
    let app = oauth2::App::public(ClientId::new("YOUR_CLIENT_ID")); // X's hosts; or App::confidential(id, secret)
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:8765/callback")?; // listen before the browser
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    // The PKCE verifier and the state come from the operating system's RNG.
    let (url, pending) = transport.start_login(app.authorize(&receiver.redirect_uri(), scopes)?);
    println!("open {url}");
    let callback = receiver.receive_matching(|url| pending.matches(url))?;
    let code = pending.verify_callback(callback.url(), SystemTime::now())?;
    let tokens = transport.execute(app.exchange(code)?)?;
    // One directory holds every user's grant; the key is yours (here: one local user).
    let grants = Grants::new(transport, app, Arc::new(FileStore::new("tokens")));
    // Stored before use; refreshed before expiry and once after a 401, once for all threads
    // and processes sharing the directory.
    let api = grants.login(&UserKey::new("me")?, tokens)?;
    let me = api.me()?; // GET 2/users/me, typed
    println!("@{} ({})", me.username, me.name);
    Ok(())
}
