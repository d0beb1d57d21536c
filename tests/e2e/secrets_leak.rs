//! The leak scan: every public value that holds a secret, built from sentinel strings, is
//! formatted every way a program might print it (`{}`, `{:?}`, `{:#?}`, and every error it can
//! produce), and no sentinel may appear. Grows with each crate that holds secrets.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    SignatureMethod, Signer, Token, TokenCredentials, TokenSecret,
};
use rand::SeedableRng;

const SENTINELS: [&str; 4] = [
    "SENTINELconsumerSECRET",
    "SENTINELtokenSECRET",
    "SENTINELverifierSENTINELverifierSENTINELverifier",
    "SENTINELstateSENTINELstate",
];

fn assert_clean(what: &str, text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "{what} leaks a secret: {text}");
    }
    assert!(
        !text.contains("SENTINEL"),
        "{what} leaks part of a secret: {text}"
    );
}

fn all_formats(what: &str, value: &(impl std::fmt::Debug + ?Sized)) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

#[test]
fn oauth1_sign_values_never_print_secrets() {
    let consumer =
        ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new(SENTINELS[0]));
    let token = TokenCredentials::new(Token::new("tk"), TokenSecret::new(SENTINELS[1]));
    let signer = Signer::new(&consumer, Some(&token));
    all_formats("ConsumerCredentials", &consumer);
    all_formats("TokenCredentials", &token);
    all_formats("Signer", &signer);
    all_formats("ConsumerSecret", &consumer.secret);
    all_formats("TokenSecret", &token.secret);
    assert_clean("ConsumerSecret Display", &consumer.secret.to_string());
    assert_clean("TokenSecret Display", &token.secret.to_string());

    // A signed header carries the signature, never the secrets (PLAINTEXT aside: it *is* the
    // key, which is why X does not accept it).
    let request = Request::new("POST", "https://api.x.com/1.1/x.json").form_body(b"a=1");
    let header = signer
        .authorization(&request, &OAuthParams::new("n", 1))
        .unwrap();
    assert_clean("Authorization header", &header);

    // A PLAINTEXT header carries the key itself: its Debug must not show it, nor a verifier.
    let plaintext = Signer::with_method(&consumer, Some(&token), SignatureMethod::Plaintext);
    let verifier = "SENTINELverifierSENTINELverifierSENTINELverifier";
    let oauth = OAuthParams::new("n", 1).verifier(verifier);
    let plain_header = plaintext.authorization(&request, &oauth).unwrap();
    all_formats(
        "AuthorizationHeader (PLAINTEXT)",
        &AuthorizationHeader::parse(&plain_header).unwrap(),
    );
    all_formats("OAuthParams with a verifier", &oauth);
    let secret_body = format!("password={}", SENTINELS[0]);
    all_formats(
        "Request with a form body",
        &Request::new("POST", "https://x.com/").form_body(secret_body.as_bytes()),
    );

    // Every error the signer and the verifier produce, on bad input built around the secrets.
    let mut errors = Vec::new();
    for url in [SENTINELS[0], "https://x.com/ SENTINELtokenSECRET"] {
        errors.push(
            signer
                .authorization(&Request::new("GET", url), &OAuthParams::new("n", 1))
                .unwrap_err(),
        );
    }
    errors.push(
        signer
            .authorization(
                &Request::new("GET", "https://x.com/"),
                &OAuthParams::new("n", 1).realm("\nSENTINELconsumerSECRET"),
            )
            .unwrap_err(),
    );
    let parsed = AuthorizationHeader::parse(&header).unwrap();
    errors.push(
        parsed
            .verify(
                &request,
                &ConsumerSecret::new(SENTINELS[1]),
                Some(&TokenSecret::new(SENTINELS[0])),
            )
            .unwrap_err(),
    );
    for bad in [
        "OAuth a=\"SENTINELtokenSECRET",
        "OAuth SENTINELconsumerSECRET",
        "OAuth a=\"%zzSENTINELtokenSECRET\"",
    ] {
        errors.push(AuthorizationHeader::parse(bad).unwrap_err());
    }
    assert_eq!(errors.len(), 7);
    for e in &errors {
        all_formats("oauth1_sign::Error", e);
        assert_clean("oauth1_sign::Error Display", &e.to_string());
    }
}

#[test]
fn pkce_values_never_print_secrets() {
    let verifier = pkce::CodeVerifier::new(SENTINELS[2]).unwrap();
    let state = pkce::State::new(SENTINELS[3]).unwrap();
    all_formats("CodeVerifier", &verifier);
    all_formats("State", &state);
    assert_clean("CodeVerifier Display", &verifier.to_string());
    assert_clean("State Display", &state.to_string());
    // A plain challenge is the verifier itself: it must not print either.
    all_formats(
        "plain CodeChallenge",
        &verifier.challenge_with(pkce::Method::Plain),
    );

    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let generated = pkce::CodeVerifier::generate(&mut rng);
    assert!(!format!("{generated:?}{generated}").contains(generated.secret()));

    let mut errors = Vec::new();
    errors.push(pkce::CodeVerifier::new(format!("{} with spaces", SENTINELS[2])).unwrap_err());
    errors.push(pkce::CodeVerifier::new("SENTINELshort").unwrap_err());
    errors.push(pkce::State::new(format!("{}!", SENTINELS[3])).unwrap_err());
    for e in &errors {
        all_formats("pkce::Error", e);
        assert_clean("pkce::Error Display", &e.to_string());
    }
}
