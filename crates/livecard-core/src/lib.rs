//! livecard's client core: the local store (own cards, received cards with private notes and
//! tags), instant search with pinyin, import/export, publishing and sync (`owner`, `sync`,
//! `api`), the owner's keys (`keystore`, `backup`) and the PIN lock (`lock`).
//!
//! [`Core`] is the API the CLI and the Tauri app both call: every user operation is a method
//! on it. It owns a [`Store`] (SQLite through sqlx) and the default phone region. Every method
//! that returns, exports or changes card data first checks the PIN lock and fails with an error
//! of kind `locked` while it is locked (see [`lock`]).

pub mod adding;
pub mod api;
pub mod backup;
pub mod decide;
pub mod editor;
pub mod error;
pub mod handover;
pub mod i18n;
pub mod import;
pub mod inbox;
pub mod keys;
pub mod keystore;
pub mod lock;
pub mod memory;
pub mod model;
pub mod owner;
pub mod picture;
pub mod qr;
pub mod receive;
pub mod search;
mod store;
pub mod sync;
pub mod watch;

use std::path::Path;
use std::sync::Arc;

use livecard_format::{vcard, Card, Field, Limits, Region};

pub use adding::{FileKind, MAX_IMPORT_BYTES};
pub use backup::KeysImported;
pub use editor::{check_field, edits_from};
pub use error::{CoreError, Result};
pub use handover::{OfflineQr, PublishState, ShareState};
pub use inbox::{InboxEntry, ReplySent};
pub use keystore::SecretStore;
pub use livecard_lock::{Clock, LockStatus, ManualClock};
pub use model::{
    AddOutcome, AddStatus, CardSummary, Edit, EditOp, EditValue, OwnCard, ReceivedCard, Sort,
    Source, Status,
};
pub use owner::{OwnShare, Published};
use store::Store;
pub use sync::{Change, OpenedCard, Refresh, SyncReport};
pub use watch::{WatchEvent, WatchUpdate};

/// The client: everything a user can do, as methods.
#[derive(Debug)]
pub struct Core {
    store: Store,
    region: Region,
    /// Where the owner's keys live (default: the OS keystore, opened on first use).
    secrets: Arc<dyn SecretStore>,
    /// The sync server for publishing (`--server`); received cards sync with the server of
    /// their share link.
    server: Option<String>,
    /// The HTTP client, made on first use.
    http: std::sync::OnceLock<reqwest::Client>,
    /// The PIN lock (loaded from the keystore only when `meta.pin_set` says a PIN is set).
    lock: lock::LockCell,
}

/// What `add_contacts` did: one outcome per card read, plus cards that were skipped.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddReport {
    pub added: Vec<AddOutcome>,
    /// Cards in the input that could not be kept ("card 3 (王五): email: too long…").
    pub skipped: Vec<String>,
}

impl Core {
    /// Opens the store in `data_dir` (created if missing). `region` is the default for phone
    /// numbers typed without a country code.
    pub async fn open(data_dir: impl AsRef<Path>, region: Region) -> Result<Core> {
        let keys_dir = data_dir.as_ref().join("keys");
        Ok(Core {
            store: Store::open(data_dir).await?,
            region,
            secrets: Arc::new(keystore::LazyOsStore::with_fallback_dir(keys_dir)),
            server: None,
            http: std::sync::OnceLock::new(),
            lock: lock::LockCell::default(),
        })
    }

    /// The API client of the server at `base`.
    pub(crate) fn api(&self, base: &str) -> Result<api::Api> {
        let http = match self.http.get() {
            Some(c) => c,
            None => {
                let c = api::new_client()?;
                self.http.get_or_init(|| c)
            }
        };
        api::Api::new(http, base)
    }

    /// Uses `secrets` for the owner's keys instead of the OS keystore (tests, or
    /// [`keystore::test_override`] in debug builds).
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretStore>) -> Core {
        self.secrets = secrets;
        self
    }

    /// Sets the sync server own cards are published to (e.g. `https://livecard.example`).
    pub fn with_server(mut self, server: Option<String>) -> Core {
        self.server = server.map(|s| s.trim().trim_end_matches('/').to_string());
        self
    }

    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// Closes the database: waits until its connections are closed (SQLite checkpoints the
    /// WAL as the last one closes; the `-wal`/`-shm` files may disappear a moment after this
    /// returns). Call before the process ends or the data directory is removed.
    pub async fn close(&self) {
        self.store.close().await
    }

    pub fn region(&self) -> Region {
        self.region
    }

    /// Loads what the card list needs first (the search index of every received card) before
    /// it is asked for, so the app can do it while its window and webview start (launch →
    /// first rows, docs/PERFORMANCE.md). Nothing when a PIN is set: the app then starts
    /// locked, and card data stays on disk until the PIN is entered.
    pub async fn prefetch_list(&self) -> Result<()> {
        if self.store.pin_set_flag().await? {
            return Ok(());
        }
        self.unlocked().await?.prefetch_index().await
    }

    // ---------------------------------------------------------------- own cards

    /// All own cards, the default first.
    pub async fn own_cards(&self) -> Result<Vec<OwnCard>> {
        let db = self.unlocked().await?;
        let own = db.list_own().await?;
        Ok(own.into_iter().map(|c| c.shown_in(self.region)).collect())
    }

    /// The own card `id`, or the default one.
    pub async fn own_card(&self, id: Option<&str>) -> Result<OwnCard> {
        let db = self.unlocked().await?;
        let own = match id {
            Some(id) => db.get_own(id).await?,
            None => db.default_own().await?.ok_or(CoreError::NoOwnCard)?,
        };
        Ok(own.shown_in(self.region))
    }

    /// Applies `edits` to the own card `id` (or the default one, created if there is none
    /// yet). All or nothing: the first refused value is returned, naming its field, and
    /// nothing is saved.
    pub async fn edit_own(&self, id: Option<&str>, edits: &[Edit]) -> Result<OwnCard> {
        let db = self.unlocked().await?;
        let current = match id {
            Some(id) => Some(db.get_own(id).await?),
            None => db.default_own().await?,
        };
        let mut card = current.as_ref().map(|c| c.card.clone()).unwrap_or_default();
        apply_edits(&mut card, edits, self.region)?;
        card.validate(&Limits::DEFAULT)?;
        let before = current.as_ref().map(|c| c.version);
        let own = match current {
            Some(c) => db.update_own(&c.id, card).await?,
            None => db.create_own(card).await?,
        };
        self.after_own_edit(db, before, &own).await?;
        Ok(own.shown_in(self.region))
    }

    /// Creates another own card from `edits` (the first own card becomes the default).
    pub async fn create_own(&self, edits: &[Edit]) -> Result<OwnCard> {
        let db = self.unlocked().await?;
        let mut card = Card::default();
        apply_edits(&mut card, edits, self.region)?;
        Ok(db.create_own(card).await?.shown_in(self.region))
    }

    /// Replaces the own card `id` (or the default, created if none) with the first card of a
    /// vCard/MeCard file. Returns the card and the importer's warnings.
    pub async fn import_own(
        &self,
        id: Option<&str>,
        bytes: &[u8],
    ) -> Result<(OwnCard, Vec<String>)> {
        let db = self.unlocked().await?;
        let (mut cards, _) = import::parse_contacts(bytes, self.region)?;
        if cards.is_empty() {
            return Err(CoreError::ImportFailed("the file holds no card".into()));
        }
        let first = cards.remove(0);
        let mut warnings = first.warnings;
        if !cards.is_empty() {
            warnings.push(format!(
                "the file holds {} cards; only the first was used",
                cards.len() + 1
            ));
        }
        let current = match id {
            Some(id) => Some(db.get_own(id).await?),
            None => db.default_own().await?,
        };
        let before = current.as_ref().map(|c| c.version);
        let own = match current {
            Some(c) => db.update_own(&c.id, first.card).await?,
            None => db.create_own(first.card).await?,
        };
        self.after_own_edit(db, before, &own).await?;
        Ok((own.shown_in(self.region), warnings))
    }

    /// The own card as vCard 4.0 text.
    pub async fn own_vcard(&self, id: Option<&str>) -> Result<String> {
        self.unlocked().await?;
        Ok(vcard::to_vcard(&self.own_card(id).await?.card))
    }

    /// Patent claim 2: a new own card from a received one (company, address, website, fax,
    /// industry).
    pub async fn seed_own_from(&self, received_id: &str) -> Result<OwnCard> {
        let db = self.unlocked().await?;
        Ok(db.seed_own_from(received_id).await?.shown_in(self.region))
    }

    pub async fn set_default_own(&self, id: &str) -> Result<OwnCard> {
        let db = self.unlocked().await?;
        Ok(db.set_default_own(id).await?.shown_in(self.region))
    }

    pub async fn delete_own(&self, id: &str) -> Result<()> {
        let db = self.unlocked().await?;
        db.delete_own(id).await
    }

    // ---------------------------------------------------------------- received cards

    /// Adds every card in a .vcf file or vCard/MeCard text as static cards (duplicates update
    /// the card already held; see [`Store::add_received`]). Cards that break the limits are
    /// skipped and reported; if none can be kept, that is an error.
    pub async fn add_contacts(&self, bytes: &[u8]) -> Result<AddReport> {
        self.unlocked().await?;
        let (cards, source) = import::parse_contacts(bytes, self.region)?;
        self.add_imported(cards, source).await
    }

    /// Adds cards already read by an importer as static cards (see [`Core::add_contacts`]).
    pub async fn add_imported(
        &self,
        cards: Vec<livecard_format::vcard::Imported>,
        source: Source,
    ) -> Result<AddReport> {
        let db = self.unlocked().await?;
        let mut good = Vec::new();
        let mut skipped = Vec::new();
        for (n, imp) in cards.into_iter().enumerate() {
            let label = match imp.card.display_name() {
                s if s.is_empty() => format!("card {}", n + 1),
                s => format!("card {} ({s})", n + 1),
            };
            if imp.card == Card::default() {
                skipped.push(format!("{label}: empty card"));
                continue;
            }
            match imp.card.validate(&Limits::DEFAULT) {
                Ok(()) => good.push((
                    imp.card,
                    imp.warnings
                        .into_iter()
                        .map(|w| format!("{label}: {w}"))
                        .collect(),
                )),
                Err(e) => skipped.push(format!("{label}: {e}")),
            }
        }
        if good.is_empty() {
            return Err(CoreError::ImportFailed(if skipped.is_empty() {
                "the file holds no card".into()
            } else {
                skipped.join("; ")
            }));
        }
        let added = db.add_received_many(good, source).await?;
        Ok(AddReport { added, skipped })
    }

    /// Every received card, full, in the given order.
    pub async fn list(&self, sort: Sort) -> Result<Vec<ReceivedCard>> {
        let db = self.unlocked().await?;
        let cards = db.list_received(sort).await?;
        Ok(cards.into_iter().map(|c| c.shown_in(self.region)).collect())
    }

    /// Every received card as the list shows it (fast: from the in-memory index).
    pub async fn summaries(&self, sort: Sort) -> Result<Vec<CardSummary>> {
        let db = self.unlocked().await?;
        db.summaries(sort).await
    }

    /// Instant search, best first.
    pub async fn search(&self, query: &str, limit: Option<usize>) -> Result<Vec<CardSummary>> {
        let db = self.unlocked().await?;
        db.search(query, limit).await
    }

    /// A received card, without marking it seen.
    pub async fn get(&self, id: &str) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        Ok(db.get_received(id).await?.shown_in(self.region))
    }

    /// Opens a received card: refreshes it from its server when that answers (a conditional
    /// GET; offline: the cached copy), then marks it seen. The app shows the cache first with
    /// [`Core::open_cached`] and then calls [`Core::refresh`]; [`Core::open_with_changes`]
    /// also returns the change history.
    pub async fn open_card(&self, id: &str) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        self.refresh_or_cached(id).await?;
        Ok(db.open_received(id).await?.shown_in(self.region))
    }

    /// Every received card as one vCard 4.0 file, in name order.
    pub async fn export_vcf(&self) -> Result<String> {
        let db = self.unlocked().await?;
        let cards = db.list_received(Sort::Name).await?;
        Ok(cards.iter().map(|c| vcard::to_vcard(&c.card)).collect())
    }

    pub async fn set_notes(&self, id: &str, notes: &str) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        Ok(db.set_notes(id, notes).await?.shown_in(self.region))
    }

    pub async fn add_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        Ok(db.add_tags(id, tags).await?.shown_in(self.region))
    }

    pub async fn remove_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        Ok(db.remove_tags(id, tags).await?.shown_in(self.region))
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        let db = self.unlocked().await?;
        db.delete_received(id).await
    }
}

/// Applies edits in order to `card`; on the first refused value returns its error (the caller
/// discards the half-edited card).
pub fn apply_edits(card: &mut Card, edits: &[Edit], region: Region) -> Result<()> {
    for e in edits {
        match (&e.value, e.field) {
            (EditValue::Image(bytes), Field::Avatar) => card.set_avatar(bytes.clone())?,
            (EditValue::Image(_), f) => {
                return Err(CoreError::InvalidInput(format!(
                    "{f}: an image can only go into the avatar field"
                )))
            }
            (EditValue::Text(t), Field::Avatar) if t.trim().is_empty() => card.avatar = None,
            (EditValue::Text(t), f) => match e.op {
                EditOp::Set => card.set(f, t, region)?,
                EditOp::Add => card.add(f, t, region)?,
            },
        }
    }
    Ok(())
}
