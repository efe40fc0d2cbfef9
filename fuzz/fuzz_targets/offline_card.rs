//! The compact offline copy and the QR/NFC payloads that carry it, and the ids and links in
//! scanned text. Arbitrary bytes as:
//! - a compact record (`SealedRecord::from_compact_bytes`): when it reads, `to_compact_bytes`
//!   gives the same bytes back and the id is the key's;
//! - an NFC offline copy (`flags || compact record`) next to the fixed share link, through
//!   `exchange::decode_nfc`;
//! - an offline QR payload (`len || base URL || secret || flags || compact record`), and a
//!   copy behind the fixed link's base URL and secret, base45-encoded behind `LC1:`, through
//!   `exchange::decode_scanned_text`;
//! - UTF-8 text for `CardId::parse` and `ShareLink::parse`.
//!
//! Checks: never panics; a copy accepted is signed by the card's key, is the link's card and
//! its card passes validate; ids and links re-parse from their own text to the same value.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use livecard_format::crypto::{CardKeys, ShareLink, ShareSecret};
use livecard_format::exchange::{decode_nfc, decode_scanned_text, Received, CARD_MIME};
use livecard_format::ndef::{self, Record};
use livecard_format::wire::{CardId, SealedRecord};
use livecard_format::{Limits, Region};

#[path = "fixed.rs"]
mod fixed;

/// The share link of the seeds' card (computing a public key costs more than a decode).
static LINK: LazyLock<ShareLink> = LazyLock::new(|| {
    let keys = CardKeys::from_seed(&fixed::KEY_SEED);
    ShareLink::new(
        fixed::BASE_URL,
        keys.id(),
        ShareSecret::from_bytes(fixed::SECRET),
    )
});

fn check(received: Result<Received, livecard_format::exchange::ExchangeError>) {
    if let Ok(Received::LiveCard {
        link,
        offline: Some(copy),
    }) = received
    {
        assert_eq!(copy.record.id, link.id);
        assert!(copy.record.verify().is_ok());
        assert!(
            copy.card.validate(&Limits::DEFAULT).is_ok(),
            "{:?}",
            copy.card
        );
    }
}

fuzz_target!(|data: &[u8]| {
    // The compact record.
    if let Ok(r) = SealedRecord::from_compact_bytes(data) {
        assert_eq!(r.to_compact_bytes(), data);
        assert_eq!(r.id, CardId::from_public_key(&r.public_key));
    }

    let link = &*LINK;
    // The NFC offline copy next to the link.
    let message = ndef::encode_message(&[
        Record::uri(&link.to_string()),
        Record::mime(CARD_MIME, data.to_vec()),
    ])
    .expect("a message of two records encodes");
    check(decode_nfc(&message, Region::default()));

    // The offline QR: the whole payload, and a copy behind the fixed link's head.
    check(decode_scanned_text(
        &format!("LC1:{}", base45::encode(data)),
        Region::default(),
    ));
    let mut payload = vec![fixed::BASE_URL.len() as u8];
    payload.extend_from_slice(fixed::BASE_URL.as_bytes());
    payload.extend_from_slice(&fixed::SECRET);
    payload.extend_from_slice(data);
    check(decode_scanned_text(
        &format!("lc1:{}", base45::encode(&payload).to_ascii_lowercase()),
        Region::default(),
    ));

    // Ids and links in text.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = CardId::parse(text) {
            assert_eq!(CardId::parse(id.as_str()).as_ref(), Ok(&id));
            assert_eq!(
                CardId::parse(&id.as_str().to_ascii_lowercase()).as_ref(),
                Ok(&id)
            );
            assert_eq!(id.as_str().len(), 16);
        }
        if let Ok(l) = ShareLink::parse(text) {
            let again = ShareLink::parse(&l.to_string()).expect("own link text parses");
            assert_eq!(again, l);
            let qr = ShareLink::parse(&l.to_qr_text()).expect("own QR text parses");
            assert_eq!((&qr.id, &qr.secret), (&l.id, &l.secret));
        }
    }
});
