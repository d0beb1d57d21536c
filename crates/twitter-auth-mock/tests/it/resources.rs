//! Protected resources over HTTP: `/2/users/me`, `/1.1/account/verify_credentials.json`,
//! `/2/users/by/username/:username`, `POST /2/tweets` (contract §3.2, §5, §6).

use twitter_auth_mock::MockConfig;

use crate::support::{
    ALICE, ALICE_ID, BOB, BOB_ID, CALLBACK, Mock, OAuth1, bearer, form, owner_token, text, vector,
};

#[test]
fn users_me_with_an_oauth2_user_token() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), "tweet.read users.read");
    let answer = x.get("/2/users/me", Some(&bearer(text(&body, "access_token"))));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "application/json");
    // `{"data":{"id","name","username"}}` (contract §5).
    let alice = x.config().user(ALICE_ID).expect("alice");
    assert_eq!(
        answer.json(),
        serde_json::json!({ "data": { "id": ALICE_ID, "name": alice.name, "username": ALICE } })
    );
}

#[test]
fn users_me_with_an_oauth1_user_token() {
    let x = Mock::start();
    let app = x.native();
    let answer = x.signed_get(OAuth1::owner(app), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
    let data = &answer.json()["data"];
    assert_eq!(data["id"], BOB_ID);
    assert_eq!(data["username"], BOB);
    assert!(data["name"].is_string());
}

#[test]
fn users_me_names_the_access_level_of_an_oauth1_token() {
    let x = Mock::start();
    // `x-access-level` (contract §5): the web app reads, writes and sends DMs.
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.header("x-access-level"),
        Some("read-write-directmessages")
    );
    let answer = x.signed_get(OAuth1::owner(x.native()), "/2/users/me");
    assert_eq!(answer.header("x-access-level"), Some("read-write"));
}

#[test]
fn users_me_with_an_app_only_token_is_403_unsupported_authentication() {
    let x = Mock::start();
    let token = x.app_bearer(x.web());
    let answer = x.get("/2/users/me", Some(&bearer(&token)));
    let problem = answer.problem(403);
    let published = &vector("x-wire-samples", "v2/problem")["unsupported_authentication"];
    assert_eq!(problem["title"], published["title"]);
    assert_eq!(problem["detail"], published["detail"]);
    // Match on the path: the host changed with the rebrand (contract §6.3).
    assert!(
        text(&problem, "type").ends_with("/2/problems/unsupported-authentication"),
        "{problem}"
    );
    assert_eq!(problem["status"], 403);
}

#[test]
fn users_me_without_users_read_is_403() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), "tweet.read offline.access");
    let answer = x.get("/2/users/me", Some(&bearer(text(&body, "access_token"))));
    answer.problem(403);
    let body = x.pkce_login(x.native(), "users.read");
    let answer = x.get("/2/users/me", Some(&bearer(text(&body, "access_token"))));
    answer.problem(403);
}

#[test]
fn users_me_without_or_with_a_bad_credential_is_401() {
    let x = Mock::start();
    x.get("/2/users/me", None).problem(401);
    x.get("/2/users/me", Some(&bearer("not-a-token")))
        .problem(401);
    // A bad OAuth 1.0a signature on v2 is a 401 problem too.
    let app = x.web();
    let owned = owner_token(app);
    let answer = x.signed_get(
        OAuth1::keys(&app.consumer_key, "wrong").token(&owned.token, &owned.secret),
        "/2/users/me",
    );
    answer.problem(401);
}

#[test]
fn verify_credentials_with_oauth1() {
    let x = Mock::start();
    let answer = x.signed_get(
        OAuth1::owner(x.web()),
        "/1.1/account/verify_credentials.json",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "application/json");
    // A v1.1 user object: `id`, `id_str`, `screen_name`, `name` (contract §5).
    let user = answer.json();
    assert_eq!(user["id_str"], ALICE_ID);
    assert_eq!(user["id"].as_u64(), ALICE_ID.parse().ok());
    assert_eq!(user["screen_name"], ALICE);
    assert!(user["name"].is_string());
}

#[test]
fn verify_credentials_signs_its_query() {
    let x = Mock::start();
    // twurl's query (contract §5), signed as part of the URL.
    let path = "/1.1/account/verify_credentials.json?include_entities=false&skip_status=true";
    let answer = x.signed_get(OAuth1::owner(x.web()), path);
    assert_eq!(answer.status, 200, "{answer:?}");
    // Signing without the query breaks the signature.
    let header = x.sign(
        OAuth1::owner(x.web()),
        "GET",
        "/1.1/account/verify_credentials.json",
        None,
    );
    let answer = x.get(path, Some(&header));
    answer.assert_coded(401, 32);
}

#[test]
fn verify_credentials_with_an_app_only_token_is_403_code_220() {
    let x = Mock::start();
    let token = x.app_bearer(x.web());
    let answer = x.get(
        "/1.1/account/verify_credentials.json",
        Some(&bearer(&token)),
    );
    answer.assert_coded(403, 220);
}

#[test]
fn verify_credentials_with_bad_credentials() {
    let x = Mock::start();
    // Invalid bearer: 401 code 89 (contract §3.2).
    let answer = x.get(
        "/1.1/account/verify_credentials.json",
        Some(&bearer("AAAA%2Fnot%3Dissued")),
    );
    answer.assert_coded(401, 89);
    // No credential: 400 code 215.
    let answer = x.get("/1.1/account/verify_credentials.json", None);
    answer.assert_coded(400, 215);
    // An unknown OAuth 1.0a token.
    let answer = x.signed_get(
        OAuth1::app(x.web()).token("1-noSuchToken", "noSuchSecret"),
        "/1.1/account/verify_credentials.json",
    );
    answer.assert_coded(401, 89);
}

#[test]
fn user_by_username_with_the_app_only_bearer() {
    let x = Mock::start();
    let token = x.app_bearer(x.web());
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&token)),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let data = &answer.json()["data"];
    assert_eq!(data["id"], BOB_ID);
    assert_eq!(data["username"], BOB);
    assert!(data["name"].is_string());
}

#[test]
fn user_by_username_with_user_tokens() {
    let x = Mock::start();
    let answer = x.signed_get(
        OAuth1::owner(x.web()),
        &format!("/2/users/by/username/{BOB}"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["data"]["id"], BOB_ID);
    let body = x.pkce_login(x.native(), "tweet.read users.read");
    let answer = x.get(
        &format!("/2/users/by/username/{ALICE}"),
        Some(&bearer(text(&body, "access_token"))),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["data"]["id"], ALICE_ID);
}

#[test]
fn unknown_username_is_200_with_errors() {
    let x = Mock::start();
    let token = x.app_bearer(x.web());
    let answer = x.get("/2/users/by/username/nobody_here", Some(&bearer(&token)));
    // Partial errors inside a 200 (contract §6.3).
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = answer.json();
    assert!(body.get("data").is_none(), "{body}");
    let error = &body["errors"][0];
    assert!(
        text(error, "type").ends_with("/2/problems/resource-not-found"),
        "{error}"
    );
    assert!(error["title"].is_string());
    assert!(error["detail"].is_string());
}

#[test]
fn create_tweet_with_oauth1_does_not_sign_the_json_body() {
    let x = Mock::start();
    let app = x.web();
    let json = br#"{"text":"Hello from the mock"}"#.to_vec();
    // Only the query and the oauth_* parameters are signed (contract §1.1 step 3).
    let header = x.sign(OAuth1::owner(app), "POST", "/2/tweets", None);
    let answer = x.send(
        x.request("POST", "/2/tweets", Some(&header))
            .header("content-type", "application/json")
            .body(json)
            .expect("a request"),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    let data = &answer.json()["data"];
    assert_eq!(data["text"], "Hello from the mock");
    assert!(!text(data, "id").is_empty());

    // Signing the JSON as if it were a form is wrong: 401.
    let json = br#"{"text":"again"}"#;
    let header = x.sign(
        OAuth1::owner(app),
        "POST",
        "/2/tweets",
        Some(r#"{"text":"again"}"#),
    );
    let answer = x.send(
        x.request("POST", "/2/tweets", Some(&header))
            .header("content-type", "application/json")
            .body(json.to_vec())
            .expect("a request"),
    );
    answer.problem(401);
}

#[test]
fn create_tweet_with_an_oauth2_token_needs_tweet_write() {
    let x = Mock::start();
    let post = |token: &str| {
        x.send(
            x.request("POST", "/2/tweets", Some(&bearer(token)))
                .header("content-type", "application/json")
                .body(br#"{"text":"hello"}"#.to_vec())
                .expect("a request"),
        )
    };
    let writer = x.pkce_login(x.native(), "tweet.read tweet.write users.read");
    let answer = post(text(&writer, "access_token"));
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.json()["data"]["text"], "hello");

    let reader = x.pkce_login(x.native(), "tweet.read users.read");
    post(text(&reader, "access_token")).problem(403);

    let app_only = x.app_bearer(x.web());
    let problem = post(&app_only).problem(403);
    assert!(
        text(&problem, "type").ends_with("/2/problems/unsupported-authentication"),
        "{problem}"
    );
}

#[test]
fn create_tweet_with_a_read_only_oauth1_token_is_403() {
    let x = Mock::start();
    let app = x.native();
    // `x_auth_access_type=read` (contract §2.1), in the query as tweepy sends it.
    let path = format!(
        "/oauth/request_token?{}",
        form(&[("x_auth_access_type", "read")])
    );
    let header = x.sign(OAuth1::app(app).callback(CALLBACK), "POST", &path, None);
    let answer = x.send(
        x.request("POST", &path, Some(&header))
            .body(Vec::new())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let form = answer.form();
    let (token, secret) = (&form["oauth_token"], &form["oauth_token_secret"]);
    let verifier = x.authorize_oauth1(token);
    let answer = x.access_token(app, (token, secret), &verifier);
    assert_eq!(answer.status, 200, "{answer:?}");
    let access = answer.form();
    let signer = OAuth1::app(app).token(&access["oauth_token"], &access["oauth_token_secret"]);

    let me = x.signed_get(signer, "/2/users/me");
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.header("x-access-level"), Some("read"));

    let header = x.sign(signer, "POST", "/2/tweets", None);
    let answer = x.send(
        x.request("POST", "/2/tweets", Some(&header))
            .header("content-type", "application/json")
            .body(br#"{"text":"hello"}"#.to_vec())
            .expect("a request"),
    );
    answer.problem(403);
}

#[test]
fn create_tweet_without_text_is_400() {
    let x = Mock::start();
    let header = x.sign(OAuth1::owner(x.web()), "POST", "/2/tweets", None);
    let answer = x.send(
        x.request("POST", "/2/tweets", Some(&header))
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .expect("a request"),
    );
    answer.problem(400);
}

#[test]
fn a_revoked_app_loses_its_tokens() {
    let x = Mock::with(MockConfig::default());
    let app = x.web();
    let body = x.pkce_login(app, "tweet.read users.read");
    let killed = x.with_handler(|h| h.revoke_app_access(&app.name, ALICE_ID));
    assert_eq!(
        killed, 2,
        "the pre-issued OAuth 1.0a token and the OAuth 2.0 grant"
    );
    let answer = x.signed_get(OAuth1::owner(app), "/1.1/account/verify_credentials.json");
    answer.assert_coded(401, 89);
    x.get("/2/users/me", Some(&bearer(text(&body, "access_token"))))
        .problem(401);
}

#[test]
fn unknown_paths_are_404() {
    let x = Mock::start();
    let answer = x.get("/1.1/statuses/home_timeline.json", None);
    assert_eq!(answer.status, 404, "{answer:?}");
    assert_eq!(
        x.counters().requests_to("/1.1/statuses/home_timeline.json"),
        1
    );
}
