//! A web service's users: one transport and one store for all of them, a cheap API client per
//! user, the refresh job every five minutes, and logout (the README's "Many users" section is
//! this file).

use std::sync::Arc;
use std::time::Duration;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2;
use twitter_auth_core::{ClientId, ClientSecret};
use twitter_auth_reqwest::{Grants, Transport};
use twitter_auth_std::FileStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = oauth2::App::confidential(ClientId::new("YOUR_ID"), ClientSecret::new("SECRET"));
    // Every instance of the service may share the directory (or use twitter-auth-redis).
    let grants = Grants::new(Transport::new(), app, Arc::new(FileStore::new("grants")));

    // The refresh job: each user whose access token expires in the next 10 minutes, refreshed
    // once across instances, 8 at a time, waiting out a 429 from X.
    let job = grants.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(300));
        loop {
            every.tick().await;
            match job.refresh_due(Duration::from_secs(600), 8).await {
                Ok(report) => {
                    for (user, why) in &report.login_required {
                        eprintln!("user {user} must log in again: {why}");
                    }
                }
                Err(e) => eprintln!("refresh job: {e}"),
            }
        }
    });

    // After the login callback: `grants.login(&key, tokens).await?` stores the new grant (a
    // whole web app: examples/login-with-x).
    // In a request handler, with the user's key from the session:
    let key = UserKey::new("1072250532645998596")?;
    let api = grants.api(&key).await?; // cached after the first call: no store read
    let me = api.me().await?; // GET 2/users/me, typed; `api.get_json::<T>(path)` for others
    println!("@{} (token expires {:?})", me.username, api.expires_at());

    // Log out: both tokens revoked at X, then the key deleted.
    api.logout().await?;
    Ok(())
}
