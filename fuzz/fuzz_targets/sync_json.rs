//! The client's side of the sync server's answers: arbitrary bytes as the JSON of
//! `SyncResponse`, `SealedRecord`, `Tombstone`, `PutResponse`, `DeleteResponse`, `ErrorBody`
//! and `ServerInfo`, and as an ETag. Checks: never panics; a value that decodes re-serialises
//! to JSON that decodes to the same value; every record and tombstone is verified, and a
//! record is opened with a fixed share secret as the client core opens it (`crypto::open`,
//! then `Card::validate`) — it can only open when it verifies; a record that verifies
//! survives the compact binary form.
//!
//! A mutated ciphertext fails authentication, so the card JSON inside a record (which a
//! card's owner, an outside party for its recipients, writes freely) is also fuzzed
//! directly: the bytes as `Card` JSON; a card that passes validate must survive its own
//! sealed plaintext (`crypto::card_plaintext`) unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livecard_format::crypto::{self, ShareSecret};
use livecard_format::wire::{
    etag, parse_etag, DeleteResponse, ErrorBody, PutResponse, SealedRecord, ServerInfo,
    SyncResponse, Tombstone,
};
use livecard_format::{Card, Limits};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[path = "fixed.rs"]
mod fixed;

fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a decoded value serialises");
    let again: T = serde_json::from_slice(&json).expect("own JSON decodes");
    assert_eq!(again, value);
    Some(value)
}

fn check_record(record: &SealedRecord) {
    let verified = record.verify();
    if verified.is_ok() {
        let back = SealedRecord::from_compact_bytes(&record.to_compact_bytes())
            .expect("compact form of a verified record reads back");
        assert_eq!(&back, record);
    }
    let secret = ShareSecret::from_bytes(fixed::SECRET);
    if let Ok(card) = crypto::open(record, &secret) {
        assert!(verified.is_ok(), "opened a record that does not verify");
        let _ = card.validate(&Limits::DEFAULT);
    }
}

fn check_tombstone(t: &Tombstone) {
    let _ = t.verify();
}

fuzz_target!(|data: &[u8]| {
    if let Some(r) = round_trip::<SyncResponse>(data) {
        r.changed.iter().for_each(check_record);
        r.gone.iter().for_each(check_tombstone);
    }
    if let Some(r) = round_trip::<SealedRecord>(data) {
        check_record(&r);
    }
    if let Some(t) = round_trip::<Tombstone>(data) {
        check_tombstone(&t);
    }
    if let Some(e) = round_trip::<ErrorBody>(data) {
        e.error.code.http_status();
        if let Some(t) = &e.tombstone {
            check_tombstone(t);
        }
    }
    round_trip::<PutResponse>(data);
    round_trip::<DeleteResponse>(data);
    round_trip::<ServerInfo>(data);
    if let Ok(card) = serde_json::from_slice::<Card>(data) {
        if card.validate(&Limits::DEFAULT).is_ok() {
            let plaintext = crypto::card_plaintext(&card);
            let back = serde_json::from_slice::<Card>(&plaintext);
            assert_eq!(
                back.as_ref().ok(),
                Some(&card),
                "{back:?} from {}",
                String::from_utf8_lossy(&plaintext)
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(v) = parse_etag(text) {
            assert_eq!(parse_etag(&etag(v)), Some(v));
        }
    }
});
