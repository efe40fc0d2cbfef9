//! The JSON an NFC plugin's native code gives for a tag (`nfc_answer::parse_answer`), on
//! arbitrary bytes as UTF-8: never panics; an accepted answer's records encode to a message
//! (`NfcAnswer::message`) that decodes to the same records, or are refused with an error;
//! that message goes through `exchange::decode_nfc` without panicking and its contacts pass
//! `Card::validate`; re-serialising the records as unsigned bytes reads back the same answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::exchange::{decode_nfc, Received};
use livecard_format::ndef;
use livecard_format::nfc_answer::parse_answer;
use livecard_format::{Limits, Region};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(answer) = parse_answer(text) else {
        return;
    };
    // The same records as our plugin would send them (unsigned bytes) read back the same.
    let records: Vec<serde_json::Value> = answer
        .records
        .iter()
        .map(|r| {
            serde_json::json!({
                "tnf": r.tnf as u8,
                "kind": r.record_type,
                "id": r.id,
                "payload": r.payload,
            })
        })
        .collect();
    let again = parse_answer(&serde_json::json!({ "records": records }).to_string())
        .expect("re-serialised records parse");
    assert_eq!(again.records, answer.records);
    if let Ok(bytes) = answer.message() {
        assert_eq!(
            ndef::decode_message(&bytes).expect("an encoded message decodes"),
            answer.records
        );
        if let Ok(Received::Contacts(cards)) = decode_nfc(&bytes, Region::default()) {
            for c in cards {
                assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
            }
        }
    }
});
