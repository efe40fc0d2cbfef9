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
