//! Sync against a real livecard-server on 127.0.0.1 (in-process, SQLite in a tempdir), with
//! real client stores in tempdirs and in-memory keystores.

use std::path::Path;

use livecard_core::decide::Refusal;
use livecard_core::i18n::Lang;
use livecard_core::{Core, CoreError, Edit, Refresh, Status};
use livecard_format::crypto::{self, ShareLink};
use livecard_format::Field;

mod common;
use common::{device, Server};

async fn owner(dir: &Path, server: &str) -> Core {
    let a = device(dir, "a", server).await;
    a.edit_own(
        None,
        &[
            Edit::set(Field::Name, "张三丰"),
            Edit::set(Field::Mobile, "+8613800138000"),
            Edit::set(Field::Company, "武当科技"),
        ],
    )
    .await
    .expect("edit");
    a
}

#[tokio::test]
async fn publish_add_update_records_changes_and_badge() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    let p = a.publish(None).await.expect("publish");
    assert_eq!(p.version, 1);
    assert!(
        p.link.starts_with(&format!("{}/c/", srv.url())),
        "{}",
        p.link
    );

    let b = device(dir.path(), "b", &srv.url()).await;
    let added = b.add_link(&p.link).await.expect("add link");
    let rc = b.get(&added.id).await.unwrap();
    assert!(rc.live);
    assert_eq!(rc.remote_version, Some(1));
    assert_eq!(rc.card.mobile, vec!["+8613800138000".to_string()]);
    // Adding the same card again keeps one card.
    let again = b.add_link(&p.link.to_uppercase()).await.expect("add again");
    assert_eq!(again.id, added.id);
    assert_eq!(b.list(Default::default()).await.unwrap().len(), 1);

    // The owner edits the mobile, sets a temporary number and a bulletin.
    a.edit_own(
        None,
        &[
            Edit::set(Field::Mobile, "+8613900139000"),
            Edit::set(Field::TempNumber, "+8613700137000"),
            Edit::set(Field::TempUntil, "2030-01-01T18:00:00+08:00"),
            Edit::set(Field::Bulletin, "新品发布：八折优惠"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        a.outbox_len().await.unwrap(),
        1,
        "published card edit is queued"
    );
    let p2 = a.publish(None).await.unwrap();
    assert_eq!(p2.version, 2);
    assert_eq!(p2.link, p.link, "the link stays the same");
    assert_eq!(a.outbox_len().await.unwrap(), 0);

    let report = b.sync().await.unwrap();
    assert_eq!((report.checked, report.updated, report.requests), (1, 1, 1));
    let summary = b.summaries(Default::default()).await.unwrap();
    assert!(summary[0].changed, "changed badge after an update");
    let opened = b.open_with_changes(&added.id).await.unwrap();
    assert_eq!(opened.refresh, Refresh::Unchanged);
    assert_eq!(opened.card.card.mobile, vec!["+8613900139000".to_string()]);
    assert_eq!(opened.card.card.temp_number, "+8613700137000");
    assert_eq!(opened.card.card.bulletin, "新品发布：八折优惠");
    let mobile = opened
        .changes
        .iter()
        .find(|c| c.field == "mobile")
        .expect("mobile change recorded");
    assert_eq!(
        (mobile.old.as_str(), mobile.new.as_str()),
        ("+8613800138000", "+8613900139000")
    );
    assert_eq!(mobile.version, 2);
    assert!(opened
        .changes
        .iter()
        .any(|c| c.field == "temp_number" && c.old.is_empty()));
    assert!(opened.changes.iter().any(|c| c.field == "bulletin"));
    assert!(
        !b.summaries(Default::default()).await.unwrap()[0].changed,
        "badge cleared"
    );

    // A conditional refresh of an up-to-date card changes nothing.
    assert_eq!(b.refresh(&added.id).await.unwrap(), Refresh::Unchanged);
    srv.stop().await;
}

#[tokio::test]
async fn refusals_rollback_bad_signature_pinned_key() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    let p = a.publish(None).await.unwrap();
    let share_v1 = a.own_share(None).await.unwrap();
    let old = share_v1.seal().unwrap();
    a.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    a.publish(None).await.unwrap();

    let b = device(dir.path(), "b", &srv.url()).await;
    let id = b.add_link(&p.link).await.unwrap().id;
    assert_eq!(b.get(&id).await.unwrap().remote_version, Some(2));
    let link = ShareLink::parse(&p.link).unwrap();

    // Rollback: a correctly signed older version is refused, the card stays.
    let err = b
        .add_record(&link, &old, false, livecard_core::Source::Nfc)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CoreError::Refused(Refusal::Rollback {
                version: 1,
                held: 2
            })
        ),
        "{err}"
    );
    // The message as always; the JSON adds the code.
    assert_eq!(
        err.to_string(),
        "refused: version 1 is older than the version 2 held here (rollback) / 拒绝旧版本"
    );
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "refused");
    assert_eq!(json["refusal"]["code"], "rollback");
    assert_eq!(json["message"], err.to_string());
    assert_eq!(b.get(&id).await.unwrap().card.title, "掌门");
    // Remembered as a code, rendered in the user's language at display time.
    let last = b.last_refusal(&id).await.unwrap().expect("remembered");
    assert_eq!(last.code(), "rollback");
    assert_eq!(last.text(Lang::Zh), "拒绝旧版本");

    // Bad signature: a tampered newer record is refused.
    let share = a.own_share(None).await.unwrap();
    let mut forged = crypto::seal(&share.card, &share.keys, &share.secret, 9).unwrap();
    forged.signature[0] ^= 1;
    let err = b
        .add_record(&link, &forged, false, livecard_core::Source::Nfc)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Refused(Refusal::BadSignature)),
        "{err}"
    );
    assert_eq!(err.to_string(), "refused: bad signature / 签名无效");
    assert_eq!(
        b.last_refusal(&id).await.unwrap(),
        Some(Refusal::BadSignature)
    );
    assert_eq!(b.get(&id).await.unwrap().remote_version, Some(2));

    // Pinned key: once a different key is pinned for this id, genuine records are refused.
    sqlx::query("UPDATE pinned_keys SET public_key = ?")
        .bind(vec![7u8; 32])
        .execute(
            &sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.path().join("b").join("livecard.sqlite")),
            )
            .await
            .unwrap(),
        )
        .await
        .unwrap();
    a.edit_own(None, &[Edit::set(Field::Title, "太极宗师")])
        .await
        .unwrap();
    a.publish(None).await.unwrap();
    let r = b.sync().await.unwrap();
    assert_eq!((r.updated, r.refused), (0, 1), "{r:?}");
    assert!(r.errors[0].contains("public key changed"), "{:?}", r.errors);
    assert_eq!(
        b.last_refusal(&id).await.unwrap(),
        Some(Refusal::KeyChanged)
    );
    let rc = b.get(&id).await.unwrap();
    assert_eq!(
        (rc.card.title.as_str(), rc.remote_version),
        ("掌门", Some(2))
    );
    srv.stop().await;
}

#[tokio::test]
async fn second_device_conflict_merges_fieldwise_and_keys_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    let p = a.publish(None).await.unwrap();

    // Keys move to a second device through a passphrase-encrypted file.
    let file = a.export_keys("correct horse battery").await.unwrap();
    assert!(!String::from_utf8_lossy(&file).contains(&p.link[p.link.len() - 26..]));
    let a2 = device(dir.path(), "a2", &srv.url()).await;
    assert!(matches!(
        a2.import_keys(&file, "wrong horse battery").await,
        Err(CoreError::WrongPassphrase)
    ));
    let imported = a2
        .import_keys(&file, "correct horse battery")
        .await
        .unwrap();
    assert_eq!(imported.created, 1);
    assert_eq!(a2.share_link(None).await.unwrap().to_string(), p.link);

    // Device 2 changes the title and publishes first (v2).
    a2.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    assert_eq!(a2.publish(None).await.unwrap().version, 2);
    // Device 1, unaware, changes the mobile: 409, merged, both edits kept (v3).
    a.edit_own(None, &[Edit::set(Field::Mobile, "+8613900139000")])
        .await
        .unwrap();
    let p3 = a.publish(None).await.unwrap();
    assert!(p3.merged);
    assert_eq!(p3.version, 3);
    let mine = a.own_card(None).await.unwrap();
    assert_eq!(mine.card.title, "掌门");
    assert_eq!(mine.card.mobile, vec!["+8613900139000".to_string()]);

    let b = device(dir.path(), "b", &srv.url()).await;
    let id = b.add_link(&p.link).await.unwrap().id;
    let rc = b.get(&id).await.unwrap();
    assert_eq!(rc.remote_version, Some(3));
    assert_eq!(rc.card.title, "掌门");
    assert_eq!(rc.card.mobile, vec!["+8613900139000".to_string()]);
    assert_eq!(rc.card.company, "武当科技");
    srv.stop().await;
}

#[tokio::test]
async fn outbox_replays_in_order_after_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let url = srv.url();
    let a = owner(dir.path(), &url).await;
    let p = a.publish(None).await.unwrap();
    let b = device(dir.path(), "b", &url).await;
    let id = b.add_link(&p.link).await.unwrap().id;
    let addr = srv.stop().await;

    // Offline: edits queue (one pending write per card); publishing says offline; syncing
    // keeps the queue.
    a.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    a.edit_own(None, &[Edit::set(Field::Mobile, "+8613900139000")])
        .await
        .unwrap();
    assert!(matches!(a.publish(None).await, Err(CoreError::Offline(_))));
    let r = a.sync().await.unwrap();
    assert_eq!(r.outbox_replayed, 0);
    assert_eq!(
        r.outbox_pending, 1,
        "two edits and a publish offline: one write"
    );
    let opened = b.open_with_changes(&id).await.unwrap();
    assert!(matches!(opened.refresh, Refresh::Offline { .. }));

    // Back online: the queue goes out in order; recipients see the last state.
    let srv = Server::start(dir.path(), Some(addr)).await;
    let r = a.sync().await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.outbox_replayed, r.outbox_pending), (1, 0));
    let r = b.sync().await.unwrap();
    assert_eq!(r.updated, 1);
    let rc = b.get(&id).await.unwrap();
    assert_eq!(rc.card.title, "掌门");
    assert_eq!(rc.card.mobile, vec!["+8613900139000".to_string()]);

    // A queued edit followed by a queued delete: replayed in that order (the delete last).
    let addr = srv.stop().await;
    a.edit_own(None, &[Edit::set(Field::Title, "宗师")])
        .await
        .unwrap();
    assert!(matches!(
        a.delete_own_published(None).await,
        Err(CoreError::Offline(_))
    ));
    let srv = Server::start(dir.path(), Some(addr)).await;
    let r = a.sync().await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.outbox_replayed, r.outbox_pending), (2, 0));
    let r = b.sync().await.unwrap();
    assert_eq!(r.gone, 1);
    let rc = b.get(&id).await.unwrap();
    assert_eq!(rc.status, Status::Deleted);
    assert_eq!(rc.card.title, "掌门", "deleted card keeps its last copy");
    srv.stop().await;
}

#[tokio::test]
async fn reset_link_revokes_old_holders_and_partial_copy_becomes_full() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    a.edit_own(None, &[Edit::set(Field::Bulletin, "老公告")])
        .await
        .unwrap();
    let p = a.publish(None).await.unwrap();

    // B gets an offline copy with the bulletin dropped (partial), while the server is down.
    let share = a.own_share(None).await.unwrap();
    let mut small = share.card.clone();
    small.bulletin.clear();
    let copy = crypto::seal(&small, &share.keys, &share.secret, share.version).unwrap();
    let addr = srv.stop().await;
    let b = device(dir.path(), "b", "http://127.0.0.1:9").await;
    let id = b
        .add_record(&share.link, &copy, true, livecard_core::Source::Nfc)
        .await
        .unwrap()
        .id;
    assert!(b.is_partial(&id).await.unwrap());
    assert_eq!(b.get(&id).await.unwrap().card.bulletin, "");
    let r = b.sync().await.unwrap();
    assert_eq!(r.updated, 0);
    assert!(!r.errors.is_empty(), "offline is reported");

    // Server back: the full record arrives although the version is the same.
    let srv = Server::start(dir.path(), Some(addr)).await;
    let r = b.sync().await.unwrap();
    assert_eq!(r.updated, 1, "{r:?}");
    assert!(!b.is_partial(&id).await.unwrap());
    assert_eq!(b.get(&id).await.unwrap().card.bulletin, "老公告");

    // Reset link: B keeps its copy, marked revoked, and stops updating.
    let p2 = a.reset_link(None).await.unwrap();
    assert_ne!(p2.link, p.link);
    let r = b.sync().await.unwrap();
    assert_eq!(r.revoked, 1);
    let rc = b.get(&id).await.unwrap();
    assert_eq!(rc.status, Status::Revoked);
    assert_eq!(rc.card.bulletin, "老公告");
    assert_eq!(
        b.sync().await.unwrap().checked,
        0,
        "revoked cards no longer sync"
    );
    // The old link no longer adds the card; the new one does (the same card again).
    assert!(matches!(
        b.add_link(&p.link).await,
        Err(CoreError::Refused(_))
    ));
    let again = b.add_link(&p2.link).await.unwrap();
    assert_eq!(again.id, id);
    assert_eq!(b.get(&id).await.unwrap().status, Status::Active);
    srv.stop().await;
}

#[tokio::test]
async fn adding_a_link_with_the_server_down_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    let p = a.publish(None).await.unwrap();
    srv.stop().await;
    let b = device(dir.path(), "b", "http://127.0.0.1:9").await;
    let err = b.add_link(&p.link).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::Offline(m) if m.contains("nothing added")),
        "{err}"
    );
    assert!(b.list(Default::default()).await.unwrap().is_empty());
    assert!(matches!(
        b.add_link("https://x.example/c/NOPE").await,
        Err(CoreError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn nfc_partial_copy_is_saved_offline_then_completed_by_sync() {
    use livecard_format::exchange::{nfc_message, CopySource, Tag};
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = owner(dir.path(), &srv.url()).await;
    let bulletin = "新品发布，全场八折，欢迎来电咨询。".repeat(15);
    a.edit_own(None, &[Edit::set(Field::Bulletin, bulletin.as_str())])
        .await
        .unwrap();
    a.publish(None).await.unwrap();
    let share = a.own_share(None).await.unwrap();
    let src = CopySource {
        card: &share.card,
        keys: &share.keys,
        version: share.version,
    };
    let payload = nfc_message(&share.link, Some(&src), Tag::Ntag215).unwrap();
    assert!(payload.offline_included);
    assert!(
        payload.dropped_fields.contains(&Field::Bulletin),
        "{payload:?}"
    );

    // Read while the server is down: saved at once, live, partial.
    let addr = srv.stop().await;
    let b = device(dir.path(), "b", "http://127.0.0.1:9").await;
    let added = b.add_nfc(&payload.bytes).await.unwrap();
    let id = added[0].id.clone();
    let rc = b.get(&id).await.unwrap();
    assert!(rc.live);
    assert_eq!(rc.source, livecard_core::Source::Nfc);
    assert_eq!(rc.card.bulletin, "");
    assert_eq!(rc.card.company, "武当科技");
    assert!(b.is_partial(&id).await.unwrap());
    // Reading the same tag again keeps one card.
    assert_eq!(b.add_nfc(&payload.bytes).await.unwrap()[0].id, id);

    // Server back: sync asks for the full record (version 0) and completes the card.
    let srv = Server::start(dir.path(), Some(addr)).await;
    let r = b.sync().await.unwrap();
    assert_eq!((r.updated, r.requests), (1, 1), "{r:?}");
    assert!(!b.is_partial(&id).await.unwrap());
    assert_eq!(b.get(&id).await.unwrap().card.bulletin, bulletin);
    assert!(
        b.changes(&id).await.unwrap().is_empty(),
        "completing an offline copy is not a change"
    );
    srv.stop().await;
}
