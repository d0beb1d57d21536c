//! X's error formats, parsed from bodies shaped as the contract (§6) records them.

use twitter_auth_core::{Error, ErrorKind, HttpResponse, error_from_response};

fn response(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn v1_error_lists_keep_their_codes_and_hints() {
    for (code, status, hint) in [
        (32, 401, "signature"),
        (89, 401, "log in again"),
        (135, 401, "clock"),
        (415, 403, "callback"),
        (88, 429, "rate limited"),
    ] {
        let body = format!(r#"{{"errors":[{{"code":{code},"message":"msg {code}"}}]}}"#);
        let e = error_from_response(&response(status, &body));
        assert_eq!(e.x_codes(), [code]);
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert!(e.hint().unwrap().contains(hint), "{code}: {:?}", e.hint());
        assert!(
            e.to_string().contains(&format!("code {code}: msg {code}")),
            "{e}"
        );
    }
    // X's app-only error carries a label too.
    let e = error_from_response(&response(
        403,
        r#"{"errors":[{"code":99,"label":"authenticity_token_error","message":"Unable to verify your credentials"}]}"#,
    ));
    assert_eq!(e.x_codes(), [99]);
}

#[test]
fn oauth2_errors_are_typed_with_the_mix_up_hint() {
    let e = error_from_response(&response(
        401,
        r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#,
    ));
    let Error::OAuth2 { status: 401, error } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(error.error, "unauthorized_client");
    assert!(e.hint().unwrap().contains("public/confidential"));
    let e = error_from_response(&response(
        400,
        r#"{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid.","errors":[{"message":"x"}]}"#,
    ));
    assert!(matches!(&e, Error::OAuth2 { status: 400, .. }), "{e:?}");
    assert!(e.hint().unwrap().contains("30 s"));
}

/// X answers a wrong client secret exactly as it answers a public/confidential mix-up, so the
/// hint names every cause (issue 14: it used to name the mix-up only).
#[test]
fn unauthorized_client_hint_names_every_likely_cause() {
    for (error, description) in [
        ("unauthorized_client", "Missing valid authorization header"),
        ("unauthorized_client", "Client authentication failed"),
        ("invalid_client", "bad"),
    ] {
        let body = format!(r#"{{"error":"{error}","error_description":"{description}"}}"#);
        let e = error_from_response(&response(401, &body));
        let hint = e.hint().unwrap_or_else(|| panic!("no hint for {error}"));
        for cause in [
            "client secret is wrong",
            "regenerated",
            "client id is wrong",
            "public/confidential mix-up",
            "Basic",
        ] {
            assert!(
                hint.contains(cause),
                "{error}/{description}: {hint:?} lacks {cause:?}"
            );
        }
    }
}

#[test]
fn v2_problems_are_matched_by_name_whatever_the_host() {
    for host in ["api.x.com", "api.twitter.com"] {
        let body = format!(
            r#"{{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.","type":"https://{host}/2/problems/unsupported-authentication","status":403}}"#
        );
        let e = error_from_response(&response(403, &body));
        let Error::Problem {
            status: 403,
            problem,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(problem.name(), "unsupported-authentication");
        assert!(e.hint().unwrap().contains("wrong kind of credentials"));
    }
    let e = error_from_response(&response(
        403,
        r#"{"client_id":"101010101","required_enrollment":"Standard Basic","registration_url":"https://developer.twitter.com/en/account","title":"Client Forbidden","detail":"This request must be made using an approved developer account that is enrolled in the requested endpoint.","reason":"client-not-enrolled","type":"https://api.x.com/2/problems/client-forbidden"}"#,
    ));
    assert!(e.hint().unwrap().contains("Project"), "{:?}", e.hint());
}

#[test]
fn anything_else_is_an_unexpected_status() {
    for body in [
        "",
        "<hash><error>Invalid / expired Token</error></hash>",
        "{}",
        "[1,2]",
        r#"{"errors":"x"}"#,
    ] {
        assert!(
            matches!(
                error_from_response(&response(500, body)),
                Error::UnexpectedStatus { status: 500 }
            ),
            "{body}"
        );
    }
}

proptest::proptest! {
    /// Whatever X (or a proxy in front of it) answers, reading the error never panics, and the
    /// status is kept.
    #[test]
    fn error_parsing_is_total(status in 400u16..600, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let response = http::Response::builder().status(status).body(body).unwrap();
        let e = error_from_response(&response);
        let kept = match &e {
            Error::X { status: s, .. } | Error::OAuth2 { status: s, .. } | Error::Problem { status: s, .. } | Error::UnexpectedStatus { status: s } => *s,
            other => panic!("{other:?}"),
        };
        proptest::prop_assert_eq!(kept, status);
        let _ = (e.hint(), e.kind(), e.to_string());
    }

    /// JSON-shaped bodies with arbitrary members, too.
    #[test]
    fn error_parsing_is_total_on_json(code in proptest::prelude::any::<i64>(), text in "\\PC{0,20}", key in "(errors|error|type|title|code|message)") {
        for body in [
            format!(r#"{{"{key}":{code}}}"#),
            format!(r#"{{"{key}":"{}"}}"#, text.replace('"', "")),
            format!(r#"{{"errors":[{{"code":{code},"message":"{}"}}]}}"#, text.replace('"', "")),
            format!(r#"{{"errors":[{{"{key}":{code}}}]}}"#),
        ] {
            let response = http::Response::builder().status(400).body(body.into_bytes()).unwrap();
            let _ = error_from_response(&response).to_string();
        }
    }
}

#[test]
fn an_oauth2_error_with_a_coded_errors_list_stays_an_oauth2_error() {
    let e = error_from_response(&response(
        400,
        r#"{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid.","errors":[{"code":37,"message":"x"}]}"#,
    ));
    assert!(matches!(&e, Error::OAuth2 { status: 400, .. }), "{e:?}");
}
