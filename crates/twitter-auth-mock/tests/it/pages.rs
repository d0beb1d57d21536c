//! The consent pages (`Consent::Page`) driven as a browser would: read the form, click
//! `#allow` or `#cancel`, follow what comes back (contract §2.2, §4.3).

use twitter_auth_mock::{Consent, MockConfig, pin_from_page};

use crate::support::{
    ALICE, ALICE_ID, Answer, BOB, BOB_ID, CALLBACK, Mock, PkceRequest, bearer, form, query_of, text,
};

/// The parts of an HTML form a browser submits.
#[derive(Debug)]
struct HtmlForm {
    method: String,
    action: String,
    /// Hidden inputs and the selected option of each select, in document order.
    fields: Vec<(String, String)>,
    /// Submit buttons: id, name, value.
    buttons: Vec<(String, String, String)>,
}

/// The text of each `<name ...>` start tag, between the name and `>`.
fn start_tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let end = after.find('>').expect("a closed tag");
        if after.starts_with([' ', '>']) {
            tags.push(&after[..end]);
        }
        rest = &after[end..];
    }
    tags
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A double-quoted attribute of a start tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn has_flag(tag: &str, flag: &str) -> bool {
    tag.split([' ', '>']).any(|word| word == flag)
}

/// Reads the one form of a page.
fn read_form(html: &str) -> HtmlForm {
    let start = html.find("<form").expect("a form on the page");
    let end = html[start..].find("</form>").expect("a closed form") + start;
    let inner = &html[start..end];
    let form_tag = start_tags(inner, "form")[0];
    let mut fields = Vec::new();
    for input in start_tags(inner, "input") {
        if attribute(input, "type").as_deref() == Some("hidden") {
            fields.push((
                attribute(input, "name").expect("a named input"),
                attribute(input, "value").unwrap_or_default(),
            ));
        }
    }
    let mut rest = inner;
    while let Some(at) = rest.find("<select") {
        let select_end = rest[at..].find("</select>").expect("a closed select") + at;
        let select = &rest[at..select_end];
        let name = attribute(start_tags(select, "select")[0], "name").expect("a named select");
        let options = start_tags(select, "option");
        // The selected option, else the first one (HTML: the default selectedness).
        let chosen = options
            .iter()
            .find(|o| has_flag(o, "selected"))
            .or_else(|| options.first())
            .expect("an option");
        fields.push((name, attribute(chosen, "value").expect("an option value")));
        rest = &rest[select_end..];
    }
    let buttons = start_tags(inner, "button")
        .into_iter()
        .filter(|b| attribute(b, "type").as_deref() != Some("button"))
        .map(|b| {
            (
                attribute(b, "id").unwrap_or_default(),
                attribute(b, "name").unwrap_or_default(),
                attribute(b, "value").unwrap_or_default(),
            )
        })
        .collect();
    HtmlForm {
        method: attribute(form_tag, "method").unwrap_or_else(|| "get".to_owned()),
        action: attribute(form_tag, "action").unwrap_or_default(),
        fields,
        buttons,
    }
}

impl HtmlForm {
    /// Changes a field, as a person picking another option would.
    fn set(&mut self, name: &str, value: &str) {
        let field = self
            .fields
            .iter_mut()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no field {name}"));
        field.1 = value.to_owned();
    }

    /// Clicks the button with this id: posts the fields and the button's name and value to
    /// the action, resolved against the page's URL.
    fn click(&self, x: &Mock, page_path: &str, button_id: &str) -> Answer {
        let (_, name, value) = self
            .buttons
            .iter()
            .find(|(id, _, _)| id == button_id)
            .unwrap_or_else(|| panic!("no #{button_id} in {self:?}"));
        self.submit(x, page_path, (name, value))
    }

    /// Posts the fields and one more pair (a button's, or one no button carries) to the
    /// action, resolved against the page's URL.
    fn submit(&self, x: &Mock, page_path: &str, (name, value): (&str, &str)) -> Answer {
        assert_eq!(self.method.to_ascii_lowercase(), "post", "{self:?}");
        let page = url::Url::parse(&x.url(page_path)).expect("a URL");
        let target = page.join(&self.action).expect("a resolvable action");
        assert_eq!(target.origin(), page.origin(), "the form posts to the mock");
        let mut pairs: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        pairs.push((name, value));
        let path = match target.query() {
            Some(query) => format!("{}?{query}", target.path()),
            None => target.path().to_owned(),
        };
        x.post_form(&path, None, &form(&pairs))
    }
}

fn with_pages() -> Mock {
    Mock::with(MockConfig {
        consent: Consent::Page,
        ..MockConfig::default()
    })
}

/// The consent page: HTML with an Authorize and a Cancel button.
fn assert_consent_page(answer: &Answer) -> HtmlForm {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "text/html");
    assert!(answer.header("location").is_none());
    let form = read_form(&answer.body);
    let ids: Vec<&str> = form.buttons.iter().map(|(id, _, _)| id.as_str()).collect();
    assert!(ids.contains(&"allow"), "{form:?}");
    assert!(ids.contains(&"cancel"), "{form:?}");
    form
}

const SCOPE: &str = "tweet.read users.read offline.access";

fn pkce_page(x: &Mock, pkce: &PkceRequest) -> (String, Answer) {
    let challenge = pkce.verifier.challenge();
    let path = Mock::authorize_path(x.native(), CALLBACK, SCOPE, &pkce.state, challenge.as_str());
    let answer = x.get(&path, None);
    (path, answer)
}

#[test]
fn the_oauth2_consent_page_shows_the_app_the_scopes_and_two_buttons() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (_, answer) = pkce_page(&x, &pkce);
    let form = assert_consent_page(&answer);
    assert!(answer.body.contains(&x.native().name), "the app is named");
    for scope in SCOPE.split(' ') {
        assert!(answer.body.contains(scope), "{scope} is listed");
    }
    // The signed-in user (alice) is preselected.
    assert!(
        form.fields
            .contains(&("user_id".to_owned(), ALICE_ID.to_owned()))
    );
    assert_eq!(x.counters().authorization_codes, 0);
}

#[test]
fn authorize_on_the_oauth2_page_redirects_with_a_code() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (path, answer) = pkce_page(&x, &pkce);
    let answer = assert_consent_page(&answer).click(&x, &path, "allow");
    let location = answer.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let params = query_of(&location);
    assert_eq!(params["state"], pkce.state);

    let tokens = x.exchange(x.native(), &params["code"], pkce.verifier.secret());
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let me = x.get(
        "/2/users/me",
        Some(&bearer(text(&tokens.json(), "access_token"))),
    );
    assert_eq!(me.json()["data"]["username"], ALICE);
}

#[test]
fn another_user_can_be_picked_on_the_oauth2_page() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (path, answer) = pkce_page(&x, &pkce);
    let mut form = assert_consent_page(&answer);
    form.set("user_id", BOB_ID);
    let params = form.click(&x, &path, "allow").redirect_params();
    let tokens = x.exchange(x.native(), &params["code"], pkce.verifier.secret());
    let me = x.get(
        "/2/users/me",
        Some(&bearer(text(&tokens.json(), "access_token"))),
    );
    assert_eq!(me.json()["data"]["username"], BOB);
}

#[test]
fn cancel_on_the_oauth2_page_redirects_with_access_denied_and_the_state() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (path, answer) = pkce_page(&x, &pkce);
    let answer = assert_consent_page(&answer).click(&x, &path, "cancel");
    let location = answer.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let params = query_of(&location);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], pkce.state);
    assert!(!params.contains_key("code"));
    assert_eq!(x.counters().authorization_codes, 0);
}

#[test]
fn an_oauth2_page_is_answered_once() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (path, answer) = pkce_page(&x, &pkce);
    let form = assert_consent_page(&answer);
    assert_eq!(form.click(&x, &path, "allow").status, 302);
    let again = form.click(&x, &path, "allow");
    assert_eq!(again.status, 400, "{again:?}");
    assert_eq!(again.media_type(), "text/html");
    assert!(again.header("location").is_none());
    assert_eq!(x.counters().authorization_codes, 1);
}

#[test]
fn authorize_on_the_oauth1_page_redirects_with_a_verifier() {
    let x = with_pages();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let answer = x.get(&path, None);
    let form = assert_consent_page(&answer);
    assert!(answer.body.contains(&app.name), "the app is named");
    assert!(
        form.fields
            .contains(&("oauth_token".to_owned(), token.clone()))
    );

    let params = form.click(&x, &path, "allow").redirect_params();
    assert_eq!(params["oauth_token"], token);
    let tokens = x.access_token(app, (&token, &secret), &params["oauth_verifier"]);
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert_eq!(tokens.form()["screen_name"], ALICE);
}

#[test]
fn screen_name_preselects_the_user_on_the_oauth1_page() {
    let x = with_pages();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    // `screen_name` prefills the username (contract §2.2).
    let path = format!("/oauth/authorize?oauth_token={token}&screen_name={BOB}");
    let form = assert_consent_page(&x.get(&path, None));
    assert!(
        form.fields
            .contains(&("user_id".to_owned(), BOB_ID.to_owned())),
        "{form:?}"
    );
    let params = form.click(&x, &path, "allow").redirect_params();
    let tokens = x.access_token(app, (&token, &secret), &params["oauth_verifier"]);
    assert_eq!(tokens.form()["user_id"], BOB_ID);
}

#[test]
fn authorize_on_the_oauth1_oob_page_shows_the_pin() {
    let x = with_pages();
    let app = x.native();
    let (token, secret) = x.request_token(app, "oob");
    let path = format!("/oauth/authorize?oauth_token={token}");
    let form = assert_consent_page(&x.get(&path, None));
    let answer = form.click(&x, &path, "allow");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "text/html");
    let pin = pin_from_page(&answer.body).expect("a PIN");
    let tokens = x.access_token(app, (&token, &secret), pin);
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert_eq!(tokens.form()["user_id"], ALICE_ID);
}

#[test]
fn cancel_on_the_oauth1_page_offers_a_denied_link() {
    let x = with_pages();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let form = assert_consent_page(&x.get(&path, None));
    let answer = form.click(&x, &path, "cancel");
    // X shows a page with a "Return to app" link to `<callback>?denied=<token>` (contract §2.2).
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "text/html");
    let links: Vec<String> = start_tags(&answer.body, "a")
        .into_iter()
        .filter_map(|a| attribute(a, "href"))
        .collect();
    let link = links
        .iter()
        .find(|href| href.contains("denied="))
        .unwrap_or_else(|| panic!("no denied link in {links:?}"));
    assert!(link.starts_with(CALLBACK), "{link}");
    let params = query_of(link);
    assert_eq!(params["denied"], token);
    assert!(!params.contains_key("oauth_verifier"));
    // The request token is dead.
    let answer = x.access_token(app, (&token, &secret), "anything");
    answer.assert_coded(401, 89);
    // And its page is stale.
    assert_eq!(x.get(&path, None).status, 400);
}

#[test]
fn the_consent_mode_can_change_while_running() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (_, answer) = pkce_page(&x, &pkce);
    assert_consent_page(&answer);
    x.set_consent(Consent::Approve);
    let (_, answer) = pkce_page(&x, &pkce);
    assert!(answer.redirect_params().contains_key("code"));
    x.set_consent(Consent::Deny);
    let (_, answer) = pkce_page(&x, &pkce);
    assert_eq!(answer.redirect_params()["error"], "access_denied");
}

#[test]
fn an_unknown_decision_on_the_oauth1_page_is_a_400_page() {
    let x = with_pages();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let form = assert_consent_page(&x.get(&path, None));
    // Neither button's value: not a decision the user made.
    let answer = form.submit(&x, &path, ("decision", "maybe"));
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.media_type(), "text/html");
    assert!(answer.header("location").is_none(), "{answer:?}");
    assert!(!answer.body.contains("oauth_verifier"), "{answer:?}");
    // Nothing was approved.
    let answer = x.access_token(app, (&token, &secret), "anything");
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(x.counters().oauth1_access_tokens, 0);
}

#[test]
fn an_unknown_decision_on_the_oauth2_page_redirects_with_access_denied() {
    let x = with_pages();
    let pkce = PkceRequest::new();
    let (path, answer) = pkce_page(&x, &pkce);
    let answer = assert_consent_page(&answer).submit(&x, &path, ("decision", "maybe"));
    let location = answer.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let params = query_of(&location);
    // Anything but an approval is a refusal (RFC 6749 §4.1.2.1).
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], pkce.state);
    assert!(!params.contains_key("code"));
    assert_eq!(x.counters().authorization_codes, 0);
}
