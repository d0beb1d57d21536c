//! A worker process for the cross-process refresh test: makes N `GET /2/users/me` calls through
//! the blocking adapter as the user `KEY`, sharing one `FileStore` directory with its siblings.
//!
//! `store-worker BASE_URL STORE_DIR KEY CLIENT_ID CLOCK_OFFSET_SECS N [--wait]`; exits 0 when
//! every answer was 200, 1 otherwise (printing what went wrong), 2 on bad arguments.
//!
//! With `--wait` it is one runner of a start barrier: once its API client is loaded it prints
//! `ready` on stdout, then waits for one line on stdin before its first call, so a parent can
//! release every worker at once and make them contend for the refresh.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::App as OAuth2Client;
use twitter_auth_core::{ClientId, Endpoints};
use twitter_auth_std::{Clock, FileStore};
use twitter_auth_ureq::{Grants, Transport};

/// The system clock moved by the mock's offset, so this process agrees with the mock.
#[derive(Debug)]
struct OffsetClock(u64);

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0)
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let wait = args.last().is_some_and(|last| last == "--wait");
    if wait {
        args.pop();
    }
    let [base, store, key, client_id, offset, n] = args.as_slice() else {
        eprintln!(
            "usage: store-worker BASE_URL STORE_DIR KEY CLIENT_ID CLOCK_OFFSET_SECS N [--wait]"
        );
        return ExitCode::from(2);
    };
    let Ok(key) = UserKey::new(key.clone()) else {
        eprintln!("store-worker: KEY is 1 to 1024 bytes");
        return ExitCode::from(2);
    };
    let (Ok(offset), Ok(n)) = (offset.parse::<u64>(), n.parse::<u32>()) else {
        eprintln!("store-worker: CLOCK_OFFSET_SECS and N are numbers");
        return ExitCode::from(2);
    };
    let Ok(endpoints) = Endpoints::local(base) else {
        eprintln!("store-worker: {base} is not a loopback URL");
        return ExitCode::from(2);
    };
    let transport = Transport::new().with_clock(Arc::new(OffsetClock(offset)));
    let oauth2 = OAuth2Client::public(ClientId::new(client_id.clone())).with_endpoints(endpoints);
    let grants = Grants::new(transport, oauth2, Arc::new(FileStore::new(store)));
    let api = match grants.api(&key) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("store-worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    if wait && !barrier() {
        eprintln!("store-worker: the start signal never came (stdin closed)");
        return ExitCode::FAILURE;
    }
    let url = api.endpoints().api_url("2/users/me");
    for i in 0..n {
        let request = http::Request::get(url.as_str())
            .body(Vec::new())
            .expect("a valid request");
        match api.send(request) {
            Ok(answer) if answer.status() == 200 => {}
            Ok(answer) => {
                eprintln!(
                    "store-worker: request {i} answered {}: {}",
                    answer.status(),
                    String::from_utf8_lossy(answer.body())
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("store-worker: request {i} failed: {e} ({e:?})");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Prints `ready`, then waits for one line on stdin; `false` if stdout or stdin failed.
fn barrier() -> bool {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "ready")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    matches!(std::io::stdin().lock().read_line(&mut line), Ok(n) if n > 0)
}
