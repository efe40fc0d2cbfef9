//! The wire format lives in `livecard-wire` (what the server may know); livecard-format
//! re-exports it and keeps the card-size limit it states in agreement with the card model.

use livecard_format::Limits;

#[test]
fn wire_card_limit_is_the_models() {
    assert_eq!(
        livecard_wire::DEFAULT_MAX_CARD_BYTES,
        Limits::DEFAULT.card_bytes
    );
    assert_eq!(
        livecard_format::wire::DEFAULT_MAX_CIPHERTEXT_BYTES,
        Limits::DEFAULT.card_bytes + livecard_wire::TAG_BYTES
    );
}

#[test]
fn format_wire_is_the_wire_crate() {
    // One type, not a copy: a value of one is a value of the other.
    let id: livecard_wire::CardId = livecard_format::wire::CardId::from_public_key(&[7u8; 32]);
    assert_eq!(id.as_str().len(), livecard_wire::ID_CHARS);
}
