//! Core against real SQLite files in temp dirs (the store itself is crate-private: its own
//! tests are unit tests in src/store/tests.rs).

use livecard_core::{Core, CoreError, Edit, EditOp, EditValue, Source};
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
    let a = core
        .add_imported(
            vec![livecard_format::vcard::Imported {
                card: c.clone(),
                warnings: Vec::new(),
            }],
            Source::Vcf,
        )
        .await
        .unwrap()
        .added
        .remove(0);
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
