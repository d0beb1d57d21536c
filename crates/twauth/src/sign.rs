//! `twauth sign`: a signature debugger. Prints the OAuth 1.0a signature base string, the
//! signature and the `Authorization` header of a request; `--explain` adds the normalized
//! parameters and, given the signature a server or another library produced, tries the usual
//! mistakes to find which one reproduces it.
//!
//! The signing key (the secrets joined by `&`) is never printed. Under `PLAINTEXT` the signature
//! *is* the key, so the header carries it by design of that method.

use std::io::BufRead as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::ui::{errln, outln};
use oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, SignatureMethod,
    Signer, Token, TokenCredentials, TokenSecret, encode, sign_base_string,
};

/// Options of `twauth sign`, boxed so that the subcommand enum stays small.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    options: Box<Options>,
}

/// The options themselves.
#[derive(clap::Args)]
struct Options {
    /// HTTP method, in any case (sent upper-case in the base string).
    #[arg(long, value_name = "METHOD", allow_hyphen_values = true)]
    method: String,
    /// Absolute http(s) URL; its query parameters are signed.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    url: String,
    /// An `application/x-www-form-urlencoded` body, as sent.
    #[arg(long, value_name = "RAW", allow_hyphen_values = true)]
    body: Option<String>,
    /// A form body parameter `name=value` (unencoded); repeat for more.
    #[arg(
        long = "body-param",
        value_name = "NAME=VALUE",
        allow_hyphen_values = true
    )]
    body_param: Vec<String>,
    /// The consumer (API) key.
    #[arg(
        long,
        value_name = "KEY",
        env = "TWAUTH_CONSUMER_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    consumer_key: String,
    /// The consumer (API) secret; `-` reads one line from stdin.
    #[arg(
        long,
        value_name = "SECRET",
        env = "TWAUTH_CONSUMER_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    consumer_secret: String,
    /// The access (or request) token.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "TWAUTH_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    token: Option<String>,
    /// The token secret; `-` reads one line from stdin (after the consumer secret's, if both).
    #[arg(
        long,
        value_name = "SECRET",
        env = "TWAUTH_TOKEN_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    token_secret: Option<String>,
    /// `oauth_nonce` (default: a fresh random one).
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true)]
    nonce: Option<String>,
    /// `oauth_timestamp`, signed as given (default: the current time).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    timestamp: Option<String>,
    /// `oauth_callback` (a URL, or `oob`), for a request-token call.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    callback: Option<String>,
    /// `oauth_verifier`, for an access-token call.
    #[arg(long, value_name = "VERIFIER", allow_hyphen_values = true)]
    verifier: Option<String>,
    /// A `realm` for the header (never signed).
    #[arg(long, value_name = "REALM", allow_hyphen_values = true)]
    realm: Option<String>,
    /// The signature method.
    #[arg(
        long,
        value_name = "METHOD",
        default_value = "HMAC-SHA1",
        value_parser = parse_signature_method
    )]
    signature_method: SignatureMethod,
    /// Also print the normalized parameters and, with --expect-signature, diagnose a mismatch.
    #[arg(long)]
    explain: bool,
    /// The signature another party computed (base64, or percent-encoded as in a header): tries
    /// the usual mistakes to find which one reproduces it. Implies --explain.
    #[arg(long, value_name = "SIG", allow_hyphen_values = true)]
    expect_signature: Option<String>,
}

/// Parses a signature method name (any case).
fn parse_signature_method(s: &str) -> Result<SignatureMethod, String> {
    s.to_ascii_uppercase()
        .parse()
        .map_err(|e: oauth1_sign::Error| e.to_string())
}

/// Runs `twauth sign`: exit 0 on success, 2 on bad input, and with `--expect-signature`, 1
/// when the expected signature is not the correct one for the request (whether or not one of
/// the usual mistakes reproduces it).
pub(crate) fn run(args: &Args) -> ExitCode {
    match sign(&args.options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(reason) => {
            errln!("twauth sign: {reason}");
            ExitCode::from(2)
        }
    }
}

/// Reads one line from stdin, without its line ending, for a `-` secret.
fn read_stdin_line(what: &str) -> Result<String, String> {
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read {what} from stdin: {e}"))?;
    if n == 0 {
        return Err(format!("{what} -: no line on stdin"));
    }
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    Ok(line)
}

/// The secret as given, or read from stdin when it is `-`.
fn resolve_secret(value: &str, what: &str) -> Result<String, String> {
    if value == "-" {
        read_stdin_line(what)
    } else {
        Ok(value.to_owned())
    }
}

/// The form body: `--body` as is, or `--body-param` pairs encoded and joined.
fn form_body(args: &Options) -> Result<Option<String>, String> {
    if args.body.is_some() && !args.body_param.is_empty() {
        return Err("give either --body or --body-param, not both".to_owned());
    }
    if let Some(body) = &args.body {
        return Ok(Some(body.clone()));
    }
    if args.body_param.is_empty() {
        return Ok(None);
    }
    let mut pairs = Vec::with_capacity(args.body_param.len());
    for pair in &args.body_param {
        let Some((name, value)) = pair.split_once('=') else {
            return Err("--body-param takes NAME=VALUE (no `=` found)".to_owned());
        };
        pairs.push(format!("{}={}", encode(name), encode(value)));
    }
    Ok(Some(pairs.join("&")))
}

/// The current time in seconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One mistake tried by `--explain`.
struct Attempt {
    /// What the mistake is.
    mistake: &'static str,
    /// The signature it produces, or `None` when it does not apply to this request.
    signature: Option<String>,
}

/// Everything `--explain` found.
struct Explanation {
    /// The normalized parameters, one `name=value` per entry.
    parameters: Vec<String>,
    /// The signature given with --expect-signature, decoded, and the mistakes tried.
    diagnosis: Option<(String, Vec<Attempt>)>,
}

/// Prints what was asked; `Ok(false)` when an expected signature does not match.
fn sign(args: &Options) -> Result<bool, String> {
    let body = form_body(args)?;
    if args.token.is_some() != args.token_secret.is_some() {
        return Err(if args.token.is_some() {
            "--token needs --token-secret (or TWAUTH_TOKEN_SECRET)".to_owned()
        } else {
            "--token-secret needs --token (or TWAUTH_TOKEN)".to_owned()
        });
    }
    let consumer_secret =
        ConsumerSecret::new(resolve_secret(&args.consumer_secret, "--consumer-secret")?);
    let token_secret = match &args.token_secret {
        Some(s) => Some(TokenSecret::new(resolve_secret(s, "--token-secret")?)),
        None => None,
    };
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(args.consumer_key.clone()),
        consumer_secret.clone(),
    );
    let token = match (&args.token, &token_secret) {
        (Some(t), Some(ts)) => Some(TokenCredentials::new(Token::new(t.clone()), ts.clone())),
        _ => None,
    };
    let signer = Signer::with_method(&consumer, token.as_ref(), args.signature_method);

    let nonce = args
        .nonce
        .clone()
        .unwrap_or_else(|| oauth1_sign::generate_nonce(&mut rand::rng()));
    let timestamp = args.timestamp.clone().unwrap_or_else(|| now().to_string());
    let mut params = OAuthParams::with_timestamp_str(&nonce, &timestamp);
    if let Some(callback) = &args.callback {
        params = params.callback(callback);
    }
    if let Some(verifier) = &args.verifier {
        params = params.verifier(verifier);
    }
    if let Some(realm) = &args.realm {
        params = params.realm(realm);
    }

    let request = with_body(Request::new(&args.method, &args.url), body.as_deref());
    let err = |e: oauth1_sign::Error| e.to_string();
    let base_string = signer.base_string(&request, &params).map_err(err)?;
    let signature = signer.signature(&request, &params).map_err(err)?;
    let authorization = signer.authorization(&request, &params).map_err(err)?;

    let explanation = if args.explain || args.expect_signature.is_some() {
        let normalized = signer
            .normalized_parameters(&request, &params)
            .map_err(err)?;
        let parameters = if normalized.is_empty() {
            Vec::new()
        } else {
            normalized.split('&').map(str::to_owned).collect()
        };
        let diagnosis = match &args.expect_signature {
            Some(expected) => {
                let sign_variant = |r: &Request<'_>| -> Result<Option<String>, String> {
                    let variant = signer.signature(r, &params).map_err(err)?;
                    Ok(Some(variant))
                };
                let sign_base = |s: &str| {
                    sign_base_string(
                        args.signature_method,
                        &consumer_secret,
                        token_secret.as_ref(),
                        s,
                    )
                };
                // The base string is `METHOD&URI&PARAMS`, the last two percent-encoded (so
                // without a raw `&`).
                let mut parts = base_string.splitn(3, '&');
                let head = format!(
                    "{}&{}",
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default()
                );
                let rebuild = |normalized: &str| format!("{head}&{}", encode(normalized));

                let mut attempts = Vec::new();
                attempts.push(Attempt {
                    mistake: "space encoded as `+` instead of `%20`",
                    signature: normalized
                        .contains("%20")
                        .then(|| sign_base(&rebuild(&normalized.replace("%20", "+")))),
                });
                attempts.push(Attempt {
                    mistake: "body left out of the signature",
                    signature: match &body {
                        Some(_) => sign_variant(&Request::new(&args.method, &args.url))?,
                        None => None,
                    },
                });
                let without_query = args
                    .url
                    .split_once('#')
                    .map_or(args.url.as_str(), |(u, _)| u)
                    .split_once('?')
                    .map(|(u, _)| u);
                attempts.push(Attempt {
                    mistake: "query string left out of the signature",
                    signature: match without_query {
                        Some(u) => sign_variant(&with_body(
                            Request::new(&args.method, u),
                            body.as_deref(),
                        ))?,
                        None => None,
                    },
                });
                let raw_sorted = raw_byte_sort(&parameters).join("&");
                attempts.push(Attempt {
                    mistake: "parameters sorted by raw bytes instead of by their encoded form",
                    signature: (raw_sorted != normalized).then(|| sign_base(&rebuild(&raw_sorted))),
                });
                let token_secret_text = token_secret.as_ref().map_or("", |s| s.secret());
                attempts.push(Attempt {
                    mistake: "consumer and token secrets swapped",
                    signature: (token_secret_text != consumer_secret.secret()).then(|| {
                        sign_base_string(
                            args.signature_method,
                            &ConsumerSecret::new(token_secret_text),
                            Some(&TokenSecret::new(consumer_secret.secret())),
                            &base_string,
                        )
                    }),
                });
                Some((decode_signature(expected), attempts))
            }
            None => None,
        };
        Some(Explanation {
            parameters,
            diagnosis,
        })
    } else {
        None
    };

    // Under PLAINTEXT a mistake's "signature" is a signing key: never print those.
    let show_variants = args.signature_method != SignatureMethod::Plaintext;
    if crate::ui::json() {
        let mut out = serde_json::json!({
            "base_string": base_string,
            "signature": signature,
            "authorization": authorization,
        });
        if let Some(explanation) = &explanation {
            out["normalized_parameters"] = serde_json::json!(explanation.parameters);
            if let Some((expected, attempts)) = &explanation.diagnosis {
                let tried: Vec<_> = attempts
                    .iter()
                    .filter_map(|a| {
                        let sig = a.signature.as_ref()?;
                        let mut entry = serde_json::json!({
                            "mistake": a.mistake,
                            "matches": sig == expected,
                        });
                        if show_variants {
                            entry["signature"] = serde_json::json!(sig);
                        }
                        Some(entry)
                    })
                    .collect();
                out["expected_signature"] = serde_json::json!(expected);
                out["matches"] = serde_json::json!(*expected == signature);
                out["mistakes_tried"] = serde_json::json!(tried);
                out["verdict"] = serde_json::json!(verdict(expected, &signature, attempts));
            }
        }
        crate::ui::out_json(&out);
        return Ok(matches(&explanation, &signature));
    }

    outln!("base string: {base_string}");
    if let Some(explanation) = &explanation {
        outln!("normalized parameters:");
        for p in &explanation.parameters {
            outln!("  {p}");
        }
    }
    outln!("signature: {signature}");
    outln!("Authorization: {authorization}");
    if let Some((expected, attempts)) = explanation.as_ref().and_then(|e| e.diagnosis.as_ref()) {
        outln!("expected signature: {expected}");
        for a in attempts {
            match &a.signature {
                Some(sig) => {
                    let mark = if sig == expected { "MATCH" } else { "no" };
                    if show_variants {
                        outln!("  {mark:5} {} ({sig})", a.mistake);
                    } else {
                        outln!("  {mark:5} {}", a.mistake);
                    }
                }
                None => outln!("  n/a   {} (does not apply here)", a.mistake),
            }
        }
        outln!("verdict: {}", verdict(expected, &signature, attempts));
    }
    Ok(matches(&explanation, &signature))
}

/// Whether the expected signature (if one was given) is the correct one.
fn matches(explanation: &Option<Explanation>, signature: &str) -> bool {
    explanation
        .as_ref()
        .and_then(|e| e.diagnosis.as_ref())
        .is_none_or(|(expected, _)| expected == signature)
}

/// The request with the form body, if there is one.
fn with_body<'a>(request: Request<'a>, body: Option<&'a str>) -> Request<'a> {
    match body {
        Some(b) => request.form_body(b.as_bytes()),
        None => request,
    }
}

/// One sentence saying which mistake, if any, reproduces the expected signature.
fn verdict(expected: &str, signature: &str, attempts: &[Attempt]) -> String {
    if expected == signature {
        return "the expected signature is the correct one for this request: no mistake".to_owned();
    }
    let found: Vec<&str> = attempts
        .iter()
        .filter(|a| a.signature.as_deref() == Some(expected))
        .map(|a| a.mistake)
        .collect();
    if found.is_empty() {
        "none of the usual mistakes reproduces the expected signature (check the URL, method, \
         parameters, nonce, timestamp and secrets)"
            .to_owned()
    } else {
        format!(
            "the expected signature is reproduced by: {}",
            found.join("; ")
        )
    }
}

/// A signature as given: base64, or percent-encoded as it appears in a header.
fn decode_signature(given: &str) -> String {
    if given.contains('%') {
        oauth1_sign::decode(given).unwrap_or_else(|_| given.to_owned())
    } else {
        given.to_owned()
    }
}

/// Sorts normalized `name=value` pairs by their decoded bytes (the mistake), name then value.
fn raw_byte_sort(parameters: &[String]) -> Vec<String> {
    /// A parameter's decoded name and value, then the parameter as normalized.
    type Keyed<'a> = ((Vec<u8>, Vec<u8>), &'a String);
    let mut keyed: Vec<Keyed<'_>> = parameters
        .iter()
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            ((percent_decode(name), percent_decode(value)), p)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, p)| p.clone()).collect()
}

/// Decodes `%XX` escapes to bytes (the normalized form has no `+`).
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| char::from(b).to_digit(16)),
                bytes.get(i + 2).and_then(|&b| char::from(b).to_digit(16)),
            )
        {
            // Two hex digits make at most 255.
            out.push(u8::try_from(h * 16 + l).unwrap_or(u8::MAX));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
