//! The NFC plugin answers of tests/fixtures/nfc/ (written from the plugins' Kotlin and Swift
//! code paths, see its README.md): each one through `nfc_answer::parse_answer` and
//! `exchange::decode_nfc`, with what it must give; the tag-size choice of `Tag::reported`;
//! and every interop NDEF file read the same from its bytes and from both plugins' shapes.

use std::path::{Path, PathBuf};

use livecard_format::crypto::{CardKeys, ShareLink, ShareSecret};
use livecard_format::exchange::{
    decode_nfc, nfc_message, CopySource, ExchangeError, Received, Tag,
};
use livecard_format::ndef;
use livecard_format::nfc_answer::{parse_answer, NfcAnswer, NfcAnswerError};
use livecard_format::{Card, Field, Region};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nfc")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn answer(name: &str) -> NfcAnswer {
    parse_answer(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn received(name: &str) -> Result<Received, ExchangeError> {
    let bytes = answer(name)
        .message()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    decode_nfc(&bytes, Region::default())
}

/// The card of livecard-link-copy.ndef (README.md).
fn assert_live_card_with_copy(name: &str) {
    match received(name).unwrap_or_else(|e| panic!("{name}: {e}")) {
        Received::LiveCard {
            link,
            offline: Some(copy),
        } => {
            assert_eq!(link.base_url, "https://livecard.example", "{name}");
            assert_eq!(copy.card.name, "王小明", "{name}");
            assert_eq!(copy.card.company, "上海样例贸易有限公司", "{name}");
            assert_eq!(copy.record.version, 3, "{name}");
            assert!(!copy.partial, "{name}");
        }
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn a_live_card_reads_from_every_shape_signed_or_not_wrapped_or_bare_in_any_order() {
    for name in [
        "android-upstream-link-copy.json",
        "android-upstream-wrapped-reversed.json",
        "ours-link-copy.json",
        "ios-upstream-tag-link-copy.json",
        "ios-ndef-session-link-copy.json",
    ] {
        assert_live_card_with_copy(name);
    }
    // Signed (Android upstream) and unsigned (ours) answers of the same tag are the same bytes.
    assert_eq!(
        answer("android-upstream-link-copy.json").message().unwrap(),
        std::fs::read(dir().join("livecard-link-copy.ndef")).unwrap()
    );
    assert_eq!(
        answer("ours-link-copy.json").records,
        answer("android-upstream-link-copy.json").records
    );
    // The signed file really holds negative numbers (bytes >= 0x80 of the Chinese text).
    assert!(text("android-upstream-link-copy.json").contains(",-"));
    match received("ios-ndef-session-link.json").unwrap() {
        Received::LiveCard { offline: None, .. } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn tag_facts_are_read_from_each_plugin() {
    let a = answer("android-upstream-link-copy.json");
    assert_eq!(a.tech, ["NfcA", "MifareUltralight", "Ndef"]);
    assert_eq!(a.id, [0x04, 0xA2, 0x3B, 0x8A, 0xC4, 0x6F, 0x80]);
    assert_eq!((a.ndef, a.max_size, a.writable), (Some(true), None, None));
    let o = answer("ours-link-copy.json");
    assert_eq!(
        (o.ndef, o.max_size, o.writable, o.chip.as_deref()),
        (Some(true), Some(496), Some(true), Some("ntag215"))
    );
    let i = answer("ios-upstream-tag-link-copy.json");
    assert_eq!(
        (i.tech.clone(), i.writable),
        (vec!["MiFare".to_string()], Some(true))
    );
    assert_eq!(answer("ios-upstream-read-only.json").writable, Some(false));
    assert_eq!(answer("ours-locked.json").writable, Some(false));
}

#[test]
fn empty_and_non_ndef_tags_say_so() {
    for name in [
        "android-upstream-empty.json",
        "android-upstream-empty-record.json",
        "ios-upstream-empty.json",
        "ours-empty.json",
        // Upstream iOS cannot tell "not NDEF" from "empty": it sends no status.
        "ios-upstream-not-supported.json",
    ] {
        let a = answer(name);
        assert!(a.records.is_empty(), "{name}");
        assert_eq!(a.message().unwrap_err(), NfcAnswerError::Empty, "{name}");
    }
    for name in ["android-upstream-not-ndef.json", "ours-not-ndef.json"] {
        let e = answer(name).message().unwrap_err();
        assert!(matches!(e, NfcAnswerError::NotNdef(_)), "{name}: {e:?}");
        assert_eq!(e.kind(), "nfc_not_ndef");
        assert!(!e.message_zh().is_empty());
    }
    let e = answer("android-upstream-not-ndef.json")
        .message()
        .unwrap_err();
    assert!(e.to_string().contains("MifareClassic"), "{e}");
}

fn sample_card() -> Card {
    let cn = Region::default();
    let mut c = Card::default();
    c.set(Field::Name, "王小明", cn).unwrap();
    c.set(Field::Company, "上海样例贸易有限公司", cn).unwrap();
    c.set(Field::Title, "销售经理", cn).unwrap();
    c.add(Field::Mobile, "13800138000", cn).unwrap();
    c.add(Field::Email, "wang@example.cn", cn).unwrap();
    c
}

#[test]
fn the_reported_size_chooses_link_only_or_link_and_copy_and_refuses_a_tiny_tag() {
    let keys = CardKeys::from_seed(&[7; 32]);
    let link = ShareLink::new(
        "https://livecard.example",
        keys.id(),
        ShareSecret::from_bytes([0xA5; 16]),
    );
    let card = sample_card();
    let src = CopySource {
        card: &card,
        keys: &keys,
        version: 3,
    };
    let room = |name: &str| {
        let a = answer(name);
        Tag::reported(a.max_size, a.chip.as_deref()).unwrap()
    };
    // NTAG215 as Android reports it (496 bytes): link and the whole copy.
    let t215 = room("ours-link-copy.json");
    assert_eq!(t215, Tag::Other(496));
    let p = nfc_message(&link, Some(&src), t215).unwrap();
    assert!(p.offline_included && p.dropped_fields.is_empty());
    assert!(p.bytes.len() <= 496);
    // NTAG213 (137 bytes): the copy does not fit, the link alone does.
    let t213 = room("ours-ntag213-link.json");
    let p = nfc_message(&link, Some(&src), t213).unwrap();
    assert!(!p.offline_included);
    assert!(p.bytes.len() <= 137);
    // 40 bytes: not even the link.
    let e = nfc_message(&link, Some(&src), room("ours-tiny.json")).unwrap_err();
    match e {
        ExchangeError::LinkTooBig { need, have, .. } => {
            assert_eq!(have, 40);
            assert!(need > 40);
        }
        other => panic!("{other:?}"),
    }
    // A chip without a size falls back to the chip's table; nothing at all: None.
    assert_eq!(Tag::reported(None, Some("NTAG216")), Some(Tag::Ntag216));
    assert_eq!(Tag::reported(None, None), None);
    assert_eq!(Tag::Other(496).to_string(), "tag of 496 bytes");
    assert!(Tag::Other(496).fits(496) && !Tag::Other(496).fits(497));
}

#[test]
fn foreign_records_are_skipped_and_a_smart_poster_link_is_found() {
    match received("android-upstream-foreign-around-link.json").unwrap() {
        Received::LiveCard {
            link,
            offline: None,
        } => assert_eq!(link.base_url, "https://livecard.example"),
        other => panic!("{other:?}"),
    }
    let e = received("android-upstream-foreign-only.json").unwrap_err();
    assert!(matches!(e, ExchangeError::NoCard(_)), "{e:?}");
}

#[test]
fn interop_files_read_the_same_from_bytes_and_from_both_shapes() {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ndef");
    let mut seen = 0;
    for entry in std::fs::read_dir(&interop).unwrap() {
        let path = entry.unwrap().path();
        let Some(base) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".ndef"))
        else {
            continue;
        };
        let bytes = std::fs::read(&path).unwrap();
        let direct = decode_nfc(&bytes, Region::default());
        for shape in ["android", "ios"] {
            let name = format!("interop-{base}.{shape}.json");
            let a = answer(&name);
            assert_eq!(a.message().unwrap(), bytes, "{name}");
            assert_eq!(received(&name), direct, "{name}");
        }
        seen += 1;
    }
    assert_eq!(seen, 5, "the five ndeflib files of tests/data/ndef");
    // What they must give (README of /work/shared/interop/ndef).
    match received("interop-mime-text-vcard.android.json").unwrap() {
        Received::Contacts(c) => assert_eq!(c[0].card.name, "陈明"),
        other => panic!("{other:?}"),
    }
    match received("interop-uri-then-vcard.ios.json").unwrap() {
        Received::Contacts(c) => assert_eq!(c[0].card.name, "陈明"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        received("interop-uri-https.android.json").unwrap(),
        Received::ForeignLink(u) if u == "https://example.org/profile/chenming"
    ));
    assert!(matches!(
        received("interop-text-only.ios.json").unwrap_err(),
        ExchangeError::NoCard(_)
    ));
}

#[test]
fn bad_answers_are_refused_with_the_place_named() {
    match parse_answer(&text("bad-byte.json")).unwrap_err() {
        NfcAnswerError::BadByte {
            field,
            index,
            value,
        } => {
            assert_eq!(
                (field.as_str(), index, value.as_str()),
                ("records[0].payload", 3, "300")
            );
        }
        other => panic!("{other:?}"),
    }
    let e = parse_answer(&text("bad-tnf.json")).unwrap_err();
    assert!(e.to_string().contains("records[0].tnf"), "{e}");
    let e = parse_answer(&text("bad-shape.json")).unwrap_err();
    assert!(matches!(e, NfcAnswerError::BadField { .. }), "{e:?}");
    let e = parse_answer(&text("bad-not-json.txt")).unwrap_err();
    assert!(matches!(e, NfcAnswerError::Json(_)), "{e:?}");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    let big = format!("{{\"records\":[{}]}}", "0,".repeat(600_000));
    assert!(matches!(
        parse_answer(&big).unwrap_err(),
        NfcAnswerError::TooLarge(_)
    ));
    // Records no NDEF message can hold (an Unknown record with a type) are refused.
    let e = parse_answer(r#"{"records":[{"tnf":5,"kind":[1],"payload":[]}]}"#)
        .unwrap()
        .message()
        .unwrap_err();
    assert!(matches!(e, NfcAnswerError::Ndef(_)), "{e:?}");
    // Records that exist but hold nothing we know: encoding keeps them for decode_nfc.
    let msg = parse_answer(r#"{"records":[{"tnf":4,"kind":[97,58,98],"payload":[1,2]}]}"#)
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(ndef::decode_message(&msg).unwrap().len(), 1);
}
