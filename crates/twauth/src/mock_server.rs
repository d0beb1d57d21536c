//! `twauth mock-server [--port N] [--consent page|approve|deny]`: the demo world of the fake X
//! in the foreground, with its apps' and users' (made-up) credentials printed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use twitter_auth_mock::{Consent, MockConfig, MockX};

/// Options.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// What the authorize pages do: show a consent page a browser can use, or approve or deny
    /// at once.
    #[arg(long, value_enum, default_value_t = ConsentArg::Page)]
    consent: ConsentArg,
}

/// `--consent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ConsentArg {
    /// A consent page with Authorize and Cancel buttons.
    Page,
    /// Approve at once (redirect to the callback).
    Approve,
    /// Deny at once.
    Deny,
}

impl From<ConsentArg> for Consent {
    fn from(consent: ConsentArg) -> Self {
        match consent {
            ConsentArg::Page => Self::Page,
            ConsentArg::Approve => Self::Approve,
            ConsentArg::Deny => Self::Deny,
        }
    }
}

/// Runs the command: serves until the process is killed.
pub(crate) fn run(args: &Args) -> ExitCode {
    let consent = Consent::from(args.consent);
    let config = MockConfig {
        consent,
        ..MockConfig::default()
    };
    let port = args.port;
    let x = match MockX::start_on(SocketAddr::from(([127, 0, 0, 1], port)), config) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("twauth: cannot listen on 127.0.0.1:{port}: {e}");
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
    // Stdout may be a pipe (block-buffered): make sure a reader sees all of the above now.
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
