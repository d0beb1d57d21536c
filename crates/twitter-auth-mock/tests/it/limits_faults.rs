//! Rate limits, injected faults and counters, over HTTP (contract §7, §6.4).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use twitter_auth_mock::{Fault, FaultKind, MockConfig, RateLimits};

use crate::support::{Answer, Mock, OAuth1, bearer, text};

/// The three `x-rate-limit-*` headers (contract §7).
fn quota(answer: &Answer) -> (u64, u64, u64) {
    (
        answer.number("x-rate-limit-limit"),
        answer.number("x-rate-limit-remaining"),
        answer.number("x-rate-limit-reset"),
    )
}

fn limited(endpoint: &str, limit: u32) -> Mock {
    Mock::with(MockConfig {
        rate_limits: RateLimits::default().with(endpoint, limit),
        ..MockConfig::default()
    })
}

#[test]
fn every_api_answer_carries_rate_limit_headers() {
    let x = Mock::start();
    let before = x.now();
    let body = x.pkce_login(x.native(), "tweet.read users.read offline.access");
    let token = text(&body, "access_token");

    let answer = x.get("/2/users/me", Some(&bearer(token)));
    assert_eq!(answer.status, 200);
    let (limit, remaining, reset) = quota(&answer);
    // 75 requests per 15 minutes per user (contract §5).
    assert_eq!(limit, 75);
    assert_eq!(remaining, 74);
    // Unix seconds, within the 15-minute window.
    assert!(reset > before && reset <= x.now() + 900, "reset {reset}");

    let answer = x.signed_get(
        OAuth1::owner(x.web()),
        "/1.1/account/verify_credentials.json",
    );
    assert_eq!(quota(&answer).0, 75);
    assert_eq!(quota(&answer).1, 74);

    // Token endpoints and error answers carry them too.
    let refreshed = x.refresh(x.native(), text(&body, "refresh_token"));
    assert_eq!(refreshed.status, 200);
    quota(&refreshed);
    let failed = x.get("/2/users/me", Some(&bearer("not-a-token")));
    assert_eq!(failed.status, 401);
    quota(&failed);
    let answer = x.signed_post_form(
        OAuth1::app(x.web()).callback("oob"),
        "/oauth/request_token",
        "",
    );
    quota(&answer);
    let bearer_answer = x.post_form("/oauth2/token", None, "grant_type=client_credentials");
    quota(&bearer_answer);
}

#[test]
fn the_same_user_through_another_app_has_another_bucket() {
    let x = Mock::start();
    let first = x.pkce_login(x.native(), "tweet.read users.read");
    let answer = x.get("/2/users/me", Some(&bearer(text(&first, "access_token"))));
    assert_eq!(quota(&answer).1, 74);
    let answer = x.get("/2/users/me", Some(&bearer(text(&first, "access_token"))));
    assert_eq!(quota(&answer).1, 73);
    // The same endpoint and user (alice), another app (the web app, through OAuth 1.0a).
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert_eq!(answer.json()["data"]["id"], crate::support::ALICE_ID);
    assert_eq!(quota(&answer).1, 74);
}

#[test]
fn two_tokens_of_the_same_user_and_app_share_a_bucket() {
    let x = Mock::start();
    // Alice logs in to the native app twice: two grants, two access tokens.
    let first = x.pkce_login(x.native(), "tweet.read users.read");
    let second = x.pkce_login(x.native(), "tweet.read users.read");
    let (first, second) = (text(&first, "access_token"), text(&second, "access_token"));
    assert_ne!(first, second);
    // Limits are per user per app, not per token (contract §7): one bucket.
    let answer = x.get("/2/users/me", Some(&bearer(first)));
    let (limit, remaining, _) = quota(&answer);
    assert_eq!((limit, remaining), (75, 74));
    let answer = x.get("/2/users/me", Some(&bearer(second)));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        quota(&answer).1,
        73,
        "the second token draws on the first one's bucket"
    );
    let answer = x.get("/2/users/me", Some(&bearer(first)));
    assert_eq!(quota(&answer).1, 72);
}

#[test]
fn past_the_limit_a_v2_endpoint_answers_429_with_a_problem() {
    let x = limited("GET /2/users/me", 3);
    let body = x.pkce_login(x.native(), "tweet.read users.read");
    let auth = bearer(text(&body, "access_token"));
    let mut reset = 0;
    for expected_remaining in [2, 1, 0] {
        let answer = x.get("/2/users/me", Some(&auth));
        assert_eq!(answer.status, 200, "{answer:?}");
        let (limit, remaining, r) = quota(&answer);
        assert_eq!((limit, remaining), (3, expected_remaining));
        reset = r;
    }
    let answer = x.get("/2/users/me", Some(&auth));
    answer.problem(429);
    let (limit, remaining, r) = quota(&answer);
    assert_eq!((limit, remaining), (3, 0));
    assert_eq!(r, reset, "the same window");
    assert_eq!(x.counters().rate_limited, 1);

    // Past the reset instant, a new window.
    let now = x.now();
    x.advance(Duration::from_secs(reset.saturating_sub(now) + 1));
    let answer = x.get("/2/users/me", Some(&auth));
    assert_eq!(answer.status, 200, "{answer:?}");
    let (_, remaining, new_reset) = quota(&answer);
    assert_eq!(remaining, 2);
    assert!(new_reset > reset);
}

#[test]
fn past_the_limit_a_v1_1_endpoint_answers_429_code_88() {
    let x = limited("GET /1.1/account/verify_credentials.json", 2);
    let app = x.web();
    for _ in 0..2 {
        let answer = x.signed_get(OAuth1::owner(app), "/1.1/account/verify_credentials.json");
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let answer = x.signed_get(OAuth1::owner(app), "/1.1/account/verify_credentials.json");
    answer.assert_coded(429, 88);
    assert_eq!(quota(&answer).1, 0);
    // Other endpoints are not affected.
    let answer = x.signed_get(OAuth1::owner(app), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn app_only_requests_draw_on_the_app_bucket() {
    let x = limited("GET /2/users/by/username/:username", 2);
    let token = x.app_bearer(x.web());
    let auth = bearer(&token);
    assert_eq!(
        x.get("/2/users/by/username/mock_bob", Some(&auth)).status,
        200
    );
    // Another username, the same endpoint and bucket.
    let answer = x.get("/2/users/by/username/mock_alice", Some(&auth));
    assert_eq!(answer.status, 200);
    assert_eq!(quota(&answer).1, 0);
    x.get("/2/users/by/username/mock_bob", Some(&auth))
        .problem(429);
    // The other app's bucket is full.
    let other = x.app_bearer(x.native());
    let answer = x.get("/2/users/by/username/mock_bob", Some(&bearer(&other)));
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn an_injected_status_hits_the_next_requests_then_stops() {
    let x = Mock::start();
    x.inject(Fault::new("/oauth2/token", 2, FaultKind::Status(503)));
    let app = x.web();
    let credentials = crate::support::basic(&app.consumer_key, &app.consumer_secret);
    for _ in 0..2 {
        let answer = x.post_form(
            "/oauth2/token",
            Some(&credentials),
            "grant_type=client_credentials",
        );
        assert_eq!(answer.status, 503, "{answer:?}");
        // A v1.1-shaped error body.
        assert!(answer.json()["errors"][0]["code"].is_i64(), "{answer:?}");
    }
    let answer = x.post_form(
        "/oauth2/token",
        Some(&credentials),
        "grant_type=client_credentials",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let counters = x.counters();
    assert_eq!(counters.faults, 2);
    assert_eq!(counters.requests_to("/oauth2/token"), 3);
    // The faulty requests were not processed.
    assert_eq!(counters.bearer_tokens, 1);
}

#[test]
fn an_injected_status_on_v2_is_a_problem() {
    let x = Mock::start();
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Status(500)));
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    answer.problem(500);
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn an_injected_rate_limit_says_when_it_resets() {
    let x = Mock::start();
    x.inject(Fault::new(
        "/2/users/me",
        1,
        FaultKind::RateLimited { reset_after: 60 },
    ));
    let before = x.now();
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert_eq!(answer.status, 429, "{answer:?}");
    let (limit, remaining, reset) = quota(&answer);
    assert_eq!(limit, 75);
    assert_eq!(remaining, 0);
    assert!(
        reset >= before + 60 && reset <= x.now() + 60,
        "reset {reset} is not 60 s ahead of {before}"
    );
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn an_injected_delay_slows_the_answer_down() {
    let x = Mock::start();
    let delay = Duration::from_millis(300);
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Delay(delay)));
    let started = Instant::now();
    let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    // The request itself was processed normally.
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["data"]["username"], "mock_alice");
}

#[test]
fn a_dropped_connection_leaves_the_refresh_token_usable() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, "tweet.read users.read offline.access");
    let refresh_token = text(&body, "refresh_token");
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::DropConnection));
    let request = x.form_request(
        "/2/oauth2/token",
        None,
        &crate::support::form(&[
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
            ("client_id", app.client_id().expect("client id")),
        ]),
    );
    assert!(x.try_send(request).is_err(), "a transport error");
    // Nothing happened at the server: the same refresh token still works.
    let answer = x.refresh(app, refresh_token);
    assert_eq!(answer.status, 200, "{answer:?}");
    let counters = x.counters();
    assert_eq!(counters.refreshes, 1);
    assert_eq!(counters.refresh_replays, 0);
    assert_eq!(counters.faults, 1);
}

#[test]
fn a_lost_response_leaves_the_client_with_a_dead_refresh_token() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, "tweet.read users.read offline.access");
    let refresh_token = text(&body, "refresh_token");
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::LoseResponse));
    let request = x.form_request(
        "/2/oauth2/token",
        None,
        &crate::support::form(&[
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
            ("client_id", app.client_id().expect("client id")),
        ]),
    );
    assert!(x.try_send(request).is_err(), "a transport error");
    // The server rotated it: the client's copy is dead (contract §4.6: never replay a
    // refresh whose outcome is unknown).
    let answer = x.refresh(app, refresh_token);
    answer.oauth2_error(400, "invalid_request");
    let counters = x.counters();
    assert_eq!(counters.refreshes, 1);
    assert_eq!(counters.refresh_replays, 1);
}

#[test]
fn a_malformed_body_is_a_200_that_is_not_json() {
    let x = Mock::start();
    x.inject(Fault::new("/oauth2/token", 1, FaultKind::MalformedBody));
    let app = x.web();
    let answer = x.post_form(
        "/oauth2/token",
        Some(&crate::support::basic(
            &app.consumer_key,
            &app.consumer_secret,
        )),
        "grant_type=client_credentials",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(serde_json::from_str::<serde_json::Value>(&answer.body).is_err());
    assert_eq!(x.counters().bearer_tokens, 0);
}

#[test]
fn faults_hit_only_their_path_and_queue_in_order() {
    let x = Mock::start();
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Status(503)));
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Status(502)));
    // Zero times is no fault at all.
    x.inject(Fault::new(
        "/1.1/account/verify_credentials.json",
        0,
        FaultKind::Status(500),
    ));
    let signer = OAuth1::owner(x.web());
    let answer = x.signed_get(signer, "/1.1/account/verify_credentials.json");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(x.signed_get(signer, "/2/users/me").status, 503);
    assert_eq!(x.signed_get(signer, "/2/users/me").status, 502);
    assert_eq!(x.signed_get(signer, "/2/users/me").status, 200);
    assert_eq!(x.counters().faults, 2);
}

#[test]
fn counters_count_requests_per_path_and_tokens_issued() {
    let x = Mock::start();
    let _ = x.oauth1_login(x.native());
    let _ = x.app_bearer(x.web());
    let _ = x.pkce_login(x.native(), "tweet.read users.read offline.access");
    let signer = OAuth1::owner(x.web());
    for _ in 0..3 {
        x.signed_get(signer, "/2/users/me");
    }
    // A query is not part of the path.
    x.signed_get(signer, "/2/users/me?user.fields=created_at");
    let counters = x.counters();
    assert_eq!(counters.requests_to("/oauth/request_token"), 1);
    assert_eq!(counters.requests_to("/oauth/authorize"), 1);
    assert_eq!(counters.requests_to("/oauth/access_token"), 1);
    assert_eq!(counters.requests_to("/oauth2/token"), 1);
    assert_eq!(counters.requests_to("/i/oauth2/authorize"), 1);
    assert_eq!(counters.requests_to("/2/oauth2/token"), 1);
    assert_eq!(counters.requests_to("/2/users/me"), 4);
    assert_eq!(counters.requests_to("/never/asked"), 0);
    assert_eq!(counters.request_tokens, 1);
    assert_eq!(counters.oauth1_access_tokens, 1);
    assert_eq!(counters.bearer_tokens, 1);
    assert_eq!(counters.authorization_codes, 1);
    assert_eq!(counters.oauth2_access_tokens, 1);
    assert_eq!(counters.tokens_issued(), 4);
    assert_eq!(counters.faults, 0);
    assert_eq!(counters.rate_limited, 0);
    assert_eq!(counters.rejected_signatures, 0);
}

#[test]
fn unknown_paths_and_faulty_answers_carry_rate_limit_headers_and_the_mocks_date() {
    let x = Mock::start();
    // An hour ahead of the system clock: a `Date` from the system clock would be caught.
    x.advance(Duration::from_secs(3600));
    let system_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Status(503)));
    x.inject(Fault::new("/oauth2/token", 1, FaultKind::MalformedBody));
    let app = x.web();
    let before = x.now();
    let answers = [
        (
            "an unknown path",
            404,
            x.get("/1.1/statuses/home_timeline.json", None),
        ),
        (
            "an injected 503",
            503,
            x.signed_get(OAuth1::owner(app), "/2/users/me"),
        ),
        (
            "an injected malformed body",
            200,
            x.post_form(
                "/oauth2/token",
                Some(&crate::support::basic(
                    &app.consumer_key,
                    &app.consumer_secret,
                )),
                "grant_type=client_credentials",
            ),
        ),
    ];
    for (what, status, answer) in answers {
        assert_eq!(answer.status, status, "{what}: {answer:?}");
        // Every response carries the three headers (contract §7) ...
        let (limit, remaining, reset) = quota(&answer);
        assert!(remaining <= limit, "{what}: {answer:?}");
        // ... the reset in Unix seconds, ahead of the mock's clock.
        assert!(
            reset > before,
            "{what}: reset {reset} is not after {before}"
        );
        // And a `Date` from the mock's clock (contract §1.2, §7).
        let date = answer
            .header("date")
            .unwrap_or_else(|| panic!("{what}: no Date in {answer:?}"));
        let at = crate::support::x_date(date)
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        assert!(
            at.abs_diff(x.now()) <= 2 && at >= system_now + 3590,
            "{what}: Date {date} is not the mock's clock"
        );
    }
    assert_eq!(x.counters().faults, 2);
}

#[test]
fn only_answers_that_were_429_count_as_rate_limited() {
    let x = Mock::start();
    // Past the limit of 75 (contract §5), without a credential: every answer is the 401.
    for attempt in 1..=80 {
        let answer = x.get("/2/users/me", None);
        assert_eq!(answer.status, 401, "attempt {attempt}: {answer:?}");
        answer.problem(401);
    }
    let counters = x.counters();
    assert_eq!(counters.requests_to("/2/users/me"), 80);
    assert_eq!(counters.rate_limited, 0, "no answer was a 429");
}
