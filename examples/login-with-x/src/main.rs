//! `cargo run -p login-with-x`: serves the app. With no `X_CLIENT_ID`/`X_CLIENT_SECRET` in the
//! environment or `.env`, it starts the fake X in-process, so it runs with no credentials.

use login_with_x::{Config, XApp};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let mock = matches!(config.x, XApp::Mock);
    let running = login_with_x::serve(listener, config)?;
    if let (true, Some(x)) = (mock, running.mock()) {
        eprintln!(
            "No X_CLIENT_ID/X_CLIENT_SECRET: logging in with the embedded fake X at {} \
             (click Authorize on its consent page to log in as @mock_alice)",
            x.base_url()
        );
    }
    eprintln!("login-with-x: open {}", running.url());
    std::future::pending::<()>().await;
    Ok(())
}
