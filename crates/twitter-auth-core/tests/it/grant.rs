//! `grant`: the keyed-grant machine ([`GrantTask`]) driven against an in-memory fake store (a
//! map and a lease with a fence and an expiry) and canned answers of X, one branch at a time;
//! the refresh job's schedule ([`RefreshJob`]); and a property that interleaves two tasks on
//! one store with expiring leases and failing sends.
//!
//! Expected values come from the module's crash-safety rules (lease → load/settle → intent →
//! send → fenced save or salvage → release), RFC 6749 §6 and X's contract (§4.6 refresh, §4.7
//! revoke), never from running the machine.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use twitter_auth_core::grant::{
    GrantError, GrantOutcome, GrantSettings, GrantTask, JobNext, KeyResult, Loaded, LoginRequired,
    MAX_KEY_LEN, Next, RefreshJob, RefreshReason, Saved, SendFailure, StoreFailed, StoredGrant,
    UserKey,
};
use twitter_auth_core::oauth2::{App, Scopes, TokenSet};
use twitter_auth_core::{AccessToken, ClientId, Error, HttpRequest, HttpResponse, RefreshToken};

const T0: u64 = 1_700_000_000;
const CLIENT_ID: &str = "rG9n6402A3dbUJKzXTNX4oWHJ";
const SCOPES: &str = "tweet.read users.read offline.access";
/// X's answer to a refresh token it already spent (or never issued).
const SPENT: &str =
    r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#;

/// The tests' monotonic origin: the machine reads no clock, the tests hand it instants from
/// here on.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0)
}

fn key(k: &str) -> UserKey {
    UserKey::new(k).expect("a valid key")
}

fn client() -> App {
    App::public(ClientId::new(CLIENT_ID))
}

/// A token set; `expires_in` is seconds from `T0` (negative: already expired).
fn set(access: &str, refresh: Option<&str>, expires_in: Option<i64>) -> TokenSet {
    TokenSet::from_parts(
        AccessToken::new(access),
        refresh.map(RefreshToken::new),
        Scopes::parse(SCOPES),
        expires_in.map(|secs| crate::support::secs(T0.saturating_add_signed(secs))),
    )
    .expect("a valid token set")
}

fn grant(
    k: &str,
    generation: u64,
    access: &str,
    refresh: Option<&str>,
    expires_in: i64,
) -> StoredGrant {
    StoredGrant::new(key(k), set(access, refresh, Some(expires_in)), generation)
}

/// `grant` as a store would hold it after a crash between the intent and the answer.
fn with_intent(grant: &StoredGrant, fence: u64) -> StoredGrant {
    let mut json = serde_json::to_value(grant).expect("serializes");
    json["refreshing"] = serde_json::json!({ "fence": fence, "at": T0 - 5 });
    serde_json::from_value(json).expect("a grant with an intent")
}

/// `grant` marked lost.
fn lost(grant: &StoredGrant, reason: &str) -> StoredGrant {
    let mut json = serde_json::to_value(grant).expect("serializes");
    json["lost"] = serde_json::Value::from(reason);
    serde_json::from_value(json).expect("a lost grant")
}

fn access(grant: &StoredGrant) -> &str {
    grant.tokens().access_token().secret()
}

fn refresh(grant: &StoredGrant) -> Option<&str> {
    grant.tokens().refresh_token().map(RefreshToken::secret)
}

fn respond(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("a response")
}

fn issued(access: &str, refresh: &str, expires_in: u64) -> String {
    format!(
        r#"{{"token_type":"bearer","expires_in":{expires_in},"access_token":"{access}","scope":"{SCOPES}","refresh_token":"{refresh}"}}"#
    )
}

/// The form body of a refresh from `refresh_token` by the public client (contract §4.6).
fn refresh_body(refresh_token: &str) -> String {
    format!("refresh_token={refresh_token}&grant_type=refresh_token&client_id={CLIENT_ID}")
}

/// The form body of a revocation by the public client (contract §4.7).
fn revoke_body(token: &str, hint: &str) -> String {
    format!("token={token}&token_type_hint={hint}&client_id={CLIENT_ID}")
}

// ---------------------------------------------------------------------------------------------
// The fake store

/// Grants, salvage places and leases of many keys; what every real store promises, in a map.
#[derive(Debug, Default)]
struct Store {
    grants: HashMap<UserKey, StoredGrant>,
    salvage: HashMap<UserKey, StoredGrant>,
    /// Per key: the fence of the lease held and when it expires (`None`: never).
    leases: HashMap<UserKey, (u64, Option<Instant>)>,
    fences: u64,
}

impl Store {
    fn with(grants: impl IntoIterator<Item = StoredGrant>) -> Self {
        let mut store = Self::default();
        for grant in grants {
            store.grants.insert(grant.key().clone(), grant);
        }
        store
    }

    fn try_lease(&mut self, key: &UserKey, ttl: Option<Duration>, now: Instant) -> Option<u64> {
        if let Some(&(_, until)) = self.leases.get(key)
            && until.is_none_or(|until| until > now)
        {
            return None;
        }
        self.fences += 1;
        self.leases
            .insert(key.clone(), (self.fences, ttl.map(|ttl| now + ttl)));
        Some(self.fences)
    }

    fn holds(&self, key: &UserKey, fence: u64, now: Instant) -> bool {
        matches!(self.leases.get(key), Some(&(held, until))
            if held == fence && until.is_none_or(|until| until > now))
    }

    fn release(&mut self, key: &UserKey, fence: u64) {
        if self.leases.get(key).is_some_and(|&(held, _)| held == fence) {
            self.leases.remove(key);
        }
    }

    fn generation(&self, key: &UserKey) -> Option<u64> {
        self.grants.get(key).map(StoredGrant::generation)
    }

    fn load(&self, key: &UserKey) -> Loaded {
        Loaded {
            grant: self.grants.get(key).cloned(),
            salvage: self.salvage.get(key).cloned(),
        }
    }

    fn save(
        &mut self,
        fence: Option<u64>,
        now: Instant,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Saved {
        let key = grant.key();
        let held = fence.is_some_and(|fence| self.holds(key, fence, now));
        if !held || self.generation(key) != expected {
            return Saved::FencedOut;
        }
        if self
            .salvage
            .get(key)
            .is_some_and(|s| s.generation() <= grant.generation())
        {
            self.salvage.remove(key);
        }
        self.grants.insert(key.clone(), grant.clone());
        Saved::Written
    }

    fn delete(&mut self, key: &UserKey, fence: Option<u64>, now: Instant, expected: u64) -> Saved {
        let held = fence.is_some_and(|fence| self.holds(key, fence, now));
        if !held || self.generation(key) != Some(expected) {
            return Saved::FencedOut;
        }
        self.grants.remove(key);
        self.salvage.remove(key);
        Saved::Written
    }
}

// ---------------------------------------------------------------------------------------------
// The driver

/// What the driver did, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Lease,
    Busy,
    Wait(Duration),
    Load,
    Save {
        generation: u64,
        expected: Option<u64>,
        intent: bool,
        lost: Option<LoginRequired>,
        access: String,
    },
    Salvage {
        generation: u64,
    },
    Delete {
        expected: u64,
    },
    Send {
        path: String,
        body: String,
        /// Whether the store held a refresh intent when the request left.
        stored_intent: bool,
    },
    Release,
}

impl Ev {
    fn is_send(&self) -> bool {
        matches!(self, Self::Send { .. })
    }

    fn is_save(&self) -> bool {
        matches!(self, Self::Save { .. })
    }
}

struct World {
    store: Store,
    mono: Instant,
    wall: SystemTime,
}

type SaveHook = Box<dyn FnMut(&StoredGrant, &mut World) -> Option<Result<Saved, StoreFailed>>>;
type Answer = Box<dyn FnOnce(&HttpRequest, &mut World) -> Result<HttpResponse, SendFailure>>;

/// How long the leases the driver takes say they last.
#[derive(Clone, Copy, Debug)]
enum Expiry {
    /// As the task asked (a networked store).
    AsAsked,
    /// Until released (a file lock).
    Never,
    /// This long, whatever was asked.
    Fixed(Duration),
}

struct Harness {
    world: World,
    expiry: Expiry,
    lease_fails: bool,
    load_fails: bool,
    salvage_fails: bool,
    delete_fault: Option<Result<Saved, StoreFailed>>,
    on_save: SaveHook,
    answers: VecDeque<Answer>,
    log: Vec<Ev>,
    /// `task.unsaved()` when the task ended.
    unsaved: Option<StoredGrant>,
}

impl Harness {
    fn new(grants: impl IntoIterator<Item = StoredGrant>) -> Self {
        Self {
            world: World {
                store: Store::with(grants),
                mono: origin(),
                wall: wall(),
            },
            expiry: Expiry::AsAsked,
            lease_fails: false,
            load_fails: false,
            salvage_fails: false,
            delete_fault: None,
            on_save: Box::new(|_, _| None),
            answers: VecDeque::new(),
            log: Vec::new(),
            unsaved: None,
        }
    }

    /// Makes saves of grants matching `which` end in `result` instead of reaching the store.
    fn fail_saves(
        mut self,
        which: impl Fn(&StoredGrant) -> bool + 'static,
        result: Result<Saved, StoreFailed>,
    ) -> Self {
        self.on_save = Box::new(move |grant, _| which(grant).then_some(result));
        self
    }

    fn answer(
        mut self,
        answer: impl FnOnce(&HttpRequest, &mut World) -> Result<HttpResponse, SendFailure> + 'static,
    ) -> Self {
        self.answers.push_back(Box::new(answer));
        self
    }

    fn answer_with(self, status: u16, body: &str) -> Self {
        let body = body.to_owned();
        self.answer(move |_, _| Ok(respond(status, &body)))
    }

    fn fail_send(self, failure: SendFailure) -> Self {
        self.answer(move |_, _| Err(failure))
    }

    fn stored(&self, k: &str) -> Option<&StoredGrant> {
        self.world.store.grants.get(&key(k))
    }

    fn sends(&self) -> Vec<&Ev> {
        self.log.iter().filter(|e| e.is_send()).collect()
    }

    fn saves(&self) -> Vec<&Ev> {
        self.log.iter().filter(|e| e.is_save()).collect()
    }

    /// Drives `task` to its end.
    fn run(&mut self, mut task: GrantTask) -> Result<GrantOutcome, GrantError> {
        let key = task.key().clone();
        let mut fence = None;
        for _ in 0..100_000 {
            let now = self.world.mono;
            match task.poll(now) {
                Next::Lease { ttl } => {
                    self.log.push(Ev::Lease);
                    if self.lease_fails {
                        task.lease_failed();
                        continue;
                    }
                    let expires_in = match self.expiry {
                        Expiry::AsAsked => Some(ttl),
                        Expiry::Never => None,
                        Expiry::Fixed(ttl) => Some(ttl),
                    };
                    match self.world.store.try_lease(&key, expires_in, now) {
                        Some(held) => {
                            fence = Some(held);
                            task.leased(held, expires_in, now);
                            assert!(task.holds_lease());
                            assert_eq!(task.fence(), held);
                        }
                        None => {
                            self.log.push(Ev::Busy);
                            task.busy(now);
                        }
                    }
                }
                Next::Wait(wait) => {
                    self.log.push(Ev::Wait(wait));
                    self.world.mono += wait;
                }
                Next::Load => {
                    self.log.push(Ev::Load);
                    let loaded = if self.load_fails {
                        Err(StoreFailed)
                    } else {
                        Ok(self.world.store.load(&key))
                    };
                    task.loaded(loaded, self.world.wall);
                }
                Next::Save { grant, expected } => {
                    let grant = grant.clone();
                    assert_eq!(grant.key(), &key, "a save of another key");
                    self.log.push(Ev::Save {
                        generation: grant.generation(),
                        expected,
                        intent: grant.refresh_intent().is_some(),
                        lost: grant.lost(),
                        access: access(&grant).to_owned(),
                    });
                    let saved = match (self.on_save)(&grant, &mut self.world) {
                        Some(result) => result,
                        None => Ok(self
                            .world
                            .store
                            .save(fence, self.world.mono, expected, &grant)),
                    };
                    task.saved(saved, self.world.wall);
                }
                Next::Salvage { grant } => {
                    self.log.push(Ev::Salvage {
                        generation: grant.generation(),
                    });
                    if !self.salvage_fails {
                        self.world.store.salvage.insert(key.clone(), grant.clone());
                    }
                    task.salvaged(!self.salvage_fails);
                }
                Next::Delete { expected } => {
                    self.log.push(Ev::Delete { expected });
                    let deleted = match self.delete_fault {
                        Some(result) => result,
                        None => Ok(self
                            .world
                            .store
                            .delete(&key, fence, self.world.mono, expected)),
                    };
                    task.deleted(deleted);
                }
                Next::Send { request, .. } => {
                    let request = request.clone();
                    let stored_intent = self
                        .world
                        .store
                        .grants
                        .get(&key)
                        .is_some_and(|g| g.refresh_intent().is_some());
                    self.log.push(Ev::Send {
                        path: request.uri().path().to_owned(),
                        body: String::from_utf8(request.body().clone()).expect("a form body"),
                        stored_intent,
                    });
                    let answer = self
                        .answers
                        .pop_front()
                        .unwrap_or_else(|| panic!("an unexpected request: {:?}", self.log));
                    match answer(&request, &mut self.world) {
                        Ok(response) => task.answered(response, self.world.wall),
                        Err(failure) => task.send_failed(failure),
                    }
                }
                Next::Release => {
                    self.log.push(Ev::Release);
                    if let Some(held) = fence.take() {
                        self.world.store.release(&key, held);
                    }
                    task.released();
                }
                Next::Done => {
                    assert!(!task.holds_lease(), "done while holding the lease");
                    assert!(
                        self.answers.is_empty(),
                        "answers left unused: {:?}",
                        self.log
                    );
                    self.unsaved = task.unsaved().cloned();
                    return task.finish();
                }
            }
        }
        panic!("the task never ended: {:?}", self.log)
    }
}

fn refresh_if_due(k: &str) -> GrantTask {
    GrantTask::refresh_if_due(key(k), client(), GrantSettings::default())
}

fn save(generation: u64, expected: Option<u64>, intent: bool, access: &str) -> Ev {
    Ev::Save {
        generation,
        expected,
        intent,
        lost: None,
        access: access.to_owned(),
    }
}

fn send_refresh(refresh_token: &str, stored_intent: bool) -> Ev {
    Ev::Send {
        path: "/2/oauth2/token".to_owned(),
        body: refresh_body(refresh_token),
        stored_intent,
    }
}

fn login_required(result: &Result<GrantOutcome, GrantError>) -> Option<LoginRequired> {
    match result {
        Err(GrantError::Core(Error::LoginRequired { reason })) => Some(*reason),
        _ => None,
    }
}

fn outcome_grant(result: Result<GrantOutcome, GrantError>) -> (&'static str, StoredGrant) {
    match result {
        Ok(GrantOutcome::Refreshed(g)) => ("refreshed", g),
        Ok(GrantOutcome::Current(g)) => ("current", g),
        Ok(GrantOutcome::Unsaved(g)) => ("unsaved", g),
        other => panic!("no grant: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// UserKey

#[test]
fn user_keys_are_one_to_1024_bytes_of_anything() {
    assert_eq!(MAX_KEY_LEN, 1024);
    assert!(matches!(UserKey::new(""), Err(Error::InvalidKey { .. })));
    assert!(UserKey::new("x".repeat(1024)).is_ok());
    assert!(matches!(
        UserKey::new("x".repeat(1025)),
        Err(Error::InvalidKey { .. })
    ));
    // Bytes, not characters: 512 two-byte characters fit, 513 do not.
    assert!(UserKey::new("é".repeat(512)).is_ok());
    assert!(UserKey::new("é".repeat(513)).is_err());
    for odd in [
        "../x",
        "/abs",
        "a/b",
        "..",
        ".",
        "a\0b",
        "CON",
        "ユーザー",
        " ",
    ] {
        assert_eq!(key(odd).as_str(), odd);
    }
    // Serde goes through the same check.
    assert!(serde_json::from_str::<UserKey>(r#""""#).is_err());
    assert_eq!(
        serde_json::from_str::<UserKey>(r#""1072250532645998596""#).expect("a key"),
        key("1072250532645998596")
    );
}

#[test]
fn a_stored_grant_debug_never_shows_its_tokens() {
    let g = with_intent(
        &grant("u", 3, "access-secret", Some("refresh-secret"), 10),
        4,
    );
    let shown = format!("{g:?}");
    assert!(!shown.contains("access-secret"), "{shown}");
    assert!(!shown.contains("refresh-secret"), "{shown}");
    // Serde keeps everything, and round-trips.
    let back: StoredGrant =
        serde_json::from_str(&serde_json::to_string(&g).expect("serializes")).expect("parses");
    assert_eq!(back.generation(), 3);
    assert_eq!(back.refresh_intent(), g.refresh_intent());
    assert_eq!(access(&back), "access-secret");
}

// ---------------------------------------------------------------------------------------------
// Refresh: the plain paths

#[test]
fn a_fresh_grant_is_current_and_nothing_is_written_or_sent() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), 7200)]);
    let result = h.run(refresh_if_due("u"));
    let (kind, g) = outcome_grant(result);
    assert_eq!((kind, g.generation(), access(&g)), ("current", 1, "a1"));
    assert_eq!(h.log, [Ev::Lease, Ev::Load, Ev::Release]);
    assert!(h.world.store.leases.is_empty(), "the lease is released");
}

#[test]
fn a_due_grant_records_its_intent_then_sends_then_saves_the_next_generation() {
    // Due: expires within the 60 s margin.
    let mut h = Harness::new([grant("u", 3, "a1", Some("r1"), 30)])
        .answer_with(200, &issued("a2", "r2", 7200));
    let result = h.run(refresh_if_due("u"));
    let (kind, g) = outcome_grant(result);
    assert_eq!(kind, "refreshed");
    assert_eq!(
        (g.generation(), access(&g), refresh(&g)),
        (4, "a2", Some("r2"))
    );
    assert_eq!(g.expires_at(), Some(crate::support::secs(T0 + 7200)));
    assert!(g.refresh_intent().is_none());
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            // The intent, fenced on the stored generation, before anything leaves.
            save(3, Some(3), true, "a1"),
            send_refresh("r1", true),
            // The new set: one generation up, compare-and-swap on the one it came from.
            save(4, Some(3), false, "a2"),
            Ev::Release,
        ]
    );
    let stored = h.stored("u").expect("stored");
    assert_eq!((stored.generation(), access(stored)), (4, "a2"));
    assert!(stored.refresh_intent().is_none());
    assert!(h.world.store.leases.is_empty());
    assert!(h.unsaved.is_none());
}

#[test]
fn the_intent_carries_the_fence_of_the_lease_it_was_sent_under() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    // A lease was taken (and expired) before: fences grow.
    h.world.store.fences = 41;
    let seen = std::rc::Rc::new(std::cell::Cell::new(None));
    let saw = std::rc::Rc::clone(&seen);
    h = h.answer(move |_, world| {
        saw.set(world.store.grants[&key("u")].refresh_intent());
        Err(SendFailure::Unknown)
    });
    let _ = h.run(refresh_if_due("u"));
    let intent = seen.get().expect("an intent was stored before the send");
    assert_eq!(intent.fence, 42);
    assert_eq!(intent.at, crate::support::secs(T0));
}

#[test]
fn an_expired_grant_is_refreshed_and_a_missing_expiry_counts_as_due() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -3600)])
        .answer_with(200, &issued("a2", "r2", 7200));
    assert_eq!(outcome_grant(h.run(refresh_if_due("u"))).0, "refreshed");
    // No expires_at and a refresh token: refreshed on next use (like xurl).
    let unknown = StoredGrant::new(key("v"), set("b1", Some("s1"), None), 1);
    let mut h = Harness::new([unknown]).answer_with(200, &issued("b2", "s2", 7200));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("v")));
    assert_eq!((kind, g.generation()), ("refreshed", 2));
}

#[test]
fn x_omitting_the_refresh_token_keeps_the_old_one() {
    // RFC 6749 §6: the client keeps its refresh token unless a new one is issued.
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer_with(
        200,
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"a2"}"#,
    );
    let (_, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((access(&g), refresh(&g)), ("a2", Some("r1")));
    assert_eq!(refresh(h.stored("u").expect("stored")), Some("r1"));
}

#[test]
fn replace_refreshes_a_fresh_set_unless_the_store_is_newer() {
    let replace = |generation| {
        GrantTask::refresh(
            key("u"),
            RefreshReason::Replace { generation },
            client(),
            GrantSettings::default(),
        )
    };
    // X refused generation 2's access token: refresh it although it looks fresh.
    let mut h = Harness::new([grant("u", 2, "a2", Some("r2"), 7200)])
        .answer_with(200, &issued("a3", "r3", 7200));
    let (kind, g) = outcome_grant(h.run(replace(2)));
    assert_eq!((kind, g.generation()), ("refreshed", 3));
    // The caller held generation 1; the store already has 2: use it, spend nothing.
    let mut h = Harness::new([grant("u", 2, "a2", Some("r2"), 7200)]);
    let (kind, g) = outcome_grant(h.run(replace(1)));
    assert_eq!((kind, g.generation(), access(&g)), ("current", 2, "a2"));
    assert!(h.sends().is_empty() && h.saves().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Refresh: nothing may be spent when the store cannot follow

#[test]
fn a_failed_intent_save_sends_nothing() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
        .fail_saves(|g| g.refresh_intent().is_some(), Err(StoreFailed));
    let result = h.run(refresh_if_due("u"));
    assert!(matches!(result, Err(GrantError::Store)), "{result:?}");
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(1, Some(1), true, "a1"),
            Ev::Release
        ]
    );
    let stored = h.stored("u").expect("untouched");
    assert!(stored.refresh_intent().is_none());
}

#[test]
fn a_fenced_out_intent_sends_nothing() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
        .fail_saves(|g| g.refresh_intent().is_some(), Ok(Saved::FencedOut));
    let result = h.run(refresh_if_due("u"));
    assert!(
        matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
        "{result:?}"
    );
    assert!(h.sends().is_empty());
    assert_eq!(h.log.last(), Some(&Ev::Release));
}

#[test]
fn a_failed_load_or_lease_sends_nothing() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.load_fails = true;
    let result = h.run(refresh_if_due("u"));
    assert!(matches!(result, Err(GrantError::Store)), "{result:?}");
    assert_eq!(h.log, [Ev::Lease, Ev::Load, Ev::Release]);

    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.lease_fails = true;
    let result = h.run(refresh_if_due("u"));
    assert!(matches!(result, Err(GrantError::Store)), "{result:?}");
    assert_eq!(h.log, [Ev::Lease]);
}

#[test]
fn a_busy_lease_is_waited_for_with_a_doubling_backoff_then_taken() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), 7200)]);
    // Another holder's lease runs out 10 ms from now.
    let other = h.world.mono + Duration::from_millis(10);
    h.world.store.leases.insert(key("u"), (7, Some(other)));
    h.world.store.fences = 7;
    let result = h.run(refresh_if_due("u"));
    assert_eq!(outcome_grant(result).0, "current");
    let ms = Duration::from_millis;
    // 2 ms doubling: busy at +0, +2, +6 ms; free at +14 ms.
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Busy,
            Ev::Wait(ms(2)),
            Ev::Lease,
            Ev::Busy,
            Ev::Wait(ms(4)),
            Ev::Lease,
            Ev::Busy,
            Ev::Wait(ms(8)),
            Ev::Lease,
            Ev::Load,
            Ev::Release,
        ]
    );
}

#[test]
fn a_lease_busy_for_ever_gives_up_after_max_lease_wait() {
    let settings = GrantSettings {
        max_lease_wait: Duration::from_secs(1),
        ..GrantSettings::default()
    };
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.world.store.leases.insert(key("u"), (1, None));
    let task = GrantTask::refresh_if_due(key("u"), client(), settings);
    let result = h.run(task);
    assert!(
        matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
        "{result:?}"
    );
    assert!(!h.log.contains(&Ev::Load));
    assert!(!h.log.contains(&Ev::Release), "no lease to release");
    let waited: Duration = h
        .log
        .iter()
        .filter_map(|e| match e {
            Ev::Wait(d) => Some(*d),
            _ => None,
        })
        .sum();
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    // Waits are capped at 50 ms, so it gives up within one wait of the limit.
    assert!(waited <= Duration::from_millis(1050), "{waited:?}");
    assert!(h.log.iter().all(|e| match e {
        Ev::Wait(d) => *d > Duration::ZERO && *d <= Duration::from_millis(50),
        _ => true,
    }));
}

#[test]
fn a_lease_shorter_than_the_send_budget_sends_nothing() {
    // The default send budget is 40 s; this lease lasts 30 s.
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.expiry = Expiry::Fixed(Duration::from_secs(30));
    let result = h.run(refresh_if_due("u"));
    assert!(
        matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
        "{result:?}"
    );
    assert!(h.sends().is_empty());
    let stored = h.stored("u").expect("stored");
    assert!(stored.refresh_intent().is_none(), "no intent left behind");
}

#[test]
fn a_lease_that_runs_short_before_the_send_takes_the_intent_back() {
    // 60 s of lease, but the intent's save takes 25 s: 35 s left < the 40 s budget.
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.expiry = Expiry::Fixed(Duration::from_secs(60));
    h.on_save = Box::new(|grant, world| {
        if grant.refresh_intent().is_some() {
            world.mono += Duration::from_secs(25);
        }
        None
    });
    let result = h.run(refresh_if_due("u"));
    assert!(
        matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
        "{result:?}"
    );
    assert!(h.sends().is_empty(), "{:?}", h.log);
    assert_eq!(
        h.saves(),
        [
            &save(1, Some(1), true, "a1"),
            &save(1, Some(1), false, "a1")
        ]
    );
    assert!(h.stored("u").expect("stored").refresh_intent().is_none());
}

#[test]
fn a_lease_without_expiry_is_never_too_short() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
        .answer_with(200, &issued("a2", "r2", 7200));
    h.expiry = Expiry::Never;
    assert_eq!(outcome_grant(h.run(refresh_if_due("u"))).0, "refreshed");
}

// ---------------------------------------------------------------------------------------------
// Refresh: what each failure of the send means for the intent

#[test]
fn a_send_that_never_left_clears_the_intent() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).fail_send(SendFailure::NotSent);
    let result = h.run(refresh_if_due("u"));
    assert!(matches!(result, Err(GrantError::Transport)), "{result:?}");
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(1, Some(1), true, "a1"),
            send_refresh("r1", true),
            save(1, Some(1), false, "a1"),
            Ev::Release,
        ]
    );
    let stored = h.stored("u").expect("stored");
    assert!(stored.refresh_intent().is_none());
    assert_eq!(refresh(stored), Some("r1"));
}

#[test]
fn a_send_whose_outcome_is_unknown_keeps_the_intent() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).fail_send(SendFailure::Unknown);
    let result = h.run(refresh_if_due("u"));
    assert!(
        matches!(result, Err(GrantError::Core(Error::MayHaveBeenConsumed))),
        "{result:?}"
    );
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(1, Some(1), true, "a1"),
            send_refresh("r1", true),
            Ev::Release,
        ]
    );
    let stored = h.stored("u").expect("stored");
    assert!(
        stored.refresh_intent().is_some(),
        "the next holder must know"
    );
}

#[test]
fn answers_that_did_not_spend_the_token_clear_the_intent() {
    type Check = fn(&Error) -> bool;
    let cases: [(u16, &str, Check); 4] = [
        // A rate limit: X refused before processing (retry.rs: "X refused it before processing
        // it, so the grant is unspent").
        (
            429,
            r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
            |e| e.status() == Some(429),
        ),
        // The wrong client kind (contract §4.4).
        (
            401,
            r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#,
            |e| matches!(e, Error::OAuth2 { status: 401, error } if error.error == "unauthorized_client"),
        ),
        // A 503: unavailable, not processed.
        (503, "", |e| e.status() == Some(503)),
        // A success body that is not a token set.
        (200, r#"{"token_type":"mac","access_token":"x"}"#, |e| {
            matches!(e, Error::NotBearer)
        }),
    ];
    for (status, body, expected) in cases {
        let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer_with(status, body);
        let result = h.run(refresh_if_due("u"));
        match &result {
            Err(GrantError::Core(e)) => assert!(expected(e), "{status}: {e:?}"),
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(
            h.log[3..],
            [
                send_refresh("r1", true),
                save(1, Some(1), false, "a1"),
                Ev::Release
            ],
            "{status}"
        );
        assert!(h.stored("u").expect("stored").refresh_intent().is_none());
    }
}

#[test]
fn a_500_answer_keeps_the_intent_like_the_client_does() {
    // A 500 on a single-use step says nothing of whether X spent the grant: the core's retry
    // policy gives up with MayHaveBeenConsumed and never hands it to finish (retry.rs). Fed to
    // the machine, it must be read the same way: the intent stays for the next holder.
    for status in [500, 502, 504] {
        let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer_with(status, "");
        let result = h.run(refresh_if_due("u"));
        assert!(
            matches!(result, Err(GrantError::Core(Error::MayHaveBeenConsumed))),
            "{status}: {result:?}"
        );
        assert!(
            h.stored("u").expect("stored").refresh_intent().is_some(),
            "{status}: the intent was cleared: {:?}",
            h.log
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Refresh: X refuses the refresh token

#[test]
fn a_refused_token_rereads_the_store_and_marks_the_grant_lost() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer_with(400, SPENT);
    let result = h.run(refresh_if_due("u"));
    assert_eq!(login_required(&result), Some(LoginRequired::Refused));
    // X's own words are not the error: the typed reason is.
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(1, Some(1), true, "a1"),
            send_refresh("r1", true),
            Ev::Load,
            Ev::Save {
                generation: 1,
                expected: Some(1),
                intent: false,
                lost: Some(LoginRequired::Refused),
                access: "a1".to_owned(),
            },
            Ev::Release,
        ]
    );
    let stored = h.stored("u").expect("kept, marked");
    assert_eq!(stored.lost(), Some(LoginRequired::Refused));
    assert!(stored.refresh_intent().is_none());
    assert!(!stored.needs_refresh(RefreshReason::IfDue, wall(), Duration::from_secs(60)));

    // The next task does not send again.
    h.log.clear();
    let result = h.run(refresh_if_due("u"));
    assert_eq!(login_required(&result), Some(LoginRequired::Refused));
    assert_eq!(h.log, [Ev::Lease, Ev::Load, Ev::Release]);
}

#[test]
fn invalid_grant_and_a_401_invalid_request_are_refusals_too() {
    for (status, body) in [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"expired"}"#,
        ),
        (401, SPENT),
    ] {
        let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer_with(status, body);
        let result = h.run(refresh_if_due("u"));
        assert_eq!(
            login_required(&result),
            Some(LoginRequired::Refused),
            "{status} {body}"
        );
        assert_eq!(
            h.stored("u").expect("stored").lost(),
            Some(LoginRequired::Refused)
        );
    }
}

#[test]
fn a_refused_token_after_another_holder_rotated_uses_the_newer_set() {
    // While the refresh was out, another holder (whose lease had expired ours) stored
    // generation 2; X refuses ours as spent.
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer(|_, world| {
        world
            .store
            .grants
            .insert(key("u"), grant("u", 2, "a2", Some("r2"), 7200));
        Ok(respond(400, SPENT))
    });
    let result = h.run(refresh_if_due("u"));
    let (kind, g) = outcome_grant(result);
    assert_eq!((kind, g.generation(), access(&g)), ("current", 2, "a2"));
    assert_eq!(
        h.log[3..],
        [send_refresh("r1", true), Ev::Load, Ev::Release]
    );
    let stored = h.stored("u").expect("stored");
    assert_eq!((stored.generation(), stored.lost()), (2, None));
}

#[test]
fn a_refused_token_finds_the_successor_in_the_salvage_place() {
    // The other holder could not commit its set: it left it in the salvage place.
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).answer(|_, world| {
        world
            .store
            .salvage
            .insert(key("u"), grant("u", 2, "a2", Some("r2"), 7200));
        Ok(respond(400, SPENT))
    });
    let result = h.run(refresh_if_due("u"));
    let (kind, g) = outcome_grant(result);
    assert_eq!((kind, g.generation(), access(&g)), ("current", 2, "a2"));
    let stored = h.stored("u").expect("stored");
    assert_eq!((stored.generation(), stored.lost()), (2, None));
    assert!(h.world.store.salvage.is_empty());
}

#[test]
fn a_refused_token_after_an_interrupted_refresh_is_outcome_unknown() {
    // A holder died after recording its intent: the next one tries once more; X refuses.
    let interrupted = with_intent(&grant("u", 1, "a1", Some("r1"), -5), 3);
    let mut h = Harness::new([interrupted]).answer_with(400, SPENT);
    let result = h.run(refresh_if_due("u"));
    assert_eq!(login_required(&result), Some(LoginRequired::OutcomeUnknown));
    assert_eq!(h.sends(), [&send_refresh("r1", true)], "tried once more");
    assert_eq!(
        h.stored("u").expect("stored").lost(),
        Some(LoginRequired::OutcomeUnknown)
    );
}

#[test]
fn an_interrupted_refresh_that_x_had_not_processed_succeeds() {
    let interrupted = with_intent(&grant("u", 4, "a1", Some("r1"), -5), 3);
    let mut h = Harness::new([interrupted]).answer_with(200, &issued("a2", "r2", 7200));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, g.generation()), ("refreshed", 5));
    assert!(h.stored("u").expect("stored").refresh_intent().is_none());
}

// ---------------------------------------------------------------------------------------------
// Refresh: a new set the store will not take

#[test]
fn a_new_set_the_store_fails_to_save_is_salvaged_and_returned() {
    for result in [Err(StoreFailed), Ok(Saved::FencedOut)] {
        let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
            .answer_with(200, &issued("a2", "r2", 7200))
            .fail_saves(|g| g.generation() == 2, result);
        let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
        assert_eq!(
            (kind, g.generation(), access(&g)),
            ("unsaved", 2, "a2"),
            "{result:?}"
        );
        assert_eq!(
            h.log[4..],
            [
                save(2, Some(1), false, "a2"),
                Ev::Salvage { generation: 2 },
                Ev::Release
            ],
            "{result:?}"
        );
        let salvaged = &h.world.store.salvage[&key("u")];
        assert_eq!(
            (salvaged.generation(), access(salvaged)),
            (2, "a2"),
            "{result:?}"
        );
        // Kept in memory for the next task too.
        assert_eq!(
            h.unsaved.as_ref().map(StoredGrant::generation),
            Some(2),
            "{result:?}"
        );
    }
}

#[test]
fn a_new_set_neither_saved_nor_salvaged_is_still_returned_and_kept_in_memory() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
        .answer_with(200, &issued("a2", "r2", 7200))
        .fail_saves(|g| g.generation() == 2, Err(StoreFailed));
    h.salvage_fails = true;
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, access(&g)), ("unsaved", "a2"));
    assert_eq!(h.unsaved.as_ref().map(access), Some("a2"));
}

#[test]
fn a_salvaged_successor_is_committed_first_then_used() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    h.world
        .store
        .salvage
        .insert(key("u"), grant("u", 2, "a2", Some("r2"), 7200));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, g.generation(), access(&g)), ("current", 2, "a2"));
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(2, Some(1), false, "a2"),
            Ev::Release
        ]
    );
    assert_eq!(h.stored("u").expect("stored").generation(), 2);
    assert!(h.world.store.salvage.is_empty());
}

#[test]
fn a_salvaged_successor_that_is_due_is_committed_then_refreshed_from() {
    let mut h = Harness::new([with_intent(&grant("u", 1, "a1", Some("r1"), -5), 1)])
        .answer_with(200, &issued("a3", "r3", 7200));
    h.world
        .store
        .salvage
        .insert(key("u"), grant("u", 2, "a2", Some("r2"), -1));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, g.generation(), access(&g)), ("refreshed", 3, "a3"));
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            save(2, Some(1), false, "a2"),
            save(2, Some(2), true, "a2"),
            // Never the spent r1.
            send_refresh("r2", true),
            save(3, Some(2), false, "a3"),
            Ev::Release,
        ]
    );
}

#[test]
fn a_successor_committed_over_a_lost_grant_revives_it() {
    // A holder marked the grant lost while the set X issued waited in the salvage place.
    let gone = lost(&grant("u", 1, "a1", Some("r1"), -5), "outcome_unknown");
    let mut h = Harness::new([gone]);
    h.world
        .store
        .salvage
        .insert(key("u"), grant("u", 2, "a2", Some("r2"), 7200));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, g.generation(), g.lost()), ("current", 2, None));
}

#[test]
fn a_successor_that_cannot_be_committed_is_used_and_kept() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)])
        .fail_saves(|g| g.generation() == 2, Err(StoreFailed));
    h.world
        .store
        .salvage
        .insert(key("u"), grant("u", 2, "a2", Some("r2"), -1));
    let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
    assert_eq!((kind, g.generation()), ("unsaved", 2));
    assert!(
        h.sends().is_empty(),
        "never refreshed from an uncommitted set"
    );
    // It is still in the salvage place, where it was found.
    assert_eq!(h.world.store.salvage[&key("u")].generation(), 2);
}

#[test]
fn a_stale_salvage_is_ignored() {
    for stale in [
        grant("u", 2, "a2", Some("r2"), 7200), // older than the stored 3
        grant("u", 3, "a3x", Some("r3x"), 7200), // the same generation
        grant("u", 5, "a5", Some("r5"), 7200), // not the next one
        grant("w", 4, "a4", Some("r4"), 7200), // another key's
    ] {
        let mut h = Harness::new([grant("u", 3, "a3", Some("r3"), 7200)]);
        h.world.store.salvage.insert(key("u"), stale.clone());
        let (kind, g) = outcome_grant(h.run(refresh_if_due("u")));
        assert_eq!(
            (kind, g.generation(), access(&g)),
            ("current", 3, "a3"),
            "{stale:?}"
        );
        assert!(h.saves().is_empty(), "{stale:?}");
    }
}

#[test]
fn with_unsaved_commits_a_successor_held_in_memory() {
    let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), -5)]);
    let task = refresh_if_due("u").with_unsaved(Some(grant("u", 2, "a2", Some("r2"), 7200)));
    let (kind, g) = outcome_grant(h.run(task));
    assert_eq!((kind, g.generation(), access(&g)), ("current", 2, "a2"));
    assert_eq!(h.saves(), [&save(2, Some(1), false, "a2")]);
    assert_eq!(h.stored("u").expect("stored").generation(), 2);
    assert!(h.unsaved.is_none());
}

#[test]
fn with_unsaved_ignores_what_is_not_the_successor() {
    for held in [
        grant("u", 3, "a3", Some("r3"), 7200),
        grant("u", 1, "a1x", Some("r1x"), 7200),
        grant("w", 2, "a2", Some("r2"), 7200),
    ] {
        let mut h = Harness::new([grant("u", 1, "a1", Some("r1"), 7200)]);
        let (kind, g) = outcome_grant(h.run(refresh_if_due("u").with_unsaved(Some(held.clone()))));
        assert_eq!((kind, access(&g)), ("current", "a1"), "{held:?}");
        assert!(h.saves().is_empty(), "{held:?}");
    }
}

#[test]
fn a_successor_from_memory_that_cannot_be_committed_stays_in_memory() {
    // The set X issued exists only in memory (its save and its salvage both failed). The store
    // still refuses writes: the task uses it, and must keep offering it to the next task, or
    // the next one refreshes from the spent token and the grant is lost.
    let successor = grant("u", 2, "a2", Some("r2"), 7200);
    let mut h =
        Harness::new([grant("u", 1, "a1", Some("r1"), -5)]).fail_saves(|_| true, Err(StoreFailed));
    h.salvage_fails = true;
    let task = refresh_if_due("u").with_unsaved(Some(successor));
    let (kind, g) = outcome_grant(h.run(task));
    assert_eq!((kind, g.generation()), ("unsaved", 2));
    assert!(!h.world.store.salvage.contains_key(&key("u")));
    assert_eq!(
        h.unsaved.as_ref().map(StoredGrant::generation),
        Some(2),
        "task.unsaved() dropped the only copy of generation 2"
    );
}

#[test]
fn an_earlier_intent_survives_a_retry_that_x_did_not_process() {
    // A holder died after its intent (X may have spent r1). The next holder retries, but its
    // request never reaches X, or X refuses it unprocessed, or its lease runs short: nothing
    // is learnt about the first refresh, so its intent must stay, and a later refusal of r1
    // must still be OutcomeUnknown, not Refused.
    for case in ["not sent", "429", "lease too short"] {
        let interrupted = with_intent(&grant("u", 1, "a1", Some("r1"), -5), 3);
        let mut h = Harness::new([interrupted]);
        match case {
            "not sent" => h = h.fail_send(SendFailure::NotSent),
            "429" => {
                h = h.answer_with(
                    429,
                    r#"{"title":"Too Many Requests","type":"about:blank","status":429}"#,
                );
            }
            _ => {
                h.expiry = Expiry::Fixed(Duration::from_secs(60));
                h.on_save = Box::new(|grant, world| {
                    if grant.refresh_intent().is_some() {
                        world.mono += Duration::from_secs(25);
                    }
                    None
                });
            }
        }
        assert!(h.run(refresh_if_due("u")).is_err(), "{case}");
        assert!(
            h.stored("u").expect("stored").refresh_intent().is_some(),
            "{case}: the interrupted refresh's intent was erased: {:?}",
            h.log
        );
        h.expiry = Expiry::AsAsked;
        h.on_save = Box::new(|_, _| None);
        h = h.answer_with(400, SPENT);
        let result = h.run(refresh_if_due("u"));
        assert_eq!(
            login_required(&result),
            Some(LoginRequired::OutcomeUnknown),
            "{case}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// LoginRequired

#[test]
fn login_is_required_for_a_lost_grant_without_sending() {
    for (reason, expected) in [
        ("refused", LoginRequired::Refused),
        ("outcome_unknown", LoginRequired::OutcomeUnknown),
    ] {
        let mut h = Harness::new([lost(&grant("u", 2, "a1", Some("r1"), -5), reason)]);
        let result = h.run(refresh_if_due("u"));
        assert_eq!(login_required(&result), Some(expected));
        assert_eq!(h.log, [Ev::Lease, Ev::Load, Ev::Release]);
    }
}

#[test]
fn login_is_required_for_an_expired_set_without_a_refresh_token() {
    let mut h = Harness::new([grant("u", 1, "a1", None, -5)]);
    let result = h.run(refresh_if_due("u"));
    assert_eq!(login_required(&result), Some(LoginRequired::NoRefreshToken));
    assert!(h.sends().is_empty() && h.saves().is_empty());
    // Due but not expired: still usable.
    let mut h = Harness::new([grant("u", 1, "a1", None, 30)]);
    assert_eq!(outcome_grant(h.run(refresh_if_due("u"))).0, "current");
    // X refused its access token: nothing to refresh with.
    let mut h = Harness::new([grant("u", 1, "a1", None, 7200)]);
    let task = GrantTask::refresh(
        key("u"),
        RefreshReason::Replace { generation: 1 },
        client(),
        GrantSettings::default(),
    );
    let result = h.run(task);
    assert_eq!(login_required(&result), Some(LoginRequired::NoRefreshToken));
}

#[test]
fn login_is_required_when_nothing_is_stored() {
    let mut h = Harness::new([]);
    let result = h.run(refresh_if_due("u"));
    assert_eq!(login_required(&result), Some(LoginRequired::NoGrant));
    assert!(h.sends().is_empty() && h.saves().is_empty());
    assert_eq!(h.log.last(), Some(&Ev::Release));
}

// ---------------------------------------------------------------------------------------------
// Login

fn login(k: &str, tokens: TokenSet) -> GrantTask {
    GrantTask::login(key(k), tokens, client(), GrantSettings::default())
}

#[test]
fn a_first_login_is_generation_one() {
    let mut h = Harness::new([]);
    let (kind, g) = outcome_grant(h.run(login("u", set("a1", Some("r1"), Some(7200)))));
    assert_eq!((kind, g.generation(), access(&g)), ("refreshed", 1, "a1"));
    assert_eq!(
        h.log,
        [Ev::Lease, Ev::Load, save(1, None, false, "a1"), Ev::Release]
    );
    assert_eq!(h.stored("u").expect("stored").generation(), 1);
}

#[test]
fn a_new_login_is_one_generation_above_whatever_was_stored() {
    for old in [
        grant("u", 4, "a0", Some("r0"), 7200),
        with_intent(&grant("u", 4, "a0", Some("r0"), -5), 2),
        lost(&grant("u", 4, "a0", Some("r0"), -5), "refused"),
    ] {
        let mut h = Harness::new([old.clone()]);
        let (kind, g) = outcome_grant(h.run(login("u", set("b1", Some("s1"), Some(7200)))));
        assert_eq!((kind, g.generation(), access(&g)), ("refreshed", 5, "b1"));
        assert_eq!(h.saves(), [&save(5, Some(4), false, "b1")], "{old:?}");
        let stored = h.stored("u").expect("stored");
        assert_eq!(
            (stored.generation(), stored.lost(), stored.refresh_intent()),
            (5, None, None)
        );
        assert!(h.sends().is_empty());
    }
}

#[test]
fn a_login_fenced_out_or_failing_reports_it() {
    let mut h = Harness::new([]).fail_saves(|_| true, Ok(Saved::FencedOut));
    let result = h.run(login("u", set("a1", Some("r1"), Some(7200))));
    assert!(
        matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
        "{result:?}"
    );
    let mut h = Harness::new([]).fail_saves(|_| true, Err(StoreFailed));
    let result = h.run(login("u", set("a1", Some("r1"), Some(7200))));
    assert!(matches!(result, Err(GrantError::Store)), "{result:?}");
}

// ---------------------------------------------------------------------------------------------
// Logout

fn logout(k: &str) -> GrantTask {
    GrantTask::logout(key(k), client(), GrantSettings::default())
}

fn send_revoke(token: &str, hint: &str) -> Ev {
    Ev::Send {
        path: "/2/oauth2/revoke".to_owned(),
        body: revoke_body(token, hint),
        stored_intent: false,
    }
}

#[test]
fn logout_revokes_the_refresh_token_then_the_access_token_then_deletes() {
    let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)])
        .answer_with(200, r#"{"revoked":true}"#)
        .answer_with(200, r#"{"revoked":true}"#);
    let result = h.run(logout("u"));
    assert!(matches!(result, Ok(GrantOutcome::LoggedOut)), "{result:?}");
    assert_eq!(
        h.log,
        [
            Ev::Lease,
            Ev::Load,
            send_revoke("r1", "refresh_token"),
            send_revoke("a1", "access_token"),
            Ev::Delete { expected: 2 },
            Ev::Release,
        ]
    );
    assert!(h.stored("u").is_none());
    assert!(Ok::<_, ()>(GrantOutcome::LoggedOut).is_ok_and(|o| o.grant().is_none()));
}

#[test]
fn logout_counts_a_token_x_already_holds_invalid_as_revoked() {
    let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)])
        .answer_with(400, SPENT)
        .answer_with(200, r#"{"revoked":true}"#);
    let result = h.run(logout("u"));
    assert!(matches!(result, Ok(GrantOutcome::LoggedOut)), "{result:?}");
    assert!(h.log.contains(&Ev::Delete { expected: 2 }));
    assert!(h.stored("u").is_none());
}

#[test]
fn logout_keeps_the_key_when_a_revocation_does_not_get_through() {
    for failure in [SendFailure::NotSent, SendFailure::Unknown] {
        let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)]).fail_send(failure);
        let result = h.run(logout("u"));
        assert!(matches!(result, Err(GrantError::Transport)), "{result:?}");
        assert!(!h.log.iter().any(|e| matches!(e, Ev::Delete { .. })));
        assert_eq!(h.log.last(), Some(&Ev::Release));
        assert_eq!(h.stored("u").expect("kept").generation(), 2, "{failure:?}");
    }
    // The refresh token is revoked, the access token's revocation is cut off: kept, so the
    // logout can be tried again.
    let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)])
        .answer_with(200, r#"{"revoked":true}"#)
        .fail_send(SendFailure::Unknown);
    assert!(h.run(logout("u")).is_err());
    assert!(h.stored("u").is_some());
    // X failing (not a 400) keeps it too.
    let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)]).answer_with(503, "");
    assert!(h.run(logout("u")).is_err());
    assert!(h.stored("u").is_some());
}

#[test]
fn logout_without_a_refresh_token_revokes_the_access_token_only() {
    let mut h =
        Harness::new([grant("u", 2, "a1", None, 7200)]).answer_with(200, r#"{"revoked":true}"#);
    assert!(matches!(h.run(logout("u")), Ok(GrantOutcome::LoggedOut)));
    assert_eq!(h.sends(), [&send_revoke("a1", "access_token")]);
}

#[test]
fn logout_of_nothing_is_done_at_once() {
    let mut h = Harness::new([]);
    assert!(matches!(h.run(logout("u")), Ok(GrantOutcome::LoggedOut)));
    assert!(h.sends().is_empty());
}

#[test]
fn logout_whose_delete_is_fenced_out_or_fails_reports_it() {
    for (fault, store_error) in [(Ok(Saved::FencedOut), false), (Err(StoreFailed), true)] {
        let mut h = Harness::new([grant("u", 2, "a1", Some("r1"), 7200)])
            .answer_with(200, "{}")
            .answer_with(200, "{}");
        h.delete_fault = Some(fault);
        let result = h.run(logout("u"));
        if store_error {
            assert!(matches!(result, Err(GrantError::Store)), "{result:?}");
        } else {
            assert!(
                matches!(result, Err(GrantError::Core(Error::LeaseUnavailable))),
                "{result:?}"
            );
        }
        assert_eq!(h.log.last(), Some(&Ev::Release));
    }
}

// ---------------------------------------------------------------------------------------------
// Polling is idempotent; stray inputs are ignored

/// A task polled up to its refresh's `Send` (an expired set, a lease without expiry).
fn task_at_send(at: Instant) -> GrantTask {
    let mut task = refresh_if_due("u");
    assert!(matches!(task.poll(at), Next::Lease { .. }));
    task.leased(1, None, at);
    assert!(matches!(task.poll(at), Next::Load));
    let loaded = Loaded {
        grant: Some(grant("u", 1, "a1", Some("r1"), -5)),
        salvage: None,
    };
    task.loaded(Ok(loaded), wall());
    assert!(matches!(task.poll(at), Next::Save { .. }));
    task.saved(Ok(Saved::Written), wall());
    assert!(matches!(task.poll(at), Next::Send { .. }));
    task
}

#[test]
fn polling_twice_or_feeding_an_input_of_another_step_changes_nothing() {
    let at = origin();
    type Feed = fn(&mut GrantTask);
    let stray: [(&str, Feed); 4] = [
        ("loaded", |t| t.loaded(Ok(Loaded::default()), wall())),
        ("salvaged", |t| t.salvaged(true)),
        ("deleted", |t| t.deleted(Ok(Saved::Written))),
        ("released", GrantTask::released),
    ];
    for (name, feed) in stray {
        // Waiting for the lease.
        let mut task = refresh_if_due("u");
        assert!(matches!(task.poll(at), Next::Lease { .. }));
        assert!(matches!(task.poll(at), Next::Lease { .. }));
        feed(&mut task);
        assert!(matches!(task.poll(at), Next::Lease { .. }), "{name}");
        assert!(!task.holds_lease(), "{name}");
        // About to send the refresh.
        let mut task = task_at_send(at);
        feed(&mut task);
        assert!(matches!(task.poll(at), Next::Send { .. }), "{name}");
        assert!(task.holds_lease(), "{name}");
    }
    // Answers while waiting for the lease, and a second lease while holding one.
    let mut task = refresh_if_due("u");
    task.answered(respond(200, "{}"), wall());
    task.send_failed(SendFailure::Unknown);
    assert!(matches!(task.poll(at), Next::Lease { .. }));
    let mut task = task_at_send(at);
    task.leased(99, None, at);
    task.lease_failed();
    task.busy(at);
    assert!(matches!(task.poll(at), Next::Send { .. }));
    assert_eq!(task.fence(), 1);
    // A task finished early fails with Store.
    assert!(matches!(
        refresh_if_due("u").finish(),
        Err(GrantError::Store)
    ));
}

#[test]
fn a_stray_saved_changes_nothing() {
    let at = origin();
    // Waiting for the lease.
    let mut task = refresh_if_due("u");
    assert!(matches!(task.poll(at), Next::Lease { .. }));
    task.saved(Ok(Saved::Written), wall());
    assert!(
        matches!(task.poll(at), Next::Lease { .. }),
        "a stray saved() moved a task waiting for its lease on"
    );
    // A driver that reports the intent's save twice: the refresh must still be sent.
    let mut task = task_at_send(at);
    task.saved(Ok(Saved::Written), wall());
    assert!(
        matches!(task.poll(at), Next::Send { .. }),
        "a duplicated saved() skipped the refresh"
    );
}

// ---------------------------------------------------------------------------------------------
// The refresh job

fn any_grant() -> StoredGrant {
    grant("x", 1, "a", Some("r"), 7200)
}

#[test]
fn a_refresh_job_hands_out_each_key_once_and_reports_each_result() {
    let keys = ["c", "a", "b", "a", "d", "e", "c"].map(key).to_vec();
    let mut job: RefreshJob<&'static str> = RefreshJob::new(keys);
    let t = wall();
    let mut handed = Vec::new();
    loop {
        match job.next(t) {
            JobNext::Run(k) => handed.push(k),
            JobNext::Idle => break,
            other => panic!("{other:?}"),
        }
    }
    handed.sort();
    assert_eq!(handed, ["a", "b", "c", "d", "e"].map(key), "each once");
    // All are running: nothing to hand out, but not done either.
    assert_eq!(job.next(t), JobNext::Idle);
    job.finished(
        &key("a"),
        KeyResult::Done(GrantOutcome::Refreshed(any_grant())),
        t,
    );
    job.finished(
        &key("b"),
        KeyResult::Done(GrantOutcome::Current(any_grant())),
        t,
    );
    job.finished(
        &key("c"),
        KeyResult::Done(GrantOutcome::Unsaved(any_grant())),
        t,
    );
    job.finished(
        &key("d"),
        KeyResult::LoginRequired(LoginRequired::Refused),
        t,
    );
    assert_eq!(job.next(t), JobNext::Idle, "e still runs");
    job.finished(&key("e"), KeyResult::Failed("store down"), t);
    // A key finished twice, or never handed out, is not counted.
    job.finished(&key("a"), KeyResult::Failed("again"), t);
    job.finished(&key("zzz"), KeyResult::Failed("stranger"), t);
    assert_eq!(job.next(t), JobNext::Done);
    let report = job.into_report();
    assert_eq!(report.refreshed, [key("a")]);
    assert_eq!(report.current, [key("b")]);
    assert_eq!(report.unsaved, [key("c")]);
    assert_eq!(report.login_required, [(key("d"), LoginRequired::Refused)]);
    assert_eq!(report.failed, [(key("e"), "store down")]);
    assert_eq!(report.len(), 5);
    assert!(!report.is_empty());
}

#[test]
fn an_empty_refresh_job_is_done_at_once() {
    let mut job: RefreshJob<()> = RefreshJob::new(Vec::new());
    assert_eq!(job.next(wall()), JobNext::Done);
    let report = job.into_report();
    assert!(report.is_empty());
    assert_eq!(report.len(), 0);
}

#[test]
fn a_rate_limited_key_pauses_everyone_and_comes_back() {
    let mut job: RefreshJob<&'static str> = RefreshJob::new(["a", "b", "c"].map(key).to_vec());
    let t = wall();
    let secs = Duration::from_secs;
    let JobNext::Run(first) = job.next(t) else {
        panic!("a key")
    };
    let JobNext::Run(second) = job.next(t) else {
        panic!("a key")
    };
    job.finished(&first, KeyResult::RateLimited(secs(30), "429"), t);
    // Everyone waits, even for keys never tried: X's token endpoint is one bucket.
    assert_eq!(job.next(t), JobNext::Wait(secs(30)));
    assert_eq!(job.next(t + secs(10)), JobNext::Wait(secs(20)));
    // A shorter 429 does not shorten the pause; a longer one extends it.
    job.finished(
        &second,
        KeyResult::RateLimited(secs(5), "429"),
        t + secs(10),
    );
    assert_eq!(job.next(t + secs(10)), JobNext::Wait(secs(20)));
    // After the pause: the key never tried and both rate-limited ones, each once.
    let mut rest = Vec::new();
    let later = t + secs(30);
    while let JobNext::Run(k) = job.next(later) {
        rest.push(k);
    }
    rest.sort();
    assert_eq!(rest, ["a", "b", "c"].map(key));
    for k in &rest {
        job.finished(
            k,
            KeyResult::Done(GrantOutcome::Refreshed(any_grant())),
            later,
        );
    }
    assert_eq!(job.next(later), JobNext::Done);
    let report = job.into_report();
    assert_eq!(report.refreshed.len(), 3);
    assert!(report.failed.is_empty());
}

#[test]
fn a_longer_rate_limit_extends_the_pause() {
    let mut job: RefreshJob<()> = RefreshJob::new(["a", "b"].map(key).to_vec());
    let t = wall();
    let secs = Duration::from_secs;
    let (JobNext::Run(a), JobNext::Run(b)) = (job.next(t), job.next(t)) else {
        panic!("two keys")
    };
    job.finished(&a, KeyResult::RateLimited(secs(10), ()), t);
    job.finished(&b, KeyResult::RateLimited(secs(60), ()), t);
    assert_eq!(job.next(t + secs(10)), JobNext::Wait(secs(50)));
}

#[test]
fn a_key_rate_limited_every_time_fails_after_max_rate_limited() {
    // MAX_RATE_LIMITED: "how often one key may meet a 429 before it is reported as failed".
    let mut job: RefreshJob<u32> = RefreshJob::new(vec![key("a")]);
    let mut t = wall();
    let mut runs = 0;
    loop {
        match job.next(t) {
            JobNext::Run(k) => {
                runs += 1;
                job.finished(&k, KeyResult::RateLimited(Duration::from_secs(60), runs), t);
            }
            JobNext::Wait(wait) => t += wait,
            JobNext::Done => break,
            JobNext::Idle => panic!("nothing runs"),
        }
        assert!(runs <= 10, "never ends");
    }
    assert_eq!(runs, RefreshJob::<u32>::MAX_RATE_LIMITED);
    let report = job.into_report();
    // Reported once, with the last 429.
    assert_eq!(
        report.failed,
        [(key("a"), RefreshJob::<u32>::MAX_RATE_LIMITED)]
    );
    assert_eq!(report.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The property: two tasks on one store

/// What one send met.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// X answered.
    None,
    /// Nothing left: X never saw it.
    NotSent,
    /// Cut off before X read it, but the sender cannot tell.
    LostBefore,
    /// X processed it; the answer was lost.
    LostAfter,
    /// 429: X refused it before processing.
    RateLimited,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::NotSent),
        1 => Just(Fault::LostBefore),
        1 => Just(Fault::LostAfter),
        1 => Just(Fault::RateLimited),
    ]
}

/// A time jump before a step: none, a moment, most of a lease, past a lease.
fn jump() -> impl Strategy<Value = Duration> {
    prop_oneof![
        8 => Just(Duration::ZERO),
        2 => Just(Duration::from_secs(1)),
        1 => Just(Duration::from_secs(35)),
        1 => Just(Duration::from_secs(100)),
    ]
}

#[derive(Clone, Debug)]
struct Plan {
    tasks: [usize; 2],
    schedule: Vec<(usize, Duration)>,
    faults: Vec<Fault>,
    save_fails: Vec<bool>,
    salvage_fails: Vec<bool>,
    fresh: Vec<bool>,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        [1usize..4, 1usize..4],
        proptest::collection::vec((0usize..2, jump()), 0..80),
        proptest::collection::vec(fault(), 1..12),
        proptest::collection::vec(proptest::bool::weighted(0.15), 1..12),
        proptest::collection::vec(proptest::bool::weighted(0.3), 1..6),
        proptest::collection::vec(proptest::bool::weighted(0.3), 1..6),
    )
        .prop_map(
            |(tasks, schedule, faults, save_fails, salvage_fails, fresh)| Plan {
                tasks,
                schedule,
                faults,
                save_fails,
                salvage_fails,
                fresh,
            },
        )
}

/// The HTTP timeout the property's transport has (the send budget is 40 s).
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A fake X that issues rotating refresh tokens and remembers what it processed.
#[derive(Debug, Default)]
struct FakeX {
    /// The one refresh token X accepts now.
    live: String,
    next: u64,
    /// For every refresh token X processed: the sends that carried it.
    processed: HashMap<String, Vec<usize>>,
    /// The send each issued refresh token answered.
    issued_to: HashMap<String, usize>,
}

#[derive(Debug, Default)]
struct SendRecord {
    /// The sender's task loaded the grant with a refresh intent already on it.
    suspect: bool,
    /// The sender did not learn the outcome (its answer was lost or timed out).
    unknown: bool,
    /// The set X issued for it was committed to the store.
    committed: bool,
}

#[derive(Debug)]
struct InFlight {
    started: Instant,
    answer: Result<HttpResponse, SendFailure>,
    send: usize,
}

#[derive(Default)]
struct Worker {
    task: Option<GrantTask>,
    left: usize,
    fence: Option<u64>,
    /// A set X issued that the store does not hold yet (what an adapter keeps in memory).
    slot: Option<StoredGrant>,
    in_flight: Option<InFlight>,
    /// Whether the grant this task loaded carried an intent (seen at its intent save).
    suspect: bool,
}

struct Sim {
    store: Store,
    x: FakeX,
    sends: Vec<SendRecord>,
    mono: Instant,
    start: Instant,
    plan: Plan,
    counters: [usize; 4],
    outcomes: Vec<Result<GrantOutcome, GrantError>>,
    highest: u64,
    /// Also check that a token is only ever sent again by a task that saw an intent, and that
    /// no grant is declared `Refused` (nothing outside the store spends tokens here).
    strict: bool,
}

impl Sim {
    fn wall(&self) -> SystemTime {
        wall() + (self.mono - self.start)
    }

    fn pick<T: Copy>(list: &[T], counter: &mut usize) -> T {
        let value = list[*counter % list.len()];
        *counter += 1;
        value
    }

    /// X processes a refresh request; returns its answer.
    fn x_processes(&mut self, body: &str, send: usize) -> Result<HttpResponse, TestCaseError> {
        let token = url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "refresh_token")
            .map(|(_, v)| v.into_owned())
            .expect("a refresh token in the body");
        let earlier = self.x.processed.entry(token.clone()).or_default().clone();
        for e in earlier {
            // Seen before: only if the earlier outcome never reached the store, and the sender
            // knew it was trying again.
            prop_assert!(
                !self.sends[e].committed,
                "{token} sent again after its successor was committed"
            );
            prop_assert!(
                !self.strict || self.sends[send].suspect,
                "{token} sent again by a task that saw no intent"
            );
        }
        self.x
            .processed
            .get_mut(&token)
            .expect("entered")
            .push(send);
        if token != self.x.live {
            return Ok(respond(400, SPENT));
        }
        self.x.next += 1;
        let n = self.x.next;
        let (access, refresh) = (format!("a{n}"), format!("r{n}"));
        let fresh = Self::pick(&self.plan.fresh.clone(), &mut self.counters[3]);
        self.x.live.clone_from(&refresh);
        self.x.issued_to.insert(refresh.clone(), send);
        Ok(respond(
            200,
            &issued(&access, &refresh, if fresh { 7200 } else { 0 }),
        ))
    }

    fn note_written(&mut self, grant: &StoredGrant) {
        if let Some(refresh) = refresh(grant)
            && let Some(&send) = self.x.issued_to.get(refresh)
        {
            self.sends[send].committed = true;
        }
    }

    /// One step of worker `w`; `faulty` turns faults on.
    fn step(&mut self, worker: &mut Worker, faulty: bool) -> Result<(), TestCaseError> {
        let k = key("u");
        if worker.task.is_none() {
            if worker.left == 0 {
                return Ok(());
            }
            worker.left -= 1;
            worker.suspect = false;
            worker.task = Some(refresh_if_due("u").with_unsaved(worker.slot.take()));
        }
        let task = worker.task.as_mut().expect("a task");
        if let Some(flight) = worker.in_flight.take() {
            let timed_out = self.mono - flight.started > HTTP_TIMEOUT;
            match flight.answer {
                Ok(answer) if !timed_out => task.answered(answer, self.wall()),
                Err(SendFailure::NotSent) => task.send_failed(SendFailure::NotSent),
                _ => {
                    self.sends[flight.send].unknown = true;
                    task.send_failed(SendFailure::Unknown);
                }
            }
            return Ok(());
        }
        let now = self.mono;
        match task.poll(now) {
            Next::Lease { ttl } => match self.store.try_lease(&k, Some(ttl), now) {
                Some(fence) => {
                    worker.fence = Some(fence);
                    task.leased(fence, Some(ttl), now);
                }
                None => task.busy(now),
            },
            Next::Wait(wait) => self.mono += wait,
            Next::Load => task.loaded(Ok(self.store.load(&k)), self.wall()),
            Next::Save { grant, expected } => {
                let grant = grant.clone();
                if grant.refresh_intent().is_some() {
                    worker.suspect = self
                        .store
                        .grants
                        .get(&k)
                        .is_some_and(|g| g.refresh_intent().is_some());
                }
                let fail = faulty && Self::pick(&self.plan.save_fails, &mut self.counters[1]);
                let saved = if fail {
                    Err(StoreFailed)
                } else {
                    Ok(self.store.save(worker.fence, now, expected, &grant))
                };
                if saved == Ok(Saved::Written) {
                    self.note_written(&grant);
                }
                let wall = self.wall();
                task.saved(saved, wall);
            }
            Next::Salvage { grant } => {
                let fail = faulty && Self::pick(&self.plan.salvage_fails, &mut self.counters[2]);
                if !fail {
                    self.store.salvage.insert(k.clone(), grant.clone());
                }
                task.salvaged(!fail);
            }
            Next::Delete { .. } => prop_assert!(false, "a refresh never deletes"),
            Next::Send { request, .. } => {
                let body = String::from_utf8(request.body().clone()).expect("a form body");
                let send = self.sends.len();
                self.sends.push(SendRecord {
                    suspect: worker.suspect,
                    ..SendRecord::default()
                });
                let fault = if faulty {
                    Self::pick(&self.plan.faults, &mut self.counters[0])
                } else {
                    Fault::None
                };
                let answer = match fault {
                    Fault::None => Ok(self.x_processes(&body, send)?),
                    Fault::NotSent => Err(SendFailure::NotSent),
                    Fault::LostBefore => Err(SendFailure::Unknown),
                    Fault::LostAfter => {
                        self.x_processes(&body, send)?;
                        Err(SendFailure::Unknown)
                    }
                    Fault::RateLimited => Ok(respond(
                        429,
                        r#"{"title":"Too Many Requests","type":"about:blank","status":429}"#,
                    )),
                };
                worker.in_flight = Some(InFlight {
                    started: now,
                    answer,
                    send,
                });
            }
            Next::Release => {
                if let Some(fence) = worker.fence.take() {
                    self.store.release(&k, fence);
                }
                task.released();
            }
            Next::Done => {
                let task = worker.task.take().expect("a task");
                let unsaved = task.unsaved().cloned();
                let result = task.finish();
                // What the docs ask of a driver: keep an unsaved set and pass it on.
                worker.slot = match &result {
                    Ok(GrantOutcome::Unsaved(g)) => Some(g.clone()),
                    _ => unsaved,
                };
                prop_assert!(
                    !self.strict || login_required(&result) != Some(LoginRequired::Refused),
                    "nothing outside the store spends tokens: {:?}",
                    result
                );
                self.outcomes.push(result);
            }
        }
        // The stored generation never goes back.
        let generation = self.store.generation(&k).expect("never deleted");
        prop_assert!(
            generation >= self.highest,
            "generation {} after {}",
            generation,
            self.highest
        );
        self.highest = generation;
        Ok(())
    }
}

fn simulate(plan: Plan, strict: bool) -> Result<(), TestCaseError> {
    let start = origin();
    let mut sim = Sim {
        store: Store::with([grant("u", 1, "a0", Some("r0"), -5)]),
        x: FakeX {
            live: "r0".to_owned(),
            ..FakeX::default()
        },
        sends: Vec::new(),
        mono: start,
        start,
        plan: plan.clone(),
        counters: [0; 4],
        outcomes: Vec::new(),
        highest: 1,
        strict,
    };
    let mut workers = [
        Worker {
            left: plan.tasks[0],
            ..Worker::default()
        },
        Worker {
            left: plan.tasks[1],
            ..Worker::default()
        },
    ];
    let busy = |w: &Worker| w.task.is_some() || w.left > 0;
    for &(w, jump) in &plan.schedule {
        sim.mono += jump;
        let w = if busy(&workers[w]) { w } else { 1 - w };
        sim.step(&mut workers[w], true)?;
    }
    // Then both to their end, taking turns, faults still on.
    let mut steps = 0;
    while workers.iter().any(busy) {
        for worker in &mut workers {
            sim.step(worker, true)?;
        }
        steps += 1;
        prop_assert!(steps < 200_000, "the tasks never end");
    }
    // Then one clean task per worker, with what each holds in memory.
    for worker in &mut workers {
        worker.left = 1;
        while busy(worker) {
            sim.step(worker, false)?;
        }
    }
    // No set X issued is lost, unless the answer that carried it never arrived.
    let live = sim.x.live.clone();
    let lost_in_flight = sim
        .x
        .issued_to
        .get(&live)
        .is_some_and(|&send| sim.sends[send].unknown);
    if !lost_in_flight {
        let stored = &sim.store.grants[&key("u")];
        prop_assert_eq!(
            refresh(stored),
            Some(live.as_str()),
            "the live set is not in the store: {:?}",
            sim.outcomes
        );
        prop_assert_eq!(stored.lost(), None);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The stored generation never decreases; no set X issued is lost unless the answer that
    /// carried it never arrived; X sees a refresh token again only if the set it issued for it
    /// never reached the store (the earlier outcome was unknown, or its holder lost the lease
    /// with the answer in hand).
    #[test]
    fn two_tasks_on_one_store_never_lose_or_replay_a_grant(plan in plan()) {
        simulate(plan, false)?;
    }

    /// The same, and the knowledge that a refresh's outcome is unknown is never dropped: a token
    /// is sent again only by a task that loaded the intent, and no grant is declared `Refused`.
    #[test]
    fn two_tasks_on_one_store_never_forget_an_unknown_outcome(plan in plan()) {
        simulate(plan, true)?;
    }
}
