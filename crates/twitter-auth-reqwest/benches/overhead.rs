//! What the authenticated client costs over plain reqwest: the same signed
//! `GET /1.1/account/verify_credentials.json` to the mock X on loopback, sent in batches of
//! [`BATCH`] sequential requests on one keep-alive connection per side. The goal:
//! signing and authentication cost under 5 % of throughput.
//!
//! - `adapter/overhead/plain-reqwest`: a plain `reqwest::Client` (configured as the adapter's
//!   own: no redirects, connect timeout 10 s, timeout 30 s) sends each request with an
//!   `Authorization` header signed before the timer starts. The mock refuses a nonce seen twice,
//!   so a batch gets [`BATCH`] distinct headers, signed (untimed) with the mock's clock right
//!   before it runs.
//! - `adapter/overhead/reqwest-adapter-oauth1`: `ApiClient::send` with an OAuth 1.0a
//!   credential, which signs every request with a fresh nonce inside the timer.
//!
//! Both sides build each request from the URL string inside the timer, as a caller would
//! (`client.get(url)` and `http::Request::get(url)`), read the whole body, check for `200`
//! (a bench must not time refusals), and run on one current-thread tokio runtime. One criterion
//! iteration is one batch (`Throughput::Elements(BATCH)`), [`SAMPLES`] samples each, so every
//! side sends at least 10 × [`BATCH`] = 10,000 measured requests.
//!
//! Criterion runs the two functions one after the other; under `cargo bench` an interleaved
//! run follows ([`ROUNDS`] × [`BATCH`] = 10,000 requests per side, alternating which side goes
//! first) and prints one summary line to stderr: both rates and the overhead
//! `(1 − adapter rate / plain rate) × 100`. `cargo xtask bench` reports criterion's numbers in
//! its "adapter overhead" section.
//!
//! The adapter adds a fixed CPU cost per request (about 3 µs of client CPU on the 2-vCPU dev
//! VM, most of it signing with caches cold after the kernel's network path), so the
//! percentage depends on how long the round trip itself takes. On a VM whose vCPUs go idle
//! between requests, waking them dominates (about 85 µs per request there, overhead about
//! 2–3 %); with the CPUs kept busy (a concurrent build, or a `nice 19` spinner) the same
//! round trip takes about 33 µs and the overhead reads about 6–9 %. Read the overhead with the
//! plain rate beside it.

//!
//! # The adapter's own cost, without the round trip's noise
//!
//! With `OVERHEAD_PROBE` set, the binary skips criterion and runs a probe against an in-process
//! responder (a thread on `127.0.0.1` that answers every request with the same `200`, on one
//! keep-alive connection), so nothing but the two clients differs between the sides:
//!
//! - `OVERHEAD_PROBE=plain:N` / `adapter:N`: N sequential requests through one side. Run under
//!   `valgrind --tool=callgrind` with N and 2N, the difference divided by N is that side's
//!   instructions per request (the responder's work is the same on both sides and cancels in
//!   adapter − plain). Both sides sign N headers first, untimed, with the same signer, so that
//!   too cancels; the adapter then signs each request again inside its own path.
//! - `OVERHEAD_PROBE=allocs:N`: heap allocations (and bytes) per request on each side,
//!   printed as `allocs <side> <count> <bytes>`.
//! - `OVERHEAD_PROBE=time:R`: R rounds of one batch per side, alternating which goes first;
//!   prints `round <r> <side> <wall ns per request>` and `cpu <r> <side> <client-thread CPU ns
//!   per request>` lines. `cargo xtask bench` runs it pinned to one CPU (`taskset -c 0`) and
//!   reports the median per-round CPU difference (the adapter's own µs per request) beside the
//!   pinned and the unpinned round trips.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::runtime::Runtime;
use twitter_auth_core::api::Credential;
use twitter_auth_core::oauth1::UserSigner;
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::{Endpoints, HttpRequest, http};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX, RateLimits};
use twitter_auth_reqwest::{ApiClient, Transport};

// Counts heap allocations for `OVERHEAD_PROBE=allocs:N` (both sides pay the same counters).
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// The protected resource, under the API base.
const PATH: &str = "1.1/account/verify_credentials.json";

/// Requests per criterion iteration (and per interleaved round).
const BATCH: u64 = 1_000;

/// Criterion samples per function: at least this many batches are measured.
const SAMPLES: usize = 10;

/// Rounds of the interleaved summary: `ROUNDS × BATCH` requests per side.
const ROUNDS: u64 = 10;

/// The goal for the overhead, in percent.
const GOAL_PERCENT: f64 = 5.0;

/// The mock, one runtime, and the two clients under test.
struct Bench {
    mock: MockX,
    runtime: Runtime,
    url: String,
    /// Signs the plain side's headers (outside the timer).
    signer: UserSigner,
    plain: reqwest::Client,
    api: ApiClient,
    /// Requests sent by either side, for the final check against the mock's counters.
    sent: Cell<u64>,
}

impl Bench {
    fn new() -> Self {
        let mock = MockX::start(MockConfig {
            rate_limits: RateLimits::unlimited(),
            ..MockConfig::default()
        })
        .expect("the mock starts");
        let app = mock.config().app(DEMO_WEB_APP).expect("the demo web app");
        let owner = &app.user_tokens[0];
        let signer = twitter_auth_core::oauth1::App::new(
            ConsumerKey::new(app.consumer_key.clone()),
            ConsumerSecret::new(app.consumer_secret.clone()),
        )
        .signer(&TokenCredentials::new(
            Token::new(owner.token.clone()),
            TokenSecret::new(owner.secret.clone()),
        ));
        let endpoints = Endpoints::local(mock.base_url()).expect("the mock's URL is loopback");
        let url = endpoints.api_url(PATH).to_string();
        // The same settings as `twitter_auth_reqwest::Transport::new`.
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the TLS backend initializes");
        let api = ApiClient::new(
            Transport::new(),
            &endpoints,
            Credential::OAuth1(signer.clone()),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the runtime starts");
        Self {
            mock,
            runtime,
            url,
            signer,
            plain,
            api,
            sent: Cell::new(0),
        }
    }

    /// `n` distinct signed `Authorization` headers, timestamped with the mock's clock now.
    fn headers(&self, n: u64) -> Vec<HeaderValue> {
        let now = UNIX_EPOCH + Duration::from_secs(self.mock.now());
        (0..n)
            .map(|_| {
                let mut request = get(&self.url);
                self.signer
                    .sign(&mut request, now, &mut rand::rng())
                    .expect("the demo credentials sign");
                request
                    .headers_mut()
                    .remove(AUTHORIZATION)
                    .expect("signing sets Authorization")
            })
            .collect()
    }

    /// Sends `n` requests with plain reqwest and precomputed headers; times the sending only.
    fn plain(&self, n: u64) -> Duration {
        let headers = self.headers(n);
        self.sent.set(self.sent.get() + n);
        let started = Instant::now();
        self.runtime.block_on(async {
            for header in headers {
                let response = self
                    .plain
                    .get(&self.url)
                    .header(AUTHORIZATION, header)
                    .send()
                    .await
                    .expect("the mock answers");
                let status = response.status();
                let body = response.bytes().await.expect("the body is read");
                check(status, &body);
                black_box(body);
            }
        });
        started.elapsed()
    }

    /// Sends `n` requests through the adapter, which signs each one.
    fn adapter(&self, n: u64) -> Duration {
        self.sent.set(self.sent.get() + n);
        let started = Instant::now();
        self.runtime.block_on(async {
            for _ in 0..n {
                let answer = self
                    .api
                    .send(get(&self.url))
                    .await
                    .expect("the mock answers");
                check(answer.status(), answer.body());
                black_box(answer);
            }
        });
        started.elapsed()
    }
}

/// `GET url` with an empty body.
fn get(url: &str) -> HttpRequest {
    http::Request::get(url)
        .body(Vec::new())
        .expect("a valid request")
}

/// Panics unless the mock accepted the request.
fn check(status: http::StatusCode, body: &[u8]) {
    assert_eq!(
        status,
        http::StatusCode::OK,
        "the signed request should verify: {}",
        String::from_utf8_lossy(body)
    );
}

/// Requests per second.
fn rate(requests: u64, time: Duration) -> f64 {
    requests as f64 / time.as_secs_f64()
}

/// `(1 − adapter / plain) × 100`: how much throughput the adapter costs, in percent.
fn overhead(plain: f64, adapter: f64) -> f64 {
    (1.0 - adapter / plain) * 100.0
}

/// [`ROUNDS`] rounds of one batch per side, alternating which side goes first; prints both
/// rates and the overhead on one line to stderr.
fn interleaved_summary(bench: &Bench) {
    let (mut plain, mut adapter) = (Duration::ZERO, Duration::ZERO);
    let (mut lowest, mut highest) = (f64::INFINITY, f64::NEG_INFINITY);
    for round in 0..ROUNDS {
        let (p, a) = if round % 2 == 0 {
            let p = bench.plain(BATCH);
            (p, bench.adapter(BATCH))
        } else {
            let a = bench.adapter(BATCH);
            (bench.plain(BATCH), a)
        };
        plain += p;
        adapter += a;
        let this = overhead(rate(BATCH, p), rate(BATCH, a));
        lowest = lowest.min(this);
        highest = highest.max(this);
    }
    let n = ROUNDS * BATCH;
    let (plain, adapter) = (rate(n, plain), rate(n, adapter));
    let overhead = overhead(plain, adapter);
    eprintln!(
        "adapter/overhead, interleaved, {n} requests per side: plain-reqwest {plain:.0} req/s, \
         reqwest-adapter-oauth1 {adapter:.0} req/s, overhead {overhead:.1} % \
         (rounds {lowest:.1} to {highest:.1} %; goal < {GOAL_PERCENT} %: {})",
        if overhead < GOAL_PERCENT {
            "met"
        } else {
            "NOT met"
        }
    );
}

fn adapter_overhead(c: &mut Criterion) {
    let bench = Bench::new();
    // One of each before timing: both connections open, both sides verified.
    bench.plain(1);
    bench.adapter(1);

    let ran = Cell::new(false);
    let mut g = c.benchmark_group("adapter/overhead");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(SAMPLES);
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("plain-reqwest", |b| {
        ran.set(true);
        b.iter_custom(|batches| (0..batches).map(|_| bench.plain(BATCH)).sum());
    });
    g.bench_function("reqwest-adapter-oauth1", |b| {
        ran.set(true);
        b.iter_custom(|batches| (0..batches).map(|_| bench.adapter(BATCH)).sum());
    });
    g.finish();

    // Only when measuring: not under `--test` (`cargo test --benches`, or `cargo bench -- --test`)
    // nor when a filter skipped the group.
    let measuring =
        std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--test");
    if ran.get() && measuring {
        interleaved_summary(&bench);
    }

    let counters = bench.mock.counters();
    assert_eq!(counters.rejected_signatures, 0);
    assert_eq!(
        counters.requests_to(&format!("/{PATH}")),
        bench.sent.get(),
        "every request reached the mock once (no retries)"
    );
}

criterion_group!(benches, adapter_overhead);

fn main() {
    if let Ok(probe) = std::env::var("OVERHEAD_PROBE") {
        probe::run(&probe);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// The in-process probe (see the module docs).
mod probe {
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;
    use std::time::{Duration, Instant, UNIX_EPOCH};

    use reqwest::header::{AUTHORIZATION, HeaderValue};
    use twitter_auth_core::Endpoints;
    use twitter_auth_core::api::Credential;
    use twitter_auth_core::oauth1::UserSigner;
    use twitter_auth_core::oauth1_sign::{
        ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
    };
    use twitter_auth_reqwest::{ApiClient, Transport};

    use super::{PATH, get};

    /// What the responder answers, always.
    const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
        content-length: 2\r\n\r\n{}";

    /// Serves `ANSWER` to every request on every connection, forever (the probe exits).
    fn responder() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a local address");
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut have = 0;
                    loop {
                        let Ok(n) = stream.read(&mut buf[have..]) else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        have += n;
                        // Requests are GETs without a body: each ends with an empty line.
                        while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n")
                        {
                            if stream.write_all(ANSWER).is_err() {
                                return;
                            }
                            buf.copy_within(end + 4..have, 0);
                            have -= end + 4;
                        }
                    }
                });
            }
        });
        format!("http://{addr}")
    }

    struct Sides {
        runtime: tokio::runtime::Runtime,
        url: String,
        signer: UserSigner,
        plain: reqwest::Client,
        api: ApiClient,
    }

    impl Sides {
        fn new() -> Self {
            let base = responder();
            let signer = twitter_auth_core::oauth1::App::new(
                ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
                ConsumerSecret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            )
            .signer(&TokenCredentials::new(
                Token::new("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
                TokenSecret::new("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
            ));
            let endpoints = Endpoints::local(&base).expect("a loopback base");
            let url = endpoints.api_url(PATH).to_string();
            // The same settings as `twitter_auth_reqwest::Transport::new`.
            let plain = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build()
                .expect("the TLS backend initializes");
            let api = ApiClient::new(
                Transport::new(),
                &endpoints,
                Credential::OAuth1(signer.clone()),
            );
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the runtime starts");
            Self {
                runtime,
                url,
                signer,
                plain,
                api,
            }
        }

        /// `n` signed headers (both sides make them, so their cost cancels).
        fn headers(&self, n: u64) -> Vec<HeaderValue> {
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            (0..n)
                .map(|_| {
                    let mut request = get(&self.url);
                    self.signer
                        .sign(&mut request, now, &mut rand::rng())
                        .expect("signs");
                    request
                        .headers_mut()
                        .remove(AUTHORIZATION)
                        .expect("signing sets Authorization")
                })
                .collect()
        }

        fn plain(&self, headers: Vec<HeaderValue>) {
            self.runtime.block_on(async {
                for header in headers {
                    let response = self
                        .plain
                        .get(&self.url)
                        .header(AUTHORIZATION, header)
                        .send()
                        .await
                        .expect("the responder answers");
                    assert_eq!(response.status(), 200);
                    std::hint::black_box(response.bytes().await.expect("the body is read"));
                }
            });
        }

        fn adapter(&self, n: u64) {
            self.runtime.block_on(async {
                for _ in 0..n {
                    let answer = self
                        .api
                        .send(get(&self.url))
                        .await
                        .expect("the responder answers");
                    assert_eq!(answer.status(), 200);
                    std::hint::black_box(answer);
                }
            });
        }
    }

    pub(super) fn run(spec: &str) {
        let (what, n) = spec.split_once(':').unwrap_or((spec, "1000"));
        let n: u64 = n.parse().expect("OVERHEAD_PROBE=<plain|adapter|time>:<N>");
        let sides = Sides::new();
        // One of each first: both connections open.
        sides.plain(sides.headers(1));
        sides.adapter(1);
        match what {
            "plain" => {
                let headers = sides.headers(n);
                sides.plain(headers);
            }
            "adapter" => {
                drop(sides.headers(n));
                sides.adapter(n);
            }
            "time" => {
                const BATCH: u64 = 200;
                for round in 0..n {
                    for k in 0..2 {
                        let (side, headers) = if (round + k) % 2 == 0 {
                            ("plain", sides.headers(BATCH))
                        } else {
                            drop(sides.headers(BATCH));
                            ("adapter", Vec::new())
                        };
                        let (cpu, start) = (thread_cpu_ns(), Instant::now());
                        if side == "plain" {
                            sides.plain(headers);
                        } else {
                            sides.adapter(BATCH);
                        }
                        let wall = start.elapsed().as_secs_f64() * 1e9 / BATCH as f64;
                        println!("round {round} {side} {wall:.1}");
                        if let (Some(before), Some(after)) = (cpu, thread_cpu_ns()) {
                            let cpu = after.saturating_sub(before) as f64 / BATCH as f64;
                            println!("cpu {round} {side} {cpu:.1}");
                        }
                    }
                }
            }
            "allocs" => {
                let headers = sides.headers(n);
                let region = stats_alloc::Region::new(super::GLOBAL);
                sides.plain(headers);
                let plain = region.change();
                drop(sides.headers(n));
                let region = stats_alloc::Region::new(super::GLOBAL);
                sides.adapter(n);
                let adapter = region.change();
                for (side, stats) in [("plain", plain), ("adapter", adapter)] {
                    let count = (stats.allocations + stats.reallocations) as f64 / n as f64;
                    let bytes = stats.bytes_allocated as f64 / n as f64;
                    println!("allocs {side} {count:.2} {bytes:.0}");
                }
            }
            other => panic!("unknown probe {other}"),
        }
    }

    /// The CPU time this thread has run, in ns (Linux's scheduler statistics; `None`
    /// elsewhere). The client runs on this thread alone (a current-thread runtime, its
    /// connection task included) and the responder on others, so the difference between the
    /// sides is the adapter's own work, without the round trip's wake-up noise. Read right
    /// after a request completes, it is current to within the last wake-up.
    fn thread_cpu_ns() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }
}
