//! The store against real SQLite files in temp dirs (unit tests: the store is crate-private).
//! Card methods are reached as everywhere in the core, through an [`Unlocked`]; here made with
//! the test-only lock token.

use livecard_format::{Card, Field, Region};

use super::{Store, Unlocked};
use crate::lock::LockOpen;
use crate::model::{AddOutcome, AddStatus, Sort, Source};

async fn open_store(dir: impl AsRef<std::path::Path>) -> crate::Result<Store> {
    Store::open(dir).await
}

fn db(store: &Store) -> Unlocked<'_> {
    store.unlocked(LockOpen::for_tests())
}

async fn add(store: &Store, card: Card, source: Source) -> crate::Result<AddOutcome> {
    let mut out = db(store)
        .add_received_many(vec![(card, Vec::new())], source)
        .await?;
    Ok(out.pop().expect("one outcome per card"))
}

fn card(name: &str, mobile: &str, email: &str) -> Card {
    let mut c = Card::default();
    let r = Region::default();
    c.set(Field::Name, name, r).unwrap();
    if !mobile.is_empty() {
        c.set(Field::Mobile, mobile, r).unwrap();
    }
    if !email.is_empty() {
        c.set(Field::Email, email, r).unwrap();
    }
    c
}

#[tokio::test]
async fn open_creates_dir_db_in_wal_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let store = open_store(&data).await.unwrap();
    assert!(data.join("livecard.sqlite").exists());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert!(busy >= 1000, "busy_timeout {busy}");
    store.close().await;
    // Opening again runs no migration twice and keeps data.
    let store = open_store(&data).await.unwrap();
    assert!(db(&store).list_own().await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_whole_card_is_refused_by_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await.unwrap();
    let bad = Card {
        name: "x".repeat(300),
        ..Default::default()
    };
    let err = db(&store).create_own(bad.clone()).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert_eq!(err.field(), Some("name"));
    let err = add(&store, bad, Source::Vcf).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(db(&store)
        .list_received(Sort::Name)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn notes_and_tags_survive_owner_field_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await.unwrap();
    let a = add(
        &store,
        card("李四", "13800138000", "li@example.com"),
        Source::Vcf,
    )
    .await
    .unwrap();
    assert_eq!(a.status, AddStatus::Added);
    db(&store)
        .set_notes(&a.id, "met at 展会 2026")
        .await
        .unwrap();
    db(&store)
        .add_tags(
            &a.id,
            &["客户".to_string(), "vip".to_string(), "vip".to_string()],
        )
        .await
        .unwrap();
    let got = db(&store).get_received(&a.id).await.unwrap();
    assert_eq!(got.tags, vec!["vip", "客户"]);
    assert!(!got.changed);

    // The owner's fields replaced wholesale (a newer copy of the same person).
    let mut newer = card("李四", "13800138000", "li@new.example");
    newer.title = "总监".into();
    let again = add(&store, newer.clone(), Source::Vcf).await.unwrap();
    assert_eq!(
        (again.id.as_str(), again.status),
        (a.id.as_str(), AddStatus::Updated)
    );
    let after = db(&store).get_received(&a.id).await.unwrap();
    assert_eq!(after.card, newer);
    assert_eq!(after.notes, "met at 展会 2026");
    assert_eq!(after.tags, vec!["vip", "客户"]);
    // (A re-import is no owner update: no "changed" badge; sync's badge is tested in
    // tests/sync.rs.)
    assert!(!after.changed);
    let opened = db(&store).open_received(&a.id).await.unwrap();
    assert_eq!(opened.notes, "met at 展会 2026");

    // Tags and notes are searchable, and removable.
    assert_eq!(db(&store).search("客户", None).await.unwrap().len(), 1);
    assert_eq!(db(&store).search("展会", None).await.unwrap().len(), 1);
    let r = db(&store)
        .remove_tags(&a.id, &["vip".to_string()])
        .await
        .unwrap();
    assert_eq!(r.tags, vec!["客户"]);
    let r = db(&store).set_notes(&a.id, "").await.unwrap();
    assert_eq!(r.notes, "");
    assert!(db(&store).search("展会", None).await.unwrap().is_empty());
    assert_eq!(
        db(&store)
            .add_tags(&a.id, &[" ".to_string()])
            .await
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
    assert_eq!(
        db(&store).set_notes("nope", "x").await.unwrap_err().kind(),
        "not_found"
    );

    // Delete removes notes and tags too.
    db(&store).delete_received(&a.id).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_tags")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        db(&store).get_received(&a.id).await.unwrap_err().kind(),
        "not_found"
    );
}

#[tokio::test]
async fn the_same_static_card_twice_updates_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await.unwrap();
    let a = add(&store, card("John Doe", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    db(&store)
        .add_tags(&a.id, &["friend".into()])
        .await
        .unwrap();
    // Same again: unchanged.
    let b = add(&store, card("John Doe", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    assert_eq!(
        (b.id.as_str(), b.status),
        (a.id.as_str(), AddStatus::Unchanged)
    );
    // Same person (name + mobile, name case and spaces ignored), new title: updated in place.
    let mut newer = card("john  doe", "+86 138 0013 8000", "john@example.com");
    newer.title = "CTO".into();
    let c = add(&store, newer, Source::Mecard).await.unwrap();
    assert_eq!(
        (c.id.as_str(), c.status),
        (a.id.as_str(), AddStatus::Updated)
    );
    let got = db(&store).get_received(&a.id).await.unwrap();
    assert_eq!(got.card.title, "CTO");
    assert_eq!(got.tags, vec!["friend"]);
    // Matching by email too.
    let d = add(
        &store,
        card("John Doe", "", "JOHN@example.com"),
        Source::Vcf,
    )
    .await
    .unwrap();
    assert_eq!(d.id, a.id);
    // Same name, nothing in common: a different person.
    let e = add(&store, card("John Doe", "13900139000", ""), Source::Vcf)
        .await
        .unwrap();
    assert_ne!(e.id, a.id);
    assert_eq!(e.status, AddStatus::Added);
    assert_eq!(db(&store).list_received(Sort::Name).await.unwrap().len(), 2);
}

#[tokio::test]
async fn two_stores_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = open_store(dir.path()).await.unwrap();
    let s2 = open_store(dir.path()).await.unwrap();
    assert!(db(&s1).search("alice", None).await.unwrap().is_empty());
    assert!(db(&s2).search("alice", None).await.unwrap().is_empty());
    let a = add(&s2, card("Alice Liddell", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    // s1's index was loaded before s2 wrote; the generation check reloads it.
    let hits = db(&s1).search("alice", None).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, a.id);
    db(&s1).delete_received(&a.id).await.unwrap();
    assert!(db(&s2).search("alice", None).await.unwrap().is_empty());
}

#[tokio::test]
async fn sort_orders() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await.unwrap();
    let mut ids = Vec::new();
    for (name, company, mobile) in [
        ("张三", "腾讯", "13800000001"),
        ("Bob Brown", "Acme", "13800000002"),
        ("艾青", "", "13800000003"),
        ("Zoe Zhu", "百度", "13800000004"),
        ("曾国藩", "", "13800000005"),
    ] {
        let mut c = card(name, mobile, "");
        c.company = company.into();
        ids.push(add(&store, c, Source::Vcf).await.unwrap().id);
    }
    let names =
        |v: Vec<crate::model::CardSummary>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(db(&store).summaries(Sort::Name).await.unwrap()),
        vec!["艾青", "Bob Brown", "曾国藩", "张三", "Zoe Zhu"]
    );
    assert_eq!(
        names(db(&store).summaries(Sort::Company).await.unwrap()),
        vec!["Bob Brown", "Zoe Zhu", "张三", "艾青", "曾国藩"]
    );
    // The full list agrees with the index.
    let full: Vec<String> = db(&store)
        .list_received(Sort::Company)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(full, vec!["Bob Brown", "Zoe Zhu", "张三", "艾青", "曾国藩"]);
    // Most recently updated first.
    let upd = add(
        &store,
        card("艾青", "13800000003", "ai@example.com"),
        Source::Vcf,
    )
    .await
    .unwrap();
    assert_eq!(
        (upd.id.as_str(), upd.status),
        (ids[2].as_str(), AddStatus::Updated)
    );
    let upd = names(db(&store).summaries(Sort::Updated).await.unwrap());
    assert_eq!(upd[0], "艾青");
    let full_upd = db(&store).list_received(Sort::Updated).await.unwrap();
    assert_eq!(full_upd[0].name, "艾青");
    assert!("nope".parse::<Sort>().is_err());
}
