//! Many users' OAuth 2.0 grants through one transport: a cached grant per key, one refresh
//! at a time per key, and the core's [`GrantTask`] pumped against a [`BlockingTokenStore`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use twitter_auth_core::api::{authorize_user, refused_access, replay_for_bearer};
use twitter_auth_core::grant::{
    self, GrantError, GrantOutcome, GrantSettings, GrantTask, JobNext, KeyResult, LoginRequired,
    Next, RefreshJob, RefreshReason, StoreFailed, StoredGrant, UserKey,
};
use twitter_auth_core::oauth2::{self, Scopes, TokenSet};
use twitter_auth_core::{Endpoints, HttpRequest, HttpResponse};
use twitter_auth_std::{BlockingTokenStore, StoreError, failpoint};

use crate::{ApiClient, Error, Kind, Transport, lock, read, write};

/// What a [`Grants::refresh_due`] run did, key by key.
pub type RefreshReport = grant::RefreshReport<Error>;

/// The OAuth 2.0 grants of an app's users, kept in a [`BlockingTokenStore`] and refreshed
/// through one transport. Clones share everything.
///
/// - [`login`](Self::login) stores a new login's token set; [`api`](Self::api) gives a cheap
///   [`ApiClient`] for a key (no store read once the key's grant is cached);
/// - every refresh is a [`GrantTask`] under the key's lease, one at a time per key in this
///   process, and through the store's lease across processes;
/// - [`refresh_due`](Self::refresh_due) is the refresh job.
#[derive(Clone, Debug)]
pub struct Grants {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    app: oauth2::App,
    /// The app's hosts, shared with every API client.
    endpoints: Arc<Endpoints>,
    store: Arc<dyn BlockingTokenStore>,
    settings: GrantSettings,
    slots: Mutex<HashMap<UserKey, Arc<Slot>>>,
}

/// One key's state in this process.
#[derive(Debug)]
struct Slot {
    key: UserKey,
    grant: RwLock<Option<Arc<StoredGrant>>>,
    /// A set X issued that the store has not taken yet.
    unsaved: Mutex<Option<StoredGrant>>,
    has_unsaved: AtomicBool,
    /// The last task's wait after a 429 from X's token endpoint (for the refresh job).
    retry_after: Mutex<Option<Duration>>,
    /// Single flight: one task at a time for this key in this process.
    flight: Mutex<()>,
}

/// A key's grant, as an [`ApiClient`] holds it.
#[derive(Debug)]
pub(crate) struct UserHandle {
    grants: Arc<Inner>,
    slot: Arc<Slot>,
}

impl Grants {
    /// Grants in `store` of the users of `app` (its client id, its secret if confidential,
    /// and its hosts), refreshed through `transport`, with [`GrantSettings::default`].
    pub fn new(transport: Transport, app: oauth2::App, store: Arc<dyn BlockingTokenStore>) -> Self {
        Self {
            inner: Arc::new(Inner {
                transport,
                endpoints: Arc::new(app.endpoints().clone()),
                app,
                store,
                settings: GrantSettings::default(),
                slots: Mutex::default(),
            }),
        }
    }

    /// Other timings (refresh margin, lease TTL, send budget), before any key is used.
    #[must_use]
    pub fn with_settings(self, settings: GrantSettings) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                transport: inner.transport.clone(),
                app: inner.app.clone(),
                endpoints: Arc::clone(&inner.endpoints),
                store: Arc::clone(&inner.store),
                settings,
                slots: Mutex::default(),
            }),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The app whose users these are.
    pub fn app(&self) -> &oauth2::App {
        &self.inner.app
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn BlockingTokenStore> {
        &self.inner.store
    }

    /// Stores a new login's token set for `key` (one generation above any earlier grant, whose
    /// refresh in flight elsewhere is fenced out) and returns its API client.
    pub fn login(&self, key: &UserKey, tokens: TokenSet) -> Result<ApiClient, Error> {
        let handle = self.handle(key);
        let inner = &self.inner;
        let task = GrantTask::login(key.clone(), tokens, inner.app.clone(), inner.settings);
        handle.run_task(task)?;
        Ok(self.api_client(handle))
    }

    /// The API client for `key` (its grant read from the store the first time).
    ///
    /// # Errors
    ///
    /// [`LoginRequired::NoGrant`] if the store holds nothing for `key`; a store error.
    pub fn api(&self, key: &UserKey) -> Result<ApiClient, Error> {
        let handle = self.handle(key);
        handle.current()?;
        Ok(self.api_client(handle))
    }

    /// Drops `key`'s cached grant (it is read again on next use).
    pub fn forget(&self, key: &UserKey) {
        lock(&self.inner.slots).remove(key);
    }

    /// The refresh job: refreshes every key whose access token expires `within` from now (or
    /// within the settings' margin, if that is longer), with at most `workers` refreshes at once, each key once (through the same
    /// single-flight lock as API calls for it, and the store's lease), waiting out a 429 from
    /// X's token endpoint.
    ///
    /// # Errors
    ///
    /// Only if the store cannot list the keys; each key's own failure is in the report.
    pub fn refresh_due(&self, within: Duration, workers: usize) -> Result<RefreshReport, Error> {
        let clock = self.inner.transport.clock();
        let settings = self.inner.settings.with_margin_at_least(within);
        let due_by = clock.now() + settings.margin;
        let keys = self.inner.store.expiring_before(due_by)?;
        let job = Mutex::new(RefreshJob::new(keys));
        std::thread::scope(|scope| {
            for _ in 0..workers.max(1) {
                scope.spawn(|| {
                    loop {
                        let next = lock(&job).next(clock.now());
                        match next {
                            JobNext::Run(key) => {
                                let handle = self.handle(&key);
                                let result = handle.run_with(RefreshReason::IfDue, &settings);
                                let result = Self::classify(&handle, result);
                                lock(&job).finished(&key, result, clock.now());
                            }
                            JobNext::Wait(wait) => clock.sleep(wait),
                            JobNext::Idle => std::thread::sleep(Duration::from_millis(5)),
                            JobNext::Done => break,
                        }
                    }
                });
            }
        });
        Ok(twitter_auth_std::into_inner(job).into_report())
    }

    /// How a key's refresh ended, for the job; a 429 comes with the wait X named.
    fn classify(handle: &UserHandle, result: Result<GrantOutcome, Error>) -> KeyResult<Error> {
        let retry_after = lock(&handle.slot.retry_after).take();
        KeyResult::classify(result, Error::core, || retry_after)
    }

    fn handle(&self, key: &UserKey) -> UserHandle {
        let mut slots = lock(&self.inner.slots);
        // A cached key costs a lookup, not a copy of the key.
        let slot = match slots.get(key) {
            Some(slot) => Arc::clone(slot),
            None => {
                let slot = Arc::new(Slot {
                    key: key.clone(),
                    grant: RwLock::new(None),
                    unsaved: Mutex::new(None),
                    has_unsaved: AtomicBool::new(false),
                    retry_after: Mutex::new(None),
                    flight: Mutex::new(()),
                });
                slots.insert(key.clone(), Arc::clone(&slot));
                slot
            }
        };
        drop(slots);
        UserHandle {
            grants: Arc::clone(&self.inner),
            slot,
        }
    }

    fn api_client(&self, handle: UserHandle) -> ApiClient {
        ApiClient {
            transport: self.inner.transport.clone(),
            endpoints: Arc::clone(&self.inner.endpoints),
            kind: Kind::User(handle),
        }
    }
}

impl UserHandle {
    /// The grant in use, read from the store if none is cached.
    pub(crate) fn current(&self) -> Result<Arc<StoredGrant>, Error> {
        if let Some(grant) = read(&self.slot.grant).as_ref() {
            return Ok(Arc::clone(grant));
        }
        let loaded = self.grants.store.load(&self.slot.key)?;
        let committed = loaded.grant.as_ref().map(StoredGrant::generation);
        let grant = loaded
            .usable()
            .ok_or_else(|| login(LoginRequired::NoGrant))?;
        if Some(grant.generation()) != committed {
            // X's set that a crash left uncommitted: the next call's task commits it.
            *lock(&self.slot.unsaved) = Some(grant.clone());
            self.slot.has_unsaved.store(true, Relaxed);
        }
        let grant = Arc::new(grant);
        *write(&self.slot.grant) = Some(Arc::clone(&grant));
        Ok(grant)
    }

    pub(crate) fn send(
        &self,
        transport: &Transport,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let settings = &self.grants.settings;
        let mut attempt = 0;
        loop {
            let mut grant = self.current()?;
            let now = transport.clock().now();
            if self.slot.has_unsaved.load(Relaxed)
                || grant.needs_task(RefreshReason::IfDue, now, settings.margin)
            {
                self.run(RefreshReason::IfDue)?;
                grant = self.current()?;
            }
            let replay = replay_for_bearer(&request);
            let authorize =
                |request: &mut HttpRequest| Ok(authorize_user(request, grant.tokens())?);
            let answer = transport.attempts(&mut request, authorize, replay)?;
            if !refused_access(&answer, grant.tokens(), attempt) {
                return Ok(answer);
            }
            self.run(RefreshReason::Replace {
                generation: grant.generation(),
            })?;
            attempt += 1;
        }
    }

    /// Runs a refresh for `reason` unless the cached grant makes it pointless; one at a time.
    pub(crate) fn run(&self, reason: RefreshReason) -> Result<GrantOutcome, Error> {
        self.run_with(reason, &self.grants.settings)
    }

    /// [`run`](Self::run) with other settings (the refresh job's horizon).
    fn run_with(
        &self,
        reason: RefreshReason,
        settings: &GrantSettings,
    ) -> Result<GrantOutcome, Error> {
        let _flight = lock(&self.slot.flight);
        let now = self.grants.transport.clock().now();
        if !self.slot.has_unsaved.load(Relaxed)
            && let Some(grant) = read(&self.slot.grant).as_ref()
            && grant.tokens().can_refresh()
            && !grant.needs_task(reason, now, settings.margin)
        {
            return Ok(GrantOutcome::Current((**grant).clone()));
        }
        let task = GrantTask::refresh(
            self.slot.key.clone(),
            reason,
            self.grants.app.clone(),
            *settings,
        );
        self.pump(task)
    }

    /// Runs any task under the key's single-flight lock.
    pub(crate) fn run_task(&self, task: GrantTask) -> Result<GrantOutcome, Error> {
        let _flight = lock(&self.slot.flight);
        self.pump(task)
    }

    /// Drives `task` to its end against the store and the transport, and caches what it
    /// yields. The caller holds the flight lock.
    fn pump(&self, task: GrantTask) -> Result<GrantOutcome, Error> {
        let unsaved = lock(&self.slot.unsaved).take();
        let mut task = task.with_unsaved(unsaved);
        let (store, transport) = (&*self.grants.store, &self.grants.transport);
        let mut lease = None;
        let (mut store_error, mut send_error) = (None::<StoreError>, None::<Error>);
        let mut failed = |e: StoreError| {
            store_error = Some(e);
            StoreFailed
        };
        loop {
            let now = Instant::now();
            match task.poll(now) {
                Next::Lease { ttl } => match store.try_lease(task.key(), ttl) {
                    Ok(Some(held)) => {
                        task.leased(held.fence(), held.ttl(), now);
                        lease = Some(held);
                    }
                    Ok(None) => task.busy(now),
                    Err(e) => {
                        let _ = failed(e);
                        task.lease_failed();
                    }
                },
                Next::Wait(wait) => std::thread::sleep(wait),
                Next::Load => {
                    let loaded = store.load(task.key()).map_err(&mut failed);
                    task.loaded(loaded, transport.clock().now());
                }
                Next::Save { grant, expected } => {
                    let intent = grant.refresh_intent().is_some();
                    if intent {
                        failpoint("before-intent");
                    }
                    let saved = match &lease {
                        Some(held) => store.save(held, expected, grant),
                        None => Err(StoreError::WrongLease),
                    };
                    if intent && saved.is_ok() {
                        failpoint("after-intent");
                    }
                    task.saved(saved.map_err(&mut failed), transport.clock().now());
                }
                Next::Salvage { grant } => {
                    let kept = store.salvage(grant);
                    task.salvaged(kept.map_err(&mut failed).is_ok());
                }
                Next::Delete { expected } => {
                    let deleted = match &lease {
                        Some(held) => store.delete(held, expected),
                        None => Err(StoreError::WrongLease),
                    };
                    task.deleted(deleted.map_err(&mut failed));
                }
                Next::Send { request, replay } => match transport.round_trip(request, replay) {
                    Ok(answer) => {
                        failpoint("answered");
                        task.answered(answer, transport.clock().now());
                    }
                    Err(e) => {
                        task.send_failed(crate::failure_of(&e).into());
                        send_error = Some(e);
                    }
                },
                Next::Release => {
                    if let Some(held) = lease.take() {
                        let _ = store.release(held); // a lease not released expires
                    }
                    task.released();
                }
                Next::Done => break,
            }
        }
        self.settle(task, store_error, send_error)
    }

    /// Caches what a finished task yields and turns its result into the adapter's.
    fn settle(
        &self,
        task: GrantTask,
        store_error: Option<StoreError>,
        send_error: Option<Error>,
    ) -> Result<GrantOutcome, Error> {
        *lock(&self.slot.retry_after) = task.retry_after();
        let unsaved = task.unsaved().cloned();
        let has_unsaved = unsaved.is_some();
        *lock(&self.slot.unsaved) = unsaved;
        self.slot.has_unsaved.store(has_unsaved, Relaxed);
        let outcome = task.finish().map_err(|e| match e {
            GrantError::Store => Error::Store(store_error.unwrap_or(StoreError::Interrupted)),
            GrantError::Transport => send_error.unwrap_or(Error::Store(StoreError::Interrupted)),
            GrantError::Core(e) => Error::Core(e),
            _ => Error::Store(StoreError::Interrupted),
        });
        let cached = match &outcome {
            Ok(outcome) => outcome.grant().cloned().map(Arc::new),
            Err(e) if e.login_required() == Some(LoginRequired::NoGrant) => None,
            Err(_) => return outcome,
        };
        *write(&self.slot.grant) = cached;
        outcome
    }

    pub(crate) fn key(&self) -> &UserKey {
        &self.slot.key
    }

    pub(crate) fn logout(&self) -> Result<(), Error> {
        let g = &self.grants;
        let task = GrantTask::logout(self.slot.key.clone(), g.app.clone(), g.settings);
        self.run_task(task)?;
        lock(&g.slots).remove(&self.slot.key);
        Ok(())
    }
}

fn login(reason: LoginRequired) -> Error {
    Error::Core(twitter_auth_core::Error::LoginRequired { reason })
}

/// Accessors and calls only a user's grant has.
impl ApiClient {
    fn user(&self) -> Result<&UserHandle, Error> {
        match &self.kind {
            Kind::User(user) => Ok(user),
            Kind::Fixed(_) => Err(Error::NotAGrant),
        }
    }

    /// The user's key (`None` for a fixed credential).
    pub fn key(&self) -> Option<&UserKey> {
        self.user().ok().map(UserHandle::key)
    }

    /// The grant's generation (grows with every set X issues).
    pub fn generation(&self) -> Option<u64> {
        Some(self.user().ok()?.current().ok()?.generation())
    }

    /// When the current access token expires.
    pub fn expires_at(&self) -> Option<std::time::SystemTime> {
        self.user().ok()?.current().ok()?.expires_at()
    }

    /// The scopes the user granted.
    pub fn scopes(&self) -> Option<Scopes> {
        Some(self.user().ok()?.current().ok()?.tokens().scopes().clone())
    }

    /// Refreshes now (unless another holder already replaced the set this client holds).
    pub fn refresh_now(&self) -> Result<(), Error> {
        let user = self.user()?;
        let generation = user.current()?.generation();
        user.run(RefreshReason::Replace { generation }).map(drop)
    }

    /// Logs the user out: revokes the refresh and the access token at X (with
    /// `token_type_hint`), then deletes the key from the store.
    pub fn logout(&self) -> Result<(), Error> {
        self.user()?.logout()
    }
}
