//! What the server does with a request body before it touches its store: the JSON decode of
//! [`ApiJson`] (with its stable error codes) and the store-independent checks of the
//! handlers in [`crate::api`] (path id, id match, record size, signature, ids per sync).
//!
//! The handlers call these functions, and the `server_bodies` fuzz target (fuzz/, see
//! docs/FUZZING.md) feeds arbitrary bytes through them: whatever comes in, the answer is a
//! value that verifies or a client error ([`CLIENT_ERROR_CODES`]), never a panic or an
//! internal error.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue};
use livecard_wire::{CardId, ErrorCode, SealedRecord, SyncRequest, Tombstone};
use serde::de::DeserializeOwned;

use crate::error::{ApiFailure, ApiJson};

/// The codes a body may be refused with before the store is asked (all 4xx).
pub const CLIENT_ERROR_CODES: [ErrorCode; 9] = [
    ErrorCode::MalformedJson,
    ErrorCode::InvalidRequest,
    ErrorCode::IdMismatch,
    ErrorCode::KeyMismatch,
    ErrorCode::BadSignature,
    ErrorCode::InvalidVersion,
    ErrorCode::RecordTooLarge,
    ErrorCode::TooManyIds,
    ErrorCode::BodyTooLarge,
];

/// Decodes `body` exactly as a handler's `ApiJson<T>` extractor does for a request with
/// `Content-Type: application/json` (the same axum `Json` decode and rejection mapping).
/// The body-size layers in front of the router are not part of this.
pub async fn decode<T: DeserializeOwned>(body: Vec<u8>) -> Result<T, ApiFailure> {
    let mut req = Request::new(Body::from(body));
    req.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    ApiJson::<T>::from_request(req, &()).await.map(|j| j.0)
}

/// The card id in a request path (`/v1/cards/{id}`), case-insensitive.
pub fn path_id(text: &str) -> Result<CardId, ApiFailure> {
    CardId::parse(text).map_err(|e| ApiFailure::new(ErrorCode::InvalidRequest, e.to_string()))
}

/// `PUT /v1/cards/{id}`: the record is for the path's card, its ciphertext is within
/// `max_ciphertext_bytes`, and it verifies (version range, id of the key, signature).
pub fn check_put(
    id: &CardId,
    record: &SealedRecord,
    max_ciphertext_bytes: usize,
) -> Result<(), ApiFailure> {
    if &record.id != id {
        return Err(ApiFailure::new(
            ErrorCode::IdMismatch,
            format!("path id {id} differs from record id {}", record.id),
        ));
    }
    record
        .check_size(max_ciphertext_bytes)
        .map_err(|e| ApiFailure::record(&e))?;
    record.verify().map_err(|e| ApiFailure::record(&e))
}

/// `DELETE /v1/cards/{id}`: the tombstone is for the path's card and verifies.
pub fn check_delete(id: &CardId, tombstone: &Tombstone) -> Result<(), ApiFailure> {
    if &tombstone.id != id {
        return Err(ApiFailure::new(
            ErrorCode::IdMismatch,
            format!("path id {id} differs from tombstone id {}", tombstone.id),
        ));
    }
    tombstone.verify().map_err(|e| ApiFailure::record(&e))
}

/// `POST /v1/sync`: at most `max_sync_ids` ids.
pub fn check_sync(request: &SyncRequest, max_sync_ids: usize) -> Result<(), ApiFailure> {
    if request.cards.len() > max_sync_ids {
        return Err(ApiFailure::new(
            ErrorCode::TooManyIds,
            format!(
                "{} ids in one sync request; the limit is {max_sync_ids}",
                request.cards.len()
            ),
        ));
    }
    Ok(())
}

/// A PUT body as the handler sees it: decode, then the path id, then [`check_put`].
pub async fn put_body(
    path: &str,
    body: Vec<u8>,
    max_ciphertext_bytes: usize,
) -> Result<SealedRecord, ApiFailure> {
    let record: SealedRecord = decode(body).await?;
    check_put(&path_id(path)?, &record, max_ciphertext_bytes)?;
    Ok(record)
}

/// A DELETE body as the handler sees it: decode, then the path id, then [`check_delete`].
pub async fn delete_body(path: &str, body: Vec<u8>) -> Result<Tombstone, ApiFailure> {
    let tombstone: Tombstone = decode(body).await?;
    check_delete(&path_id(path)?, &tombstone)?;
    Ok(tombstone)
}

/// A sync body as the handler sees it: decode, then [`check_sync`].
pub async fn sync_body(body: Vec<u8>, max_sync_ids: usize) -> Result<SyncRequest, ApiFailure> {
    let request: SyncRequest = decode(body).await?;
    check_sync(&request, max_sync_ids)?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T, ApiFailure>) -> ErrorCode {
        r.expect_err("refused").body.error.code
    }

    const ID: &str = "AAAAAAAAAAAAAAAA";

    #[tokio::test]
    async fn decode_maps_syntax_and_shape_errors_like_the_extractor() {
        assert_eq!(
            code(put_body(ID, b"{".to_vec(), 100).await),
            ErrorCode::MalformedJson
        );
        assert_eq!(
            code(put_body(ID, vec![0xff, 0xfe], 100).await),
            ErrorCode::MalformedJson
        );
        // Trailing bytes after a complete value: a syntax error…
        assert_eq!(
            code(sync_body(br#"{"cards":[]} x"#.to_vec(), 10).await),
            ErrorCode::MalformedJson
        );
        // …but a missing field is found first when the value is incomplete.
        assert_eq!(
            code(put_body(ID, b"{} x".to_vec(), 100).await),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(put_body(ID, br#"{"id":"AAAAAAAAAAAAAAAA"}"#.to_vec(), 100).await),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(delete_body(ID, b"[]".to_vec()).await),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(sync_body(br#"{"cards":[1]}"#.to_vec(), 10).await),
            ErrorCode::InvalidRequest
        );
    }

    #[tokio::test]
    async fn sync_counts_ids() {
        let body = br#"{"cards":[{"id":"AAAAAAAAAAAAAAAA","version":0},{"id":"aaaaaaaaaaaaaaaa","version":3}]}"#;
        assert_eq!(sync_body(body.to_vec(), 2).await.unwrap().cards.len(), 2);
        assert_eq!(
            code(sync_body(body.to_vec(), 1).await),
            ErrorCode::TooManyIds
        );
    }

    #[test]
    fn put_checks_id_size_then_signature() {
        let record = SealedRecord {
            id: CardId::from_public_key(&[9u8; 32]),
            public_key: [9u8; 32],
            version: 1,
            nonce: [0u8; 12],
            ciphertext: vec![0u8; 40],
            signature: [0u8; 64],
        };
        let other = path_id(ID).unwrap();
        assert_eq!(code(check_put(&other, &record, 100)), ErrorCode::IdMismatch);
        let own = path_id(&record.id.as_str().to_ascii_lowercase()).unwrap();
        assert_eq!(
            code(check_put(&own, &record, 39)),
            ErrorCode::RecordTooLarge
        );
        let refused = code(check_put(&own, &record, 40));
        assert!(
            matches!(refused, ErrorCode::KeyMismatch | ErrorCode::BadSignature),
            "{refused:?}"
        );
        assert_eq!(code(path_id("not an id")), ErrorCode::InvalidRequest);
        for c in CLIENT_ERROR_CODES {
            assert!((400..500).contains(&c.http_status()), "{c:?}");
        }
    }
}
