//! Store and Core against real SQLite files in temp dirs.

use livecard_core::{
    AddStatus, Core, CoreError, Edit, EditOp, EditValue, Sort, Source, Status, Store,
};
use livecard_format::{Card, Field, Region};

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
    let store = Store::open(&data).await.unwrap();
    assert!(data.join("livecard.sqlite").exists());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(busy >= 1000, "busy_timeout {busy}");
    store.close().await;
    // Opening again runs no migration twice and keeps data.
    let store = Store::open(&data).await.unwrap();
    assert!(store.list_own().await.unwrap().is_empty());
}

#[tokio::test]
async fn own_card_crud_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), Region::default()).await.unwrap();
    assert_eq!(core.own_card(None).await.unwrap_err().kind(), "not_found");

    let me = core
        .edit_own(
            None,
            &[
                Edit::set(Field::Name, "张三丰"),
                Edit::set(Field::Mobile, "138 0013 8000"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(me.version, 1);
    assert!(me.is_default);
    assert_eq!(me.card.family, "张");
    assert_eq!(me.card.mobile, vec!["+8613800138000"]);
    assert_eq!(me.id.len(), 12);
    assert!(me
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));

    let me2 = core
        .edit_own(None, &[Edit::add(Field::Mobile, "13900139000")])
        .await
        .unwrap();
    assert_eq!(me2.id, me.id);
    assert_eq!(me2.version, 2);
    assert_eq!(me2.card.mobile.len(), 2);

    // An edit that changes nothing does not bump the version.
    let same = core
        .edit_own(None, &[Edit::set(Field::Name, "张三丰")])
        .await
        .unwrap();
    assert_eq!(same.version, 2);

    // All or nothing: a bad value names its field, nothing is saved.
    let err = core
        .edit_own(
            None,
            &[
                Edit::set(Field::Company, "武当"),
                Edit::set(Field::Email, "x"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert_eq!(err.field(), Some("email"));
    assert_eq!(err.to_string(), "email: \"x\" is not an email address");
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "invalid_input");
    assert_eq!(json["field"], "email");
    let now = core.own_card(None).await.unwrap();
    assert_eq!(now.card.company, "");
    assert_eq!(now.version, 2);

    // Avatar from image bytes; a non-image is refused.
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let with_avatar = core
        .edit_own(
            None,
            &[Edit {
                op: EditOp::Set,
                field: Field::Avatar,
                value: EditValue::Image(png.clone()),
            }],
        )
        .await
        .unwrap();
    assert_eq!(with_avatar.card.avatar.as_ref().unwrap().data, png);
    let err = core
        .edit_own(
            None,
            &[Edit {
                op: EditOp::Set,
                field: Field::Avatar,
                value: EditValue::Image(b"hello".to_vec()),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("avatar"));

    // A second own card; the first stays default; deleting the default promotes the other.
    let work = core
        .create_own(&[Edit::set(Field::Name, "Zhang Work")])
        .await
        .unwrap();
    assert!(!work.is_default);
    let all = core.own_cards().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, me.id);
    let edited = core
        .edit_own(Some(&work.id), &[Edit::set(Field::Title, "CTO")])
        .await
        .unwrap();
    assert_eq!(edited.card.title, "CTO");
    assert_eq!(core.own_card(None).await.unwrap().card.title, "");
    core.delete_own(&me.id).await.unwrap();
    assert_eq!(core.own_card(None).await.unwrap().id, work.id);
    let err = core.delete_own(&me.id).await.unwrap_err();
    assert_eq!(err.kind(), "not_found");
    assert!(err.to_string().contains(&me.id), "{err}");

    // Flat JSON with id and version.
    let j = serde_json::to_value(&edited).unwrap();
    assert_eq!(j["id"], edited.id.as_str());
    assert_eq!(j["version"], 2);
    assert_eq!(j["title"], "CTO");
}

#[tokio::test]
async fn invalid_whole_card_is_refused_by_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let bad = Card {
        name: "x".repeat(300),
        ..Default::default()
    };
    let err = store.create_own(bad.clone()).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert_eq!(err.field(), Some("name"));
    let err = store.add_received(bad, Source::Vcf).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(store.list_received(Sort::Name).await.unwrap().is_empty());
}

#[tokio::test]
async fn notes_and_tags_survive_owner_field_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let a = store
        .add_received(card("李四", "13800138000", "li@example.com"), Source::Vcf)
        .await
        .unwrap();
    assert_eq!(a.status, AddStatus::Added);
    store.set_notes(&a.id, "met at 展会 2026").await.unwrap();
    store
        .add_tags(
            &a.id,
            &["客户".to_string(), "vip".to_string(), "vip".to_string()],
        )
        .await
        .unwrap();
    let got = store.get_received(&a.id).await.unwrap();
    assert_eq!(got.tags, vec!["vip", "客户"]);
    assert!(!got.changed);

    // What sync will do: the owner's fields replaced wholesale.
    let mut newer = card("李四", "13900139000", "li@new.example");
    newer.title = "总监".into();
    let after = store
        .replace_received_card(&a.id, newer.clone())
        .await
        .unwrap();
    assert_eq!(after.card, newer);
    assert_eq!(after.notes, "met at 展会 2026");
    assert_eq!(after.tags, vec!["vip", "客户"]);
    assert!(after.changed, "an owner update shows the changed badge");

    // Opening returns it as changed once, then the badge is gone.
    let opened = store.open_received(&a.id).await.unwrap();
    assert!(opened.changed);
    assert!(!store.get_received(&a.id).await.unwrap().changed);

    // Tags and notes are searchable, and removable.
    assert_eq!(store.search("客户", None).await.unwrap().len(), 1);
    assert_eq!(store.search("展会", None).await.unwrap().len(), 1);
    let r = store
        .remove_tags(&a.id, &["vip".to_string()])
        .await
        .unwrap();
    assert_eq!(r.tags, vec!["客户"]);
    let r = store.set_notes(&a.id, "").await.unwrap();
    assert_eq!(r.notes, "");
    assert!(store.search("展会", None).await.unwrap().is_empty());
    assert_eq!(
        store
            .add_tags(&a.id, &[" ".to_string()])
            .await
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
    assert_eq!(
        store.set_notes("nope", "x").await.unwrap_err().kind(),
        "not_found"
    );

    // Status for sync; delete removes notes and tags too.
    let r = store
        .set_received_status(&a.id, Status::Revoked)
        .await
        .unwrap();
    assert_eq!(r.status, Status::Revoked);
    store.delete_received(&a.id).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_tags")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        store.get_received(&a.id).await.unwrap_err().kind(),
        "not_found"
    );
}

#[tokio::test]
async fn seeding_an_own_card_from_a_received_one() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), Region::default()).await.unwrap();
    let r = Region::default();
    let mut c = card("王五", "13800138000", "wang@huawei.example");
    c.set(Field::Company, "华为", r).unwrap();
    c.set(Field::Industry, "通信", r).unwrap();
    c.set(Field::Website, "huawei.example", r).unwrap();
    c.set(Field::Fax, "010 6666 8888", r).unwrap();
    c.set(Field::Address, "深圳市龙岗区坂田", r).unwrap();
    // Added through the store under the core (a second connection to the same file).
    let a = livecard_core::Store::open(dir.path())
        .await
        .unwrap()
        .add_received(c.clone(), Source::Vcf)
        .await
        .unwrap();
    let mine = core.seed_own_from(&a.id).await.unwrap();
    assert!(mine.is_default, "the first own card is the default");
    assert_eq!(mine.card.company, "华为");
    assert_eq!(mine.card.address, c.address);
    assert_eq!(mine.card.website, c.website);
    assert_eq!(mine.card.fax, c.fax);
    assert_eq!(mine.card.industry, "通信");
    assert!(mine.card.name.is_empty() && mine.card.mobile.is_empty() && mine.card.email.is_empty());
    assert_eq!(
        core.seed_own_from("missing").await.unwrap_err().kind(),
        "not_found"
    );
}

#[tokio::test]
async fn the_same_static_card_twice_updates_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let a = store
        .add_received(card("John Doe", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    store.add_tags(&a.id, &["friend".into()]).await.unwrap();
    // Same again: unchanged.
    let b = store
        .add_received(card("John Doe", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    assert_eq!(
        (b.id.as_str(), b.status),
        (a.id.as_str(), AddStatus::Unchanged)
    );
    // Same person (name + mobile, name case and spaces ignored), new title: updated in place.
    let mut newer = card("john  doe", "+86 138 0013 8000", "john@example.com");
    newer.title = "CTO".into();
    let c = store.add_received(newer, Source::Mecard).await.unwrap();
    assert_eq!(
        (c.id.as_str(), c.status),
        (a.id.as_str(), AddStatus::Updated)
    );
    let got = store.get_received(&a.id).await.unwrap();
    assert_eq!(got.card.title, "CTO");
    assert_eq!(got.tags, vec!["friend"]);
    // Matching by email too.
    let d = store
        .add_received(card("John Doe", "", "JOHN@example.com"), Source::Vcf)
        .await
        .unwrap();
    assert_eq!(d.id, a.id);
    // Same name, nothing in common: a different person.
    let e = store
        .add_received(card("John Doe", "13900139000", ""), Source::Vcf)
        .await
        .unwrap();
    assert_ne!(e.id, a.id);
    assert_eq!(e.status, AddStatus::Added);
    assert_eq!(store.list_received(Sort::Name).await.unwrap().len(), 2);
}

#[tokio::test]
async fn two_stores_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = Store::open(dir.path()).await.unwrap();
    let s2 = Store::open(dir.path()).await.unwrap();
    assert!(s1.search("alice", None).await.unwrap().is_empty());
    assert!(s2.search("alice", None).await.unwrap().is_empty());
    let a = s2
        .add_received(card("Alice Liddell", "13800138000", ""), Source::Vcf)
        .await
        .unwrap();
    // s1's index was loaded before s2 wrote; the generation check reloads it.
    let hits = s1.search("alice", None).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, a.id);
    s1.delete_received(&a.id).await.unwrap();
    assert!(s2.search("alice", None).await.unwrap().is_empty());
}

#[tokio::test]
async fn sort_orders() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
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
        ids.push(store.add_received(c, Source::Vcf).await.unwrap().id);
    }
    let names =
        |v: Vec<livecard_core::CardSummary>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.summaries(Sort::Name).await.unwrap()),
        vec!["艾青", "Bob Brown", "曾国藩", "张三", "Zoe Zhu"]
    );
    assert_eq!(
        names(store.summaries(Sort::Company).await.unwrap()),
        vec!["Bob Brown", "Zoe Zhu", "张三", "艾青", "曾国藩"]
    );
    // The full list agrees with the index.
    let full: Vec<String> = store
        .list_received(Sort::Company)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(full, vec!["Bob Brown", "Zoe Zhu", "张三", "艾青", "曾国藩"]);
    // Most recently updated first.
    store
        .replace_received_card(&ids[2], card("艾青", "13800000003", "ai@example.com"))
        .await
        .unwrap();
    let upd = names(store.summaries(Sort::Updated).await.unwrap());
    assert_eq!(upd[0], "艾青");
    let full_upd = store.list_received(Sort::Updated).await.unwrap();
    assert_eq!(full_upd[0].name, "艾青");
    assert!("nope".parse::<Sort>().is_err());
}

#[tokio::test]
async fn errors_serialise_with_a_stable_kind() {
    let e = CoreError::NotFound {
        what: "received card",
        id: "abc".into(),
    };
    let j = serde_json::to_value(&e).unwrap();
    assert_eq!(j["kind"], "not_found");
    assert_eq!(j["message"], "no received card with id \"abc\"");
    assert!(j.get("field").is_none());
    assert_eq!(CoreError::ImportFailed("x".into()).kind(), "import_failed");
}
