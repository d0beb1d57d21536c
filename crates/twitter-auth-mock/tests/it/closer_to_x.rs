//! Where the mock once differed from X as the contract records it (issue 16), one test per
//! difference, each citing its section: repeated parameters (§1.2), non-ASCII nonces (§1.1),
//! `UTC` dates on v2 (§1.2), 24-hour caps on posting (§7), the `oauth/access_token` signature
//! (§2.3), `errors` arrays in OAuth 2.0 errors (§4.4, §6.2), the user objects and v2 query
//! parameters (§5, §6.3), and the bucket of failed requests (§7).

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use twitter_auth_mock::{AccessTokenSignature, MockConfig, RateLimits};

use crate::support::{
    ALICE_ID, Answer, BOB_ID, CALLBACK, Mock, OAuth1, basic, bearer, fixture, form, text, vector,
    x_date,
};

/// `POST /2/tweets` with a JSON body (never signed: contract §1.1 step 3).
fn post_tweet(x: &Mock, authorization: &str, words: &str) -> Answer {
    x.send(
        x.request("POST", "/2/tweets", Some(authorization))
            .header("content-type", "application/json")
            .body(json!({ "text": words }).to_string().into_bytes())
            .expect("a request"),
    )
}

/// `POST /2/tweets` as the web app's owner (alice), OAuth 1.0a.
fn post_as_alice(x: &Mock, words: &str) -> Answer {
    let header = x.sign(OAuth1::owner(x.web()), "POST", "/2/tweets", None);
    post_tweet(x, &header, words)
}

/// A v2 `invalid-request` problem (contract §6.3) and the messages of its `errors`.
fn invalid_request(answer: &Answer) -> Vec<String> {
    let problem = answer.problem(400);
    assert!(
        text(&problem, "type").ends_with("/2/problems/invalid-request"),
        "{problem}"
    );
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list in {problem}"))
        .iter()
        .map(|e| text(e, "message").to_owned())
        .collect()
}

// §1.2: "X does not accept duplicate keys in API requests".

#[test]
fn a_repeated_parameter_is_refused_in_every_family_of_endpoints() {
    let x = Mock::start();
    let web = x.web();

    // v2: a problem naming the parameter; the same request without the repeat is served.
    let path = "/2/users/me?user.fields=id&user.fields=name";
    let answer = x.signed_get(OAuth1::owner(web), path);
    let messages = invalid_request(&answer);
    assert!(messages[0].contains("[user.fields]"), "{messages:?}");
    assert_eq!(
        answer.json()["errors"][0]["parameters"]["user.fields"],
        json!(["id", "name"])
    );
    let answer = x.signed_get(OAuth1::owner(web), "/2/users/me?user.fields=id,name");
    assert_eq!(answer.status, 200, "{answer:?}");

    // v1.1: a 400 coded error, though the request is correctly signed (RFC 5849 sorts
    // repeated names by value, so the signature itself is fine).
    let path = "/1.1/account/verify_credentials.json?skip_status=true&skip_status=false";
    x.signed_get(OAuth1::owner(web), path).assert_coded(400, 44);
    // The same name in the query and the form body is a repeat too.
    let answer = x.signed_post_form(
        OAuth1::app(web).callback("oob"),
        "/oauth/request_token?x_auth_access_type=read",
        "x_auth_access_type=write",
    );
    answer.assert_coded(400, 44);

    // OAuth 2.0 token endpoint: invalid_request (RFC 6749 §3.1).
    let answer = x.oauth2_post(
        x.native(),
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("grant_type", "authorization_code"),
            ("refresh_token", "anything"),
        ],
    );
    let description = answer.oauth2_error(400, "invalid_request");
    assert!(description.contains("[grant_type]"), "{description}");

    // App-only: X answers any bad request there with 403 code 99 (contract §3.1).
    let answer = x.post_form(
        "/oauth2/token",
        Some(&basic(&web.consumer_key, &web.consumer_secret)),
        "grant_type=client_credentials&grant_type=client_credentials",
    );
    answer.assert_coded(403, 99);

    let counters = x.counters();
    assert_eq!(counters.bearer_tokens, 0);
    assert_eq!(counters.request_tokens, 0);
    assert_eq!(counters.refreshes, 0);
}

// §1.1: "Only ASCII values are accepted for the oauth_nonce".

#[test]
fn a_non_ascii_nonce_is_refused_even_when_correctly_signed() {
    let x = Mock::start();
    let web = x.web();
    // Signed per RFC 5849 (the nonce is percent-encoded in the header and the base string).
    let header = x.sign(
        OAuth1::owner(web).nonce("nonce-\u{e9}t\u{e9}-\u{2603}"),
        "GET",
        "/1.1/account/verify_credentials.json",
        None,
    );
    assert!(
        header.contains("oauth_nonce=\"nonce-%C3%A9t%C3%A9-%E2%98%83\""),
        "{header}"
    );
    let answer = x.get("/1.1/account/verify_credentials.json", Some(&header));
    answer.assert_coded(401, 32);
    // v2 answers the same refusal as its Unauthorized problem.
    let header = x.sign(
        OAuth1::owner(web).nonce("\u{e9}"),
        "GET",
        "/2/users/me",
        None,
    );
    x.get("/2/users/me", Some(&header)).problem(401);
    assert_eq!(x.counters().rejected_signatures, 2);

    // Any ASCII nonce passes, punctuation included.
    let answer = x.signed_get(
        OAuth1::owner(web).nonce("ascii nonce: !*'();@&=+$,/?#[]"),
        "/1.1/account/verify_credentials.json",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
}

// §1.2: v2 answers are dated `… UTC`, v1.1 ones `… GMT`.

#[test]
fn v2_answers_are_dated_in_utc_and_the_others_in_gmt() {
    let x = Mock::start();
    // The recorded v2 date (tweepy's `2/users/me` cassette): 29 characters, ending in UTC.
    let recorded = vector("x-wire-samples", "v2/users-me")["response_headers"]["date"].clone();
    let recorded = recorded.as_str().expect("a recorded date");
    assert!(recorded.ends_with(" UTC"));

    let v2 = [
        x.signed_get(OAuth1::owner(x.web()), "/2/users/me"),
        x.get("/2/users/me", None),
        x.get(
            "/2/users/by/username/mock_bob",
            Some(&bearer(&x.app_bearer(x.web()))),
        ),
        x.get("/2/no/such/endpoint", None),
    ];
    for answer in &v2 {
        let date = answer.header("date").expect("a Date");
        assert!(date.ends_with(" UTC"), "{date}");
        assert_eq!(date.len(), recorded.len(), "{date} vs {recorded}");
        let at = x_date(date).duration_since(UNIX_EPOCH).expect("after 1970");
        assert!(at.as_secs().abs_diff(x.now()) <= 2, "{date}");
    }
    let others = [
        x.signed_get(
            OAuth1::owner(x.web()),
            "/1.1/account/verify_credentials.json",
        ),
        x.post_form("/oauth2/token", None, "grant_type=client_credentials"),
        x.oauth2_post(
            x.native(),
            "/2/oauth2/token",
            &[("grant_type", "refresh_token")],
        ),
        x.get("/1.1/no/such/endpoint.json", None),
    ];
    for answer in &others {
        let date = answer.header("date").expect("a Date");
        assert!(date.ends_with(" GMT"), "{date}");
        httpdate::parse_http_date(date).expect("RFC 7231");
    }
}

// §7: `x-app-limit-24hour-*` and `x-user-limit-24hour-*` on `POST /2/tweets`.

#[test]
fn posting_carries_24_hour_limits_by_default() {
    let x = Mock::start();
    let answer = post_as_alice(&x, "hello");
    assert_eq!(answer.status, 201, "{answer:?}");
    // 10,000 per app a day (contract §7).
    assert_eq!(answer.number("x-app-limit-24hour-limit"), 10_000);
    assert_eq!(answer.number("x-app-limit-24hour-remaining"), 9_999);
    assert_eq!(answer.number("x-user-limit-24hour-limit"), 100);
    assert_eq!(answer.number("x-user-limit-24hour-remaining"), 99);
    for reset in ["x-app-limit-24hour-reset", "x-user-limit-24hour-reset"] {
        let reset = answer.number(reset);
        assert!(reset.abs_diff(x.now() + 24 * 3600) <= 2, "{reset}");
    }
    // Reads carry no 24-hour headers.
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert!(answer.header("x-app-limit-24hour-limit").is_none());
}

#[test]
fn a_spent_24_hour_cap_is_a_429_while_the_15_minute_window_has_room() {
    let mut limits = RateLimits::default();
    limits.per_user_24h.insert("POST /2/tweets".to_owned(), 2);
    limits.per_app_24h.insert("POST /2/tweets".to_owned(), 3);
    let x = Mock::with(MockConfig {
        rate_limits: limits,
        ..MockConfig::default()
    });
    // Alice (OAuth 1.0a) uses her 2 posts of the day.
    for remaining in [1, 0] {
        let answer = post_as_alice(&x, "hello");
        assert_eq!(answer.status, 201, "{answer:?}");
        assert_eq!(answer.number("x-user-limit-24hour-remaining"), remaining);
    }
    let answer = post_as_alice(&x, "one too many");
    answer.problem(429);
    // A 429 while `x-rate-limit-remaining` is still > 0 (contract §7).
    assert!(answer.number("x-rate-limit-remaining") > 0, "{answer:?}");
    assert_eq!(answer.number("x-user-limit-24hour-remaining"), 0);
    // Her refused post did not spend the app's cap: 1 left for bob on the same app.
    assert_eq!(answer.number("x-app-limit-24hour-remaining"), 1);

    assert!(x.with_handler(|h| h.sign_in(BOB_ID)));
    let bob = x.pkce_login(x.web(), "tweet.read tweet.write users.read");
    let bob = bearer(text(&bob, "access_token"));
    let answer = post_tweet(&x, &bob, "bob's first");
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.number("x-app-limit-24hour-remaining"), 0);
    assert_eq!(answer.number("x-user-limit-24hour-remaining"), 1);
    // The app's cap is spent for every user now.
    let answer = post_tweet(&x, &bob, "bob's second");
    answer.problem(429);
    assert_eq!(answer.number("x-app-limit-24hour-remaining"), 0);
    assert_eq!(x.counters().rate_limited, 2);

    // A day later both caps are back.
    x.advance(Duration::from_secs(24 * 3600));
    let answer = post_as_alice(&x, "a new day");
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.number("x-user-limit-24hour-remaining"), 1);
    assert_eq!(answer.number("x-app-limit-24hour-remaining"), 2);
}

// §2.3: python-twitter-v2 signs `oauth/access_token` without the request-token secret.

/// Approves a request token for alice and posts `oauth/access_token` signed with
/// `token_secret` (the request token's own secret, or `""` as python-twitter-v2 does).
fn access_token_signed_with(x: &Mock, wrong_secret: bool) -> Answer {
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let secret = if wrong_secret { "" } else { secret.as_str() };
    x.signed_post_form(
        OAuth1::app(app).token(&token, secret).verifier(&verifier),
        "/oauth/access_token",
        "",
    )
}

#[test]
fn access_token_needs_the_request_token_secret_by_default() {
    assert_eq!(
        MockConfig::default().access_token_signature,
        AccessTokenSignature::Strict
    );
    let x = Mock::start();
    access_token_signed_with(&x, true).assert_coded(401, 32);
    let answer = access_token_signed_with(&x, false);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.form()["user_id"], ALICE_ID);
}

#[test]
fn lenient_access_token_accepts_a_signature_without_the_request_token_secret() {
    let x = Mock::with(MockConfig {
        access_token_signature: AccessTokenSignature::Lenient,
        ..MockConfig::default()
    });
    // python-twitter-v2's request, and the proper one, both pass.
    for wrong_secret in [true, false] {
        let answer = access_token_signed_with(&x, wrong_secret);
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.form()["user_id"], ALICE_ID);
    }
    // Everything else is still checked: the consumer secret ...
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let answer = x.signed_post_form(
        OAuth1::keys(&app.consumer_key, "not-the-secret")
            .token(&token, "")
            .verifier(&verifier),
        "/oauth/access_token",
        "",
    );
    answer.assert_coded(401, 32);
    // ... the verifier ...
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&token, "").verifier("wrong"),
        "/oauth/access_token",
        "",
    );
    assert_eq!(answer.status, 401, "{answer:?}");
    // ... and a request token is still single use.
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&token, &secret).verifier(&verifier),
        "/oauth/access_token",
        "",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&token, "").verifier(&verifier),
        "/oauth/access_token",
        "",
    );
    answer.assert_coded(401, 89);
    // Lenience is only for this step: other requests still need the token secret.
    let owned = crate::support::owner_token(app);
    let answer = x.signed_get(
        OAuth1::app(app).token(&owned.token, ""),
        "/1.1/account/verify_credentials.json",
    );
    answer.assert_coded(401, 32);
}

// §4.4, §6.2: OAuth 2.0 errors, sometimes with an `errors` array.

#[test]
fn oauth2_errors_carry_an_errors_array_where_x_sends_one() {
    let x = Mock::start();
    let samples = vector("x-wire-samples", "oauth2/errors")["samples"]
        .as_array()
        .expect("samples")
        .clone();
    let web_client_id = x.web().client_id().expect("a client").to_owned();
    let provoked = [
        // A confidential client without Basic.
        x.post_form(
            "/2/oauth2/token",
            None,
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "anything"),
                ("client_id", &web_client_id),
            ]),
        ),
        // A code that was never issued.
        x.exchange(
            x.native(),
            "bm90LWEtY29kZToxOjE6YWM6MQ",
            "v".repeat(43).as_str(),
        ),
        // Revoke without `token_type_hint`.
        x.oauth2_post(x.native(), "/2/oauth2/revoke", &[("token", "anything")]),
    ];
    assert_eq!(samples.len(), provoked.len());
    for (sample, answer) in samples.iter().zip(&provoked) {
        let expected = &sample["body"];
        let status = u16::try_from(sample["status"].as_u64().expect("a status")).expect("u16");
        let description = answer.oauth2_error(status, text(expected, "error"));
        assert_eq!(description, text(expected, "error_description"));
        let body = answer.json();
        match expected.get("errors") {
            Some(_) => {
                let errors = body["errors"].as_array().expect("an errors array");
                assert_eq!(errors.len(), 1, "{body}");
                assert_eq!(errors[0]["message"], expected["error_description"]);
            }
            None => assert!(body.get("errors").is_none(), "{body}"),
        }
    }
    // A dead refresh token is answered like a dead code.
    let answer = x.refresh(x.native(), "bm90LWEtdG9rZW46MToxOnJ0OjE");
    answer.oauth2_error(400, "invalid_request");
    assert!(answer.json()["errors"].is_array());
}

// §5: the v1.1 user object and its options.

#[test]
fn verify_credentials_answers_the_fields_of_the_recorded_user_object() {
    let x = Mock::start();
    assert_eq!(post_as_alice(&x, "so that a status exists").status, 201);
    let answer = x.signed_get(
        OAuth1::owner(x.web()),
        "/1.1/account/verify_credentials.json",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let ours = answer.json();
    let recorded = fixture("tweepy-verify-credentials")["user"].clone();
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object().expect("an object").keys().cloned().collect()
    };
    // Every field X sent, and no other.
    assert_eq!(keys(&ours), keys(&recorded));
    // Each non-null field has X's JSON type.
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    for (name, value) in recorded.as_object().expect("an object") {
        if !value.is_null() && !ours[name].is_null() {
            assert_eq!(
                kind(&ours[name]),
                kind(value),
                "{name}: {} vs {value}",
                ours[name]
            );
        }
    }
    // The status has the recorded fields (less the recorded photo's `media` and flag).
    let status_keys = keys(&ours["status"]);
    let recorded_status = keys(&recorded["status"]);
    assert!(status_keys.is_subset(&recorded_status), "{status_keys:?}");
    let missing: Vec<_> = recorded_status.difference(&status_keys).collect();
    assert_eq!(missing, ["possibly_sensitive"], "{missing:?}");
    assert_eq!(ours["status"]["text"], "so that a status exists");
    // Dates in v1.1's format.
    let created = text(&ours, "created_at");
    assert_eq!(created, "Fri Jan 07 08:05:56 +0000 2022");
    assert_eq!(created.len(), text(&recorded, "created_at").len());
    // The profile the config gives alice.
    let alice = &x.config().user(ALICE_ID).expect("alice").profile;
    assert_eq!(ours["description"], json!(alice.description));
    assert_eq!(ours["followers_count"], json!(alice.followers));
    assert_eq!(ours["friends_count"], json!(alice.following));
    assert_eq!(ours["statuses_count"], json!(alice.tweets));
    assert_eq!(ours["url"], json!(alice.url));
    assert_eq!(
        ours["entities"]["url"]["urls"][0]["expanded_url"],
        json!(alice.url)
    );
}

#[test]
fn verify_credentials_honours_include_entities_skip_status_and_include_email() {
    let x = Mock::start();
    assert_eq!(post_as_alice(&x, "hi").status, 201);
    let get = |app: &twitter_auth_mock::App, query: &str| {
        let answer = x.signed_get(
            OAuth1::owner(app),
            &format!("/1.1/account/verify_credentials.json{query}"),
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json()
    };
    let web = x.web();
    let user = get(web, "");
    assert!(user.get("entities").is_some() && user.get("status").is_some());
    assert!(user.get("email").is_none(), "only on request");
    // twurl's query (contract §5).
    let user = get(web, "?include_entities=false&skip_status=true");
    assert!(
        user.get("entities").is_none() && user.get("status").is_none(),
        "{user}"
    );
    for yes in ["t", "1", "True"] {
        assert!(
            get(web, &format!("?skip_status={yes}"))
                .get("status")
                .is_none()
        );
    }
    assert!(get(web, "?skip_status=false").get("status").is_some());
    // The web app may read addresses; alice has one.
    let user = get(web, "?include_email=true");
    assert_eq!(user["email"], "mock_alice@example.com");
    // The native app may not: no field at all. Bob's own account has no address.
    let native = x.native();
    assert!(get(native, "?include_email=true").get("email").is_none());
    let mut config = MockConfig::default();
    config.apps[1].request_email = true;
    let y = Mock::with(config);
    let answer = y.signed_get(
        OAuth1::owner(y.native()),
        "/1.1/account/verify_credentials.json?include_email=true",
    );
    assert_eq!(
        answer.json()["email"],
        Value::Null,
        "X: null when there is none"
    );
}

// §5, §6.3: `user.fields` honoured, unknown parameters and values refused.

#[test]
fn users_me_honours_user_fields() {
    let x = Mock::start();
    let fields = "created_at,description,location,url,protected,verified,verified_type,\
                  public_metrics,profile_image_url,entities,most_recent_tweet_id,confirmed_email";
    let path = format!("/2/users/me?user.fields={fields}");
    let answer = x.signed_get(OAuth1::owner(x.web()), &path);
    assert_eq!(answer.status, 200, "{answer:?}");
    let data = &answer.json()["data"];
    let alice = &x.config().user(ALICE_ID).expect("alice").profile;
    assert_eq!(data["id"], ALICE_ID);
    assert_eq!(data["created_at"], "2022-01-07T08:05:56.000Z");
    assert_eq!(data["description"], json!(alice.description));
    assert_eq!(data["location"], json!(alice.location));
    assert_eq!(data["protected"], false);
    assert_eq!(data["verified_type"], "none");
    assert_eq!(
        data["public_metrics"],
        json!({
            "followers_count": alice.followers,
            "following_count": alice.following,
            "tweet_count": alice.tweets,
            "listed_count": alice.listed,
            "like_count": alice.likes,
        })
    );
    assert!(text(data, "profile_image_url").starts_with("https://"));
    assert_eq!(
        data["entities"]["url"]["urls"][0]["expanded_url"],
        json!(alice.url)
    );
    // No post yet: no `most_recent_tweet_id`; the web app may read alice's address.
    assert!(data.get("most_recent_tweet_id").is_none(), "{data}");
    assert_eq!(data["confirmed_email"], "mock_alice@example.com");

    // Without fields: the three X always sends (contract §5).
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    let data = answer.json()["data"].clone();
    let keys: BTreeSet<&str> = data
        .as_object()
        .expect("data")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["id", "name", "username"]));

    // OAuth 2.0: the address needs `users.email`; after a post the id is there.
    let id = text(&post_as_alice(&x, "hi").json()["data"], "id").to_owned();
    let path = "/2/users/me?user.fields=confirmed_email,most_recent_tweet_id";
    for (scope, email) in [
        ("tweet.read users.read", false),
        ("tweet.read users.read users.email", true),
    ] {
        let token = x.pkce_login(x.web(), scope);
        let answer = x.get(path, Some(&bearer(text(&token, "access_token"))));
        let data = &answer.json()["data"];
        assert_eq!(
            data.get("confirmed_email").is_some(),
            email,
            "{scope}: {data}"
        );
        assert_eq!(data["most_recent_tweet_id"], json!(id));
    }
}

#[test]
fn unknown_v2_query_parameters_and_values_are_400() {
    let x = Mock::start();
    let get = |path: &str| x.signed_get(OAuth1::owner(x.web()), path);

    let messages = invalid_request(&get("/2/users/me?include_email=true"));
    assert_eq!(
        messages,
        ["The query parameter [include_email] is not one of [expansions,tweet.fields,user.fields]"]
    );
    let messages = invalid_request(&get("/2/users/me?user.fields=id,email,bogus"));
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("The `user.fields` query parameter value [email] is not one of [affiliation,confirmed_email,"));
    assert!(messages[1].contains("[bogus]"));
    let messages = invalid_request(&get("/2/users/by/username/mock_bob?expansions=author_id"));
    assert!(messages[0].contains("`expansions`"), "{messages:?}");
    // `POST /2/tweets` takes no query parameter.
    let header = x.sign(
        OAuth1::owner(x.web()),
        "POST",
        "/2/tweets?dry_run=true",
        None,
    );
    let answer = x.send(
        x.request("POST", "/2/tweets?dry_run=true", Some(&header))
            .header("content-type", "application/json")
            .body(br#"{"text":"hi"}"#.to_vec())
            .expect("a request"),
    );
    invalid_request(&answer);
    // Known parameters pass.
    let answer = get("/2/users/me?expansions=pinned_tweet_id&tweet.fields=created_at&user.fields=");
    assert_eq!(answer.status, 200, "{answer:?}");
    // v1.1 ignores what it does not know, as X does.
    let answer = get("/1.1/account/verify_credentials.json?tweet_mode=extended");
    assert_eq!(answer.status, 200, "{answer:?}");
}

// §7 (per app, per user, per endpoint): failed requests in buckets of their own.

#[test]
fn failed_requests_draw_on_their_own_buckets() {
    let x = Mock::with(MockConfig {
        rate_limits: RateLimits::default().with("GET /2/users/me", 3),
        ..MockConfig::default()
    });
    let remaining = |answer: &Answer| answer.number("x-rate-limit-remaining");
    let web = x.web();
    let owned = crate::support::owner_token(web);
    // A bad signature with the web app's key and alice's token ...
    let forged = || {
        x.signed_get(
            OAuth1::app(web).token(&owned.token, "not-the-secret"),
            "/2/users/me",
        )
    };
    let answer = forged();
    answer.problem(401);
    assert_eq!(remaining(&answer), 2);
    // ... does not spend alice's bucket,
    let answer = x.signed_get(OAuth1::owner(web), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(remaining(&answer), 2);
    // nor the native app's failures, nor those naming no app.
    let native = x.native();
    let answer = x.signed_get(OAuth1::keys(&native.consumer_key, "wrong"), "/2/users/me");
    answer.problem(401);
    assert_eq!(remaining(&answer), 2);
    let answer = x.get("/2/users/me", Some(&bearer("no-such-token")));
    assert_eq!(remaining(&answer), 2);
    let answer = x.get("/2/users/me", None);
    assert_eq!(
        remaining(&answer),
        1,
        "no credential and an unknown token share one"
    );

    // The web app's failures run out; they stay 401s (never 429) and alice is unaffected.
    for expected in [1, 0, 0] {
        let answer = forged();
        answer.problem(401);
        assert_eq!(remaining(&answer), expected);
    }
    let answer = x.signed_get(OAuth1::owner(web), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(remaining(&answer), 1);
    assert_eq!(x.counters().rate_limited, 0);

    // A failed app-only request names its app through Basic.
    let answer = x.post_form(
        "/oauth2/token",
        Some(&basic(&web.consumer_key, "wrong")),
        "grant_type=client_credentials",
    );
    answer.assert_coded(403, 99);
    let default_limit = u64::from(RateLimits::default().default);
    assert_eq!(remaining(&answer), default_limit - 1);
    let answer = x.post_form(
        "/oauth2/token",
        Some(&basic(&native.consumer_key, "wrong")),
        "grant_type=client_credentials",
    );
    assert_eq!(remaining(&answer), default_limit - 1);
}
