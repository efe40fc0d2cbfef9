//! The PIN lock inside the core: real SQLite in tempdirs, an in-memory keystore shared across
//! "restarts" (re-opening the Core), a `ManualClock`, and a real sync server on 127.0.0.1 so
//! the sync/publish methods are exercised too.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use livecard_core::keystore::{MemoryStore, SecretStore};
use livecard_core::lock::LOCK_STATE_NAME;
use livecard_core::{Core, CoreError, Edit, ManualClock, Sort, Source};
use livecard_format::crypto::ShareLink;
use livecard_format::exchange::{OfflineCopy, Received};
use livecard_format::{Field, Region};
use livecard_server::Config;

const PIN: &str = "2580";
const VCF: &[u8] = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Li Si\r\nTEL;TYPE=CELL:+8613900139000\r\nEMAIL:li@example.com\r\nEND:VCARD\r\n";

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    async fn start(db_dir: &Path) -> Server {
        let mut config = Config::new(format!("sqlite://{}", db_dir.join("server.db").display()));
        config.rate_per_second = 0;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(livecard_server::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
        }
    }
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A second connection to the data directory's database, beside the core (no lock; the
/// core's store is private to it).
struct Raw(sqlx::SqlitePool);

impl Raw {
    async fn open(dir: impl AsRef<Path>) -> Raw {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.as_ref().join("livecard.sqlite"))
            .busy_timeout(std::time::Duration::from_secs(5));
        Raw(sqlx::SqlitePool::connect_with(opts).await.unwrap())
    }

    fn pool(&self) -> &sqlx::SqlitePool {
        &self.0
    }

    /// `meta.pin_set`.
    async fn pin_set_flag(&self) -> sqlx::Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'pin_set'")
            .fetch_optional(&self.0)
            .await?;
        Ok(v.unwrap_or(0) != 0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap())
}

/// A Core over `dir` as the app builds it at every start, with the shared keystore and clock.
async fn open(dir: &Path, ks: &Arc<MemoryStore>, clock: &ManualClock) -> Core {
    Core::open(dir, Region::default())
        .await
        .expect("open core")
        .with_secrets(ks.clone())
        .with_lock_clock(Box::new(clock.clone()))
        .with_insecure_pin_hash_for_tests()
}

fn kind<T>(r: &Result<T, CoreError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.kind(),
    }
}

/// A device with an own card and one static received card; returns (received id, own id).
async fn seed(core: &Core) -> (String, String) {
    let own = core
        .edit_own(None, &[Edit::set(Field::Name, "张三丰")])
        .await
        .expect("own card");
    let rep = core.add_contacts(VCF).await.expect("add vcf");
    (rep.added[0].id.clone(), own.id)
}

/// Things the card methods take: a real share link and sealed record of another owner.
struct Inputs {
    link_text: String,
    link: ShareLink,
    copy: OfflineCopy,
    live_id: String,
}

/// Runs EVERY Core method that returns, exports or changes card data, returning (name, kind of
/// the result). Keep this list in step with the Core API (lib.rs, owner.rs, sync.rs,
/// receive.rs, backup.rs).
async fn every_card_method(
    core: &Core,
    rid: &str,
    oid: &str,
    i: &Inputs,
) -> Vec<(&'static str, &'static str)> {
    let tags = vec!["vip".to_string()];
    let imported = livecard_format::vcard::parse_vcards(VCF, Region::default()).unwrap();
    let received = Received::LiveCard {
        link: i.link.clone(),
        offline: Some(i.copy.clone()),
    };
    vec![
        ("own_cards", kind(&core.own_cards().await)),
        ("synced_at", kind(&core.synced_at(rid).await)),
        ("last_refusal", kind(&core.last_refusal(rid).await)),
        ("own_card", kind(&core.own_card(None).await)),
        ("own_card(id)", kind(&core.own_card(Some(oid)).await)),
        ("own_vcard", kind(&core.own_vcard(None).await)),
        (
            "edit_own",
            kind(&core.edit_own(None, &[Edit::set(Field::Title, "CEO")]).await),
        ),
        (
            "create_own",
            kind(&core.create_own(&[Edit::set(Field::Name, "Two")]).await),
        ),
        ("import_own", kind(&core.import_own(Some(oid), VCF).await)),
        ("seed_own_from", kind(&core.seed_own_from(rid).await)),
        ("set_default_own", kind(&core.set_default_own(oid).await)),
        ("delete_own", kind(&core.delete_own("no-such-own").await)),
        ("add_contacts", kind(&core.add_contacts(VCF).await)),
        (
            "add_imported",
            kind(&core.add_imported(imported, Source::Vcf).await),
        ),
        ("list", kind(&core.list(Sort::Name).await)),
        ("summaries", kind(&core.summaries(Sort::Updated).await)),
        ("search", kind(&core.search("li", None).await)),
        (
            "cards_window",
            kind(&core.cards_window("li", Sort::Name, 0, 50).await),
        ),
        ("get", kind(&core.get(rid).await)),
        ("open_card", kind(&core.open_card(rid).await)),
        ("export_vcf", kind(&core.export_vcf().await)),
        ("set_notes", kind(&core.set_notes(rid, "met at expo").await)),
        ("add_tags", kind(&core.add_tags(rid, &tags).await)),
        ("remove_tags", kind(&core.remove_tags(rid, &tags).await)),
        ("delete", kind(&core.delete("no-such-card").await)),
        ("outbox_len", kind(&core.outbox_len().await)),
        ("publish", kind(&core.publish(None).await)),
        ("share_link", kind(&core.share_link(None).await)),
        ("own_share", kind(&core.own_share(None).await)),
        (
            "reset_link",
            kind(&core.reset_link(Some("no-such-own")).await),
        ),
        (
            "delete_own_published",
            kind(&core.delete_own_published(Some("no-such-own")).await),
        ),
        ("add_link", kind(&core.add_link(&i.link_text).await)),
        (
            "add_link_from",
            kind(&core.add_link_from(&i.link_text, Source::Qr).await),
        ),
        (
            "add_record",
            kind(
                &core
                    .add_record(&i.link, &i.copy.record, false, Source::Nfc)
                    .await,
            ),
        ),
        (
            "add_records",
            kind(
                &core
                    .add_records(&[(i.link.clone(), i.copy.record.clone())], Source::Nfc)
                    .await,
            ),
        ),
        (
            "add_offline",
            kind(&core.add_offline(&i.link, &i.copy, Source::Nfc).await),
        ),
        (
            "add_received",
            kind(&core.add_received(received, Source::Qr).await),
        ),
        ("add_nfc", kind(&core.add_nfc(b"not ndef").await)),
        ("add_nfc_json", kind(&core.add_nfc_json("{}").await)),
        (
            "add_nfc_answer",
            kind(
                &core
                    .add_nfc_answer(&livecard_format::nfc_answer::NfcAnswer::default())
                    .await,
            ),
        ),
        (
            "add_qr_image",
            kind(&core.add_qr_image(b"not a picture").await),
        ),
        (
            "add_scanned",
            kind(&core.add_scanned(&i.link_text, Source::Qr).await),
        ),
        ("changes", kind(&core.changes(&i.live_id).await)),
        ("is_partial", kind(&core.is_partial(&i.live_id).await)),
        ("open_cached", kind(&core.open_cached(&i.live_id).await)),
        ("refresh", kind(&core.refresh(&i.live_id).await)),
        (
            "open_with_changes",
            kind(&core.open_with_changes(&i.live_id).await),
        ),
        (
            "refresh_or_cached",
            kind(&core.refresh_or_cached(&i.live_id).await),
        ),
        ("sync", kind(&core.sync().await)),
        (
            "export_keys",
            kind(&core.export_keys("a long passphrase").await),
        ),
        (
            "import_keys",
            kind(&core.import_keys(b"not a backup", "a long passphrase").await),
        ),
    ]
}

#[tokio::test]
async fn no_card_method_answers_while_locked_and_all_do_after_unlock() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start(tmp.path()).await;
    // Another person publishes a card; this device adds it (a live received card).
    let other = Core::open(tmp.path().join("other"), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(MemoryStore::new()))
        .with_server(Some(srv.url()));
    other
        .edit_own(None, &[Edit::set(Field::Name, "王五")])
        .await
        .unwrap();
    let link_text = other.publish(None).await.unwrap().link;
    let record = other.own_share(None).await.unwrap().seal().unwrap();
    let link = ShareLink::parse(&link_text).unwrap();
    let copy = OfflineCopy {
        record,
        card: other.own_card(None).await.unwrap().card,
        partial: false,
    };

    let dir = tmp.path().join("me");
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(&dir, &ks, &c).await.with_server(Some(srv.url()));
    let (rid, oid) = seed(&core).await;
    let live_id = core.add_link(&link_text).await.unwrap().id;
    let inputs = Inputs {
        link_text,
        link,
        copy,
        live_id,
    };
    core.set_pin(PIN, None).await.unwrap();
    drop(core);

    // Restart: locked.
    let core = open(&dir, &ks, &c).await.with_server(Some(srv.url()));
    assert!(core.lock_status().await.unwrap().locked);
    let results = every_card_method(&core, &rid, &oid, &inputs).await;
    assert_eq!(results.len(), 51, "every method is listed");
    let leaked: Vec<_> = results.iter().filter(|(_, k)| *k != "locked").collect();
    assert!(leaked.is_empty(), "answered while locked: {leaked:?}");
    // The error says what to do, in both languages.
    let e = core.list(Sort::Name).await.unwrap_err();
    assert!(e.to_string().contains("PIN"), "{e}");

    // Lock-screen operations work while locked.
    assert_eq!(core.lock_status().await.unwrap().wrong_tries, 0);

    let st = core.unlock(PIN).await.unwrap();
    assert!(!st.locked && st.pin_set);
    let results = every_card_method(&core, &rid, &oid, &inputs).await;
    let still: Vec<_> = results.iter().filter(|(_, k)| *k == "locked").collect();
    assert!(still.is_empty(), "refused after unlock: {still:?}");
    assert_eq!(kind(&core.list(Sort::Name).await), "ok");
    assert!(!core.list(Sort::Name).await.unwrap().is_empty());

    // lock_now closes it again.
    assert!(core.lock_now().await.unwrap().locked);
    assert_eq!(kind(&core.search("li", None).await), "locked");
}

/// Every `pub async fn` of the core is either in `every_card_method` or a lock operation: a
/// new card method cannot be added without being listed (and so tested) above.
#[test]
fn the_method_list_is_complete() {
    let listed = include_str!("lock.rs");
    let lock_ops = [
        "open",
        "lock_status",
        "unlock",
        "set_pin",
        "remove_pin",
        "lock_now",
        "set_wipe_after",
        "set_auto_lock_secs",
        "set_biometric",
        "unlock_after_biometric",
        // The keys-missing ways out (refused unless the lock state is gone; tested below).
        "recover_from_key_backup",
        "start_over_without_keys",
        // Not card data: shuts the database down.
        "close",
        // Answers nothing; loads the index only when no PIN is set (tests/window.rs).
        "prefetch_list",
    ];
    let sources = [
        include_str!("../src/lib.rs"),
        include_str!("../src/owner.rs"),
        include_str!("../src/sync.rs"),
        include_str!("../src/receive.rs"),
        include_str!("../src/picture.rs"),
        include_str!("../src/backup.rs"),
        include_str!("../src/lock.rs"),
    ];
    let mut missing = Vec::new();
    for src in sources {
        for rest in src.split("    pub async fn ").skip(1) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !lock_ops.contains(&name.as_str()) && !listed.contains(&format!("\"{name}\"")) {
                missing.push(name);
            }
        }
    }
    assert!(missing.is_empty(), "not in every_card_method: {missing:?}");
}

#[tokio::test]
async fn no_pin_means_no_keystore_and_no_lock() {
    /// A keystore that fails every call: a data dir without a PIN must never need it.
    #[derive(Debug)]
    struct Broken;
    impl SecretStore for Broken {
        fn get(&self, _: &str) -> livecard_core::Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
            Err(CoreError::Keystore("no keystore here".into()))
        }
        fn set(&self, _: &str, _: &[u8]) -> livecard_core::Result<()> {
            Err(CoreError::Keystore("no keystore here".into()))
        }
        fn delete(&self, _: &str) -> livecard_core::Result<()> {
            Err(CoreError::Keystore("no keystore here".into()))
        }
        fn describe(&self) -> String {
            "broken".into()
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let core = Core::open(tmp.path(), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(Broken));
    core.add_contacts(VCF).await.unwrap();
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);
    let st = core.lock_status().await.unwrap();
    assert!(!st.pin_set && !st.locked);
    assert!(!core.lock_now().await.unwrap().locked);
    assert_eq!(core.search("li", None).await.unwrap().len(), 1);
    // Setting a PIN needs the keystore and says so.
    assert_eq!(kind(&core.set_pin(PIN, None).await), "storage");
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);
}

#[tokio::test]
async fn delay_schedule_and_counter_survive_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(tmp.path(), &ks, &c).await;
    seed(&core).await;
    core.set_pin(PIN, None).await.unwrap();

    // Each wrong PIN on a fresh Core (an app start): the counter carries over.
    for n in 1..=5u32 {
        let core = open(tmp.path(), &ks, &c).await;
        let e = core.unlock("0000").await.unwrap_err();
        assert_eq!(e.kind(), "wrong_pin", "{e}");
        let st = core.lock_status().await.unwrap();
        assert_eq!(st.wrong_tries, n);
        assert_eq!(st.tries_left_before_delay, 5 - n);
        if n < 5 {
            assert_eq!(st.wait_secs, 0);
        }
    }
    // After the 5th: 30 s, then while waiting even the right PIN is not checked.
    let core = open(tmp.path(), &ks, &c).await;
    assert_eq!(core.lock_status().await.unwrap().wait_secs, 30);
    let e = core.unlock(PIN).await.unwrap_err();
    assert_eq!(e.kind(), "must_wait");
    assert_eq!(e.wait_secs(), Some(30));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["kind"], "must_wait");
    assert_eq!(json["wait_secs"], 30);
    assert_eq!(
        core.lock_status().await.unwrap().wrong_tries,
        5,
        "not counted"
    );

    c.advance_secs(30);
    assert_eq!(core.unlock("1111").await.unwrap_err().wait_secs(), Some(60));
    c.advance_secs(60);
    assert_eq!(
        core.unlock("1111").await.unwrap_err().wait_secs(),
        Some(300)
    );
    // Restart during the wait: the wait is still there.
    let core = open(tmp.path(), &ks, &c).await;
    assert_eq!(core.lock_status().await.unwrap().wait_secs, 300);
    assert_eq!(kind(&core.list(Sort::Name).await), "locked");
    c.advance_secs(300);
    core.unlock(PIN).await.unwrap();
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);
    assert_eq!(core.lock_status().await.unwrap().wrong_tries, 0);

    // Another restart: locked again until the PIN.
    let core = open(tmp.path(), &ks, &c).await;
    assert_eq!(kind(&core.list(Sort::Name).await), "locked");
    core.unlock(PIN).await.unwrap();
    assert_eq!(kind(&core.list(Sort::Name).await), "ok");
}

#[tokio::test]
async fn wipe_after_n_erases_received_cards_only_when_enabled() {
    let tmp = tempfile::tempdir().unwrap();
    let c = clock();

    // Disabled (the default): 12 wrong PINs erase nothing.
    let ks_off = Arc::new(MemoryStore::new());
    let off = tmp.path().join("off");
    let core = open(&off, &ks_off, &c).await;
    seed(&core).await;
    core.set_pin(PIN, None).await.unwrap();
    for _ in 0..12 {
        let core = open(&off, &ks_off, &c).await;
        let e = core.unlock("9999").await.unwrap_err();
        assert!(matches!(e.kind(), "wrong_pin"), "{e}");
        c.advance_secs(3600);
    }
    let core = open(&off, &ks_off, &c).await;
    core.unlock(PIN).await.unwrap();
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);

    // Enabled with N = 5: the 5th wrong PIN erases every received card (own card stays).
    let ks = Arc::new(MemoryStore::new());
    let on = tmp.path().join("on");
    let core = open(&on, &ks, &c).await;
    seed(&core).await;
    core.add_contacts(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhao Liu\r\nEMAIL:z@example.com\r\nEND:VCARD\r\n",
    )
    .await
    .unwrap();
    let id = core.list(Sort::Name).await.unwrap()[0].id.clone();
    core.set_notes(&id, "secret note").await.unwrap();
    core.set_pin(PIN, None).await.unwrap();
    assert_eq!(
        kind(&core.set_wipe_after(Some(3)).await),
        "wipe_after_out_of_range"
    );
    assert_eq!(
        core.set_wipe_after(Some(5)).await.unwrap().wipe_after,
        Some(5)
    );
    for _ in 0..4 {
        let core = open(&on, &ks, &c).await;
        assert_eq!(kind(&core.unlock("9999").await), "wrong_pin");
        c.advance_secs(3600);
    }
    let core = open(&on, &ks, &c).await;
    let e = core.unlock("9999").await.unwrap_err();
    assert!(matches!(e, CoreError::Wiped { erased: 2 }), "{e}");
    assert_eq!(e.kind(), "wiped");
    let st = core.lock_status().await.unwrap();
    assert!(st.locked && !st.wipe_pending);
    // Erased in the database, notes with them; the own card is still there.
    let raw = Raw::open(&on).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_cards")
        .fetch_one(raw.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_notes")
        .fetch_one(raw.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    c.advance_secs(3600);
    core.unlock(PIN).await.unwrap();
    assert!(core.list(Sort::Name).await.unwrap().is_empty());
    assert_eq!(core.own_cards().await.unwrap().len(), 1);
}

#[tokio::test]
async fn fails_closed_when_the_flag_is_set_but_the_keystore_lost_the_state() {
    let tmp = tempfile::tempdir().unwrap();
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(tmp.path(), &ks, &c).await;
    seed(&core).await;
    core.set_pin(PIN, None).await.unwrap();
    drop(core);
    // The keystore forgets (Linux keyutils after a reboot, a reinstalled OS keystore…).
    ks.delete(LOCK_STATE_NAME).unwrap();

    let core = open(tmp.path(), &ks, &c).await;
    for r in [
        kind(&core.list(Sort::Name).await),
        kind(&core.own_cards().await),
        kind(&core.export_vcf().await),
        kind(&core.search("li", None).await),
    ] {
        assert_eq!(r, "keys_missing");
    }
    let e = core.list(Sort::Name).await.unwrap_err();
    assert!(matches!(e, CoreError::LockStateMissing { .. }), "{e}");
    assert!(e.to_string().contains("restore your key backup"), "{e}");
    assert!(
        !e.to_string().contains("livecard "),
        "no CLI hint for app users: {e}"
    );
    // No PIN opens it, and the status says so rather than "no PIN".
    assert_eq!(kind(&core.unlock(PIN).await), "keys_missing");
    let st = core.lock_status().await.unwrap();
    assert!(st.keys_missing && st.pin_set && st.locked, "{st:?}");
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["keys_missing"], true);
    assert_eq!(kind(&core.remove_pin(PIN).await), "keys_missing");
    assert_eq!(kind(&core.set_pin("1234", None).await), "keys_missing");
    // Still the same after all that: nothing above reset the lock.
    assert!(core.lock_status().await.unwrap().keys_missing);
    assert_eq!(kind(&core.list(Sort::Name).await), "keys_missing");
}

const PASS: &str = "correct horse battery";

/// A phone with a published own card (keys in `ks`), one received card, a key backup of the
/// own card (returned), and a PIN set. Returns (backup bytes, received id, own id, card id).
async fn phone_with_backup_and_pin(core: &Core) -> (Vec<u8>, String, String, String) {
    let (rid, oid) = seed(core).await;
    let published = core.publish(Some(&oid)).await.expect("publish");
    core.set_notes(&rid, "met at the fair").await.expect("note");
    let backup = core.export_keys(PASS).await.expect("export keys");
    core.set_pin(PIN, None).await.expect("set pin");
    (backup, rid, oid, published.card_id)
}

/// Counts rows of a table in the data directory (read beside the core, no lock).
async fn count(dir: &Path, table: &str) -> i64 {
    let raw = Raw::open(dir).await;
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(raw.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn keys_missing_restore_from_key_backup_needs_the_right_passphrase_and_resets_the_pin() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start(tmp.path()).await;
    let dir = tmp.path().join("phone");
    let c = clock();
    let core = open(&dir, &Arc::new(MemoryStore::new()), &c)
        .await
        .with_server(Some(srv.url()));
    let (backup, rid, oid, card_id) = phone_with_backup_and_pin(&core).await;
    drop(core);

    // The data folder comes back on a phone whose keystore is empty (restore from backup).
    let ks = Arc::new(MemoryStore::new());
    let core = open(&dir, &ks, &c).await.with_server(Some(srv.url()));
    assert!(core.lock_status().await.unwrap().keys_missing);

    // A wrong passphrase, and a damaged file, change nothing.
    let e = core
        .recover_from_key_backup(&backup, "not the passphrase")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "wrong_passphrase", "{e}");
    let mut damaged = backup.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let k = kind(&core.recover_from_key_backup(&damaged, PASS).await);
    assert!(k == "wrong_passphrase" || k == "invalid_input", "{k}");
    // Someone else's key backup, with its right passphrase, opens nothing here.
    let other = Core::open(tmp.path().join("other"), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(MemoryStore::new()))
        .with_server(Some(srv.url()));
    other
        .edit_own(None, &[Edit::set(Field::Name, "王五")])
        .await
        .unwrap();
    other.publish(None).await.unwrap();
    let foreign = other.export_keys(PASS).await.unwrap();
    let e = core
        .recover_from_key_backup(&foreign, PASS)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "invalid_input", "{e}");
    assert!(
        e.to_string().contains("none of this phone's own cards"),
        "{e}"
    );
    assert_eq!(ks.get(&format!("card/{card_id}/seed")).unwrap(), None);
    let st = core.lock_status().await.unwrap();
    assert!(st.keys_missing && st.locked && st.pin_set, "{st:?}");
    assert_eq!(kind(&core.list(Sort::Name).await), "keys_missing");
    assert!(ks.get(LOCK_STATE_NAME).unwrap().is_none());
    let raw = Raw::open(&dir).await;
    assert!(raw.pin_set_flag().await.unwrap());

    // The right passphrase: keys back, PIN cleared, unlocked, every card kept.
    let got = core.recover_from_key_backup(&backup, PASS).await.unwrap();
    assert_eq!(got.cards, vec![card_id.clone()]);
    assert_eq!(got.created, 0, "the own card was already in the database");
    assert_eq!(
        core.own_cards().await.unwrap().len(),
        1,
        "the foreign backup added nothing"
    );
    let st = core.lock_status().await.unwrap();
    assert!(!st.keys_missing && !st.pin_set && !st.locked, "{st:?}");
    assert!(!raw.pin_set_flag().await.unwrap());
    let list = core.list(Sort::Name).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, rid);
    assert_eq!(count(&dir, "received_notes").await, 1);
    // The owner publishes again: the same card on the server.
    core.edit_own(Some(&oid), &[Edit::set(Field::Name, "张三丰 (new)")])
        .await
        .unwrap();
    let p = core.publish(Some(&oid)).await.unwrap();
    assert_eq!(p.card_id, card_id);
    assert!(p.version >= 2, "{p:?}");
    // Now a way out is no longer offered, and a new PIN can be set.
    assert_eq!(
        kind(&core.recover_from_key_backup(&backup, PASS).await),
        "keys_present"
    );
    core.set_pin("1357", None).await.unwrap();
    let core = open(&dir, &ks, &c).await;
    assert!(core.lock_status().await.unwrap().locked);
    core.unlock("1357").await.unwrap();
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);
}

#[tokio::test]
async fn keys_missing_start_over_deletes_received_cards_keeps_own_and_resets_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start(tmp.path()).await;
    let dir = tmp.path().join("phone");
    let c = clock();
    let core = open(&dir, &Arc::new(MemoryStore::new()), &c)
        .await
        .with_server(Some(srv.url()));
    let (backup, _rid, oid, card_id) = phone_with_backup_and_pin(&core).await;
    drop(core);
    assert_eq!(count(&dir, "received_cards").await, 1);
    assert_eq!(count(&dir, "received_notes").await, 1);

    let ks = Arc::new(MemoryStore::new());
    let core = open(&dir, &ks, &c).await.with_server(Some(srv.url()));
    assert!(core.lock_status().await.unwrap().keys_missing);
    assert_eq!(core.start_over_without_keys().await.unwrap(), 1);
    assert_eq!(count(&dir, "received_cards").await, 0);
    assert_eq!(count(&dir, "received_notes").await, 0);
    let st = core.lock_status().await.unwrap();
    assert!(!st.keys_missing && !st.pin_set && !st.locked, "{st:?}");
    assert!(core.list(Sort::Name).await.unwrap().is_empty());
    let own = core.own_cards().await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].id, oid);
    // Its keys are gone: publishing says so clearly (no panic), and nothing is queued.
    let e = core.publish(Some(&oid)).await.unwrap_err();
    assert_eq!(e.kind(), "keystore", "{e}");
    assert!(e.to_string().contains("key backup"), "{e}");
    // Starting over twice is refused (the lock is no longer missing); the key backup still
    // brings the keys back the ordinary way, and the card publishes again.
    assert_eq!(kind(&core.start_over_without_keys().await), "keys_present");
    core.import_keys(&backup, PASS).await.unwrap();
    assert_eq!(core.publish(Some(&oid)).await.unwrap().card_id, card_id);
}

#[tokio::test]
async fn the_ways_out_are_refused_while_the_lock_state_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start(tmp.path()).await;
    let dir = tmp.path().join("phone");
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(&dir, &ks, &c).await.with_server(Some(srv.url()));
    // No PIN at all: nothing to recover from.
    assert_eq!(kind(&core.start_over_without_keys().await), "keys_present");
    let (backup, rid, _oid, _card_id) = phone_with_backup_and_pin(&core).await;
    drop(core);

    // The lock is intact and locked (a thief holding the phone and the key backup file but
    // not its passphrase, or even with it): neither way out bypasses the PIN.
    let core = open(&dir, &ks, &c).await;
    let st = core.lock_status().await.unwrap();
    assert!(st.locked && !st.keys_missing, "{st:?}");
    let e = core
        .recover_from_key_backup(&backup, PASS)
        .await
        .unwrap_err();
    assert!(matches!(e, CoreError::KeysNotMissing), "{e}");
    assert_eq!(e.kind(), "keys_present");
    assert_eq!(kind(&core.start_over_without_keys().await), "keys_present");
    // The same on a fresh start where the lock is not loaded yet.
    let core = open(&dir, &ks, &c).await;
    assert_eq!(kind(&core.start_over_without_keys().await), "keys_present");
    assert_eq!(
        kind(&core.recover_from_key_backup(&backup, PASS).await),
        "keys_present"
    );
    // Nothing changed: still locked, the PIN still set and needed, the received card kept.
    assert!(core.lock_status().await.unwrap().locked);
    assert_eq!(kind(&core.list(Sort::Name).await), "locked");
    assert_eq!(count(&dir, "received_cards").await, 1);
    assert!(ks.get(LOCK_STATE_NAME).unwrap().is_some());
    core.unlock(PIN).await.unwrap();
    assert_eq!(core.list(Sort::Name).await.unwrap()[0].id, rid);
    // Unlocked is no different: the ways out are for the keys-missing state only.
    assert_eq!(kind(&core.start_over_without_keys().await), "keys_present");
    assert_eq!(count(&dir, "received_cards").await, 1);
}

#[tokio::test]
async fn set_change_and_remove_pin() {
    let tmp = tempfile::tempdir().unwrap();
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(tmp.path(), &ks, &c).await;
    seed(&core).await;
    assert_eq!(kind(&core.set_pin("12a4", None).await), "invalid_pin");
    core.set_pin(PIN, None).await.unwrap();
    // Changing needs the current PIN.
    assert_eq!(
        kind(&core.set_pin("1234", None).await),
        "current_pin_required"
    );
    assert_eq!(kind(&core.set_pin("1234", Some("0000")).await), "wrong_pin");
    core.set_pin("1234", Some(PIN)).await.unwrap();
    let core = open(tmp.path(), &ks, &c).await;
    assert_eq!(kind(&core.unlock(PIN).await), "wrong_pin");
    core.unlock("1234").await.unwrap();
    // Removing: a wrong PIN keeps it (and the flag).
    assert_eq!(kind(&core.remove_pin("0000").await), "wrong_pin");
    let raw = Raw::open(tmp.path()).await;
    assert!(raw.pin_set_flag().await.unwrap());
    let st = core.remove_pin("1234").await.unwrap();
    assert!(!st.pin_set && !st.locked);
    assert!(!raw.pin_set_flag().await.unwrap());
    // Next start: open without a PIN.
    let core = open(tmp.path(), &ks, &c).await;
    assert_eq!(core.list(Sort::Name).await.unwrap().len(), 1);
}

#[tokio::test]
async fn auto_lock_in_the_background() {
    let tmp = tempfile::tempdir().unwrap();
    let ks = Arc::new(MemoryStore::new());
    let c = clock();
    let core = open(tmp.path(), &ks, &c).await;
    seed(&core).await;
    core.set_pin(PIN, None).await.unwrap();
    assert_eq!(
        core.set_auto_lock_secs(60).await.unwrap().auto_lock_secs,
        60
    );
    core.on_background();
    c.advance_secs(59);
    assert!(!core.on_foreground());
    assert_eq!(kind(&core.list(Sort::Name).await), "ok");
    core.on_background();
    c.advance_secs(60);
    assert!(core.on_foreground());
    assert_eq!(kind(&core.list(Sort::Name).await), "locked");
}
