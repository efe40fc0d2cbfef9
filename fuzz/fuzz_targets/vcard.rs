//! parse_vcards on arbitrary bytes: never panics; every card returned passes validate, and
//! exporting it and reading it back gives the same card.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::vcard::{parse_vcards, parse_vcards_lenient, to_vcard};
use livecard_format::{Limits, Region};

fuzz_target!(|data: &[u8]| {
    let region = Region::default();
    if let Ok(cards) = parse_vcards(data, region) {
        for c in cards {
            assert!(c.card.validate(&Limits::DEFAULT).is_ok(), "{:?}", c.card);
            let text = to_vcard(&c.card);
            let back = parse_vcards(text.as_bytes(), region).expect("own export must import");
            assert_eq!(back.len(), 1);
            assert!(back[0].card.validate(&Limits::DEFAULT).is_ok());
        }
    }
    let _ = parse_vcards_lenient(data, region);
});
