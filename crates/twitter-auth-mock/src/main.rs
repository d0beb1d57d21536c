//! `twitter-auth-mock [--port N] [--consent page|approve|deny]`: the demo world of the fake X
//! server in the foreground, with its credentials printed.

use std::net::SocketAddr;
use std::process::ExitCode;

use twitter_auth_mock::{Consent, MockConfig, MockX};

const USAGE: &str = "usage: twitter-auth-mock [--port N] [--consent page|approve|deny]";

fn main() -> ExitCode {
    let mut port = 0u16;
    let mut consent = Consent::Page;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next());
        match name.as_str() {
            "--port" => match value().and_then(|v| v.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port takes a number"),
            },
            "--consent" => match value().as_deref() {
                Some("page") => consent = Consent::Page,
                Some("approve") => consent = Consent::Approve,
                Some("deny") => consent = Consent::Deny,
                _ => return usage("--consent takes page, approve or deny"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let config = MockConfig {
        consent,
        ..MockConfig::default()
    };
    let x = match MockX::start_on(SocketAddr::from(([127, 0, 0, 1], port)), config) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("twitter-auth-mock: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("fake X listening on {}", x.base_url());
    println!("consent: {consent:?}");
    for app in &x.config().apps {
        println!("\napp {:?} (owner {})", app.name, app.owner);
        println!("  consumer key     {}", app.consumer_key);
        println!("  consumer secret  {}", app.consumer_secret);
        if let Some(id) = app.client_id() {
            println!("  client id        {id}");
        }
        match app.client_secret() {
            Some(secret) => println!("  client secret    {secret}  (confidential client)"),
            None if app.oauth2.is_some() => println!("  client secret    none (public client)"),
            None => {}
        }
        for token in &app.user_tokens {
            println!(
                "  access token     {}  (user {})",
                token.token, token.user_id
            );
            println!("  token secret     {}", token.secret);
        }
        println!("  callbacks        {}", app.callbacks.join(" "));
    }
    println!("\nusers:");
    for user in &x.config().users {
        println!("  {} @{} ({})", user.id, user.username, user.name);
    }
    println!("\nthese are made-up demo credentials; press Ctrl-C to stop");
    loop {
        std::thread::park();
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("twitter-auth-mock: {problem}\n{USAGE}");
    ExitCode::from(2)
}
