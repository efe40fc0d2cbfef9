//! Storage of sealed records behind one trait, with SQLite and PostgreSQL implementations.
//!
//! Every write is a single compare-and-set statement (`UPDATE … WHERE version < $new AND
//! public_key = $key AND NOT deleted`), so two concurrent writers can never both win and a lower
//! version can never overwrite a higher one, on either backend and across several servers
//! sharing one PostgreSQL database.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use livecard_wire::{CardId, InboxKeyId, SealedRecord, Tombstone, NONCE_BYTES};

use crate::changes::ChangeFeed;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// A storage failure. Never shown to clients (they get `internal` / `unavailable`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row for card {id}: {why}")]
    Corrupt { id: String, why: String },
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("the {0} backend is not compiled into this server (cargo feature `{0}`)")]
    BackendNotCompiled(&'static str),
    #[error("SQLite database directory {0:?} does not exist")]
    MissingDirectory(String),
}

impl StoreError {
    /// True when the database could not be reached or is restarting (answered 503 rather
    /// than 500): pool timeouts, I/O errors, PostgreSQL connection errors (SQLSTATE class 08)
    /// and shutdowns (class 57, e.g. `pg_ctl stop`), SQLite I/O errors.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            StoreError::Database(sqlx::Error::Database(db)) => {
                db_fault(db.as_ref()) == Some(DbFault::Unavailable)
            }
            _ => false,
        }
    }

    /// True when the disk is full (answered 507): SQLite `SQLITE_FULL`, PostgreSQL
    /// `53100 disk_full`.
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                db_fault(db.as_ref()) == Some(DbFault::Full)
            }
            _ => false,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum DbFault {
    Unavailable,
    Full,
}

/// SQLite result codes (primary = extended & 0xff).
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;

fn db_fault(db: &dyn sqlx::error::DatabaseError) -> Option<DbFault> {
    use sqlx::error::DatabaseError as _;
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = pg.code();
        return if code == "53100" {
            Some(DbFault::Full)
        } else if code.starts_with("08") || code.starts_with("57") {
            Some(DbFault::Unavailable)
        } else {
            None
        };
    }
    if let Some(lite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        let primary = lite
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff);
        return match primary {
            Some(SQLITE_FULL) => Some(DbFault::Full),
            Some(SQLITE_IOERR) => Some(DbFault::Unavailable),
            _ => None,
        };
    }
    None
}

/// What the store holds for an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Live(SealedRecord),
    Deleted(Tombstone),
}

impl Stored {
    pub fn version(&self) -> u64 {
        match self {
            Stored::Live(r) => r.version,
            Stored::Deleted(t) => t.version,
        }
    }
}

/// Version and state of an id, without the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: u64,
    pub deleted: bool,
    /// Bytes of the stored ciphertext (0 for a tombstone).
    pub bytes: u64,
}

/// Result of [`Store::put_if_newer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Updated,
    /// The stored version is not lower than the offered one.
    Stale {
        current: u64,
    },
    /// The id is stored with another public key.
    KeyMismatch,
    /// The card was deleted.
    Gone(Tombstone),
}

/// Result of [`Store::delete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    Stale { current: u64 },
    KeyMismatch,
    AlreadyGone(Tombstone),
}

/// Result of [`Store::inbox_register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
    Registered,
    /// The stored epoch is not lower than the offered one.
    Stale {
        current: u64,
    },
}

/// A message to store in a card's inbox (the handler has checked its size and format).
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    /// Derived from SHA-256 of `sealed`: the same bytes twice are the same id.
    pub msg_id: &'a str,
    pub key_id: &'a InboxKeyId,
    pub sealed: &'a [u8],
    /// Unix seconds.
    pub received: u64,
    pub expires: u64,
}

/// Result of [`Store::inbox_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Accepted,
    /// No inbox is registered for the card.
    NoInbox,
    /// The message is sealed to another key id than the registered one.
    KeyRotated,
    /// These sealed bytes were delivered before (and have not expired).
    Duplicate,
    /// The inbox holds `max_pending` messages.
    Full,
}

/// A pending message as a take answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    pub msg_id: String,
    pub received: u64,
    pub key_id: InboxKeyId,
    pub sealed: Vec<u8>,
}

/// An inbox row's columns as both backends return them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub msg_id: String,
    pub received: i64,
    pub key_id: Vec<u8>,
    pub sealed: Vec<u8>,
}

impl MessageRow {
    pub(crate) fn into_pending(self) -> Result<PendingMessage, StoreError> {
        let key_id: [u8; 16] = self
            .key_id
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(&self.msg_id, "inbox key id length"))?;
        Ok(PendingMessage {
            received: u64::try_from(self.received)
                .map_err(|_| corrupt(&self.msg_id, "negative time"))?,
            msg_id: self.msg_id,
            key_id: InboxKeyId(key_id),
            sealed: self.sealed,
        })
    }
}

/// Number of stored live records and tombstones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub live: u64,
    pub deleted: u64,
}

/// The record store. Callers verify records and tombstones before handing them over; the store
/// only enforces the version order and the key an id was first stored with.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// The change feed this store's writes arrive on (`changes.rs`): published after commit on
    /// SQLite; on PostgreSQL from the `LISTEN` connection, writes of every server process.
    fn changes(&self) -> &ChangeFeed;
    /// The record or tombstone of `id`.
    async fn get(&self, id: &CardId) -> Result<Option<Stored>, StoreError>;
    /// Only the version of `id` (for conditional GETs).
    async fn version(&self, id: &CardId) -> Result<Option<VersionInfo>, StoreError>;
    /// Stores `record` if the id is new, or replaces the stored record if `record.version` is
    /// higher, the key is the same and the card is not deleted — atomically.
    async fn put_if_newer(&self, record: &SealedRecord) -> Result<PutOutcome, StoreError>;
    /// Replaces the record by `tombstone` if its version is higher and the key is the same.
    async fn delete(&self, tombstone: &Tombstone) -> Result<DeleteOutcome, StoreError>;
    /// The version of each of `ids`, in their order (`None`: never stored), in one query.
    /// What `POST /v1/sync` asks: answers are matched to ids by position, so no id is parsed
    /// back from the database or hashed (docs/PERFORMANCE.md, "Full download").
    async fn versions_each(&self, ids: &[CardId]) -> Result<Vec<Option<VersionInfo>>, StoreError>;
    /// The record or tombstone of each of `ids`, in their order (`None`: never stored), in one
    /// query.
    async fn get_each(&self, ids: &[CardId]) -> Result<Vec<Option<Stored>>, StoreError>;
    /// Versions of those `ids` that are stored ([`Store::versions_each`] as a map).
    async fn versions(&self, ids: &[CardId]) -> Result<HashMap<CardId, VersionInfo>, StoreError> {
        let each = self.versions_each(ids).await?;
        Ok(ids
            .iter()
            .zip(each)
            .filter_map(|(id, v)| Some((id.clone(), v?)))
            .collect())
    }
    /// Records and tombstones of those `ids` that are stored, in their order.
    async fn get_many(&self, ids: &[CardId]) -> Result<Vec<Stored>, StoreError> {
        Ok(self.get_each(ids).await?.into_iter().flatten().collect())
    }
    /// How many records and tombstones are stored.
    async fn counts(&self) -> Result<Counts, StoreError>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Registers `key_id` as the inbox key of `id` if `epoch` is higher than the stored one,
    /// and drops the messages sealed to other key ids (rotation).
    async fn inbox_register(
        &self,
        id: &CardId,
        epoch: u64,
        key_id: &InboxKeyId,
    ) -> Result<RegisterOutcome, StoreError>;
    /// The registered inbox epoch and key id of `id`.
    async fn inbox_key(&self, id: &CardId) -> Result<Option<(u64, InboxKeyId)>, StoreError>;
    /// Stores a message unless the inbox is missing, rotated, full or has seen these bytes —
    /// atomically. Expired rows of the card are dropped first.
    async fn inbox_send(
        &self,
        id: &CardId,
        message: NewMessage<'_>,
        max_pending: usize,
    ) -> Result<SendOutcome, StoreError>;
    /// Marks `ack`ed messages taken (their sealed bytes are deleted; the id stays until it
    /// expires, to refuse replays), then answers up to `limit` pending messages, oldest first,
    /// and whether more are pending.
    async fn inbox_take(
        &self,
        id: &CardId,
        ack: &[String],
        limit: usize,
        now: u64,
    ) -> Result<(Vec<PendingMessage>, bool), StoreError>;
    /// Deletes every message (pending or taken) that expired at `now`; answers how many.
    async fn inbox_expire(&self, now: u64) -> Result<u64, StoreError>;
    /// Messages waiting to be taken, in all (for /metrics).
    async fn inbox_pending(&self) -> Result<u64, StoreError>;
}

/// Opens the store named by `url` (`sqlite://PATH`, `sqlite:PATH`, `postgres://…`,
/// `postgresql://…`) and runs its migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        {
            return Ok(Arc::new(sqlite::SqliteStore::connect(url).await?));
        }
        #[cfg(not(feature = "sqlite"))]
        {
            return Err(StoreError::BackendNotCompiled("sqlite"));
        }
    }
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            return Ok(Arc::new(postgres::PgStore::connect(url).await?));
        }
        #[cfg(not(feature = "postgres"))]
        {
            return Err(StoreError::BackendNotCompiled("postgres"));
        }
    }
    Err(StoreError::UnsupportedUrl(url.to_string()))
}

/// A `cards` row as both backends return it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Row {
    pub id: String,
    pub public_key: Vec<u8>,
    pub version: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub signature: Vec<u8>,
    pub deleted: bool,
}

fn corrupt(id: &str, why: &str) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        why: why.to_string(),
    }
}

impl Row {
    pub(crate) fn into_stored(self) -> Result<Stored, StoreError> {
        let id = CardId::parse(&self.id).map_err(|e| corrupt(&self.id, &e.to_string()))?;
        stored_from(
            id,
            &self.public_key,
            self.version,
            self.deleted,
            &self.nonce,
            self.ciphertext,
            &self.signature,
        )
    }
}

/// A record or tombstone from a `cards` row's columns (the id already known), every length
/// checked.
pub(crate) fn stored_from(
    id: CardId,
    public_key: &[u8],
    version: i64,
    deleted: bool,
    nonce: &[u8],
    ciphertext: Vec<u8>,
    signature: &[u8],
) -> Result<Stored, StoreError> {
    let public_key: [u8; 32] = public_key
        .try_into()
        .map_err(|_| corrupt(id.as_str(), "public key length"))?;
    let signature: [u8; 64] = signature
        .try_into()
        .map_err(|_| corrupt(id.as_str(), "signature length"))?;
    let version = u64::try_from(version).map_err(|_| corrupt(id.as_str(), "negative version"))?;
    if deleted {
        return Ok(Stored::Deleted(Tombstone {
            id,
            public_key,
            version,
            signature,
        }));
    }
    let nonce: [u8; NONCE_BYTES] = nonce
        .try_into()
        .map_err(|_| corrupt(id.as_str(), "nonce length"))?;
    Ok(Stored::Live(SealedRecord {
        id,
        public_key,
        version,
        nonce,
        ciphertext,
        signature,
    }))
}

/// Classifies a refused write from the row that is stored now.
pub(crate) fn classify_put(
    row: Option<Row>,
    public_key: &[u8; 32],
) -> Result<PutOutcome, StoreError> {
    let Some(row) = row else {
        return Err(StoreError::Corrupt {
            id: String::new(),
            why: "row vanished during put".into(),
        });
    };
    if row.public_key != public_key {
        return Ok(PutOutcome::KeyMismatch);
    }
    match row.into_stored()? {
        Stored::Deleted(t) => Ok(PutOutcome::Gone(t)),
        Stored::Live(r) => Ok(PutOutcome::Stale { current: r.version }),
    }
}

pub(crate) fn classify_delete(
    row: Option<Row>,
    public_key: &[u8; 32],
) -> Result<DeleteOutcome, StoreError> {
    let Some(row) = row else {
        return Ok(DeleteOutcome::NotFound);
    };
    if row.public_key != public_key {
        return Ok(DeleteOutcome::KeyMismatch);
    }
    match row.into_stored()? {
        Stored::Deleted(t) => Ok(DeleteOutcome::AlreadyGone(t)),
        Stored::Live(r) => Ok(DeleteOutcome::Stale { current: r.version }),
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ids` as a JSON array of strings. A card id is 16 base32 characters (`A`–`Z`, `2`–`7`),
/// so nothing needs escaping.
pub(crate) fn ids_json(ids: &[CardId]) -> String {
    let mut out = String::with_capacity(2 + ids.len() * (livecard_wire::ID_CHARS + 3));
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(id.as_str());
        out.push('"');
    }
    out.push(']');
    out
}
