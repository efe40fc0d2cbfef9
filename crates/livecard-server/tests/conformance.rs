//! One conformance suite for every `Store` backend: each case runs on SQLite (a file in a
//! tempdir) and on PostgreSQL (its own schema; loudly SKIPPED when no PostgreSQL answers, a
//! failure with LIVECARD_REQUIRE_POSTGRES=1).

mod support;

use std::sync::Arc;

use livecard_format::crypto::{sign_delete, CardKeys};
use livecard_format::wire::CardId;
use livecard_server::store::{DeleteOutcome, PutOutcome, Store, Stored};
use support::{Owner, TestDb};

async fn open(db: &TestDb) -> Arc<dyn Store> {
    livecard_server::connect(&db.url)
        .await
        .expect("store opens")
}

async fn put_get_round_trip(store: Arc<dyn Store>) {
    let o = Owner::new("张三");
    let r1 = o.record(1);
    assert_eq!(store.put_if_newer(&r1).await.unwrap(), PutOutcome::Created);
    assert_eq!(
        store.get(&r1.id).await.unwrap(),
        Some(Stored::Live(r1.clone()))
    );
    let v = store.version(&r1.id).await.unwrap().unwrap();
    assert_eq!(
        (v.version, v.deleted, v.bytes),
        (1, false, r1.ciphertext.len() as u64)
    );
    let unknown = Owner::new("x").keys.id();
    assert_eq!(store.get(&unknown).await.unwrap(), None);
    assert_eq!(store.version(&unknown).await.unwrap(), None);
}

async fn only_higher_versions_win(store: Arc<dyn Store>) {
    let o = Owner::new("Version");
    assert_eq!(
        store.put_if_newer(&o.record(2)).await.unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        store.put_if_newer(&o.record(2)).await.unwrap(),
        PutOutcome::Stale { current: 2 }
    );
    assert_eq!(
        store.put_if_newer(&o.record(1)).await.unwrap(),
        PutOutcome::Stale { current: 2 }
    );
    let r5 = o.record(5);
    assert_eq!(store.put_if_newer(&r5).await.unwrap(), PutOutcome::Updated);
    assert_eq!(
        store.put_if_newer(&o.record(4)).await.unwrap(),
        PutOutcome::Stale { current: 5 }
    );
    // The stored bytes are the version-5 record, not the refused ones.
    assert_eq!(store.get(&r5.id).await.unwrap(), Some(Stored::Live(r5)));
}

async fn concurrent_writers_keep_the_highest(store: Arc<dyn Store>) {
    let o = Owner::new("Race");
    let records: Vec<_> = (1..=24).map(|v| o.record(v)).collect();
    let mut tasks = Vec::new();
    for r in records.iter().rev().cloned().chain(records.iter().cloned()) {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.put_if_newer(&r).await }));
    }
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() == PutOutcome::Created {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one writer creates the row");
    assert_eq!(
        store.get(&records[23].id).await.unwrap(),
        Some(Stored::Live(records[23].clone()))
    );
}

async fn key_mismatch_is_refused(store: Arc<dyn Store>) {
    let o = Owner::new("Owner");
    let r = o.record(1);
    store.put_if_newer(&r).await.unwrap();
    // A record under the same id with another key (the HTTP layer refuses this earlier; the
    // store refuses it too).
    let thief = CardKeys::generate();
    let mut forged = r.clone();
    forged.version = 9;
    forged.public_key = thief.public_key();
    assert_eq!(
        store.put_if_newer(&forged).await.unwrap(),
        PutOutcome::KeyMismatch
    );
    let mut t = sign_delete(&thief, 9).unwrap();
    t.id = r.id.clone();
    assert_eq!(store.delete(&t).await.unwrap(), DeleteOutcome::KeyMismatch);
    assert_eq!(store.get(&r.id).await.unwrap(), Some(Stored::Live(r)));
}

async fn delete_keeps_a_tombstone(store: Arc<dyn Store>) {
    let o = Owner::new("Gone");
    let r = o.record(3);
    assert_eq!(
        store
            .delete(&sign_delete(&o.keys, 4).unwrap())
            .await
            .unwrap(),
        DeleteOutcome::NotFound
    );
    store.put_if_newer(&r).await.unwrap();
    assert_eq!(
        store
            .delete(&sign_delete(&o.keys, 3).unwrap())
            .await
            .unwrap(),
        DeleteOutcome::Stale { current: 3 }
    );
    let t = sign_delete(&o.keys, 4).unwrap();
    assert_eq!(store.delete(&t).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(
        store.get(&r.id).await.unwrap(),
        Some(Stored::Deleted(t.clone()))
    );
    // No replay, old or new, brings it back.
    assert_eq!(
        store.put_if_newer(&r).await.unwrap(),
        PutOutcome::Gone(t.clone())
    );
    assert_eq!(
        store.put_if_newer(&o.record(99)).await.unwrap(),
        PutOutcome::Gone(t.clone())
    );
    assert_eq!(
        store
            .delete(&sign_delete(&o.keys, 5).unwrap())
            .await
            .unwrap(),
        DeleteOutcome::AlreadyGone(t.clone())
    );
    let v = store.version(&r.id).await.unwrap().unwrap();
    assert_eq!((v.version, v.deleted, v.bytes), (4, true, 0));
    let c = store.counts().await.unwrap();
    assert_eq!((c.live, c.deleted), (0, 1));
}

async fn batch_queries(store: Arc<dyn Store>) {
    let owners: Vec<Owner> = (0..300).map(|i| Owner::new(&format!("Card {i}"))).collect();
    for (i, o) in owners.iter().enumerate() {
        store
            .put_if_newer(&o.record(1 + i as u64 % 7))
            .await
            .unwrap();
    }
    store
        .delete(&sign_delete(&owners[0].keys, 50).unwrap())
        .await
        .unwrap();
    let mut ids: Vec<CardId> = owners.iter().map(|o| o.keys.id()).collect();
    let strangers: Vec<CardId> = (0..200).map(|_| CardKeys::generate().id()).collect();
    ids.extend(strangers.iter().cloned());
    let versions = store.versions(&ids).await.unwrap();
    assert_eq!(versions.len(), 300);
    for (i, o) in owners.iter().enumerate().skip(1) {
        let v = versions[&o.keys.id()];
        assert_eq!((v.version, v.deleted), (1 + i as u64 % 7, false));
    }
    assert!(versions[&owners[0].keys.id()].deleted);
    assert!(strangers.iter().all(|s| !versions.contains_key(s)));
    let many = store.get_many(&ids[..10]).await.unwrap();
    assert_eq!(many.len(), 10);
    assert_eq!(
        many.iter()
            .filter(|s| matches!(s, Stored::Deleted(_)))
            .count(),
        1
    );
    assert!(store.versions(&[]).await.unwrap().is_empty());
    let c = store.counts().await.unwrap();
    assert_eq!((c.live, c.deleted), (299, 1));
    store.ping().await.unwrap();
}

/// `versions_each` / `get_each` answer by position: in the order asked, `None` for unknown
/// ids, repeated ids answered at each place, every byte back as stored (SQLite hands the
/// bytes over concatenated as text: NUL, 0xFF and invalid UTF-8 must survive), tombstones
/// with their empty nonce among records.
async fn positional_batch_queries(store: Arc<dyn Store>) {
    let owners: Vec<Owner> = (0..6).map(|i| Owner::new(&format!("Pos {i}"))).collect();
    let mut records = Vec::new();
    for (i, o) in owners.iter().enumerate() {
        let mut r = o.record(3 + i as u64);
        // The store does not verify signatures: awkward bytes straight in.
        r.ciphertext = match i {
            0 => vec![0u8; 40],
            1 => vec![0xff; 17],
            2 => b"\xc3\x28 not UTF-8 \x00\x00 \xed\xa0\x80 end".to_vec(),
            3 => (0..=255u8).cycle().take(70_000).collect(),
            _ => r.ciphertext,
        };
        r.nonce[0] = 0;
        r.signature[63] = 0;
        assert_eq!(store.put_if_newer(&r).await.unwrap(), PutOutcome::Created);
        records.push(r);
    }
    let tomb = sign_delete(&owners[5].keys, 90).unwrap();
    store.delete(&tomb).await.unwrap();
    let stranger = CardKeys::generate().id();
    let ask: Vec<CardId> = vec![
        records[3].id.clone(),
        stranger.clone(),
        records[5].id.clone(),
        records[0].id.clone(),
        records[1].id.clone(),
        records[0].id.clone(),
        records[2].id.clone(),
        records[4].id.clone(),
    ];
    let want = |i: usize| match i {
        1 => None,
        2 => Some(Stored::Deleted(tomb.clone())),
        _ => {
            let r = &records[[3, 9, 9, 0, 1, 0, 2, 4][i]];
            Some(Stored::Live(r.clone()))
        }
    };
    let got = store.get_each(&ask).await.unwrap();
    assert_eq!(got.len(), ask.len());
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g, &want(i), "place {i}");
    }
    let versions = store.versions_each(&ask).await.unwrap();
    assert_eq!(versions.len(), ask.len());
    for (i, v) in versions.iter().enumerate() {
        match want(i) {
            None => assert_eq!(v, &None, "place {i}"),
            Some(Stored::Deleted(t)) => {
                let v = v.expect("stored");
                assert_eq!((v.version, v.deleted, v.bytes), (t.version, true, 0));
            }
            Some(Stored::Live(r)) => {
                let v = v.expect("stored");
                assert_eq!(
                    (v.version, v.deleted, v.bytes),
                    (r.version, false, r.ciphertext.len() as u64),
                    "place {i}"
                );
            }
        }
    }
    assert!(store.get_each(&[]).await.unwrap().is_empty());
    let strangers = [stranger];
    assert_eq!(store.get_each(&strangers).await.unwrap(), vec![None]);
    assert_eq!(store.versions_each(&strangers).await.unwrap(), vec![None]);
}

async fn reopen_keeps_data(db: &TestDb) {
    let o = Owner::new("Durable");
    let r = o.record(7);
    {
        let s = open(db).await;
        s.put_if_newer(&r).await.unwrap();
    }
    // Second open runs the migrations again (a no-op) and sees the row.
    let s = open(db).await;
    assert_eq!(s.get(&r.id).await.unwrap(), Some(Stored::Live(r)));
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = crate::support::sqlite_db();
                    super::$case(super::open(&db).await).await;
                }
            )*
            #[tokio::test]
            async fn reopen_keeps_data() {
                let db = crate::support::sqlite_db();
                super::reopen_keeps_data(&db).await;
            }
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = crate::support::postgres_db(stringify!($case)).await else { return };
                    super::$case(super::open(&db).await).await;
                }
            )*
            #[tokio::test]
            async fn reopen_keeps_data() {
                let Some(db) = crate::support::postgres_db("reopen").await else { return };
                super::reopen_keeps_data(&db).await;
            }
        }
    };
}

conformance!(
    put_get_round_trip,
    only_higher_versions_win,
    concurrent_writers_keep_the_highest,
    key_mismatch_is_refused,
    delete_keeps_a_tombstone,
    batch_queries,
    positional_batch_queries,
);

#[tokio::test]
async fn sqlite_url_in_a_missing_directory_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nope/cards.db").display());
    let err = livecard_server::connect(&url)
        .await
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!dir.path().join("nope").exists());
}

#[tokio::test]
async fn unknown_database_scheme_fails_loudly() {
    let err = livecard_server::connect("mysql://localhost/x")
        .await
        .err()
        .expect("must fail");
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}
