//! What the sync server does with a request body before it touches its store
//! (`livecard_server::body_check`, called by the handlers): arbitrary bytes as the body of
//! `PUT /v1/cards/{id}` (SealedRecord), `DELETE /v1/cards/{id}` (Tombstone) and
//! `POST /v1/sync` (SyncRequest), decoded exactly as the `ApiJson` extractor does.
//! Checks: never panics; every refusal is a client error of the codes that step may give
//! (never `internal`); an accepted record or tombstone really verifies, is for the path's
//! card and is within the size limit; a body for another path's id is `id_mismatch`.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use livecard_format::wire::{
    CardId, ErrorCode, SealedRecord, SyncRequest, Tombstone, DEFAULT_MAX_CIPHERTEXT_BYTES,
};
use livecard_server::body_check::{self, CLIENT_ERROR_CODES};
use livecard_server::ApiFailure;

/// A small limit so that `too_many_ids` is reachable within -max_len.
const MAX_SYNC_IDS: usize = 4;

/// The body is in memory: the decode completes on its first poll.
fn now<T>(f: impl Future<Output = T>) -> T {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("body decode did not complete on the first poll"),
    }
}

fn code(f: &ApiFailure, allowed: &[ErrorCode]) -> ErrorCode {
    let c = f.body.error.code;
    assert!(
        CLIENT_ERROR_CODES.contains(&c),
        "{c:?}: {}",
        f.body.error.message
    );
    assert!(
        allowed.contains(&c),
        "{c:?} not expected here: {}",
        f.body.error.message
    );
    c
}

const DECODE: [ErrorCode; 2] = [ErrorCode::MalformedJson, ErrorCode::InvalidRequest];
const RECORD: [ErrorCode; 5] = [
    ErrorCode::KeyMismatch,
    ErrorCode::BadSignature,
    ErrorCode::InvalidVersion,
    ErrorCode::RecordTooLarge,
    ErrorCode::InvalidRequest,
];

fn other_id(id: &CardId) -> CardId {
    let a = CardId::parse("AAAAAAAAAAAAAAAA").expect("valid id");
    if &a == id {
        CardId::parse("BBBBBBBBBBBBBBBB").expect("valid id")
    } else {
        a
    }
}

fuzz_target!(|data: &[u8]| {
    // PUT
    match now(body_check::decode::<SealedRecord>(data.to_vec())) {
        Err(f) => {
            code(&f, &DECODE);
        }
        Ok(record) => {
            let path = body_check::path_id(&record.id.as_str().to_ascii_lowercase())
                .expect("a decoded id is a valid path id");
            match body_check::check_put(&path, &record, DEFAULT_MAX_CIPHERTEXT_BYTES) {
                Ok(()) => {
                    assert!(
                        record.verify().is_ok(),
                        "accepted a record that does not verify"
                    );
                    assert!(record.ciphertext.len() <= DEFAULT_MAX_CIPHERTEXT_BYTES);
                    assert_eq!(record.id, path);
                }
                Err(f) => {
                    code(&f, &RECORD);
                }
            }
            let f = body_check::check_put(&other_id(&record.id), &record, 0)
                .expect_err("a record for another id is refused");
            assert_eq!(code(&f, &[ErrorCode::IdMismatch]), ErrorCode::IdMismatch);
        }
    }
    // DELETE
    match now(body_check::decode::<Tombstone>(data.to_vec())) {
        Err(f) => {
            code(&f, &DECODE);
        }
        Ok(t) => {
            match body_check::check_delete(&t.id, &t) {
                Ok(()) => assert!(
                    t.verify().is_ok(),
                    "accepted a tombstone that does not verify"
                ),
                Err(f) => {
                    code(&f, &RECORD);
                }
            }
            let f = body_check::check_delete(&other_id(&t.id), &t)
                .expect_err("a tombstone for another id is refused");
            assert_eq!(code(&f, &[ErrorCode::IdMismatch]), ErrorCode::IdMismatch);
        }
    }
    // POST /v1/sync
    match now(body_check::sync_body(data.to_vec(), MAX_SYNC_IDS)) {
        Err(f) => {
            if code(&f, &[DECODE[0], DECODE[1], ErrorCode::TooManyIds]) == ErrorCode::TooManyIds {
                let r: SyncRequest = serde_json::from_slice(data).expect("decoded before counted");
                assert!(r.cards.len() > MAX_SYNC_IDS);
            }
        }
        Ok(r) => assert!(r.cards.len() <= MAX_SYNC_IDS),
    }
});
