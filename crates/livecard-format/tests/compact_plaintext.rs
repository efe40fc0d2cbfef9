//! A server record's plaintext in the compact binary form (PROTOCOL.md §3 "Plaintext"):
//! `crypto::seal` writes it when it reads back exactly, `crypto::open` reads both forms, and
//! a card the compact form cannot hold is sealed as JSON — never a lost field.

use livecard_format::crypto::{self, CardKeys, ShareSecret};
use livecard_format::exchange::{
    compact_record_plaintext, parse_record_plaintext, record_plaintext, COMPACT_PLAINTEXT_MAGIC,
    INBOX_CODE,
};
use livecard_format::vcard::parse_vcards_lenient;
use livecard_format::{Address, Avatar, Card, Field, InboxKey, Region};

fn cn() -> Region {
    Region::default()
}

/// The tests' "typical card" (as in tests/exchange.rs and the loadgen).
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

/// Every field of the table with a value, an avatar, two addresses, the inbox key and a
/// `temp_until` with nanoseconds.
fn every_field_card() -> Card {
    let mut c = typical_card();
    for f in Field::ALL {
        let spec = f.spec();
        if c.text(f).is_some_and(|v| v.is_empty()) {
            let value = match f {
                Field::Family => "张".to_string(),
                Field::Given => "三丰".to_string(),
                Field::TempNumber => "+8613700009999".to_string(),
                Field::Telegram => "zhang_san".to_string(),
                Field::Qq => "12345678".to_string(),
                _ => format!("{} 值", spec.key()),
            };
            c.set(f, &value, cn())
                .unwrap_or_else(|e| panic!("{}: {e}", spec.key()));
        }
    }
    c.add(Field::Phone, "075512345678", cn()).unwrap();
    c.add(Field::Fax, "075587654321", cn()).unwrap();
    c.avatar = Some(Avatar {
        mime: "image/png".into(),
        data: (0..=255u8).collect(),
    });
    c.address.push(Address {
        po_box: "1".into(),
        country: "中国".into(),
        ..Address::default()
    });
    c.address.push(Address::default());
    c.temp_until = Some(
        chrono::DateTime::parse_from_rfc3339("2030-01-01T10:00:00.123456789+08:00")
            .unwrap()
            .into(),
    );
    c.inbox = Some(InboxKey { key: [0x33; 32] });
    c
}

fn seal_open(card: &Card) -> (Vec<u8>, Card) {
    let keys = CardKeys::from_seed(&[7; 32]);
    let secret = ShareSecret::from_bytes([9; 16]);
    let rec = crypto::seal(card, &keys, &secret, 3).unwrap();
    let plain = crypto::open_plaintext(&rec, &secret).unwrap();
    (plain, crypto::open(&rec, &secret).unwrap())
}

#[test]
fn every_field_round_trips_compact() {
    let c = every_field_card();
    let json: serde_json::Value = serde_json::from_slice(&crypto::card_plaintext(&c)).unwrap();
    for f in Field::ALL {
        let key = f.spec().key();
        assert!(
            json.get(key).is_some(),
            "{key} has no value in the test card"
        );
    }
    let plain = record_plaintext(&c);
    assert_eq!(plain[0], COMPACT_PLAINTEXT_MAGIC);
    assert!(plain.contains(&INBOX_CODE));
    assert_eq!(parse_record_plaintext(&plain).unwrap(), c);
    let (sealed_plain, back) = seal_open(&c);
    assert_eq!(sealed_plain, plain, "seal writes the compact form");
    assert_eq!(back, c);
}

#[test]
fn typical_card_is_smaller() {
    let c = typical_card();
    let compact = record_plaintext(&c);
    let json = crypto::card_plaintext(&c);
    println!(
        "EXCHANGE typical card record plaintext: JSON {} bytes, compact {} bytes",
        json.len(),
        compact.len()
    );
    assert_eq!(compact[0], COMPACT_PLAINTEXT_MAGIC);
    assert_eq!(
        compact.len(),
        1 + livecard_format::exchange::compact_card(&c).len()
    );
    assert!(
        compact.len() * 10 < json.len() * 7,
        "{} vs {}",
        compact.len(),
        json.len()
    );
    // The JSON form still opens (records sealed by older clients).
    assert_eq!(parse_record_plaintext(&json).unwrap(), c);
}

#[test]
fn cards_the_compact_form_cannot_hold_are_sealed_as_json() {
    // An empty value inside a list (JSON keeps it; the compact form never writes one).
    let mut empty_in_list = typical_card();
    empty_in_list.email.push(String::new());
    // An extra member the field table does not know (a card built in code).
    let mut unknown_extra = typical_card();
    unknown_extra
        .extra
        .insert("matrix".into(), "@zs:example.org".into());
    // An avatar whose MIME type is empty is fine; one with an empty list value elsewhere not.
    for lossy in [empty_in_list, unknown_extra] {
        let plain = record_plaintext(&lossy);
        assert_eq!(plain[0], b'{', "falls back to JSON");
        assert_ne!(
            parse_record_plaintext(&compact_record_plaintext(&lossy)).ok(),
            Some(lossy.clone()),
            "the compact form really is lossy for this card"
        );
        let (_, back) = seal_open(&lossy);
        let want: Card = serde_json::from_slice(&crypto::card_plaintext(&lossy)).unwrap();
        assert_eq!(back, want, "exactly what the JSON form holds");
    }
}

#[test]
fn malformed_compact_plaintexts_are_clear_errors() {
    let good = record_plaintext(&every_field_card());
    for n in 1..good.len() {
        // Never a panic; a prefix either reads (fewer fields) or names its byte.
        if let Err(e) = parse_record_plaintext(&good[..n]) {
            assert!(e.contains("byte"), "{e}");
        }
    }
    assert!(
        parse_record_plaintext(&[COMPACT_PLAINTEXT_MAGIC, 1, 9, b'a'])
            .unwrap_err()
            .contains("runs past the end")
    );
    assert!(
        parse_record_plaintext(&[0xC2, 1]).is_err(),
        "not JSON, not ours"
    );
    assert!(parse_record_plaintext(b"").is_err());
    // The inbox entry twice is refused; an inbox key of another length reads as absent.
    let mut twice = vec![COMPACT_PLAINTEXT_MAGIC, INBOX_CODE, 32];
    twice.extend([1u8; 32]);
    let again = twice[1..].to_vec();
    twice.extend(again);
    assert!(parse_record_plaintext(&twice)
        .unwrap_err()
        .contains("twice"));
    let odd = [COMPACT_PLAINTEXT_MAGIC, 1, 1, b'x', INBOX_CODE, 2, 0, 0];
    let card = parse_record_plaintext(&odd).unwrap();
    assert_eq!((card.name.as_str(), card.inbox), ("x", None));
}

/// Real-world vCards (tests/data/vcards: phones, mail programs, Chinese cards) and a
/// deterministic pseudo-random set: every card opens as exactly what it was (or, when the
/// compact form cannot hold it, exactly what its JSON holds).
#[test]
fn imported_and_generated_cards_round_trip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vcards");
    let mut cards: Vec<Card> = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "vcf") {
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(report) = parse_vcards_lenient(&bytes, cn()) {
                cards.extend(report.cards.into_iter().map(|i| i.card));
            }
        }
    }
    let imported = cards.len();
    assert!(imported >= 10, "{imported} imported cards");
    cards.extend(generated(500));
    let mut compact = 0;
    for c in &cards {
        let plain = record_plaintext(c);
        let (_, back) = seal_open(c);
        if plain[0] == COMPACT_PLAINTEXT_MAGIC {
            compact += 1;
            assert_eq!(&back, c);
        } else {
            let want: Card = serde_json::from_slice(&crypto::card_plaintext(c)).unwrap();
            assert_eq!(back, want);
        }
    }
    println!(
        "compact plaintext for {compact} of {} cards ({imported} imported)",
        cards.len()
    );
    assert!(
        compact * 10 >= cards.len() * 9,
        "{compact} of {}",
        cards.len()
    );
}

/// `n` cards from a small xorshift generator: random fields of the table, random text (ASCII,
/// Chinese, emoji), sometimes an avatar, an inbox key, a temp_until, several addresses.
fn generated(n: usize) -> Vec<Card> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let words = [
        "张", "三丰", "Zhang", "O'Neil", "😀", "武当", "a;b,c", "x\\y", "é",
    ];
    (0..n)
        .map(|i| {
            let mut c = Card {
                name: format!("{}{i}", words[(next() % 9) as usize]),
                ..Card::default()
            };
            for f in Field::ALL {
                if next() % 3 != 0 {
                    continue;
                }
                let v = format!(
                    "{}{}",
                    words[(next() % 9) as usize],
                    words[(next() % 9) as usize]
                );
                match f.spec().key() {
                    "mobile" | "phone" | "fax" => {
                        c.add(f, &format!("1380013{:04}", next() % 10_000), cn())
                            .ok();
                    }
                    "email" => {
                        c.add(f, &format!("u{}@example.org", next() % 1000), cn())
                            .ok();
                    }
                    "website" => {
                        c.add(f, &format!("https://e{}.example", next() % 100), cn())
                            .ok();
                    }
                    "address" => {
                        for _ in 0..=(next() % 2) {
                            c.address.push(Address {
                                street: v.clone(),
                                postal_code: format!("{}", next() % 100_000),
                                ..Address::default()
                            });
                        }
                    }
                    "avatar" => {
                        let len = (next() % 600) as usize;
                        c.avatar = Some(Avatar {
                            mime: "image/jpeg".into(),
                            data: (0..len).map(|_| next() as u8).collect(),
                        });
                    }
                    "temp_until" => {
                        c.temp_until = chrono::DateTime::from_timestamp(
                            1_700_000_000 + (next() % 100_000_000) as i64,
                            (next() % 1_000_000_000) as u32,
                        );
                    }
                    "telegram" => {
                        c.set(f, &format!("user_{}", next() % 100_000), cn()).ok();
                    }
                    _ => {
                        c.set(f, &v, cn()).ok();
                    }
                }
            }
            if next() % 2 == 0 {
                let mut key = [0u8; 32];
                key.iter_mut().for_each(|b| *b = next() as u8);
                c.inbox = Some(InboxKey { key });
            }
            c
        })
        .collect()
}
