//! parse_mecard on arbitrary text: never panics; a card read passes validate and survives
//! to_mecard → parse_mecard.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::mecard::{parse_mecard, to_mecard};
use livecard_format::{Limits, Region};

#[path = "phone_cache.rs"]
mod phone_cache;

fuzz_target!(init: phone_cache::keep_all_patterns(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(card) = parse_mecard(text, Region::default()) {
        assert!(card.validate(&Limits::DEFAULT).is_ok(), "{card:?}");
        let again = parse_mecard(&to_mecard(&card), Region::default());
        assert!(again.is_ok(), "own MeCard must read back: {again:?}");
    }
});
