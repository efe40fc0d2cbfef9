//! Exchange payloads: NDEF encode/decode, NFC messages per tag, offline copies and the drop
//! order, offline QR text, scanned text, real NDEF files of another encoder, and Python's
//! ndeflib as an independent decoder of ours.

use livecard_format::card::{Address, Avatar};
use livecard_format::crypto::{self, CardKeys, ShareLink, ShareSecret};
use livecard_format::exchange::{
    compact_card, decode_nfc, decode_scanned_text, fit_copy, nfc_message, offline_qr,
    offline_qr_text, parse_compact_card, CopySource, ExchangeError, Received, Tag, CARD_MIME,
    OFFLINE_QR_MAX_BYTES,
};
use livecard_format::ndef::{self, Record, Tnf};
use livecard_format::{Card, Field, Region};

fn cn() -> Region {
    Region::default()
}

fn keys(n: u8) -> CardKeys {
    CardKeys::from_seed(&[n; 32])
}

fn link_for(k: &CardKeys) -> ShareLink {
    ShareLink::new(
        "https://livecard.example",
        k.id(),
        ShareSecret::from_bytes([0xA5; 16]),
    )
}

/// The issue's "typical card": name, company, title, 2 mobiles, email, address, website, qq,
/// wechat — Chinese text.
fn typical_card() -> Card {
    let mut c = Card::default();
    c.set(Field::Name, "张三丰", cn()).unwrap();
    c.set(Field::Company, "武当科技有限公司", cn()).unwrap();
    c.set(Field::Title, "销售总监", cn()).unwrap();
    c.add(Field::Mobile, "13800138000", cn()).unwrap();
    c.add(Field::Mobile, "13912345678", cn()).unwrap();
    c.add(Field::Email, "zhangsan@wudang.example", cn())
        .unwrap();
    c.address.push(Address {
        street: "科技园科苑路15号".into(),
        locality: "深圳市南山区".into(),
        region: "广东省".into(),
        ..Address::default()
    });
    c.add(Field::Website, "https://wudang.example", cn())
        .unwrap();
    c.set(Field::Qq, "12345678", cn()).unwrap();
    c.set(Field::Wechat, "zhangsanfeng", cn()).unwrap();
    c
}

fn big_card() -> Card {
    let mut c = typical_card();
    c.avatar = Some(Avatar {
        mime: "image/jpeg".into(),
        data: vec![0x5A; 3000],
    });
    c.set(
        Field::Bulletin,
        "新品发布：全场八折优惠，欢迎来电咨询！",
        cn(),
    )
    .unwrap();
    c.set(Field::Industry, "软件与信息技术服务", cn()).unwrap();
    c.add(Field::Phone, "075512345678", cn()).unwrap();
    c.add(Field::Fax, "075587654321", cn()).unwrap();
    c.add(Field::Email, "sales@wudang.example", cn()).unwrap();
    c
}

#[test]
fn link_alone_fits_ntag213() {
    let k = keys(1);
    let link = link_for(&k);
    let p = nfc_message(&link, None, Tag::Ntag213).unwrap();
    assert!(!p.offline_included);
    assert!(p.tlv_bytes().len() <= 144, "{}", p.tlv_bytes().len());
    // PROTOCOL.md §2: 67-byte message, 70 bytes with TLV + terminator.
    assert_eq!(p.bytes.len(), 67);
    assert_eq!(p.tlv_bytes().len(), 70);
    println!(
        "EXCHANGE link-only NDEF message: {} bytes, TLV {} bytes",
        p.bytes.len(),
        p.tlv_bytes().len()
    );
    match decode_nfc(&p.bytes, cn()).unwrap() {
        Received::LiveCard { link: got, offline } => {
            assert_eq!(got, link);
            assert!(offline.is_none());
        }
        other => panic!("{other:?}"),
    }
    // A typical card's copy does not fit an NTAG213: link only, and the caller is told.
    let card = typical_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 3,
    };
    let p = nfc_message(&link, Some(&src), Tag::Ntag213).unwrap();
    assert!(!p.offline_included);
    assert!(p.tlv_bytes().len() <= 144);
}

#[test]
fn typical_card_with_link_fits_ntag215_whole() {
    let k = keys(2);
    let link = link_for(&k);
    let card = typical_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 7,
    };
    for tag in [Tag::Ntag215, Tag::Ntag216] {
        let p = nfc_message(&link, Some(&src), tag).unwrap();
        assert!(p.offline_included, "{tag}");
        assert!(p.dropped_fields.is_empty(), "{tag}: {:?}", p.dropped_fields);
        let tlv = p.tlv_bytes();
        assert!(tlv.len() <= tag.user_bytes());
        println!(
            "EXCHANGE typical card + link on {tag}: NDEF {} bytes, TLV {} of {} bytes, compact plaintext {} bytes",
            p.bytes.len(),
            tlv.len(),
            tag.user_bytes(),
            compact_card(&card).len()
        );
        // Read back from the bare message and from the tag image with padding.
        let mut image = tlv.clone();
        image.resize(tag.user_bytes(), 0);
        for input in [&p.bytes, &image] {
            match decode_nfc(input, cn()).unwrap() {
                Received::LiveCard {
                    link: got,
                    offline: Some(copy),
                } => {
                    assert_eq!(got, link);
                    assert!(!copy.partial);
                    assert_eq!(copy.record.version, 7);
                    assert_eq!(copy.record.id, k.id());
                    assert_eq!(copy.card, card);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn too_big_copy_drops_fields_in_order_and_is_partial() {
    let k = keys(3);
    let link = link_for(&k);
    let card = big_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 12,
    };
    let p = nfc_message(&link, Some(&src), Tag::Ntag215).unwrap();
    assert!(p.offline_included);
    assert_eq!(p.dropped_fields[0], Field::Avatar);
    assert_eq!(p.dropped_fields[1], Field::Bulletin);
    assert!(!p.dropped_fields.contains(&Field::Name));
    assert!(p.tlv_bytes().len() <= 504);
    let Received::LiveCard {
        offline: Some(copy),
        ..
    } = decode_nfc(&p.bytes, cn()).unwrap()
    else {
        panic!("no copy");
    };
    assert!(copy.partial);
    assert_eq!(copy.record.version, 12, "same version as the full record");
    let got = copy.card;
    assert_eq!(got.name, "张三丰");
    assert_eq!(got.mobile[0], card.mobile[0]);
    assert!(got.avatar.is_none());
    // Fields not listed as dropped are intact.
    for (f, same) in [
        (Field::Company, got.company == card.company),
        (Field::Title, got.title == card.title),
        (Field::Qq, got.qq == card.qq),
        (Field::Wechat, got.wechat == card.wechat),
        (Field::Phone, got.phone == card.phone),
        (Field::Mobile, got.mobile == card.mobile),
    ] {
        assert_eq!(same, !p.dropped_fields.contains(&f), "{f}");
    }
    println!(
        "EXCHANGE big card on ntag215: dropped {:?}",
        p.dropped_fields
    );

    // NTAG216 keeps more of it (avatar still goes: 3 KB).
    let p216 = nfc_message(&link, Some(&src), Tag::Ntag216).unwrap();
    assert!(p216.dropped_fields.len() <= p.dropped_fields.len());
    assert_eq!(p216.dropped_fields[0], Field::Avatar);

    // Budget too small for even name + first mobile: no copy at all.
    let none = fit_copy(&src, &link.secret, |n| n < 150).unwrap();
    assert!(none.is_none());
}

#[test]
fn keys_of_another_card_are_refused() {
    let link = link_for(&keys(4));
    let card = typical_card();
    let other = keys(5);
    let src = CopySource {
        card: &card,
        keys: &other,
        version: 1,
    };
    let e = nfc_message(&link, Some(&src), Tag::Ntag215).unwrap_err();
    assert!(matches!(e, ExchangeError::KeysMismatch { .. }), "{e}");
}

#[test]
fn link_too_long_for_ntag213_is_refused_clearly() {
    let k = keys(6);
    let host = format!("https://{}.example", "a".repeat(90));
    let link = ShareLink::new(&host, k.id(), ShareSecret::from_bytes([1; 16]));
    let e = nfc_message(&link, None, Tag::Ntag213).unwrap_err();
    assert!(e.to_string().contains("ntag213 holds 144"), "{e}");
}

fn copy_record_payload(msg: &[u8]) -> (Vec<Record>, usize) {
    let recs = ndef::decode_message(msg).unwrap();
    let i = recs
        .iter()
        .position(|r| r.mime_type().as_deref() == Some(CARD_MIME))
        .unwrap();
    (recs, i)
}

#[test]
fn tampered_or_foreign_copies_are_refused() {
    let k = keys(7);
    let link = link_for(&k);
    let card = typical_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 2,
    };
    let p = nfc_message(&link, Some(&src), Tag::Ntag215).unwrap();
    let (recs, i) = copy_record_payload(&p.bytes);

    // A flipped ciphertext byte: signature fails.
    let mut bad = recs.clone();
    let last = bad[i].payload.len() - 1;
    bad[i].payload[last] ^= 1;
    let e = decode_nfc(&ndef::encode_message(&bad).unwrap(), cn()).unwrap_err();
    assert!(matches!(e, ExchangeError::BadCopy(_)), "{e}");

    // Unknown flag bits.
    let mut bad = recs.clone();
    bad[i].payload[0] = 0x80;
    let e = decode_nfc(&ndef::encode_message(&bad).unwrap(), cn()).unwrap_err();
    assert!(e.to_string().contains("flag"), "{e}");

    // Another card's (valid) copy behind this link.
    let k2 = keys(8);
    let src2 = CopySource {
        card: &card,
        keys: &k2,
        version: 2,
    };
    let p2 = nfc_message(&link_for(&k2), Some(&src2), Tag::Ntag215).unwrap();
    let (recs2, j) = copy_record_payload(&p2.bytes);
    let mixed = vec![recs[0].clone(), recs2[j].clone()];
    let e = decode_nfc(&ndef::encode_message(&mixed).unwrap(), cn()).unwrap_err();
    assert!(matches!(e, ExchangeError::CopyMismatch { .. }), "{e}");

    // Same card, wrong secret in the link (e.g. an old link after "reset link").
    let old = ShareLink::new(&link.base_url, k.id(), ShareSecret::from_bytes([9; 16]));
    let msg = ndef::encode_message(&[Record::uri(&old.to_string()), recs[i].clone()]).unwrap();
    let e = decode_nfc(&msg, cn()).unwrap_err();
    assert!(matches!(e, ExchangeError::BadCopy(_)), "{e}");

    // A copy without a link cannot be opened.
    let msg = ndef::encode_message(&[recs[i].clone()]).unwrap();
    assert_eq!(
        decode_nfc(&msg, cn()).unwrap_err(),
        ExchangeError::CopyWithoutLink
    );
}

// ---------------------------------------------------------------------------------------------
// Real files written by another encoder (ndeflib), see shared/interop/ndef/README.md

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/ndef/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn assert_chen_ming(r: Received) {
    match r {
        Received::Contacts(c) => {
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].card.name, "陈明");
            assert_eq!(c[0].card.mobile, vec!["+8613700001111".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn interop_files_meet_the_expectations_table() {
    match decode_nfc(&data("uri-https.ndef"), cn()).unwrap() {
        Received::ForeignLink(u) => assert_eq!(u, "https://example.org/profile/chenming"),
        other => panic!("{other:?}"),
    }
    assert_chen_ming(decode_nfc(&data("mime-text-vcard.ndef"), cn()).unwrap());
    assert_chen_ming(decode_nfc(&data("mime-text-x-vcard.ndef"), cn()).unwrap());
    assert_chen_ming(decode_nfc(&data("uri-then-vcard.ndef"), cn()).unwrap());
    let e = decode_nfc(&data("text-only.ndef"), cn()).unwrap_err();
    assert_eq!(e, ExchangeError::NoCard("tag"));
    assert_eq!(e.to_string(), "no card in this tag: nothing to add");
    assert!(e.message_zh().contains("没有名片"));
    // The text record itself reads as (zh, "你好, hello").
    let recs = ndef::decode_message(&data("text-only.ndef")).unwrap();
    assert_eq!(
        recs[0].as_text().unwrap().unwrap(),
        ("zh".to_string(), "你好, hello".to_string())
    );
}

#[test]
fn text_record_holding_a_vcard_or_mecard_is_a_contact() {
    let vcard =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:陈明\r\nTEL;TYPE=CELL:13700001111\r\nEND:VCARD\r\n";
    let msg = ndef::encode_message(&[Record::text(vcard, "zh")]).unwrap();
    assert_chen_ming(decode_nfc(&msg, cn()).unwrap());
    let me = "MECARD:N:陈,明;TEL:13700001111;;";
    let msg = ndef::encode_message(&[Record::text(me, "zh")]).unwrap();
    assert_chen_ming(decode_nfc(&msg, cn()).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Malformed NDEF

#[test]
fn every_truncation_and_garbage_is_a_clear_error() {
    let k = keys(10);
    let card = big_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 1,
    };
    let p = nfc_message(&link_for(&k), Some(&src), Tag::Ntag216).unwrap();
    for n in 0..p.bytes.len() {
        let e = decode_nfc(&p.bytes[..n], cn()).unwrap_err();
        assert!(matches!(e, ExchangeError::Ndef(_)), "cut at {n}: {e}");
    }
    // Trailing bytes after the last record of a bare message.
    let mut extra = p.bytes.clone();
    extra.push(0);
    let e = ndef::decode_message(&extra).unwrap_err();
    assert_eq!(e.offset, p.bytes.len());
    // Garbage.
    for g in [
        &b"hello world"[..],
        &[0xFF; 40][..],
        b"",
        &[0x03, 0x10, 0xD1],
    ] {
        assert!(decode_nfc(g, cn()).is_err(), "{g:?}");
    }
}

#[test]
fn malformed_headers_name_their_offset() {
    // Chunked record.
    let e = ndef::decode_message(&[0xB1, 1, 1, b'T', 0]).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("chunked"), "{e}");
    // Second record with MB.
    let mut two = ndef::encode_message(&[
        Record::uri("https://a.example"),
        Record::uri("https://b.example"),
    ])
    .unwrap();
    let second = ndef::record_len(&Record::uri("https://a.example"));
    two[second] |= 0x80;
    let e = ndef::decode_message(&two).unwrap_err();
    assert_eq!(e.offset, second);
    assert!(e.message.contains("MB"), "{e}");
    // First without MB.
    let e = ndef::decode_message(&[0x51, 1, 1, b'U', 4]).unwrap_err();
    assert!(e.message.contains("MB"), "{e}");
    // Payload length beyond the end.
    let e = ndef::decode_message(&[0xD1, 1, 200, b'U', 4, b'x']).unwrap_err();
    assert_eq!(e.offset, 4);
    assert!(e.message.contains("payload of 200 bytes"), "{e}");
    // Long form length past the end.
    let e = ndef::decode_message(&[0xC1, 1, 0xFF, 0xFF, 0xFF, 0xFF, b'U']).unwrap_err();
    assert!(e.message.contains("runs past the end"), "{e}");
    // Reserved TNF, Empty record with a payload, well-known without type.
    assert!(ndef::decode_message(&[0xD7, 0, 0])
        .unwrap_err()
        .message
        .contains("reserved"));
    assert!(ndef::decode_message(&[0xD0, 0, 1, 0])
        .unwrap_err()
        .message
        .contains("Empty"));
    assert!(ndef::decode_message(&[0xD1, 0, 0])
        .unwrap_err()
        .message
        .contains("without a type"));
    // No ME.
    let e = ndef::decode_message(&[0x91, 1, 1, b'U', 4]).unwrap_err();
    assert!(e.message.contains("ME"), "{e}");
    // Bad URI prefix code and bad UTF-8.
    let msg = [0xD1, 1, 2, b'U', 0x40, b'x'];
    assert!(decode_nfc(&msg, cn())
        .unwrap_err()
        .to_string()
        .contains("prefix code 0x40"));
    let msg = [0xD1, 1, 2, b'U', 4, 0xFF];
    assert!(decode_nfc(&msg, cn())
        .unwrap_err()
        .to_string()
        .contains("UTF-8"));
    // TLV: length past the end; empty NDEF TLV; terminator first.
    let e = ndef::decode_any(&[0x03, 0x20, 0xD1]).unwrap_err();
    assert!(e.message.contains("TLV 0x03 of 32 bytes"), "{e}");
    assert!(ndef::decode_any(&[0x03, 0x00, 0xFE])
        .unwrap_err()
        .message
        .contains("empty"));
    assert!(ndef::decode_any(&[0x00, 0xFE, 0, 0])
        .unwrap_err()
        .message
        .contains("empty"));
}

#[test]
fn tlv_forms_and_padding() {
    let msg = ndef::encode_message(&[Record::uri("https://example.org/")]).unwrap();
    // NULL TLVs and a lock-control TLV before it, terminator and zeros after.
    let mut image = vec![0x00, 0x01, 0x03, 0xA0, 0x10, 0x44];
    image.extend(ndef::wrap_tlv(&msg).unwrap());
    image.extend([0u8; 30]);
    let recs = ndef::decode_any(&image).unwrap();
    assert_eq!(recs[0].as_uri().unwrap().unwrap(), "https://example.org/");
    // 3-byte length form.
    let big =
        ndef::encode_message(&[Record::mime("application/octet-stream", vec![1; 400])]).unwrap();
    let tlv = ndef::wrap_tlv(&big).unwrap();
    assert_eq!(
        &tlv[..4],
        &[0x03, 0xFF, (big.len() >> 8) as u8, big.len() as u8]
    );
    assert_eq!(tlv.len(), ndef::tlv_len(big.len()));
    assert_eq!(ndef::decode_any(&tlv).unwrap()[0].payload.len(), 400);
    assert_eq!(Tag::Ntag215.max_message_bytes(), 499);
    assert_eq!(Tag::Ntag213.max_message_bytes(), 141);
    assert!(Tag::Ntag215.fits(499) && !Tag::Ntag215.fits(500));
    assert!(Tag::Ntag213.fits(141) && !Tag::Ntag213.fits(142));
    assert_eq!("NTAG216".parse::<Tag>().unwrap(), Tag::Ntag216);
    assert!("ntag999".parse::<Tag>().is_err());
}

#[test]
fn ndef_records_round_trip() {
    let recs = vec![
        Record::uri("tel:+8613800138000"),
        Record::text("你好", "zh-CN"),
        Record::mime("text/vcard", b"BEGIN:VCARD\r\nEND:VCARD\r\n".to_vec()),
        Record {
            tnf: Tnf::External,
            record_type: b"example.com:t".to_vec(),
            id: b"#1".to_vec(),
            payload: vec![0; 300],
        },
        Record {
            tnf: Tnf::AbsoluteUri,
            record_type: b"urn:x:y".to_vec(),
            id: vec![],
            payload: vec![],
        },
    ];
    let bytes = ndef::encode_message(&recs).unwrap();
    let back = ndef::decode_message(&bytes).unwrap();
    assert_eq!(back, recs);
    assert_eq!(back[0].as_uri().unwrap().unwrap(), "tel:+8613800138000");
    assert_eq!(back[0].payload[0], 0x05);
    assert_eq!(back[4].as_uri().unwrap().unwrap(), "urn:x:y");
    assert!(ndef::encode_message(&[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Offline QR and scanned text

#[test]
fn offline_qr_round_trip_and_size() {
    let k = keys(11);
    let link = link_for(&k);
    let card = typical_card();
    let rec = crypto::seal(&card, &k, &link.secret, 4).unwrap();
    let text = offline_qr_text(&link, &rec);
    assert!(text.starts_with("LC1:"));
    assert!(text
        .chars()
        .all(|c| "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(c)));
    println!(
        "EXCHANGE offline QR of the typical card: {} characters",
        text.len()
    );
    for t in [
        text.clone(),
        format!("{text}\r\n"),
        text.to_ascii_lowercase(),
    ] {
        match decode_scanned_text(&t, cn()).unwrap() {
            Received::LiveCard {
                link: got,
                offline: Some(copy),
            } => {
                assert_eq!(got, link);
                assert_eq!(copy.record, rec);
                assert_eq!(copy.card, card);
                assert!(!copy.partial);
            }
            other => panic!("{other:?}"),
        }
    }
    // Reduced to a budget: avatar dropped, partial.
    let big = big_card();
    let src = CopySource {
        card: &big,
        keys: &k,
        version: 4,
    };
    let q = offline_qr(&link, &src, OFFLINE_QR_MAX_BYTES)
        .unwrap()
        .unwrap();
    assert!(q.partial);
    assert_eq!(q.dropped_fields[0], Field::Avatar);
    let Received::LiveCard {
        offline: Some(copy),
        ..
    } = decode_scanned_text(&q.text, cn()).unwrap()
    else {
        panic!("no copy");
    };
    assert!(copy.partial);
    assert!(copy.card.avatar.is_none());
    // The typical card as a compact offline QR, with nothing dropped.
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 4,
    };
    let q = offline_qr(&link, &src, OFFLINE_QR_MAX_BYTES)
        .unwrap()
        .unwrap();
    assert!(!q.partial);
    println!(
        "EXCHANGE compact offline QR of the typical card: {} characters",
        q.text.len()
    );
    // Damage: every cut is refused, never a panic.
    for n in 4..text.len() {
        assert!(decode_scanned_text(&text[..n], cn()).is_err(), "cut at {n}");
    }
    let e = decode_scanned_text("LC1:###", cn()).unwrap_err();
    assert!(matches!(e, ExchangeError::BadOfflineQr(_)), "{e}");
}

#[test]
fn scanned_text_kinds() {
    let k = keys(12);
    let link = link_for(&k);
    for t in [
        link.to_string(),
        link.to_qr_text(),
        format!("  {}\n", link.to_string().to_lowercase()),
    ] {
        match decode_scanned_text(&t, cn()).unwrap() {
            Received::LiveCard {
                link: got,
                offline: None,
            } => assert_eq!(got, link),
            other => panic!("{t}: {other:?}"),
        }
    }
    assert_chen_ming(decode_scanned_text("MECARD:N:陈,明;TEL:13700001111;;", cn()).unwrap());
    assert_chen_ming(
        decode_scanned_text(
            "BEGIN:VCARD\nVERSION:3.0\nFN:陈明\nTEL;TYPE=CELL:13700001111\nEND:VCARD",
            cn(),
        )
        .unwrap(),
    );
    assert_eq!(
        decode_scanned_text("https://example.org/x?y=1", cn()).unwrap(),
        Received::ForeignLink("https://example.org/x?y=1".into())
    );
    for t in ["hello 你好", "", "12345", "BEGIN:VCARD\nFN:x\n"] {
        assert!(decode_scanned_text(t, cn()).is_err(), "{t}");
    }
    assert_eq!(
        decode_scanned_text("hello 你好", cn()).unwrap_err(),
        ExchangeError::NoCard("text")
    );
}

// ---------------------------------------------------------------------------------------------
// Independent decoder: Python's ndeflib

fn tool_missing(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is missing and CI=true: install it (scripts/setup.sh)");
    }
    livecard_testkit::skip(
        "an independent-decoder check",
        &format!("{what} is missing (scripts/setup.sh installs it)"),
    );
}

#[test]
fn python_ndeflib_reads_our_messages() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import ndef"])
        .output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        return tool_missing("python3 with ndeflib (pip install ndeflib)");
    }
    let k = keys(13);
    let link = link_for(&k);
    let card = big_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 5,
    };
    let dir = std::env::temp_dir().join(format!("livecard-ndef-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        nfc_message(&link, None, Tag::Ntag213).unwrap().bytes,
        nfc_message(&link, Some(&src), Tag::Ntag215).unwrap().bytes,
        nfc_message(&link, Some(&src), Tag::Ntag216).unwrap().bytes,
        ndef::encode_message(&[
            Record::text("你好", "zh"),
            Record::mime("application/octet-stream", vec![7; 300]),
        ])
        .unwrap(),
    ];
    let script = r#"
import sys, ndef
data = open(sys.argv[1], 'rb').read()
for r in ndef.message_decoder(data, errors='strict'):
    if isinstance(r, ndef.UriRecord):
        print('uri', r.iri)
    elif isinstance(r, ndef.TextRecord):
        print('text', r.language, r.text)
    else:
        print('other', r.type, r.data.hex())
"#;
    for (n, bytes) in cases.iter().enumerate() {
        let f = dir.join(format!("{n}.ndef"));
        std::fs::write(&f, bytes).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "case {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        let want: String = ndef::decode_message(bytes)
            .unwrap()
            .iter()
            .map(|r| {
                if let Some(u) = r.as_uri() {
                    format!("uri {}\n", u.unwrap())
                } else if let Some(t) = r.as_text() {
                    let (l, t) = t.unwrap();
                    format!("text {l} {t}\n")
                } else {
                    format!(
                        "other {} {}\n",
                        String::from_utf8_lossy(&r.record_type),
                        hex(&r.payload)
                    )
                }
            })
            .collect();
        assert_eq!(got, want, "case {n}");
        if n > 0 && n < 3 {
            assert!(
                got.starts_with(&format!("uri {link}\nother {CARD_MIME} ")),
                "{got}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Compact binary card

#[test]
fn compact_card_round_trips_every_field() {
    let mut c = big_card();
    c.set(Field::Msn, "zs@msn.example", cn()).unwrap();
    c.set(Field::Weibo, "zhangsanfeng", cn()).unwrap();
    c.set(Field::Dingtalk, "zsf", cn()).unwrap();
    c.set(Field::Aliwangwang, "张三丰", cn()).unwrap();
    c.temp_number = "+8613700009999".into();
    c.temp_until = Some(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z")
            .unwrap()
            .into(),
    );
    c.address.push(Address {
        po_box: "1".into(),
        country: "中国".into(),
        ..Address::default()
    });
    let bytes = compact_card(&c);
    assert_eq!(parse_compact_card(&bytes).unwrap(), c);
    let json = crypto::card_plaintext(&typical_card()).len();
    let compact = compact_card(&typical_card()).len();
    println!("EXCHANGE typical card plaintext: JSON {json} bytes, compact {compact} bytes");
    assert!(compact * 10 < json * 8, "{compact} vs {json}");
    // Every cut is refused or reads a prefix of the fields; never a panic.
    for n in 0..bytes.len() {
        let _ = parse_compact_card(&bytes[..n]);
    }
    assert!(parse_compact_card(&[1, 5, b'a'])
        .unwrap_err()
        .contains("runs past the end"));
    assert!(parse_compact_card(&[1, 1, b'a', 1, 1, b'b'])
        .unwrap_err()
        .contains("twice"));
    assert!(parse_compact_card(&[1, 1, 0xFF])
        .unwrap_err()
        .contains("UTF-8"));
    assert!(parse_compact_card(&[1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
    // Unknown codes are skipped.
    assert_eq!(
        parse_compact_card(&[99, 2, 0, 0, 1, 1, b'x']).unwrap().name,
        "x"
    );
}

/// Fuzz finding (docs/FUZZING.md): an empty multi-valued entry (`09 00`, an empty phone)
/// was read as `[""]`, which the writer never produces, so the card did not round-trip.
#[test]
fn fuzz_regression_compact_card_empty_list_value() {
    let bytes = std::fs::read(format!(
        "{}/tests/data/fuzz-regressions/compact-card-empty-list-value.bin",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let card = parse_compact_card(&bytes).unwrap();
    assert!(card.phone.is_empty());
    assert_eq!(parse_compact_card(&compact_card(&card)).unwrap(), card);
    assert_eq!(
        parse_compact_card(&[11, 0, 11, 1, b'a']).unwrap().email,
        vec!["a".to_string()]
    );
}

#[test]
fn smart_poster_and_blank_tags() {
    let k = keys(14);
    let link = link_for(&k);
    let inner = ndef::encode_message(&[Record::uri(&link.to_string()), Record::text("名片", "zh")])
        .unwrap();
    let sp = Record {
        tnf: Tnf::WellKnown,
        record_type: b"Sp".to_vec(),
        id: vec![],
        payload: inner,
    };
    match decode_nfc(&ndef::encode_message(&[sp]).unwrap(), cn()).unwrap() {
        Received::LiveCard {
            link: got,
            offline: None,
        } => assert_eq!(got, link),
        other => panic!("{other:?}"),
    }
    let bad = Record {
        tnf: Tnf::WellKnown,
        record_type: b"Sp".to_vec(),
        id: vec![],
        payload: vec![0xD1, 1],
    };
    let e = decode_nfc(&ndef::encode_message(&[bad]).unwrap(), cn()).unwrap_err();
    assert!(e.to_string().contains("Smart Poster"), "{e}");
    // A freshly formatted tag: one Empty record in a TLV, then zeros.
    let blank = [0x03, 0x03, 0xD0, 0x00, 0x00, 0xFE, 0, 0, 0, 0];
    assert_eq!(
        decode_nfc(&blank, cn()).unwrap_err(),
        ExchangeError::NoCard("tag")
    );
    // An all-zero tag: a clear error.
    let e = decode_nfc(&[0u8; 16], cn()).unwrap_err();
    assert!(e.to_string().contains("no NDEF TLV"), "{e}");
}
