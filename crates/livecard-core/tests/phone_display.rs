//! Phone numbers are shown formatted for the user's region (issue 14 item 1): every record the
//! core hands out carries `display` (national format for the user's region, international for
//! others, a value that is not a number as stored) while the card keeps the stored E.164 that
//! actions, vCard export and `--json` read. Real SQLite files in temp dirs.

use livecard_core::{Core, Edit, Source};
use livecard_format::{vcard, Field, Region};

const VCARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nTEL;TYPE=CELL:+86 138 0013 8000\r\n\
TEL;TYPE=WORK:+1 650 253 0000 ext. 12\r\nTEL;TYPE=WORK:front desk\r\nEND:VCARD\r\n";

#[tokio::test]
async fn own_and_received_cards_carry_numbers_formatted_for_the_users_region() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), Region::default()).await.unwrap();
    let me = core
        .edit_own(
            None,
            &[
                Edit::set(Field::Name, "张三"),
                Edit::set(Field::Mobile, "13800138000"),
                Edit::add(Field::Mobile, "+1 (650) 253-0000"),
                Edit::set(Field::Phone, "010-6552-9988"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(me.card.mobile, ["+8613800138000", "+16502530000"], "stored");
    assert_eq!(me.display["mobile"], ["138 0013 8000", "+1 650-253-0000"]);
    assert_eq!(me.display["phone"], ["010 6552 9988"]);
    assert_eq!(core.own_card(None).await.unwrap().display, me.display);
    assert_eq!(core.own_cards().await.unwrap()[0].display, me.display);
    // The JSON keeps the stored values and adds `display` beside them.
    let json = serde_json::to_value(&me).unwrap();
    assert_eq!(json["mobile"][0], "+8613800138000");
    assert_eq!(json["display"]["mobile"][0], "138 0013 8000");
    // vCard export writes the stored number, not the formatted one.
    let vcf = core.own_vcard(None).await.unwrap();
    assert!(vcf.contains("+8613800138000"), "{vcf}");

    let report = core.add_contacts(VCARD.as_bytes()).await.unwrap();
    let id = &report.added[0].id;
    let rc = core.get(id).await.unwrap();
    assert_eq!(rc.source, Source::Vcf);
    assert_eq!(rc.card.phone, ["+16502530000;ext=12", "front desk"]);
    assert_eq!(rc.display["mobile"], ["138 0013 8000"]);
    assert_eq!(
        rc.display["phone"],
        ["+1 650-253-0000 ext. 12", "front desk"]
    );
    assert_eq!(core.open_card(id).await.unwrap().display, rc.display);
    assert_eq!(
        core.list(Default::default()).await.unwrap()[0].display,
        rc.display
    );
    // The exported card round-trips with every digit.
    let back = vcard::parse_vcards(
        core.export_vcf().await.unwrap().as_bytes(),
        Region::default(),
    )
    .unwrap();
    assert_eq!(back[0].card.phone, rc.card.phone);
    core.close().await;

    // The same data seen by a user in the US: the Chinese numbers become international.
    let us = Core::open(dir.path(), "US".parse().unwrap()).await.unwrap();
    let me = us.own_card(None).await.unwrap();
    assert_eq!(
        me.display["mobile"],
        ["+86 138 0013 8000", "(650) 253-0000"]
    );
    let rc = us.get(id).await.unwrap();
    assert_eq!(
        rc.display["phone"],
        ["(650) 253-0000 ext. 12", "front desk"]
    );
    us.close().await;
}
