//! Inputs found by the fuzz targets (docs/FUZZING.md), kept as regression tests.

use livecard_format::crypto::{self, CardKeys, ShareSecret};
use livecard_format::{Avatar, Card, Limits};

fn read(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/fuzz-regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Finding 3: a card whose avatar had an empty type or no bytes passed `validate`, but its
/// sealed plaintext leaves empty strings out, so the avatar lost `mime` (or `data`) and the
/// plaintext no longer read as a card: no recipient could open it. `validate` now refuses
/// such an avatar; a card that passes validate reads back from its plaintext unchanged.
#[test]
fn fuzz_regression_card_json_avatar_without_type_or_bytes() {
    for name in [
        "card-json-avatar-empty-mime.json",
        "card-json-avatar-empty-data.json",
    ] {
        let card: Card = serde_json::from_slice(&read(name)).expect("the input is card JSON");
        let err = card
            .validate(&Limits::DEFAULT)
            .expect_err("an avatar without type or bytes is refused");
        assert_eq!(err.errors.len(), 1, "{name}: {err:?}");
        assert_eq!(err.errors[0].field, "avatar", "{name}: {err:?}");
    }

    // A real avatar is kept, and the sealed card opens to the same card.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend([7u8; 24]);
    let card = Card {
        name: "张三".into(),
        avatar: Some(Avatar {
            mime: "image/png".into(),
            data: png,
        }),
        ..Default::default()
    };
    card.validate(&Limits::DEFAULT).expect("valid");
    let back: Card = serde_json::from_slice(&crypto::card_plaintext(&card)).expect("reads back");
    assert_eq!(back, card);
    let keys = CardKeys::from_seed(&[3u8; 32]);
    let secret = ShareSecret::from_bytes([4u8; 16]);
    let record = crypto::seal(&card, &keys, &secret, 1).expect("seals");
    assert_eq!(crypto::open(&record, &secret).expect("opens"), card);
}

/// Finding 4 (`nfc_answer`): an NFC answer with a Well-known record (TNF 1) whose type was
/// missing (`"kind"` misspelt) was encoded into a message that `decode_message` refuses: the
/// encoder and the decoder disagreed. The encoder now refuses a typed TNF without a type, so
/// the answer gets a clear error instead of bytes nobody can read; every message it does
/// encode decodes to the same records.
#[test]
fn fuzz_regression_nfc_answer_wellknown_record_without_type() {
    use livecard_format::ndef::{self, Record, Tnf};
    use livecard_format::nfc_answer;

    let json = String::from_utf8(read("nfc-answer-wellknown-without-type.json")).expect("UTF-8");
    let answer = nfc_answer::parse_answer(&json).expect("the answer itself parses");
    let err = answer
        .message()
        .expect_err("a Well-known record without a type is refused");
    assert!(err.to_string().contains("without a type"), "{err}");

    for tnf in [Tnf::WellKnown, Tnf::Media, Tnf::AbsoluteUri, Tnf::External] {
        let r = Record {
            tnf,
            record_type: Vec::new(),
            id: Vec::new(),
            payload: b"x".to_vec(),
        };
        assert!(
            ndef::encode_message(std::slice::from_ref(&r)).is_err(),
            "{tnf:?}"
        );
        let typed = Record {
            record_type: b"U".to_vec(),
            ..r
        };
        let bytes = ndef::encode_message(std::slice::from_ref(&typed)).expect("typed encodes");
        assert_eq!(ndef::decode_message(&bytes).expect("decodes"), vec![typed]);
    }
}
