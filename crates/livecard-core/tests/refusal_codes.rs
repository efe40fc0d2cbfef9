//! Migration 0017: refusals stored as sentences by earlier versions (`received_sync.last_error`)
//! become codes (`last_refusal`), unknown ones kept as `other` with their text; nothing else in
//! the store changes. The database is built by the real migrations 0001–0016 first.

use std::sync::Arc;

use livecard_core::decide::Refusal;
use livecard_core::keystore::MemoryStore;
use livecard_core::Core;
use livecard_format::Region;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");

#[tokio::test]
async fn stored_sentences_become_codes() {
    let dir = tempfile::tempdir().unwrap();
    // The migrations before 0017, as an older livecard ran them.
    let old = dir.path().join("old-migrations");
    std::fs::create_dir_all(&old).unwrap();
    let mut copied = 0;
    for e in std::fs::read_dir(MIGRATIONS).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        if name.as_str() < "0017" {
            std::fs::copy(e.path(), old.join(&name)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 4, "0001, 0002, 0003, 0016");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let pool = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(data.join("livecard.sqlite"))
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let sentences = [
        ("c1", Some("refused: bad signature / 签名无效")),
        (
            "c2",
            Some("refused: the card's key does not match its id / 密钥不符"),
        ),
        (
            "c3",
            Some("refused: the card's public key changed since first seen / 公钥已变更"),
        ),
        (
            "c4",
            Some(
                "refused: version 3 is older than the version 12 held here (rollback) / 拒绝旧版本",
            ),
        ),
        (
            "c5",
            Some("refused: card breaks the limits: invalid card: name: too long"),
        ),
        (
            "c6",
            Some("refused: ciphertext shorter than the 16-byte tag"),
        ),
        ("c7", Some("something an older version wrote / 旧版本写的")),
        ("c8", None),
    ];
    for (i, (id, err)) in sentences.iter().enumerate() {
        sqlx::query(
            "INSERT INTO received_cards (id, card_json, source, live, remote_id, remote_version,
             status, added_at, updated_at) VALUES (?, ?, 'link', 1, ?, 12, 'active', 1, 1)",
        )
        .bind(id)
        .bind(format!(r#"{{"name":"名片{i}"}}"#))
        .bind(format!("AAAAAAAAAAAAAAA{}", (b'A' + i as u8) as char))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO received_sync (card_id, server_url, secret, last_error)
             VALUES (?, 'http://127.0.0.1:1', 'SECRET', ?)",
        )
        .bind(id)
        .bind(err)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    // The current livecard opens it: 0017 runs.
    let core = Core::open(&data, Region::default())
        .await
        .expect("open migrates")
        .with_secrets(Arc::new(MemoryStore::new()));
    let want = [
        Some(Refusal::BadSignature),
        Some(Refusal::KeyMismatch),
        Some(Refusal::KeyChanged),
        Some(Refusal::Rollback {
            version: 3,
            held: 12,
        }),
        Some(Refusal::BreaksLimits {
            detail: "invalid card: name: too long".into(),
        }),
        Some(Refusal::BadRecord {
            detail: "ciphertext shorter than the 16-byte tag".into(),
        }),
        Some(Refusal::Other {
            text: "something an older version wrote / 旧版本写的".into(),
        }),
        None,
    ];
    for ((id, sentence), want) in sentences.iter().zip(want) {
        let got = core.last_refusal(id).await.unwrap();
        assert_eq!(got, want, "{id}");
        // Shown as before: the same sentence.
        assert_eq!(got.map(|r| r.to_string()).as_deref(), *sentence, "{id}");
    }
    // The cards themselves are untouched.
    assert_eq!(core.get("c4").await.unwrap().card.name, "名片3");
    assert_eq!(core.get("c4").await.unwrap().remote_version, Some(12));
    // No sentence is left in the database.
    let pool = SqlitePool::connect_with(
        SqliteConnectOptions::new().filename(data.join("livecard.sqlite")),
    )
    .await
    .unwrap();
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('received_sync')")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(columns.contains(&"last_refusal".to_string()), "{columns:?}");
    assert!(!columns.contains(&"last_error".to_string()), "{columns:?}");
}
