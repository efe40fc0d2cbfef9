//! NDEF and exchange decoding on arbitrary bytes (a tag's contents): `ndef::decode_any` and
//! `exchange::decode_nfc` never panic; a message that decodes re-encodes to bytes that decode
//! to the same records; every contact returned passes validate; `parse_compact_card` (the
//! offline copy's plaintext) never panics and what it returns re-encodes losslessly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::exchange::{compact_card, decode_nfc, parse_compact_card, Received};
use livecard_format::ndef;
use livecard_format::{Limits, Region};

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = ndef::decode_any(data) {
        let bytes = ndef::encode_message(&records).expect("decoded records re-encode");
        assert_eq!(
            ndef::decode_message(&bytes).expect("re-encoded message decodes"),
            records
        );
        for r in &records {
            let _ = r.as_uri();
            let _ = r.as_text();
        }
    }
    if let Ok(Received::Contacts(cards)) = decode_nfc(data, Region::default()) {
        for c in cards {
            assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
        }
    }
    if let Ok(card) = parse_compact_card(data) {
        assert_eq!(parse_compact_card(&compact_card(&card)).as_ref(), Ok(&card));
    }
});
