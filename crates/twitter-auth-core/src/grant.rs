//! Many users' OAuth 2.0 grants: what a token store keeps for each user, and the sequences
//! that change it (refresh, a new login, logout) as one sans-IO machine, [`GrantTask`].
//!
//! A token store holds one [`StoredGrant`] per [`UserKey`]. A grant carries a **generation**
//! that grows by one with every token set X issues and never goes backwards, so "is the stored
//! set newer than mine?" is a comparison of integers, never of secrets.
//!
//! A refresh spends X's single-use refresh token, so every step that could lose it is ordered
//! for the crash that lands between two steps:
//!
//! 1. **Lease** the key (a lock that may expire: a file lock, a Redis key with a TTL).
//! 2. **Load** it, settling a set a crashed or fenced-out holder left in the store's salvage
//!    place (a set X issued is never dropped).
//! 3. **Record the intent** (`refreshing`) with a fenced save. This is also the pre-write: a store
//!    that cannot be written (full disk, read-only, Redis down) fails here, before the refresh
//!    token is spent.
//! 4. **Send** the refresh, only if the lease outlives the HTTP timeout.
//! 5. **Save** the new set (generation + 1) with a fenced save (compare-and-swap on the
//!    generation it was refreshed from); a refused or failed save goes to the salvage place and
//!    stays in memory.
//! 6. **Release** the lease.
//!
//! A holder killed after step 3 leaves the intent behind. The next holder tries the refresh
//! once more (the kill may have landed before the request left); if X refuses it, the store is
//! re-read (another holder may have rotated it) and only then the grant is declared gone with
//! [`Error::LoginRequired`] and [`LoginRequired::OutcomeUnknown`], never a bare
//! `invalid_request`.
//!
//! # Driving a task
//!
//! [`GrantTask::poll`] says what IO comes next ([`Next`]); the caller does it and feeds the
//! result back with the matching method; repeat until [`Next::Done`], then
//! [`GrantTask::finish`]. Polling twice without feeding anything is harmless.
//!
//! ```
//! use std::time::{Duration, Instant, UNIX_EPOCH};
//! use twitter_auth_core::grant::{GrantOutcome, GrantTask, Loaded, Next, Saved, StoredGrant, UserKey};
//! use twitter_auth_core::oauth2::{App, Scopes, TokenSet};
//! use twitter_auth_core::{AccessToken, ClientId, RefreshToken};
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let key = UserKey::new("1072250532645998596")?;
//! let expired = TokenSet::from_parts(
//!     AccessToken::new("YXQ"),
//!     Some(RefreshToken::new("cnQ")),
//!     Scopes::default(),
//!     Some(now),
//! )?;
//! let mut stored = Some(StoredGrant::new(key.clone(), expired, 1));
//! let app = App::public(ClientId::new("rG9n6402A3dbUJKzXTNX4oWHJ")); // X's hosts
//! let mut task = GrantTask::refresh_if_due(key, app, Default::default());
//! let at = Instant::now();
//! loop {
//!     match task.poll(at) {
//!         Next::Lease { .. } => task.leased(7, None, at),
//!         Next::Load => task.loaded(Ok(Loaded { grant: stored.clone(), salvage: None }), now),
//!         Next::Save { grant, expected } => {
//!             assert_eq!(expected, stored.as_ref().map(StoredGrant::generation));
//!             stored = Some(grant.clone());
//!             task.saved(Ok(Saved::Written), now);
//!         }
//!         Next::Send { request, .. } => {
//!             assert_eq!(request.uri(), "https://api.x.com/2/oauth2/token");
//!             // The intent was recorded before the request goes out.
//!             assert!(stored.as_ref().unwrap().refresh_intent().is_some());
//!             let answer = http::Response::builder().status(200).body(
//!                 br#"{"token_type":"bearer","expires_in":7200,"access_token":"bmV3","refresh_token":"cnQy"}"#.to_vec())?;
//!             task.answered(answer, now);
//!         }
//!         Next::Release => task.released(),
//!         Next::Done => break,
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//! let GrantOutcome::Refreshed(grant) = task.finish()? else { unreachable!() };
//! assert_eq!(grant.generation(), 2);
//! assert_eq!(stored.unwrap().generation(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::time::{Duration, Instant, SystemTime};

use crate::oauth2::{self, Freshness, RefreshExchange, RevokeExchange, RevokeToken, TokenSet};
use crate::{Error, Exchange, HttpRequest, HttpResponse, Replay};

/// The longest [`UserKey`], in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Whose grant: the X user id, or the app's own key for the user. 1 to [`MAX_KEY_LEN`] bytes of
/// UTF-8, anything else allowed (stores encode it: no key can name a path or a pattern).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserKey(Box<str>);

impl UserKey {
    /// A key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if it is empty or longer than [`MAX_KEY_LEN`] bytes.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        if key.is_empty() {
            return Err(Error::InvalidKey {
                reason: "the key is empty",
            });
        }
        if key.len() > MAX_KEY_LEN {
            return Err(Error::InvalidKey {
                reason: "the key is longer than 1024 bytes",
            });
        }
        Ok(Self(key.into_boxed_str()))
    }

    /// The key's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserKey {
    type Error = Error;

    fn try_from(key: String) -> Result<Self, Error> {
        Self::new(key)
    }
}

impl From<UserKey> for String {
    fn from(key: UserKey) -> Self {
        key.0.into()
    }
}

impl fmt::Debug for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a user must log in again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoginRequired {
    /// A refresh was interrupted after it may have reached X (a killed process, a cut
    /// connection), and X now refuses the refresh token: X almost surely spent it on the
    /// interrupted refresh, whose answer never arrived.
    OutcomeUnknown,
    /// X refused the refresh token (the user revoked the app, it expired, or something outside
    /// this store spent it).
    Refused,
    /// The access token expired and the login granted no refresh token (`offline.access`).
    NoRefreshToken,
    /// No grant is stored for the user (never logged in, or logged out).
    NoGrant,
}

impl LoginRequired {
    pub(crate) const fn hint(self) -> &'static str {
        match self {
            Self::OutcomeUnknown => {
                "an earlier refresh was cut off after it may have reached X, which spent the refresh token; send the user through the login again"
            }
            Self::Refused => {
                "X refused the refresh token (revoked, expired, or used by a client outside this store): send the user through the login again"
            }
            Self::NoRefreshToken => {
                "ask for the offline.access scope so the login grants a refresh token"
            }
            Self::NoGrant => "no tokens are stored for this user: log in first",
        }
    }
}

impl fmt::Display for LoginRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OutcomeUnknown => {
                "the refresh token was probably spent by an interrupted refresh"
            }
            Self::Refused => "X refused the refresh token",
            Self::NoRefreshToken => "the access token expired and there is no refresh token",
            Self::NoGrant => "no grant is stored for this user",
        })
    }
}

/// A refresh that was (perhaps) sent: recorded before the request leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefreshIntent {
    /// The fence of the lease it was sent under.
    pub fence: u64,
    /// When it was recorded (whole seconds).
    #[serde(with = "crate::time::unix_secs")]
    pub at: SystemTime,
}

/// One user's grant as a token store keeps it.
///
/// Serde: `{"key","generation","tokens":{…},"refreshing"?,"lost"?}`. `Debug` redacts the
/// tokens. Store it like a password (or sealed: see the Redis store).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredGrant {
    key: UserKey,
    generation: u64,
    tokens: TokenSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refreshing: Option<RefreshIntent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lost: Option<LoginRequired>,
}

/// When a refresh is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshReason {
    /// If the access token is within the margin of its expiry (or past it).
    IfDue,
    /// Unless the stored set is newer than this generation: X refused its access token (401),
    /// or the caller wants a new set now.
    Replace {
        /// The generation the caller holds.
        generation: u64,
    },
}

impl StoredGrant {
    /// A grant at `generation` (a store's first grant for a key is generation 1; a new login
    /// is one above whatever was stored).
    #[must_use]
    pub fn new(key: UserKey, tokens: TokenSet, generation: u64) -> Self {
        Self {
            key,
            generation,
            tokens,
            refreshing: None,
            lost: None,
        }
    }

    /// Whose grant.
    #[must_use]
    pub fn key(&self) -> &UserKey {
        &self.key
    }

    /// Grows by one with every token set X issues; never goes backwards.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The token set.
    #[must_use]
    pub fn tokens(&self) -> &TokenSet {
        &self.tokens
    }

    /// When the access token expires (`None`: X did not say).
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.tokens.expires_at()
    }

    /// A refresh from this set that was sent (or about to be) and never came back.
    #[must_use]
    pub fn refresh_intent(&self) -> Option<RefreshIntent> {
        self.refreshing
    }

    /// Set when the grant is gone: the user must log in again.
    #[must_use]
    pub fn lost(&self) -> Option<LoginRequired> {
        self.lost
    }

    /// Whether this set should be refreshed for `reason` at `now` (refreshing `margin` ahead of
    /// expiry). A set without a refresh token never needs one (it cannot have one); a lost
    /// grant neither.
    #[must_use]
    pub fn needs_refresh(&self, reason: RefreshReason, now: SystemTime, margin: Duration) -> bool {
        if self.lost.is_some() || !self.tokens.can_refresh() {
            return false;
        }
        match reason {
            RefreshReason::IfDue => self.tokens.freshness(now, margin) != Freshness::Fresh,
            RefreshReason::Replace { generation } => self.generation <= generation,
        }
    }

    /// Whether a driver must run a task before it uses this set at `now`: a refresh is due for
    /// `reason`, or the grant says the user must log in again (the store may hold a newer
    /// login, which the task finds).
    #[must_use]
    pub fn needs_task(&self, reason: RefreshReason, now: SystemTime, margin: Duration) -> bool {
        self.needs_refresh(reason, now, margin) || self.login_required(now).is_some()
    }

    /// Why the user must log in again before this set can be used at `now`: the grant is
    /// lost, or its access token expired and there is no refresh token. A driver that sees
    /// this runs a task anyway (the store may hold a newer login) and reports what it says.
    #[must_use]
    pub fn login_required(&self, now: SystemTime) -> Option<LoginRequired> {
        self.lost.or_else(|| {
            let expired = self.tokens.freshness(now, Duration::ZERO) == Freshness::Expired;
            (expired && !self.tokens.can_refresh()).then_some(LoginRequired::NoRefreshToken)
        })
    }

    /// Whether `candidate` is the set X issued when refreshing from this one.
    fn is_succeeded_by(&self, candidate: &Self) -> bool {
        candidate.key == self.key && candidate.generation == self.generation + 1
    }

    fn with_intent(&self, intent: Option<RefreshIntent>) -> Self {
        let mut grant = self.clone();
        grant.refreshing = intent;
        grant
    }
}

/// What a store read for one key: its grant, and a set left in its salvage place (a save that
/// a crash cut short, or that was fenced out or failed).
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The committed grant.
    pub grant: Option<StoredGrant>,
    /// A set waiting to be committed, if any.
    pub salvage: Option<StoredGrant>,
}

impl Loaded {
    /// The set to use without a lease: the committed grant, or the successor X issued for it
    /// that is still waiting in the salvage place (the next task commits it).
    #[must_use]
    pub fn usable(self) -> Option<StoredGrant> {
        let grant = self.grant?;
        match self.salvage {
            Some(successor) if grant.is_succeeded_by(&successor) => Some(successor),
            _ => Some(grant),
        }
    }
}

/// What a fenced save did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Written (and durable, as far as the store can promise).
    Written,
    /// Not written: the lease is no longer the caller's, or the stored generation is not the
    /// expected one (someone else changed the key).
    FencedOut,
}

/// A store call failed; the driver keeps the error itself and reports it when the task ends
/// with [`GrantError::Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreFailed;

/// How a request a task asked to send failed before an answer came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// Nothing reached X (no connection).
    NotSent,
    /// It may have reached X (sent, then cut off or timed out).
    Unknown,
}

impl From<crate::retry::TransportFailure> for SendFailure {
    fn from(failure: crate::retry::TransportFailure) -> Self {
        match failure {
            crate::retry::TransportFailure::NotSent => Self::NotSent,
            crate::retry::TransportFailure::Unknown => Self::Unknown,
        }
    }
}

/// Timing of a [`GrantTask`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantSettings {
    /// Refresh this long before the access token expires (default 60 s).
    pub margin: Duration,
    /// The lease asked for (default 90 s); a store whose lease cannot expire (a file lock)
    /// ignores it.
    pub lease_ttl: Duration,
    /// Send a refresh only if the lease has at least this long left: the HTTP timeout plus a
    /// margin (default 40 s: the adapters' 30 s timeout plus 10 s).
    pub send_budget: Duration,
    /// Give up waiting for a busy lease after this long (default 120 s).
    pub max_lease_wait: Duration,
}

impl Default for GrantSettings {
    fn default() -> Self {
        Self {
            margin: oauth2::DEFAULT_REFRESH_MARGIN,
            lease_ttl: Duration::from_secs(90),
            send_budget: Duration::from_secs(40),
            max_lease_wait: Duration::from_secs(120),
        }
    }
}

impl GrantSettings {
    /// These settings with a refresh margin of at least `margin` (the refresh job's horizon).
    #[must_use]
    pub fn with_margin_at_least(self, margin: Duration) -> Self {
        Self {
            margin: margin.max(self.margin),
            ..self
        }
    }
}

/// What a task needs next. Borrowed values live in the task: finish the IO, then feed it back.
///
/// `Debug` shows a request's method and URI only: its body carries a token.
#[must_use]
pub enum Next<'a> {
    /// Take the key's lease for `ttl` (non-blocking), then [`leased`](GrantTask::leased) or
    /// [`busy`](GrantTask::busy).
    Lease {
        /// How long the lease should last if its holder dies.
        ttl: Duration,
    },
    /// Wait this long, then poll again.
    Wait(Duration),
    /// Read the key, then [`loaded`](GrantTask::loaded).
    Load,
    /// Write `grant` under the lease if the stored generation is `expected` (`None`: nothing
    /// stored), clearing the salvage place if it holds nothing newer; then
    /// [`saved`](GrantTask::saved).
    Save {
        /// The grant to write.
        grant: &'a StoredGrant,
        /// The generation the store must hold for the write to happen.
        expected: Option<u64>,
    },
    /// Put `grant` in the key's salvage place (no lease needed), then
    /// [`salvaged`](GrantTask::salvaged).
    Salvage {
        /// The set to keep.
        grant: &'a StoredGrant,
    },
    /// Delete the key under the lease if the stored generation is `expected`, then
    /// [`deleted`](GrantTask::deleted).
    Delete {
        /// The generation the store must hold.
        expected: u64,
    },
    /// Send `request` (never replayed blindly: follow `replay` and the transport's retry
    /// policy), then [`answered`](GrantTask::answered) or [`send_failed`](GrantTask::send_failed).
    Send {
        /// The request.
        request: &'a HttpRequest,
        /// Whether it may be sent again after an ambiguous failure.
        replay: Replay,
    },
    /// Release the lease (whatever happened), then [`released`](GrantTask::released).
    Release,
    /// The task is over: call [`finish`](GrantTask::finish).
    Done,
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lease { ttl } => f.debug_struct("Lease").field("ttl", ttl).finish(),
            Self::Wait(wait) => f.debug_tuple("Wait").field(wait).finish(),
            Self::Load => f.write_str("Load"),
            Self::Save { grant, expected } => f
                .debug_struct("Save")
                .field("grant", grant)
                .field("expected", expected)
                .finish(),
            Self::Salvage { grant } => f.debug_struct("Salvage").field("grant", grant).finish(),
            Self::Delete { expected } => f
                .debug_struct("Delete")
                .field("expected", expected)
                .finish(),
            Self::Send { request, replay } => f
                .debug_struct("Send")
                .field("method", request.method())
                .field("uri", request.uri())
                .field("replay", replay)
                .finish_non_exhaustive(),
            Self::Release => f.write_str("Release"),
            Self::Done => f.write_str("Done"),
        }
    }
}

/// What a task achieved.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GrantOutcome {
    /// X issued a new set and it is saved (or, for a login, the set is stored).
    Refreshed(StoredGrant),
    /// Nothing was sent: the stored set is fresh enough, or another holder refreshed it.
    Current(StoredGrant),
    /// X issued a new set but the store refused or failed to save it: use it, keep it in
    /// memory and pass it to the next task ([`GrantTask::with_unsaved`]); it was also put in
    /// the salvage place if the store took it.
    Unsaved(StoredGrant),
    /// The grant was revoked at X and deleted from the store.
    LoggedOut,
}

impl GrantOutcome {
    /// The grant to use from now on (`None` after a logout).
    #[must_use]
    pub fn grant(&self) -> Option<&StoredGrant> {
        match self {
            Self::Refreshed(g) | Self::Current(g) | Self::Unsaved(g) => Some(g),
            Self::LoggedOut => None,
        }
    }
}

/// Why a task failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// A store call failed (the driver holds its error). If it failed before a refresh was
    /// sent, nothing was spent.
    #[error("the token store failed")]
    Store,
    /// Nothing reached X (the driver holds the transport error); nothing was spent.
    #[error("the request did not reach X")]
    Transport,
    /// X or the protocol said no, or the grant is gone ([`Error::LoginRequired`]).
    #[error(transparent)]
    Core(#[from] Error),
}

#[derive(Debug)]
enum Purpose {
    Refresh(RefreshReason),
    Login(Box<TokenSet>),
    Logout,
}

/// What to do when a save comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterSave {
    /// A salvaged successor was committed: decide again from it.
    Settled,
    /// The intent is recorded: send the refresh.
    Intent,
    /// The new set is saved: done.
    NewSet,
    /// The intent was cleared after a refresh that X did not process.
    ClearIntent,
    /// The grant was marked lost.
    Lost,
    /// A login's set is stored.
    Login,
}

#[derive(Debug)]
enum State {
    Lease,
    Waiting {
        until: Instant,
    },
    Load,
    Save {
        grant: StoredGrant,
        expected: Option<u64>,
        then: AfterSave,
    },
    Salvage(StoredGrant),
    Send,
    Delete {
        expected: u64,
    },
    Release,
    Done,
}

#[derive(Debug)]
enum Step {
    Refresh(RefreshExchange),
    Revoke(RevokeExchange),
}

impl Step {
    fn request(&self) -> &HttpRequest {
        match self {
            Self::Refresh(step) => step.request(),
            Self::Revoke(step) => step.request(),
        }
    }

    fn replay(&self) -> Replay {
        match self {
            Self::Refresh(step) => step.replay(),
            Self::Revoke(step) => step.replay(),
        }
    }
}

/// One refresh, login or logout of one user's grant, as a sans-IO machine (see the
/// [module docs](self)).
#[derive(Debug)]
pub struct GrantTask {
    key: UserKey,
    purpose: Purpose,
    app: oauth2::App,
    settings: GrantSettings,
    state: State,
    /// When the first lease attempt was made, and how many were refused.
    first_try: Option<Instant>,
    busy: u32,
    fence: u64,
    lease_until: Option<Instant>,
    leased: bool,
    /// The grant as last read and written.
    current: Option<StoredGrant>,
    /// A set X issued that is not saved yet.
    unsaved: Option<StoredGrant>,
    /// The stored grant carried an intent: an earlier refresh's outcome is unknown.
    suspect: bool,
    /// That earlier intent.
    prior_intent: Option<RefreshIntent>,
    /// X refused the refresh token; the store is being read again before the grant is
    /// declared gone.
    rereading: bool,
    /// The generation the refresh was sent from.
    sent_from: u64,
    /// The latest monotonic instant seen by `poll`.
    mono_now: Option<Instant>,
    /// X's token endpoint answered 429: how long to wait.
    retry_after: Option<Duration>,
    steps: Vec<Step>,
    result: Option<Result<GrantOutcome, GrantError>>,
}

impl GrantTask {
    fn new(key: UserKey, purpose: Purpose, app: oauth2::App, settings: GrantSettings) -> Self {
        Self {
            key,
            purpose,
            app,
            settings,
            state: State::Lease,
            first_try: None,
            busy: 0,
            fence: 0,
            lease_until: None,
            leased: false,
            current: None,
            unsaved: None,
            suspect: false,
            prior_intent: None,
            rereading: false,
            sent_from: 0,
            mono_now: None,
            retry_after: None,
            steps: Vec::new(),
            result: None,
        }
    }

    /// Refreshes `key`'s grant if its access token is due (the refresh job, and an API client
    /// before a request).
    #[must_use]
    pub fn refresh_if_due(key: UserKey, app: oauth2::App, settings: GrantSettings) -> Self {
        Self::refresh(key, RefreshReason::IfDue, app, settings)
    }

    /// Refreshes `key`'s grant for `reason`.
    #[must_use]
    pub fn refresh(
        key: UserKey,
        reason: RefreshReason,
        app: oauth2::App,
        settings: GrantSettings,
    ) -> Self {
        Self::new(key, Purpose::Refresh(reason), app, settings)
    }

    /// Stores a new login's token set for `key`, one generation above whatever was there (a
    /// refresh of the old grant in flight elsewhere is fenced out).
    #[must_use]
    pub fn login(
        key: UserKey,
        tokens: TokenSet,
        app: oauth2::App,
        settings: GrantSettings,
    ) -> Self {
        Self::new(key, Purpose::Login(Box::new(tokens)), app, settings)
    }

    /// Logs `key` out: revokes the refresh token (which ends the grant) and the access token
    /// at X with `token_type_hint`, then deletes the key. A token X already considers invalid
    /// counts as revoked; a revocation that fails in transport keeps the key (try again).
    #[must_use]
    pub fn logout(key: UserKey, app: oauth2::App, settings: GrantSettings) -> Self {
        Self::new(key, Purpose::Logout, app, settings)
    }

    /// A set X issued that an earlier task could not save: it is committed if it is still the
    /// successor of the stored grant.
    #[must_use]
    pub fn with_unsaved(mut self, grant: Option<StoredGrant>) -> Self {
        self.unsaved = grant.filter(|g| g.key == self.key);
        self
    }

    /// The key this task is about.
    #[must_use]
    pub fn key(&self) -> &UserKey {
        &self.key
    }

    /// What to do next; `now` is a monotonic instant (lease deadlines and waits).
    pub fn poll(&mut self, now: Instant) -> Next<'_> {
        self.mono_now = Some(now);
        if let State::Waiting { until } = self.state
            && now >= until
        {
            self.state = State::Lease;
        }
        if matches!(self.state, State::Send)
            && let Some(until) = self.lease_until
            && until.saturating_duration_since(now) < self.settings.send_budget
            && matches!(self.steps.last(), Some(Step::Refresh(_)))
        {
            // The lease would not outlive the request: take the intent back, send nothing.
            self.steps.clear();
            self.fail_clearing_intent(Error::LeaseUnavailable.into());
        }
        match &self.state {
            State::Lease => Next::Lease {
                ttl: self.settings.lease_ttl,
            },
            State::Waiting { until } => Next::Wait(until.saturating_duration_since(now)),
            State::Load => Next::Load,
            State::Save {
                grant, expected, ..
            } => Next::Save {
                grant,
                expected: *expected,
            },
            State::Salvage(grant) => Next::Salvage { grant },
            State::Send => match self.steps.last() {
                Some(step) => Next::Send {
                    request: step.request(),
                    replay: step.replay(),
                },
                None => Next::Release,
            },
            State::Delete { expected } => Next::Delete {
                expected: *expected,
            },
            State::Release => Next::Release,
            State::Done => Next::Done,
        }
    }

    /// The lease is held under `fence`; `expires_in` is how long it lasts (`None`: until
    /// released, e.g. a file lock), counted from `at`.
    pub fn leased(&mut self, fence: u64, expires_in: Option<Duration>, at: Instant) {
        if !matches!(self.state, State::Lease) {
            return;
        }
        self.fence = fence;
        self.leased = true;
        self.lease_until = expires_in.map(|ttl| at + ttl);
        self.state = State::Load;
    }

    /// The store failed to take the lease (the driver keeps its error); nothing was sent.
    pub fn lease_failed(&mut self) {
        if matches!(self.state, State::Lease) {
            self.result = Some(Err(GrantError::Store));
            self.state = State::Done;
        }
    }

    /// Someone else holds the lease: wait a little (2 ms doubling to 50 ms) and try again, up
    /// to [`GrantSettings::max_lease_wait`].
    pub fn busy(&mut self, at: Instant) {
        if !matches!(self.state, State::Lease) {
            return;
        }
        let first = *self.first_try.get_or_insert(at);
        if at.saturating_duration_since(first) >= self.settings.max_lease_wait {
            self.result = Some(Err(Error::LeaseUnavailable.into()));
            self.state = State::Done;
            return;
        }
        let wait = Duration::from_millis((2u64 << self.busy.min(5)).min(50));
        self.busy += 1;
        self.state = State::Waiting { until: at + wait };
    }

    /// The key as the store read it (`now` is the wall clock, for token expiry).
    pub fn loaded(&mut self, result: Result<Loaded, StoreFailed>, now: SystemTime) {
        if !matches!(self.state, State::Load) {
            return;
        }
        let Ok(loaded) = result else {
            return self.release_with(Err(GrantError::Store));
        };
        let candidates = [loaded.salvage, self.unsaved.take()];
        self.current = loaded.grant;
        if let Some(current) = &self.current
            && let Some(successor) = candidates
                .into_iter()
                .flatten()
                .find(|c| current.is_succeeded_by(c))
        {
            // A set X issued that was never committed: commit it before anything else.
            let expected = Some(current.generation);
            self.unsaved = Some(successor.clone());
            self.state = State::Save {
                grant: successor,
                expected,
                then: AfterSave::Settled,
            };
            return;
        }
        self.decide(now);
    }

    /// What the store did with a save.
    pub fn saved(&mut self, result: Result<Saved, StoreFailed>, now: SystemTime) {
        if !matches!(self.state, State::Save { .. }) {
            return;
        }
        let State::Save { grant, then, .. } = std::mem::replace(&mut self.state, State::Release)
        else {
            return;
        };
        match (then, result) {
            (AfterSave::Settled, Ok(Saved::Written)) => {
                self.unsaved = None;
                self.current = Some(grant);
                self.decide(now);
            }
            (AfterSave::Settled, _) => {
                // The successor stays where it was found (and in memory): use it.
                self.unsaved = Some(grant.clone());
                self.release_with(Ok(GrantOutcome::Unsaved(grant)));
            }
            (AfterSave::Intent, Ok(Saved::Written)) => {
                self.sent_from = grant.generation;
                self.current = Some(grant);
                match self.refresh_step() {
                    Ok(step) => {
                        self.steps.push(Step::Refresh(step));
                        self.state = State::Send;
                    }
                    Err(e) => self.fail_clearing_intent(e.into()),
                }
            }
            (AfterSave::Intent, Ok(Saved::FencedOut)) => {
                self.release_with(Err(Error::LeaseUnavailable.into()));
            }
            (AfterSave::Intent, Err(StoreFailed)) => self.release_with(Err(GrantError::Store)),
            (AfterSave::NewSet, Ok(Saved::Written)) => {
                self.unsaved = None;
                self.release_with(Ok(GrantOutcome::Refreshed(grant)));
            }
            (AfterSave::NewSet, outcome) => {
                // Fenced out or failed: X spent the old token, so this set is the only valid
                // one. Keep it in the salvage place and in memory.
                let _ = outcome;
                self.result = Some(Ok(GrantOutcome::Unsaved(grant.clone())));
                self.unsaved = Some(grant.clone());
                self.state = State::Salvage(grant);
            }
            (AfterSave::ClearIntent | AfterSave::Lost, _) => self.state = State::Release,
            (AfterSave::Login, Ok(Saved::Written)) => {
                self.release_with(Ok(GrantOutcome::Refreshed(grant)));
            }
            (AfterSave::Login, Ok(Saved::FencedOut)) => {
                self.release_with(Err(Error::LeaseUnavailable.into()));
            }
            (AfterSave::Login, Err(StoreFailed)) => self.release_with(Err(GrantError::Store)),
        }
    }

    /// The salvage place took the set (`true`) or not.
    pub fn salvaged(&mut self, _kept: bool) {
        if matches!(self.state, State::Salvage(_)) {
            // Either way the set is in memory and the task ends with it.
            self.state = State::Release;
        }
    }

    /// What the store did with a delete.
    pub fn deleted(&mut self, result: Result<Saved, StoreFailed>) {
        if !matches!(self.state, State::Delete { .. }) {
            return;
        }
        self.release_with(match result {
            Ok(Saved::Written) => Ok(GrantOutcome::LoggedOut),
            Ok(Saved::FencedOut) => Err(Error::LeaseUnavailable.into()),
            Err(StoreFailed) => Err(GrantError::Store),
        });
    }

    /// X's answer to the request of the last [`Next::Send`] (after the transport's retries).
    pub fn answered(&mut self, response: HttpResponse, now: SystemTime) {
        if !matches!(self.state, State::Send) {
            return;
        }
        match self.steps.pop() {
            // A gateway or server failure says nothing of whether X spent the token.
            Some(Step::Refresh(_)) if matches!(response.status().as_u16(), 500 | 502 | 504) => {
                self.release_with(Err(Error::MayHaveBeenConsumed.into()));
            }
            Some(Step::Refresh(step)) => {
                if response.status() == 429 {
                    // Refused before processing: nothing spent; say how long to wait.
                    let limits = crate::rate_limit::RateLimit::from_response(&response, now);
                    self.retry_after = Some(
                        limits
                            .and_then(|l| l.wait(now))
                            .unwrap_or(Duration::from_secs(60)),
                    );
                }
                self.finish_refresh(step, response, now);
            }
            Some(Step::Revoke(step)) => match step.finish(now, response) {
                // A token X already holds invalid is as good as revoked.
                Ok(()) => self.next_revocation(),
                Err(Error::OAuth2 { status: 400, .. }) => self.next_revocation(),
                Err(e) => self.release_with(Err(e.into())),
            },
            None => self.release_with(Err(GrantError::Transport)),
        }
    }

    /// X's answer to the refresh this task sent.
    fn finish_refresh(&mut self, step: RefreshExchange, response: HttpResponse, now: SystemTime) {
        match step.finish(now, response) {
            Ok(tokens) => {
                let Some(from) = &self.current else {
                    return self.release_with(Err(GrantError::Store));
                };
                let grant = StoredGrant::new(self.key.clone(), tokens, from.generation + 1);
                let expected = Some(from.generation);
                self.unsaved = Some(grant.clone());
                self.state = State::Save {
                    grant,
                    expected,
                    then: AfterSave::NewSet,
                };
            }
            Err(e) if refuses_grant(&e) => {
                // Another holder may have rotated it meanwhile: read again first. X's own
                // words are dropped: the typed reason says what to do.
                self.rereading = true;
                self.state = State::Load;
            }
            Err(e @ Error::MayHaveBeenConsumed) => self.release_with(Err(e.into())),
            // X answered and did not process the refresh: the token is unspent.
            Err(e) => self.fail_clearing_intent(e.into()),
        }
    }

    /// The request of the last [`Next::Send`] got no answer.
    pub fn send_failed(&mut self, failure: SendFailure) {
        if !matches!(self.state, State::Send) {
            return;
        }
        match (self.steps.pop(), failure) {
            (Some(Step::Refresh(_)), SendFailure::NotSent) => {
                self.fail_clearing_intent(GrantError::Transport);
            }
            (Some(Step::Refresh(_)), SendFailure::Unknown) => {
                // The intent stays: the next holder learns the outcome was unknown.
                self.release_with(Err(Error::MayHaveBeenConsumed.into()));
            }
            _ => self.release_with(Err(GrantError::Transport)),
        }
    }

    /// The lease is released (or its release failed: it expires on its own).
    pub fn released(&mut self) {
        if matches!(self.state, State::Release) {
            self.leased = false;
            self.state = State::Done;
        }
    }

    /// Whether the task holds the lease now.
    #[must_use]
    pub fn holds_lease(&self) -> bool {
        self.leased
    }

    /// The fence of the lease held (0 before one is held).
    #[must_use]
    pub fn fence(&self) -> u64 {
        self.fence
    }

    /// How long to wait before refreshing again, if X's token endpoint answered 429 (from its
    /// rate-limit headers, or 60 s).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// A set X issued that is not saved, to keep in memory if the task ends early.
    #[must_use]
    pub fn unsaved(&self) -> Option<&StoredGrant> {
        self.unsaved.as_ref()
    }

    /// The outcome, once [`poll`](Self::poll) said [`Next::Done`].
    ///
    /// # Errors
    ///
    /// What went wrong; [`GrantError::Store`] and [`GrantError::Transport`] stand for the
    /// error the driver kept. A task finished early fails with [`GrantError::Store`].
    pub fn finish(self) -> Result<GrantOutcome, GrantError> {
        self.result.unwrap_or(Err(GrantError::Store))
    }

    fn release_with(&mut self, result: Result<GrantOutcome, GrantError>) {
        self.result = Some(result);
        self.state = if self.leased {
            State::Release
        } else {
            State::Done
        };
    }

    /// Records `error` and takes this task's intent back (its refresh was not processed); an
    /// intent an earlier, interrupted refresh left is put back, not dropped.
    fn fail_clearing_intent(&mut self, error: GrantError) {
        self.result = Some(Err(error));
        match &self.current {
            Some(current) if current.refreshing.is_some() => {
                self.state = State::Save {
                    grant: current.with_intent(self.prior_intent),
                    expected: Some(current.generation),
                    then: AfterSave::ClearIntent,
                };
            }
            _ => self.state = State::Release,
        }
    }

    fn refresh_step(&self) -> Result<RefreshExchange, Error> {
        let current = self.current.as_ref().ok_or(Error::LoginRequired {
            reason: LoginRequired::NoGrant,
        })?;
        self.app.refresh(&current.tokens)
    }

    /// After a load, with any successor committed.
    fn decide(&mut self, now: SystemTime) {
        if self.rereading {
            self.rereading = false;
            return self.after_reread();
        }
        let current = self.current.clone();
        match &self.purpose {
            Purpose::Login(tokens) => {
                let generation = current.as_ref().map_or(1, |g| g.generation + 1);
                let grant = StoredGrant::new(self.key.clone(), (**tokens).clone(), generation);
                self.state = State::Save {
                    grant,
                    expected: current.map(|g| g.generation),
                    then: AfterSave::Login,
                };
            }
            Purpose::Logout => match current {
                None => self.release_with(Ok(GrantOutcome::LoggedOut)),
                Some(grant) => {
                    let revoke = |token| self.app.revoke(token);
                    let mut steps = Vec::new();
                    // Sent from the end: the refresh token first (revoking it ends the grant at
                    // X, so a failure after it leaves nothing usable), then the access token.
                    match revoke(RevokeToken::Access(grant.tokens.access_token())) {
                        Ok(step) => steps.push(Step::Revoke(step)),
                        Err(e) => return self.release_with(Err(e.into())),
                    }
                    if let Some(refresh) = grant.tokens.refresh_token() {
                        match revoke(RevokeToken::Refresh(refresh)) {
                            Ok(step) => steps.push(Step::Revoke(step)),
                            Err(e) => return self.release_with(Err(e.into())),
                        }
                    }
                    self.steps = steps;
                    self.state = State::Send;
                }
            },
            Purpose::Refresh(reason) => {
                let Some(grant) = current else {
                    return self.release_with(Err(login_required(LoginRequired::NoGrant)));
                };
                if let Some(reason) = grant.lost {
                    return self.release_with(Err(login_required(reason)));
                }
                let expired = grant.tokens.freshness(now, Duration::ZERO) == Freshness::Expired;
                if !grant.tokens.can_refresh() {
                    return self.release_with(
                        if expired || matches!(reason, RefreshReason::Replace { .. }) {
                            Err(login_required(LoginRequired::NoRefreshToken))
                        } else {
                            Ok(GrantOutcome::Current(grant))
                        },
                    );
                }
                if !grant.needs_refresh(*reason, now, self.settings.margin) {
                    return self.release_with(Ok(GrantOutcome::Current(grant)));
                }
                if let (Some(until), Some(now)) = (self.lease_until, self.mono_now)
                    && until.saturating_duration_since(now) < self.settings.send_budget
                {
                    return self.release_with(Err(Error::LeaseUnavailable.into()));
                }
                self.suspect = grant.refreshing.is_some();
                self.prior_intent = grant.refreshing;
                let intent = RefreshIntent {
                    fence: self.fence,
                    at: crate::time::whole_secs(now),
                };
                self.state = State::Save {
                    grant: grant.with_intent(Some(intent)),
                    expected: Some(grant.generation),
                    then: AfterSave::Intent,
                };
            }
        }
    }

    /// X refused the refresh token and the store was read again: another holder's newer set
    /// wins; otherwise the grant is gone.
    fn after_reread(&mut self) {
        let Some(current) = self.current.clone() else {
            return self.release_with(Err(login_required(LoginRequired::NoGrant)));
        };
        if current.generation > self.sent_from {
            return self.release_with(Ok(GrantOutcome::Current(current)));
        }
        let reason = if self.suspect {
            LoginRequired::OutcomeUnknown
        } else {
            LoginRequired::Refused
        };
        let mut lost = current.with_intent(None);
        lost.lost = Some(reason);
        self.result = Some(Err(login_required(reason)));
        self.state = State::Save {
            expected: Some(current.generation),
            grant: lost,
            then: AfterSave::Lost,
        };
    }

    fn next_revocation(&mut self) {
        if self.steps.is_empty() {
            let expected = self.current.as_ref().map_or(0, |g| g.generation);
            self.state = State::Delete { expected };
        }
    }
}

fn login_required(reason: LoginRequired) -> GrantError {
    GrantError::Core(Error::LoginRequired { reason })
}

/// X's answer to a spent, revoked or expired refresh token: `invalid_request` (what X sends for
/// a replayed one) or `invalid_grant`.
fn refuses_grant(error: &Error) -> bool {
    matches!(error, Error::OAuth2 { status: 400 | 401, error }
        if error.error == "invalid_request" || error.error == "invalid_grant")
}

/// How one key's refresh in a [`RefreshJob`] ended, as the driver classifies it.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyResult<E> {
    /// The task finished.
    Done(GrantOutcome),
    /// X's token endpoint answered 429 (`E`): try the key again after this wait.
    RateLimited(Duration, E),
    /// The grant is gone.
    LoginRequired(LoginRequired),
    /// Anything else.
    Failed(E),
}

impl<E> KeyResult<E> {
    /// Classifies how a key's refresh ended, for [`RefreshJob::finished`]: a grant that is gone
    /// is [`LoginRequired`](Self::LoginRequired), a 429 from X is
    /// [`RateLimited`](Self::RateLimited) for `wait()` (the rate limit's reset; 60 s when X
    /// gave none), anything else [`Failed`](Self::Failed). `core` finds the core's error
    /// inside the adapter's.
    pub fn classify(
        result: Result<GrantOutcome, E>,
        core: impl FnOnce(&E) -> Option<&Error>,
        wait: impl FnOnce() -> Option<Duration>,
    ) -> Self {
        let e = match result {
            Ok(outcome) => return Self::Done(outcome),
            Err(e) => e,
        };
        match core(&e) {
            Some(Error::LoginRequired { reason }) => Self::LoginRequired(*reason),
            Some(error) if error.status() == Some(429) => {
                Self::RateLimited(wait().unwrap_or(Duration::from_secs(60)), e)
            }
            _ => Self::Failed(e),
        }
    }
}

/// What a refresh job did, key by key.
#[derive(Debug)]
pub struct RefreshReport<E> {
    /// X issued a new set, and it is saved.
    pub refreshed: Vec<UserKey>,
    /// Nothing was due after all (another holder refreshed, or the set was fresh).
    pub current: Vec<UserKey>,
    /// X issued a new set that could not be saved (it is in the salvage place and in memory).
    pub unsaved: Vec<UserKey>,
    /// The user must log in again.
    pub login_required: Vec<(UserKey, LoginRequired)>,
    /// Failed for another reason (store, transport, X), or still rate limited after retries.
    pub failed: Vec<(UserKey, E)>,
}

impl<E> Default for RefreshReport<E> {
    fn default() -> Self {
        Self {
            refreshed: Vec::new(),
            current: Vec::new(),
            unsaved: Vec::new(),
            login_required: Vec::new(),
            failed: Vec::new(),
        }
    }
}

impl<E> RefreshReport<E> {
    /// How many keys the job handled.
    #[must_use]
    pub fn len(&self) -> usize {
        self.refreshed.len()
            + self.current.len()
            + self.unsaved.len()
            + self.login_required.len()
            + self.failed.len()
    }

    /// Whether the job had no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a job worker does next.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum JobNext {
    /// Refresh this key if it is due ([`GrantTask::refresh_if_due`], through the same
    /// single-flight lock as API calls for the key).
    Run(UserKey),
    /// X's token endpoint is rate limited: wait this long on the adapter's clock.
    Wait(Duration),
    /// Nothing to hand out now, but a running key may come back (after a 429): wait a moment.
    Idle,
    /// Every key is handled.
    Done,
}

/// The refresh job's schedule, sans-IO: hands out each due key once to a bounded number of
/// workers, pauses everyone when X's token endpoint says 429, and collects the report.
///
/// A key is handed out again only after a 429 (X refused it before processing, so nothing was
/// spent), at most [`RefreshJob::MAX_RATE_LIMITED`] times.
#[derive(Debug)]
pub struct RefreshJob<E> {
    queue: std::collections::VecDeque<(UserKey, u32)>,
    running: Vec<(UserKey, u32)>,
    paused_until: Option<SystemTime>,
    report: RefreshReport<E>,
}

impl<E> RefreshJob<E> {
    /// How often one key may meet a 429 before it is reported as failed.
    pub const MAX_RATE_LIMITED: u32 = 3;

    /// A job over `keys` (duplicates dropped).
    #[must_use]
    pub fn new(mut keys: Vec<UserKey>) -> Self {
        keys.sort();
        keys.dedup();
        Self {
            queue: keys.into_iter().map(|k| (k, 0)).collect(),
            running: Vec::new(),
            paused_until: None,
            report: RefreshReport::default(),
        }
    }

    /// The next thing for a worker to do at `now` (the adapter's wall clock: X's rate-limit
    /// resets are wall-clock instants).
    pub fn next(&mut self, now: SystemTime) -> JobNext {
        if let Some(until) = self.paused_until {
            if let Ok(wait) = until.duration_since(now)
                && !wait.is_zero()
            {
                return JobNext::Wait(wait);
            }
            self.paused_until = None;
        }
        match self.queue.pop_front() {
            Some((key, tries)) => {
                self.running.push((key.clone(), tries));
                JobNext::Run(key)
            }
            None if self.running.is_empty() => JobNext::Done,
            None => JobNext::Idle,
        }
    }

    /// How a key handed out by [`next`](Self::next) ended (`now`: when).
    pub fn finished(&mut self, key: &UserKey, result: KeyResult<E>, now: SystemTime) {
        let Some(at) = self.running.iter().position(|(k, _)| k == key) else {
            return;
        };
        let (key, tries) = self.running.swap_remove(at);
        match result {
            KeyResult::Done(GrantOutcome::Refreshed(_)) => self.report.refreshed.push(key),
            KeyResult::Done(GrantOutcome::Unsaved(_)) => self.report.unsaved.push(key),
            KeyResult::Done(_) => self.report.current.push(key),
            KeyResult::LoginRequired(reason) => self.report.login_required.push((key, reason)),
            KeyResult::RateLimited(wait, _) if tries + 1 < Self::MAX_RATE_LIMITED => {
                let until = now + wait;
                self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
                self.queue.push_back((key, tries + 1));
            }
            KeyResult::RateLimited(_, e) => self.report.failed.push((key, e)),
            KeyResult::Failed(e) => self.report.failed.push((key, e)),
        }
    }

    /// The report, once [`next`](Self::next) said [`JobNext::Done`].
    #[must_use]
    pub fn into_report(self) -> RefreshReport<E> {
        self.report
    }
}
