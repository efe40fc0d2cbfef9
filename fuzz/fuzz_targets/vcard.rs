//! parse_vcards_lenient on arbitrary bytes: never panics; every card it returns passes
//! validate, and its export (`to_vcard`) imports again — strictly (`parse_vcards`) — as one
//! valid card. (`parse_vcards` is `parse_vcards_lenient` plus "no card skipped", so one parse
//! of the input covers both.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::vcard::{parse_vcards, parse_vcards_lenient, to_vcard};
use livecard_format::{Limits, Region};

#[path = "phone_cache.rs"]
mod phone_cache;

fuzz_target!(init: phone_cache::keep_all_patterns(), |data: &[u8]| {
    let region = Region::default();
    if let Ok(report) = parse_vcards_lenient(data, region) {
        for c in report.cards {
            assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
            let text = to_vcard(&c.card);
            let back = parse_vcards(text.as_bytes(), region).expect("own export must import");
            assert_eq!(back.len(), 1);
            assert!(back[0].card.validate(&Limits::DEFAULT).is_ok());
        }
    }
});
