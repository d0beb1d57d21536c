//! The README's quick start, compiled and run by `cargo test` so it cannot drift from the API.
//!
//! `cargo run -p oauth1-sign --example quick_start` prints an `Authorization` header for a
//! request to X (with made-up credentials; nothing is sent).

// An application owns the clock and the RNG; the library never reads them itself.
#![allow(clippy::disallowed_methods)]

use std::time::{SystemTime, UNIX_EPOCH};

use oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, Signer, Token,
    TokenCredentials, TokenSecret, generate_nonce,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new("API key"),
        ConsumerSecret::new("API key secret"),
    );
    let token = TokenCredentials::new(
        Token::new("access token"),
        TokenSecret::new("access token secret"),
    );
    // One signer per credential pair: the HMAC key is prepared once and reused.
    let signer = Signer::new(&consumer, Some(&token));

    let body = b"status=Hello%20Ladies%20%2B%20Gentlemen";
    let request = Request::new(
        "POST",
        "https://api.x.com/1.1/statuses/update.json?include_entities=true",
    )
    .body(Some("application/x-www-form-urlencoded"), body); // JSON bodies are not signed
    let nonce = generate_nonce(&mut rand::rng());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let authorization = signer.authorization(&request, &OAuthParams::new(&nonce, now))?;
    // Send `Authorization: {authorization}` with exactly that URL and body.
    println!("Authorization: {authorization}");
    Ok(())
}
