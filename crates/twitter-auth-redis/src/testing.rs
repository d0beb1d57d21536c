//! A real `redis-server` for tests: started on a free loopback port with a temporary directory,
//! stopped (and the directory removed) on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` process of the test's own.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    aof: bool,
}

impl RedisServer {
    /// Starts one, with AOF (`appendfsync always`) if `aof`. `None` (after a notice on stderr)
    /// when `redis-server` is not installed, unless `TWITTER_AUTH_REQUIRE_REDIS=1`, which makes
    /// that a panic (CI sets it).
    ///
    /// # Panics
    ///
    /// If the server does not start, or is missing while required.
    #[must_use]
    pub fn start(aof: bool) -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("TWITTER_AUTH_REQUIRE_REDIS").is_none_or(|v| v != "1"),
                "redis-server is required (TWITTER_AUTH_REQUIRE_REDIS=1) but not installed"
            );
            eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "twitter-auth-redis-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).expect("a temp dir for redis");
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            aof,
        };
        server.spawn(None);
        Some(server)
    }

    fn spawn(&mut self, port: Option<u16>) {
        let port = port.unwrap_or_else(|| {
            TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port()
        });
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--daemonize", "no", "--protected-mode", "yes"])
            .args(["--appendonly", if self.aof { "yes" } else { "no" }])
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        self.port = port;
        // Ready means answering PING: a restarted server listens while it still loads its AOF,
        // and answers every command with `LOADING` until it is done.
        let start = Instant::now();
        while !Self::answers_ping(port) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not become ready"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn answers_ping(port: u16) -> bool {
        let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
            return false;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
            return false;
        };
        redis::cmd("PING")
            .query::<String>(&mut conn)
            .is_ok_and(|pong| pong == "PONG")
    }

    /// `redis://127.0.0.1:<port>/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (`SIGKILL`): nothing it had not written to its AOF survives.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory (its AOF, if any, is read back).
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.spawn(Some(port));
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}
