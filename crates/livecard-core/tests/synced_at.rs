//! "Last synced" of received cards (`Core::synced_at`, `ReceivedCard::synced_at`), persisted in
//! SQLite: set when the card's server answers (a conditional GET, 304 included, or a batch
//! sync answer received whole), left alone offline, kept across a restart. Real
//! livecard-server on 127.0.0.1 (in-process, SQLite in a tempdir), real client stores in
//! tempdirs, in-memory keystores.

use std::path::Path;

use chrono::{DateTime, Utc};
use livecard_core::{Core, CoreError, Edit, Refresh, Sort, Source};
use livecard_format::crypto::{self, CardKeys, ShareLink, ShareSecret};
use livecard_format::{Card, Field};

mod common;
use common::{device, Server};

/// An owner device with a published card; returns it with the share link.
async fn owner(dir: &Path, name: &str, server: &str, who: &str) -> Core {
    let a = device(dir, name, server).await;
    a.edit_own(
        None,
        &[
            Edit::set(Field::Name, who),
            Edit::set(Field::Mobile, "+8613800138000"),
        ],
    )
    .await
    .expect("edit");
    a.publish(None).await.expect("publish");
    a
}

/// Adds the owner's card to `b` from an offline copy (as from an NFC tag): no server answer
/// yet, so no `synced_at`.
async fn add_offline_copy(b: &Core, a: &Core) -> String {
    let share = a.own_share(None).await.expect("own share");
    let rec = share.seal().expect("seal");
    let id = b
        .add_record(&share.link, &rec, false, Source::Nfc)
        .await
        .expect("add offline copy")
        .id;
    assert_eq!(
        b.synced_at(&id).await.unwrap(),
        None,
        "offline copy: never synced"
    );
    assert_eq!(b.get(&id).await.unwrap().synced_at, None);
    id
}

/// Now, at the store's resolution (milliseconds).
fn now_ms() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("now")
}

fn assert_between(t: Option<DateTime<Utc>>, lo: DateTime<Utc>, hi: DateTime<Utc>) {
    let t = t.expect("synced_at set");
    assert!(lo <= t && t <= hi, "synced_at {t} not within [{lo}, {hi}]");
}

#[tokio::test]
async fn refresh_sets_synced_at_offline_keeps_it_and_restart_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), "a", &srv.url(), "张三丰").await;
    let b = device(dir.path(), "b", &srv.url()).await;
    let id = add_offline_copy(&b, &a).await;

    // 304: the server has nothing newer, and that is an answer.
    let lo = now_ms();
    assert_eq!(b.refresh(&id).await.unwrap(), Refresh::Unchanged);
    let hi = now_ms();
    let t1 = b.synced_at(&id).await.unwrap();
    assert_between(t1, lo, hi);
    assert_eq!(b.get(&id).await.unwrap().synced_at, t1, "same on the card");

    // An update (200 with a newer record) sets it too.
    a.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    a.publish(None).await.unwrap();
    let lo = now_ms().max(t1.unwrap());
    assert!(matches!(
        b.refresh(&id).await.unwrap(),
        Refresh::Updated { .. }
    ));
    let hi = now_ms();
    let t2 = b.synced_at(&id).await.unwrap();
    assert_between(t2, lo, hi);

    // Server gone: refresh, open and sync report offline and leave synced_at alone.
    srv.stop().await;
    assert!(matches!(
        b.refresh(&id).await.unwrap(),
        Refresh::Offline { .. }
    ));
    let opened = b.open_with_changes(&id).await.unwrap();
    assert!(matches!(opened.refresh, Refresh::Offline { .. }));
    assert_eq!(opened.card.synced_at, t2);
    let r = b.sync().await.unwrap();
    assert_eq!(r.checked, 1);
    assert!(!r.errors.is_empty(), "offline is reported: {r:?}");
    assert_eq!(b.synced_at(&id).await.unwrap(), t2, "offline: unchanged");

    // A restart (new Core on the same data dir) still knows it.
    drop(b);
    let b = device(dir.path(), "b", "http://127.0.0.1:1").await;
    assert_eq!(b.synced_at(&id).await.unwrap(), t2);
    let listed = b.list(Sort::Name).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].synced_at, t2);
    assert!(matches!(
        b.synced_at("no-such-card").await,
        Err(CoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn batch_sync_sets_synced_at_of_every_live_card_checked() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), "a", &srv.url(), "张三丰").await;
    let c = owner(dir.path(), "c", &srv.url(), "李四").await;
    let b = device(dir.path(), "b", &srv.url()).await;
    let from_a = add_offline_copy(&b, &a).await;
    let from_c = add_offline_copy(&b, &c).await;
    // A static card never syncs.
    let vcf = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wang Wu\r\nEND:VCARD\r\n";
    let static_id = b.add_contacts(vcf).await.unwrap().added[0].id.clone();
    // An offline copy of a card never published: the server answers "unknown", which does
    // not confirm the copy.
    let keys = CardKeys::generate();
    let secret = ShareSecret::generate();
    let ghost = Card {
        name: "赵六".into(),
        ..Default::default()
    };
    let rec = crypto::seal(&ghost, &keys, &secret, 1).unwrap();
    let link = ShareLink::new(&srv.url(), keys.id(), secret);
    let unknown_id = b
        .add_record(&link, &rec, false, Source::Qr)
        .await
        .unwrap()
        .id;

    // One card changed on the server, one did not.
    a.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    a.publish(None).await.unwrap();

    let lo = now_ms();
    let r = b.sync().await.unwrap();
    let hi = now_ms();
    assert_eq!(
        (r.checked, r.updated, r.unknown, r.requests),
        (3, 1, 1, 1),
        "{r:?}"
    );
    for id in [&from_a, &from_c] {
        assert_between(b.synced_at(id).await.unwrap(), lo, hi);
    }
    assert_eq!(b.synced_at(&unknown_id).await.unwrap(), None);
    assert_eq!(b.synced_at(&static_id).await.unwrap(), None);
    let t = b.synced_at(&from_c).await.unwrap();

    // Persisted: a new Core on the same directory reads the same times.
    drop(b);
    let b = device(dir.path(), "b", &srv.url()).await;
    assert_eq!(b.synced_at(&from_c).await.unwrap(), t);
    assert_eq!(b.get(&from_c).await.unwrap().synced_at, t);
    srv.stop().await;
}
