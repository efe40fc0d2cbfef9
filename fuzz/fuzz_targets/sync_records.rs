//! The binary sync answer (`Accept: application/vnd.livecard.records`, PROTOCOL.md §5) and
//! the compact binary plaintext of a sealed record (§3), as the client core reads them from a
//! server and from a card's owner. Arbitrary bytes as:
//! - a binary sync answer (`SyncResponse::from_records`): when it reads, `to_records` gives
//!   the same bytes back (the form is canonical), and every record and tombstone is verified;
//!   a record is opened with the fixed share secret as the core opens it (`crypto::open`) —
//!   only when it verifies;
//! - a record plaintext (`exchange::parse_record_plaintext`, `0xC1` + compact card or JSON):
//!   a card that reads and passes validate is sealed again as a plaintext that reads back as
//!   the same card (`exchange::record_plaintext`: compact when lossless, else JSON).
//!
//! Checks: never panics, never allocates more than the input promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::crypto::{self, ShareSecret};
use livecard_format::exchange::{parse_record_plaintext, record_plaintext};
use livecard_format::wire::SyncResponse;
use livecard_format::Limits;

#[path = "fixed.rs"]
mod fixed;

fuzz_target!(|data: &[u8]| {
    if let Ok(answer) = SyncResponse::from_records(data) {
        assert_eq!(answer.to_records(), data, "the binary answer is canonical");
        assert_eq!(answer.records_len(), data.len());
        let secret = ShareSecret::from_bytes(fixed::SECRET);
        for record in &answer.changed {
            let verified = record.verify();
            if let Ok(card) = crypto::open(record, &secret) {
                assert!(verified.is_ok(), "opened a record that does not verify");
                let _ = card.validate(&Limits::DEFAULT);
            }
        }
        for t in &answer.gone {
            let _ = t.verify();
        }
    }
    if let Ok(card) = parse_record_plaintext(data) {
        if card.validate(&Limits::DEFAULT).is_ok() {
            let again = record_plaintext(&card);
            let back = parse_record_plaintext(&again);
            assert_eq!(back.as_ref().ok(), Some(&card), "{back:?}");
        }
    }
});
