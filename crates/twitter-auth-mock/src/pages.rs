//! The browser pages: consent (Authorize / Cancel), PIN, denial and error pages.
//!
//! Plain HTML forms without scripts, so they work in any browser and a headless one can click
//! `#allow` or `#cancel`.

use crate::config::User;

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} / X (mock)</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#0f1419}}\
         .card{{border:1px solid #cfd9de;border-radius:16px;padding:1.5rem}}\
         button{{border-radius:9999px;padding:.6rem 1.4rem;font-weight:700;border:1px solid #0f1419;margin-right:.5rem;cursor:pointer}}\
         #allow{{background:#0f1419;color:#fff}} #cancel{{background:#fff}}\
         code#oauth_pin{{font-size:2rem;letter-spacing:.2rem}} .mock{{color:#536471;font-size:.8rem}}</style>\
         </head><body><div class=\"card\">{body}</div>\
         <p class=\"mock\">twitter-auth-mock: a fake X for tests. Nothing here talks to X.</p></body></html>\n",
        title = escape(title),
    )
}

fn user_select(users: &[User], selected: Option<&str>) -> String {
    let mut options = String::new();
    for user in users {
        let mark = if Some(user.id.as_str()) == selected {
            " selected"
        } else {
            ""
        };
        options.push_str(&format!(
            "<option value=\"{}\"{mark}>@{} ({})</option>",
            escape(&user.id),
            escape(&user.username),
            escape(&user.name)
        ));
    }
    format!(
        "<p><label for=\"user\">Signed in as</label> <select id=\"user\" name=\"user_id\">{options}</select></p>"
    )
}

fn buttons() -> &'static str {
    "<p><button id=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Authorize app</button>\
     <button id=\"cancel\" type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button></p>"
}

/// OAuth 1.0a consent: posts `oauth_token`, `user_id` and `decision` back to `action`.
pub(crate) fn oauth1_consent(
    action: &str,
    app: &str,
    request_token: &str,
    users: &[User],
    selected: Option<&str>,
    write: bool,
) -> String {
    let access = if write {
        "read and post on your behalf"
    } else {
        "read your posts and profile"
    };
    page(
        "Authorize an application",
        &format!(
            "<h1>Authorize {app} to access your account?</h1>\
             <p>This application will be able to {access}.</p>\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"oauth_token\" value=\"{token}\">{select}{buttons}</form>",
            app = escape(app),
            action = escape(action),
            token = escape(request_token),
            select = user_select(users, selected),
            buttons = buttons(),
        ),
    )
}

/// OAuth 2.0 consent: posts `consent`, `user_id` and `decision` to `/i/oauth2/authorize`.
pub(crate) fn oauth2_consent(
    app: &str,
    consent: &str,
    scopes: &[String],
    users: &[User],
    selected: Option<&str>,
) -> String {
    let mut list = String::new();
    for scope in scopes {
        list.push_str(&format!("<li><code>{}</code></li>", escape(scope)));
    }
    page(
        "Authorize app",
        &format!(
            "<h1>{app} wants to access your X account.</h1>\
             <p>It will be able to:</p><ul id=\"scopes\">{list}</ul>\
             <form method=\"post\" action=\"/i/oauth2/authorize\">\
             <input type=\"hidden\" name=\"consent\" value=\"{consent}\">{select}{buttons}</form>",
            app = escape(app),
            consent = escape(consent),
            select = user_select(users, selected),
            buttons = buttons(),
        ),
    )
}

/// The `oob` page: the PIN the user types into the app.
pub(crate) fn pin(app: &str, pin: &str) -> String {
    page(
        "Authorized",
        &format!(
            "<h1>You've granted access to {app}!</h1>\
             <p id=\"code-desc\">Next, return to {app} and enter this PIN to complete the authorization process:</p>\
             <p><kbd aria-labelledby=\"code-desc\"><code id=\"oauth_pin\">{pin}</code></kbd></p>",
            app = escape(app),
            pin = escape(pin),
        ),
    )
}

/// OAuth 1.0a refusal: X's "Return to app" link carries `denied=<request token>`.
pub(crate) fn oauth1_denied(app: &str, return_url: Option<&str>) -> String {
    let link = return_url.map_or(String::new(), |url| {
        format!(
            "<p><a id=\"return\" href=\"{}\">Return to {}</a></p>",
            escape(url),
            escape(app)
        )
    });
    page(
        "Access denied",
        &format!(
            "<h1>You have not granted access to {app}.</h1>{link}",
            app = escape(app)
        ),
    )
}

/// X's page for a stale or unknown request token.
pub(crate) fn oauth1_invalid() -> String {
    page(
        "Error",
        "<h1>This page is no longer valid.</h1><p>It looks like someone already used the token \
         information you provided. Please return to the site that sent you to this page and try \
         again … it was probably an honest mistake.</p>",
    )
}

/// X's page when the authorize request cannot be sent back to the app.
pub(crate) fn oauth2_invalid(reason: &str) -> String {
    page(
        "Error",
        &format!(
            "<h1>Something went wrong</h1><p>You weren't able to give access to the App. Go back \
             and try logging in again.</p><p id=\"reason\">{}</p>",
            escape(reason)
        ),
    )
}

/// Reads the PIN from the `oob` page, as a person would from the screen.
///
/// ```
/// let html = r#"<kbd><code id="oauth_pin">1234567</code></kbd>"#;
/// assert_eq!(twitter_auth_mock::pin_from_page(html), Some("1234567"));
/// assert_eq!(twitter_auth_mock::pin_from_page("<p>no pin</p>"), None);
/// ```
pub fn pin_from_page(html: &str) -> Option<&str> {
    let marker = "id=\"oauth_pin\">";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('<')?;
    let pin = &html[start..start + len];
    (!pin.is_empty() && pin.bytes().all(|b| b.is_ascii_digit())).then_some(pin)
}
