//! parse_contact_text (vCard or MeCard, detected) on arbitrary bytes: never panics, and
//! every card returned passes validate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::contact_text::parse_contact_text;
use livecard_format::{Limits, Region};

#[path = "phone_cache.rs"]
mod phone_cache;

fuzz_target!(init: phone_cache::keep_all_patterns(), |data: &[u8]| {
    if let Ok(cards) = parse_contact_text(data, Region::default()) {
        for c in cards {
            assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
        }
    }
});
