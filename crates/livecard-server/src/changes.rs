//! The change feed (issue 16): every stored version, as it is stored, for the watch streams
//! (`POST /v1/watch`) and the version cache.
//!
//! - SQLite (one process): the store publishes a [`Change`] right after a write committed.
//! - PostgreSQL (several processes over one database): a trigger (migration
//!   `postgres/0002_changes.sql`) runs `pg_notify('livecard_changes', '<ID> <version> <v|g>')`
//!   inside every write's transaction, so PostgreSQL delivers it at commit, to every process.
//!   Each process holds one [`sqlx::postgres::PgListener`] ([`spawn_pg_listener`]) and
//!   publishes what arrives — its own writes too, so there is one path for all of them. When the
//!   listener's connection is lost it is opened again (backoff up to 5 s) and, once it listens
//!   again, [`Change::Resync`] is published: notifications sent in between are lost, so every
//!   subscriber must assume it missed something.
//!
//! The feed is a `tokio::sync::broadcast` channel: a subscriber that falls more than
//! [`FEED_CAPACITY`] changes behind gets `RecvError::Lagged` and must treat it as a resync.
//!
//! On PostgreSQL the feed also has a [`ReadBarrier`]: proof that every change committed before
//! a moment has been published here (the version cache waits for one before answering a 304;
//! docs/PROTOCOL.md §7).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use livecard_wire::CardId;
use tokio::sync::{broadcast, watch, Notify};

/// The PostgreSQL notification channel.
pub const PG_CHANNEL: &str = "livecard_changes";
/// Changes a subscriber may fall behind before it lags (and must resync).
pub const FEED_CAPACITY: usize = 4096;

/// One change of the stored versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A newer record was stored for `id`.
    Version { id: CardId, version: u64 },
    /// `id` was deleted (its tombstone has `version`).
    Gone { id: CardId, version: u64 },
    /// Changes may have been missed (the PostgreSQL listener reconnected): resync.
    Resync,
}

impl Change {
    /// The PostgreSQL notification payload: `<ID> <version> <v|g>`.
    pub fn to_payload(&self) -> Option<String> {
        match self {
            Change::Version { id, version } => Some(format!("{id} {version} v")),
            Change::Gone { id, version } => Some(format!("{id} {version} g")),
            Change::Resync => None,
        }
    }

    /// Parses a notification payload; `None` for anything else.
    pub fn from_payload(payload: &str) -> Option<Change> {
        let mut parts = payload.split(' ');
        let id = CardId::parse(parts.next()?).ok()?;
        let version: u64 = parts.next()?.parse().ok()?;
        let kind = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        match kind {
            "v" => Some(Change::Version { id, version }),
            "g" => Some(Change::Gone { id, version }),
            _ => None,
        }
    }

    /// The card the change is about (`None` for a resync).
    pub fn id(&self) -> Option<&CardId> {
        match self {
            Change::Version { id, .. } | Change::Gone { id, .. } => Some(id),
            Change::Resync => None,
        }
    }
}

struct Inner {
    tx: broadcast::Sender<Change>,
    published: AtomicU64,
    resyncs: AtomicU64,
    /// Set by [`spawn_pg_listener`]; none on SQLite (one process: nothing to wait for).
    barrier: OnceLock<Arc<ReadBarrier>>,
}

/// The feed of one server process; cheap to clone (all clones are one feed).
#[derive(Clone)]
pub struct ChangeFeed {
    inner: Arc<Inner>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed::new()
    }
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("subscribers", &self.subscribers())
            .field("published", &self.published())
            .finish()
    }
}

impl ChangeFeed {
    pub fn new() -> ChangeFeed {
        let (tx, _) = broadcast::channel(FEED_CAPACITY);
        ChangeFeed {
            inner: Arc::new(Inner {
                tx,
                published: AtomicU64::new(0),
                resyncs: AtomicU64::new(0),
                barrier: OnceLock::new(),
            }),
        }
    }

    /// The read barrier of this feed (PostgreSQL only; see [`ReadBarrier`]).
    pub fn barrier(&self) -> Option<&Arc<ReadBarrier>> {
        self.inner.barrier.get()
    }

    /// Every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.tx.subscribe()
    }

    /// Hands `change` to every subscriber (none listening is fine).
    pub fn publish(&self, change: Change) {
        if change == Change::Resync {
            self.inner.resyncs.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        let _ = self.inner.tx.send(change);
    }

    /// Receivers alive now.
    pub fn subscribers(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Changes published since start (resyncs included).
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }

    /// Resyncs published since start (PostgreSQL listener reconnects).
    pub fn resyncs(&self) -> u64 {
        self.inner.resyncs.load(Ordering::Relaxed)
    }
}

/// How long a read barrier may take before the request it serves reads the database instead.
pub const BARRIER_TIMEOUT: Duration = Duration::from_secs(1);

/// "Every change committed before now has been published on this feed" — for the version
/// cache's 304s when several servers share one PostgreSQL (docs/PROTOCOL.md §7).
///
/// Why it holds (PostgreSQL `src/backend/commands/async.c`): notifications go into one queue
/// per cluster when a transaction commits, in commit order (writers hold a cluster-wide lock
/// from queueing until after their commit), and a listener reads that queue in order, never
/// passing an entry of a transaction still in progress. A *barrier* is a `pg_notify` on a
/// channel only this process listens to (random name, [`ReadBarrier::channel`]), sent after
/// the request arrived (on the listener's own connection); once its token comes back through this
/// process's listener, every write committed before the barrier was sent — so every write
/// acknowledged before the request arrived — has come through the listener first and is on
/// the feed. The barrier's transaction turns `synchronous_commit` off for itself (no WAL
/// flush to wait for; nothing in it needs to be durable); it does take a transaction id.
///
/// Coalesced: one barrier in flight at a time; a request that arrives while one is in flight
/// waits for the next one (sent after it arrived); one barrier answers every request waiting
/// for it. A barrier fails — and its requests read the database — while the listener is
/// disconnected (from the loss until it listens again and published [`Change::Resync`]), when
/// the listener changed connection in between, when it cannot be sent, and after
/// [`BARRIER_TIMEOUT`]; a token that does not come back in time also makes the listener
/// reconnect (it may be on a half-open connection).
pub struct ReadBarrier {
    channel: String,
    timeout: Duration,
    rounds: Mutex<Rounds>,
    /// A request wants a barrier (wakes the sending loop).
    wake: Notify,
    /// The outcome of the last finished barrier.
    done: watch::Sender<Outcome>,
    /// The listener's state and the tokens it delivered.
    listening: watch::Sender<Listening>,
    /// Asks the listener to reconnect.
    kick: Notify,
    passed: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Default)]
struct Rounds {
    /// The last barrier sent (or being sent).
    sent: u64,
    /// The last barrier a request waits for.
    wanted: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    round: u64,
    passed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Listening {
    /// Counts the listener's connections (0: none yet).
    conn: u64,
    /// Listening, and the resync for any gap before this connection is published.
    up: bool,
    /// The highest barrier token delivered by the listener.
    arrived: u64,
}

/// Barrier counts (requests that passed / fell back to the database).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BarrierStats {
    pub passed: u64,
    pub failed: u64,
}

/// Sends a barrier token (on PostgreSQL: through the listener's own connection).
pub(crate) trait BarrierSend: Send {
    /// `pg_notify(channel, round)` committed: true.
    fn send(&mut self, channel: &str, round: u64) -> impl Future<Output = bool> + Send;
    /// Forgets the connection (a send was abandoned halfway).
    fn reset(&mut self);
}

impl ReadBarrier {
    pub(crate) fn new(channel: String, timeout: Duration) -> ReadBarrier {
        ReadBarrier {
            channel,
            timeout,
            rounds: Mutex::new(Rounds::default()),
            wake: Notify::new(),
            done: watch::channel(Outcome::default()).0,
            listening: watch::channel(Listening::default()).0,
            kick: Notify::new(),
            passed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// A channel name no other process uses.
    pub(crate) fn random_channel() -> String {
        use std::hash::{BuildHasher, Hash, Hasher};
        static N: AtomicU64 = AtomicU64::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        std::process::id().hash(&mut h);
        N.fetch_add(1, Ordering::Relaxed).hash(&mut h);
        std::time::SystemTime::now().hash(&mut h);
        format!("livecard_barrier_{:016x}", h.finish())
    }

    /// The channel the tokens travel on.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    pub fn stats(&self) -> BarrierStats {
        BarrierStats {
            passed: self.passed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Waits for a barrier sent after this call; true when it came back, i.e. every change
    /// committed before this call is on the feed now. False: read the database instead.
    pub async fn pass(&self) -> bool {
        let passed = self.wait_for_next().await;
        let counter = if passed { &self.passed } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        passed
    }

    async fn wait_for_next(&self) -> bool {
        if !self.listening.borrow().up {
            return false;
        }
        let mut done = self.done.subscribe();
        let target = {
            let mut r = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
            let next = r.sent + 1;
            r.wanted = r.wanted.max(next);
            next
        };
        self.wake.notify_one();
        // A later barrier than `target` was sent later still: its outcome serves as well. The
        // bound only matters if the sending loop were gone (each round ends by the timeout).
        let outcome =
            tokio::time::timeout(self.timeout * 3, done.wait_for(|o| o.round >= target)).await;
        match outcome {
            Ok(Ok(o)) => o.passed,
            _ => false,
        }
    }

    /// The sending loop: one barrier at a time, whenever a request waits for one.
    pub(crate) async fn run(&self, mut sender: impl BarrierSend) {
        loop {
            loop {
                {
                    let r = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
                    if r.wanted > r.sent {
                        break;
                    }
                }
                self.wake.notified().await;
            }
            let round = {
                let mut r = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
                r.sent += 1;
                r.sent
            };
            let passed = self.round(round, &mut sender).await;
            self.done.send_replace(Outcome { round, passed });
        }
    }

    async fn round(&self, round: u64, sender: &mut impl BarrierSend) -> bool {
        let at = *self.listening.borrow();
        if !at.up {
            return false;
        }
        let mut listening = self.listening.subscribe();
        let deadline = tokio::time::Instant::now() + self.timeout;
        match tokio::time::timeout_at(deadline, sender.send(&self.channel, round)).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(_) => {
                tracing::warn!("read barrier: sending took longer than {:?}", self.timeout);
                sender.reset();
                return false;
            }
        }
        let back = tokio::time::timeout_at(
            deadline,
            listening.wait_for(|l| l.conn != at.conn || !l.up || l.arrived >= round),
        )
        .await;
        match back {
            Ok(Ok(l)) => l.conn == at.conn && l.up && l.arrived >= round,
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::warn!(
                    "read barrier: the token did not come back through the listener within {:?}; \
                     reconnecting the listener",
                    self.timeout
                );
                self.kick.notify_waiters();
                false
            }
        }
    }

    /// The listener lost its connection (or was asked to reconnect).
    pub(crate) fn listener_down(&self) {
        self.listening.send_modify(|l| l.up = false);
    }

    /// The listener listens on a new connection and published the resync for the gap.
    pub(crate) fn listener_up(&self) {
        self.listening.send_modify(|l| {
            l.conn += 1;
            l.up = true;
        });
    }

    /// A token came through the listener (after every change queued before it).
    pub(crate) fn arrived(&self, payload: &str) {
        match payload.parse::<u64>() {
            Ok(n) => self.listening.send_modify(|l| l.arrived = l.arrived.max(n)),
            Err(_) => tracing::warn!(payload, "ignored a malformed barrier token"),
        }
    }
}

/// Opens a listener on `pool`'s database, `LISTEN`s on [`PG_CHANNEL`] and the feed's barrier
/// channel and returns when it is live; a task then publishes every notification to `feed`
/// and sends the feed's read barriers until the returned handle is aborted (the store does
/// that when dropped).
///
/// A barrier's `pg_notify` is sent on the listener's own connection: PostgreSQL hands a
/// session its own notifications, read from the same queue in the same order as everyone
/// else's, before the query's ReadyForQuery — so a round is one round trip on one backend
/// (the token still has to come through the listener for the round to pass); the separate
/// sending connection of 18be819 needed a second backend and a signal to the listener's per
/// round. Not measured as an A/B: the PostgreSQL 304 was 39 % of nginx before this change and
/// 41 % after, in quiet runs hours apart (only the 41 % run is still in docs/PERFORMANCE.md).
/// A second barrier in flight on a pool connection, and `SELECT 1` in place of the
/// `pg_notify`, were measured against this and not kept (docs/PERFORMANCE.md, "Server").
#[cfg(feature = "postgres")]
pub async fn spawn_pg_listener(
    pool: &sqlx::PgPool,
    feed: ChangeFeed,
) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
    let barrier = feed
        .inner
        .barrier
        .get_or_init(|| {
            Arc::new(ReadBarrier::new(
                ReadBarrier::random_channel(),
                BARRIER_TIMEOUT,
            ))
        })
        .clone();
    let listener = pg_listen(pool, barrier.channel()).await?;
    barrier.listener_up();
    let pool = pool.clone();
    let (requests, sends) = tokio::sync::mpsc::channel(1);
    let sender = PgBarrierSend {
        requests,
        barrier: barrier.clone(),
    };
    Ok(tokio::spawn(async move {
        tokio::join!(
            pg_listen_loop(pool, feed, listener, barrier.clone(), sends),
            barrier.run(sender)
        );
    }))
}

#[cfg(feature = "postgres")]
async fn pg_listen(
    pool: &sqlx::PgPool,
    barrier_channel: &str,
) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    // A lost connection is reported at once (we reconnect ourselves, then publish Resync).
    listener.eager_reconnect(false);
    listener.listen_all([PG_CHANNEL, barrier_channel]).await?;
    Ok(listener)
}

/// A barrier to send on the listener's connection, and where to say whether it committed.
#[cfg(feature = "postgres")]
type SendRequest = (u64, tokio::sync::oneshot::Sender<bool>);

#[cfg(feature = "postgres")]
async fn pg_listen_loop(
    pool: sqlx::PgPool,
    feed: ChangeFeed,
    mut listener: sqlx::postgres::PgListener,
    barrier: Arc<ReadBarrier>,
    mut sends: tokio::sync::mpsc::Receiver<SendRequest>,
) {
    loop {
        // `try_recv` is cancel-safe (sqlx reads a message only whole), so a barrier to send
        // may interrupt the wait for the next notification.
        let next = tokio::select! {
            r = listener.try_recv() => r,
            _ = barrier.kick.notified() => Ok(None),
            Some((round, reply)) = sends.recv() => {
                // Notifications that arrive during the query wait in sqlx's buffer and come
                // out of the next `try_recv`s in order, the token after every earlier change.
                let sent = tokio::select! {
                    r = sqlx::query(
                        "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)",
                    )
                    .bind(barrier.channel())
                    .bind(round.to_string())
                    .execute(&mut listener) => r,
                    // The sender gave up (timeout): the connection may be half-open.
                    _ = barrier.kick.notified() => Err(sqlx::Error::PoolTimedOut),
                };
                match sent {
                    Ok(_) => {
                        let _ = reply.send(true);
                        continue;
                    }
                    Err(e) => {
                        let _ = reply.send(false);
                        tracing::warn!(error = %e, "read barrier: pg_notify failed");
                        Ok(None)
                    }
                }
            }
        };
        match next {
            Ok(Some(n)) if n.channel() == barrier.channel() => {
                barrier.arrived(n.payload());
                continue;
            }
            Ok(Some(n)) => {
                match Change::from_payload(n.payload()) {
                    Some(change) => feed.publish(change),
                    None => tracing::warn!(payload = %n.payload(), "ignored a malformed change"),
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "change listener failed"),
        }
        // Until it listens again and the resync is out, no barrier passes.
        barrier.listener_down();
        tracing::warn!("change listener lost its PostgreSQL connection; reconnecting");
        drop(listener);
        let mut backoff = Duration::from_millis(100);
        listener = loop {
            match pg_listen(&pool, barrier.channel()).await {
                Ok(l) => break l,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener cannot reconnect yet");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        };
        tracing::info!("change listener listens again; asking watchers to resync");
        feed.publish(Change::Resync);
        barrier.listener_up();
    }
}

/// Hands barrier tokens to the listen loop, which sends them on the listener's connection.
#[cfg(feature = "postgres")]
struct PgBarrierSend {
    requests: tokio::sync::mpsc::Sender<SendRequest>,
    barrier: Arc<ReadBarrier>,
}

#[cfg(feature = "postgres")]
impl BarrierSend for PgBarrierSend {
    async fn send(&mut self, _channel: &str, round: u64) -> bool {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.requests.send((round, reply)).await.is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }

    fn reset(&mut self) {
        // A send that does not finish in time: the listener's connection is suspect.
        self.barrier.kick.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_strictness() {
        let id = CardId::from_public_key(&[3u8; 32]);
        for c in [
            Change::Version {
                id: id.clone(),
                version: 7,
            },
            Change::Gone {
                id: id.clone(),
                version: 9,
            },
        ] {
            let p = c.to_payload().unwrap();
            assert_eq!(Change::from_payload(&p), Some(c));
        }
        for bad in [
            "",
            "x 1 v",
            &format!("{id} 1"),
            &format!("{id} -1 v"),
            &format!("{id} 1 x"),
            &format!("{id} 1 v extra"),
        ] {
            assert_eq!(Change::from_payload(bad), None, "{bad:?}");
        }
        assert_eq!(Change::Resync.to_payload(), None);
    }

    /// A barrier sender without PostgreSQL: round `n` behaves as `script(n)` says.
    struct FakeSend {
        barrier: Arc<ReadBarrier>,
        sent: Arc<Mutex<Vec<u64>>>,
        started: Arc<Notify>,
        gate: Arc<Notify>,
        script: fn(u64) -> Fake,
    }

    #[derive(Clone, Copy)]
    enum Fake {
        /// Committed, and the token comes back through the listener.
        Back,
        /// Committed, the token is lost.
        Lost,
        /// Waits for the gate, then committed and the token comes back.
        GatedBack,
        /// Cannot send.
        Fail,
        /// The listener reconnects between the send and the token.
        Reconnect,
    }

    impl BarrierSend for FakeSend {
        async fn send(&mut self, _channel: &str, round: u64) -> bool {
            self.sent.lock().unwrap().push(round);
            self.started.notify_one();
            match (self.script)(round) {
                Fake::Back => {
                    self.barrier.arrived(&round.to_string());
                    true
                }
                Fake::Lost => true,
                Fake::GatedBack => {
                    self.gate.notified().await;
                    self.barrier.arrived(&round.to_string());
                    true
                }
                Fake::Fail => false,
                Fake::Reconnect => {
                    self.barrier.listener_down();
                    self.barrier.listener_up();
                    self.barrier.arrived(&round.to_string());
                    true
                }
            }
        }
        fn reset(&mut self) {}
    }

    struct Rig {
        barrier: Arc<ReadBarrier>,
        sent: Arc<Mutex<Vec<u64>>>,
        started: Arc<Notify>,
        gate: Arc<Notify>,
    }

    fn rig(script: fn(u64) -> Fake, timeout: Duration, up: bool) -> Rig {
        let barrier = Arc::new(ReadBarrier::new(ReadBarrier::random_channel(), timeout));
        if up {
            barrier.listener_up();
        }
        let r = Rig {
            barrier: barrier.clone(),
            sent: Arc::default(),
            started: Arc::default(),
            gate: Arc::default(),
        };
        let sender = FakeSend {
            barrier: barrier.clone(),
            sent: r.sent.clone(),
            started: r.started.clone(),
            gate: r.gate.clone(),
            script,
        };
        tokio::spawn(async move { barrier.run(sender).await });
        r
    }

    #[test]
    fn barrier_channels_differ() {
        let (a, b) = (ReadBarrier::random_channel(), ReadBarrier::random_channel());
        assert_ne!(a, b);
        assert!(
            a.len() < 64
                && a.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
    }

    #[tokio::test]
    async fn concurrent_requests_share_a_barrier_that_came_back() {
        let r = rig(|_| Fake::Back, Duration::from_secs(60), true);
        let waits: Vec<_> = (0..20)
            .map(|_| {
                let b = r.barrier.clone();
                tokio::spawn(async move { b.pass().await })
            })
            .collect();
        for w in waits {
            assert!(w.await.unwrap());
        }
        assert_eq!(
            r.barrier.stats(),
            BarrierStats {
                passed: 20,
                failed: 0
            }
        );
        let sent = r.sent.lock().unwrap().len();
        assert!((1..=20).contains(&sent), "{sent} barriers for 20 requests");
        // Sequential requests: one barrier each.
        for _ in 0..3 {
            assert!(r.barrier.pass().await);
        }
        assert_eq!(r.sent.lock().unwrap().len(), sent + 3);
    }

    #[tokio::test]
    async fn a_request_waits_for_a_barrier_sent_after_it_arrived() {
        // Round 1 is in flight when the second request arrives; round 1 comes back, round 2
        // cannot be sent: the second request must not take round 1's success (sent before it
        // arrived), so it falls back to the database.
        let r = rig(
            |n| if n == 1 { Fake::GatedBack } else { Fake::Fail },
            Duration::from_secs(60),
            true,
        );
        let b = r.barrier.clone();
        let first = tokio::spawn(async move { b.pass().await });
        r.started.notified().await;
        let b = r.barrier.clone();
        let second = tokio::spawn(async move { b.pass().await });
        // Let the second request register before round 1 ends (it runs on this runtime's
        // one thread only when this task waits).
        while r.barrier.rounds.lock().unwrap().wanted < 2 {
            tokio::task::yield_now().await;
        }
        r.gate.notify_one();
        assert!(
            !second.await.unwrap(),
            "answered by round 2 (failed), not round 1"
        );
        // The first may take round 1's outcome or, if it wakes late, round 2's (also sent
        // after it arrived): either is right.
        first.await.unwrap();
        assert_eq!(*r.sent.lock().unwrap(), vec![1, 2]);
    }

    #[tokio::test]
    async fn no_barrier_passes_while_the_listener_is_down_or_changed_connection() {
        let r = rig(|_| Fake::Back, Duration::from_secs(60), false);
        assert!(!r.barrier.pass().await, "listener not up yet");
        assert!(r.sent.lock().unwrap().is_empty(), "nothing sent while down");
        r.barrier.listener_up();
        assert!(r.barrier.pass().await);
        r.barrier.listener_down();
        assert!(!r.barrier.pass().await, "listener down");
        let r = rig(|_| Fake::Reconnect, Duration::from_secs(60), true);
        assert!(
            !r.barrier.pass().await,
            "token came back on another connection: changes in the gap may be missing"
        );
        assert_eq!(
            r.barrier.stats(),
            BarrierStats {
                passed: 0,
                failed: 1
            }
        );
    }

    #[tokio::test]
    async fn a_lost_token_fails_after_the_timeout_and_reconnects_the_listener() {
        let r = rig(|_| Fake::Lost, Duration::from_millis(50), true);
        let kicked = r.barrier.kick.notified();
        tokio::pin!(kicked);
        kicked.as_mut().enable();
        assert!(!r.barrier.pass().await);
        kicked.await;
    }

    #[tokio::test]
    async fn subscribers_see_what_is_published_after_they_subscribed() {
        let feed = ChangeFeed::new();
        let id = CardId::from_public_key(&[4u8; 32]);
        feed.publish(Change::Version {
            id: id.clone(),
            version: 1,
        });
        let mut rx = feed.clone().subscribe();
        assert_eq!(feed.subscribers(), 1);
        feed.publish(Change::Resync);
        assert_eq!(rx.recv().await.unwrap(), Change::Resync);
        assert_eq!((feed.published(), feed.resyncs()), (2, 1));
    }
}
