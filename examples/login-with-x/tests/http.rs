//! The app over HTTP on loopback, against the fake X: the login's callback bound to the browser
//! session (forged, replayed, and other-session callbacks refused, the real login unharmed), a
//! cancel on X, a wrong client secret, logout with CSRF, the refresh job, escaping, and no
//! secret in any page.

mod common;

use std::time::{Duration, Instant};

use common::{Browser, TestApp, param, with_state};
use login_with_x::{GrantStore, XApp};
use twitter_auth_core::{ClientId, ClientSecret, Endpoints};
use twitter_auth_mock::{Consent, DEMO_WEB_APP, MockConfig, MockX, User};

/// The app on the embedded fake X, which approves consent at once.
fn app(tag: &str) -> TestApp {
    let app = TestApp::with_mock(tag);
    app.mock().set_consent(Consent::Approve);
    app
}

fn token_requests(x: &MockX) -> u64 {
    x.counters().requests_to("/2/oauth2/token")
}

fn me(browser: &mut Browser, app: &TestApp) -> serde_json::Value {
    let page = browser.get(&app.url("me"));
    let value: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    serde_json::json!({"status": page.status, "body": value})
}

#[test]
fn a_forged_state_is_refused_and_the_real_login_still_completes() {
    let app = app("forged");
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    let exchanges = token_requests(app.mock());

    // Forged callbacks in alice's browser: another state, no state, a stray error.
    for forged in [
        with_state(&callback, "forged"),
        app.url("callback?code=stolen"),
        app.url("callback?state=&code=stolen"),
    ] {
        let page = alice.get(&forged);
        assert_eq!(page.status, 403, "{forged}: {page:?}");
        assert!(
            page.body.contains("not started in this browser"),
            "{}",
            page.body
        );
    }
    let stray = alice.get(&app.url("callback?error=access_denied"));
    assert_ne!(stray.status, 500);
    assert_eq!(
        token_requests(app.mock()),
        exchanges,
        "no code was exchanged"
    );

    // The real callback still completes the login: the forged ones did not consume it.
    let done = alice.get(&callback);
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(
        done.location.as_deref(),
        Some("/"),
        "no token in the redirect"
    );
    let home = alice.get(&app.url(""));
    assert!(home.body.contains("@mock_alice"), "{}", home.body);
    let me = me(&mut alice, &app);
    assert_eq!(me["status"], 200, "{me}");
    assert_eq!(me["body"]["username"], "mock_alice");
}

#[test]
fn a_replayed_callback_is_refused() {
    let app = app("replay");
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    let before_login = alice.cookies.clone();
    assert_eq!(alice.get(&callback).status, 303);
    assert_ne!(
        alice.cookies, before_login,
        "a new session id after the login"
    );
    let exchanges = token_requests(app.mock());

    let again = alice.get(&callback);
    assert_eq!(again.status, 400, "{again:?}");
    assert!(
        again.body.contains("No login is in progress"),
        "{}",
        again.body
    );
    // With the session id from before the login too (it was ended).
    let mut old = Browser::new(&app);
    old.cookies = before_login;
    assert_eq!(old.get(&callback).status, 400);
    assert_eq!(
        token_requests(app.mock()),
        exchanges,
        "the code was not sent again"
    );
    assert_eq!(
        me(&mut alice, &app)["status"],
        200,
        "alice is still logged in"
    );
}

#[test]
fn a_callback_from_another_browser_session_is_refused() {
    let app = app("other-session");
    let mut alice = Browser::new(&app);
    let alices_callback = alice.begin_login(&app);
    let exchanges = token_requests(app.mock());

    // Mallory opens alice's callback: with no session, and with a login of her own.
    let mut mallory = Browser::new(&app);
    let page = mallory.get(&alices_callback);
    assert_eq!(page.status, 400, "{page:?}");
    let mallorys_callback = mallory.begin_login(&app);
    let page = mallory.get(&alices_callback);
    assert_eq!(page.status, 403, "{page:?}");
    assert_eq!(
        token_requests(app.mock()),
        exchanges,
        "alice's code was not spent"
    );
    assert_eq!(
        me(&mut mallory, &app)["status"],
        401,
        "mallory is not logged in"
    );

    // Both real logins still complete, each in its own browser.
    assert_eq!(alice.get(&alices_callback).status, 303);
    assert_eq!(mallory.get(&mallorys_callback).status, 303);
    assert_eq!(me(&mut alice, &app)["body"]["username"], "mock_alice");
}

#[test]
fn cancelling_on_x_shows_a_clear_page() {
    let app = app("cancel");
    app.mock().set_consent(Consent::Deny);
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    let page = alice.get(&callback);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("You cancelled the login on X"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("@mock_alice"));
    assert_eq!(me(&mut alice, &app)["status"], 401);
    // The login is over: the same callback finds none.
    assert_eq!(alice.get(&callback).status, 400);
}

#[test]
fn a_wrong_client_secret_names_the_likely_causes() {
    const WRONG: &str = "wrongClientSecret0000000000000000000000000000042";
    let mut world = MockConfig::default();
    let x = std::sync::OnceLock::new();
    let app = TestApp::start(
        "wrong-secret",
        |redirect| {
            world
                .apps
                .iter_mut()
                .for_each(|a| a.callbacks.push(redirect.to_owned()));
            let mock = MockX::start(world.clone()).expect("the fake X");
            let web = mock.config().app(DEMO_WEB_APP).expect("the web app");
            let registered = XApp::Registered {
                endpoints: Box::new(Endpoints::local(mock.base_url()).expect("loopback")),
                id: ClientId::new(web.client_id().expect("an id")),
                secret: ClientSecret::new(WRONG),
            };
            let _ = x.set(mock);
            registered
        },
        |dir| GrantStore::Files(dir.into()),
        3600,
    );
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    let page = alice.get(&callback);
    assert_eq!(page.status, 502, "{page:?}");
    for expected in [
        "unauthorized_client",
        "client secret is wrong",
        "client id is wrong",
        "public/confidential mix-up",
    ] {
        assert!(
            page.body.contains(expected),
            "{expected:?} in {}",
            page.body
        );
    }
    assert!(!page.body.contains(WRONG), "the secret is never shown");
    assert_eq!(me(&mut alice, &app)["status"], 401);
    drop(app);
    drop(x);
}

#[test]
fn logout_needs_the_csrf_token_revokes_and_deletes() {
    let app = app("logout");
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    alice.get(&callback);
    let home = alice.get(&app.url(""));
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_owned();
    let grant_files = || {
        std::fs::read_dir(&app.grants.0)
            .expect("the grant directory")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "grant"))
            .map(|e| e.path())
            .collect::<Vec<_>>()
    };
    let files = grant_files();
    assert_eq!(files.len(), 1, "alice's grant is stored");
    let stored = std::fs::read_to_string(&files[0]).expect("the grant");
    let secrets = token_values(&serde_json::from_str(&stored).expect("JSON"));
    assert_eq!(
        secrets.len(),
        2,
        "an access and a refresh token: {stored:.0}"
    );

    // A cross-site form, or one without the token, is refused; GET does nothing.
    let logout = app.url("logout");
    assert_eq!(alice.post_form(&logout, "").status, 403);
    assert_eq!(alice.post_form(&logout, "csrf=guess").status, 403);
    let mut mallory = Browser::new(&app);
    assert_eq!(
        mallory.post_form(&logout, &format!("csrf={csrf}")).status,
        403
    );
    assert_eq!(alice.get(&logout).status, 405);
    assert_eq!(me(&mut alice, &app)["status"], 200, "still logged in");
    assert_eq!(app.mock().counters().revocations, 0);

    let out = alice.post_form(&logout, &format!("csrf={csrf}"));
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(
        app.mock().counters().revocations,
        2,
        "refresh and access token"
    );
    assert!(grant_files().is_empty(), "the grant is deleted");
    assert_eq!(me(&mut alice, &app)["status"], 401);
    assert!(alice.get(&app.url("")).body.contains("Log in with X"));

    // No page ever showed a token or the client secret.
    let secret = app
        .mock()
        .config()
        .app(DEMO_WEB_APP)
        .and_then(|a| a.client_secret())
        .expect("the secret")
        .to_owned();
    for body in &alice.seen {
        for value in secrets.iter().chain([&secret]) {
            assert!(!body.contains(value.as_str()), "a secret in {body}");
        }
    }
}

/// Every `access_token` and `refresh_token` string in a stored grant.
fn token_values(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match v {
                serde_json::Value::String(s) if k == "access_token" || k == "refresh_token" => {
                    vec![s.clone()]
                }
                other => token_values(other),
            })
            .collect(),
        serde_json::Value::Array(items) => items.iter().flat_map(token_values).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_refresh_job_refreshes_due_grants_in_the_background() {
    let app = TestApp::start(
        "job",
        |_| XApp::Mock,
        |dir| GrantStore::Files(dir.into()),
        100,
    );
    app.mock().set_consent(Consent::Approve);
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    alice.get(&callback);
    assert_eq!(app.mock().counters().refreshes, 0);
    // Five minutes before expiry: inside the job's ten-minute horizon, no API call made.
    app.mock().advance(Duration::from_secs(7200 - 300));
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.mock().counters().refreshes == 0 {
        assert!(Instant::now() < deadline, "the job never refreshed");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500)); // more runs of the job: nothing more due
    assert_eq!(me(&mut alice, &app)["status"], 200);
    assert_eq!(app.mock().counters().refreshes, 1, "once, by the job only");
    assert_eq!(app.mock().counters().refresh_replays, 0);
}

#[test]
fn text_from_the_network_is_escaped() {
    const NASTY: &str = "<img src=x onerror=alert(1)>";
    let x = std::sync::OnceLock::new();
    let app = TestApp::start(
        "escape",
        |redirect| {
            let mut world = MockConfig::default();
            world.users[0] = User::new("1500000000000000001", NASTY, "<b>Alice</b>");
            world
                .apps
                .iter_mut()
                .for_each(|a| a.callbacks.push(redirect.to_owned()));
            let mock = MockX::start(world).expect("the fake X");
            let web = mock.config().app(DEMO_WEB_APP).expect("the web app");
            let registered = XApp::Registered {
                endpoints: Box::new(Endpoints::local(mock.base_url()).expect("loopback")),
                id: ClientId::new(web.client_id().expect("an id")),
                secret: ClientSecret::new(web.client_secret().expect("a secret")),
            };
            let _ = x.set(mock);
            registered
        },
        |dir| GrantStore::Files(dir.into()),
        3600,
    );
    let mut alice = Browser::new(&app);
    // An error description from X, with markup, on the callback of this login.
    let callback = alice.begin_login(&app);
    let state = param(&callback, "state").expect("a state");
    let page = alice.get(&app.url(&format!(
        "callback?state={state}&error=server_error&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    )));
    assert_eq!(page.status, 400, "{page:?}");
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let callback = alice.begin_login(&app);
    assert_eq!(alice.get(&callback).status, 303);
    let home = alice.get(&app.url(""));
    assert!(!home.body.contains(NASTY), "{}", home.body);
    assert!(
        home.body.contains("@&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        home.body
    );
    drop(app);
    drop(x);
}

#[test]
fn grants_live_in_redis_when_given_a_url() {
    let Some(redis) = twitter_auth_redis::testing::RedisServer::start(true) else {
        return;
    };
    let app = TestApp::start(
        "redis",
        |_| XApp::Mock,
        |_| GrantStore::Redis {
            url: redis.url(),
            seal_key: [7; 32],
        },
        3600,
    );
    app.mock().set_consent(Consent::Approve);
    let mut alice = Browser::new(&app);
    let callback = alice.begin_login(&app);
    assert_eq!(alice.get(&callback).status, 303);
    assert_eq!(me(&mut alice, &app)["body"]["username"], "mock_alice");
    app.mock().advance(Duration::from_secs(7200));
    assert_eq!(me(&mut alice, &app)["body"]["username"], "mock_alice");
    assert_eq!(app.mock().counters().refreshes, 1);
    assert!(
        std::fs::read_dir(&app.grants.0)
            .expect("dir")
            .next()
            .is_none(),
        "nothing on disk"
    );
    let home = alice.get(&app.url(""));
    let csrf = home
        .body
        .split("value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next());
    let out = alice.post_form(
        &app.url("logout"),
        &format!("csrf={}", csrf.expect("a token")),
    );
    assert_eq!(out.status, 303);
    assert_eq!(me(&mut alice, &app)["status"], 401);
    drop(app);
    drop(redis);
}
