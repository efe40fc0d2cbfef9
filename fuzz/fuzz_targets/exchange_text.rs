//! Scanned/pasted text (`exchange::decode_scanned_text`) on arbitrary UTF-8, as is and behind
//! the offline-QR prefix `LC1:`: never panics; contacts returned pass validate; an offline
//! copy returned belongs to the link's card.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::exchange::{decode_scanned_text, Received};
use livecard_format::{Limits, Region};

#[path = "phone_cache.rs"]
mod phone_cache;

fuzz_target!(init: phone_cache::keep_all_patterns(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for t in [text.to_string(), format!("LC1:{text}")] {
        match decode_scanned_text(&t, Region::default()) {
            Ok(Received::Contacts(cards)) => {
                for c in cards {
                    assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
                }
            }
            Ok(Received::LiveCard {
                link,
                offline: Some(copy),
            }) => {
                assert_eq!(copy.record.id, link.id);
            }
            _ => {}
        }
    }
});
