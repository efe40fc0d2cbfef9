//! Inbox endpoints of two-way exchange (issue 16, docs/PROTOCOL.md §6): the owner registers
//! an inbox key id (signed with the card key), anyone holding the card posts sealed messages
//! for it, the owner takes them (signed, with acks). The server sees only ids, epochs, key ids,
//! sealed bytes, sizes, hashes and times — never what a message says or who sent it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use livecard_wire::{
    b64url_encode, check_sealed_message, CardId, ErrorCode, InboxAccepted, InboxMessage,
    InboxRegister, InboxRegistered, InboxSend, InboxTake, InboxTakeResponse, RecordError,
    DEFAULT_INBOX_TTL_DAYS, DEFAULT_MAX_INBOX_PENDING, MAX_CLOCK_SKEW_SECS, MAX_MSG_ID_CHARS,
    MAX_TAKE_MESSAGES, MAX_VERSION,
};
use sha2::{Digest, Sha256};

use crate::body_check::path_id;
use crate::error::{ApiFailure, ApiJson};
use crate::store::{NewMessage, RegisterOutcome, SendOutcome, Stored};
use crate::AppState;

/// Most message ids one take may acknowledge.
pub const MAX_ACKS: usize = 1_000;

/// Limits of the inbox.
#[derive(Debug, Clone)]
pub struct InboxLimits {
    /// Time a message waits before it is dropped.
    pub ttl: Duration,
    /// Pending messages per card.
    pub max_pending: usize,
}

impl Default for InboxLimits {
    fn default() -> Self {
        InboxLimits {
            ttl: Duration::from_secs(DEFAULT_INBOX_TTL_DAYS * 86_400),
            max_pending: DEFAULT_MAX_INBOX_PENDING,
        }
    }
}

/// Counters for /metrics.
#[derive(Debug, Default)]
pub struct InboxStats {
    pub registered: AtomicU64,
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
    pub taken: AtomicU64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The server's id of a message: base64url of the first 16 bytes of SHA-256(sealed). The same
/// bytes delivered twice get the same id, which is how a replay is refused.
pub fn message_id(sealed: &[u8]) -> String {
    b64url_encode(&Sha256::digest(sealed)[..16])
}

fn id_mismatch(path: &CardId, body: &CardId) -> ApiFailure {
    ApiFailure::new(
        ErrorCode::IdMismatch,
        format!("path id {path} differs from body id {body}"),
    )
}

fn bad_signature(e: &RecordError) -> ApiFailure {
    ApiFailure::new(ErrorCode::BadSignature, e.to_string())
}

/// The public key of a published, not deleted card.
async fn card_key(state: &AppState, id: &CardId) -> Result<[u8; 32], ApiFailure> {
    match state.store.get(id).await? {
        Some(Stored::Live(r)) => Ok(r.public_key),
        Some(Stored::Deleted(t)) => Err(ApiFailure::gone(t)),
        None => Err(ApiFailure::new(
            ErrorCode::NotFound,
            format!("no card {id}"),
        )),
    }
}

/// `PUT /v1/cards/{id}/inbox` (owner): register the inbox key id for an epoch.
pub async fn register(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InboxRegister>,
) -> Result<Json<InboxRegistered>, ApiFailure> {
    let id = path_id(&id)?;
    if body.id != id {
        return Err(id_mismatch(&id, &body.id));
    }
    if body.epoch > MAX_VERSION {
        return Err(ApiFailure::new(
            ErrorCode::InvalidVersion,
            format!("epoch {} out of range 0..={MAX_VERSION}", body.epoch),
        ));
    }
    let key = card_key(&state, &id).await?;
    body.verify(&key).map_err(|e| bad_signature(&e))?;
    match state
        .store
        .inbox_register(&id, body.epoch, &body.key_id)
        .await?
    {
        RegisterOutcome::Registered => {
            state.inbox_stats.registered.fetch_add(1, Ordering::Relaxed);
            Ok(Json(InboxRegistered {
                id,
                epoch: body.epoch,
            }))
        }
        RegisterOutcome::Stale { current } => {
            let mut f = ApiFailure::stale(current);
            f.body.error.message =
                format!("epoch must be higher than the registered epoch {current}");
            Err(f)
        }
    }
}

/// `POST /v1/cards/{id}/inbox` (anyone holding the card): store one sealed message.
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InboxSend>,
) -> Result<Response, ApiFailure> {
    let id = path_id(&id)?;
    let refused = |f: ApiFailure| {
        state.inbox_stats.refused.fetch_add(1, Ordering::Relaxed);
        f
    };
    check_sealed_message(&body.sealed).map_err(|e| {
        refused(match e {
            RecordError::TooLarge { .. } => {
                ApiFailure::new(ErrorCode::MessageTooLarge, e.to_string())
            }
            _ => ApiFailure::new(ErrorCode::InvalidRequest, e.to_string()),
        })
    })?;
    // A deleted or unknown card has no inbox (whatever was registered before).
    match state.store.version(&id).await? {
        Some(info) if !info.deleted => {}
        _ => {
            return Err(refused(ApiFailure::new(
                ErrorCode::NotFound,
                format!("no inbox for card {id}"),
            )))
        }
    }
    let limits = &state.config.inbox;
    let now = now_secs();
    let expires = now.saturating_add(limits.ttl.as_secs());
    let msg_id = message_id(&body.sealed);
    let message = NewMessage {
        msg_id: &msg_id,
        key_id: &body.key_id,
        sealed: &body.sealed,
        received: now,
        expires,
    };
    let outcome = state
        .store
        .inbox_send(&id, message, limits.max_pending)
        .await?;
    let failure = match outcome {
        SendOutcome::Accepted => {
            state.inbox_stats.accepted.fetch_add(1, Ordering::Relaxed);
            let body = InboxAccepted {
                accepted: true,
                expires,
            };
            return Ok((StatusCode::CREATED, Json(body)).into_response());
        }
        SendOutcome::NoInbox => {
            ApiFailure::new(ErrorCode::NotFound, format!("no inbox for card {id}"))
        }
        SendOutcome::KeyRotated => ApiFailure::new(
            ErrorCode::InboxKeyRotated,
            "the card's inbox key changed; fetch the card again and reseal",
        ),
        SendOutcome::Duplicate => ApiFailure::new(
            ErrorCode::DuplicateMessage,
            "this message was delivered before",
        ),
        SendOutcome::Full => ApiFailure::new(
            ErrorCode::InboxFull,
            format!(
                "this card's inbox holds {} messages; retry after its owner fetched them",
                limits.max_pending
            ),
        ),
    };
    Err(refused(failure))
}

/// `POST /v1/cards/{id}/inbox/take` (owner): ack what was stored, get what is pending.
pub async fn take(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InboxTake>,
) -> Result<Json<InboxTakeResponse>, ApiFailure> {
    let id = path_id(&id)?;
    if body.id != id {
        return Err(id_mismatch(&id, &body.id));
    }
    if body.ack.len() > MAX_ACKS {
        return Err(ApiFailure::new(
            ErrorCode::InvalidRequest,
            format!(
                "{} acks in one take; the limit is {MAX_ACKS}",
                body.ack.len()
            ),
        ));
    }
    if body
        .ack
        .iter()
        .any(|m| m.is_empty() || m.len() > MAX_MSG_ID_CHARS || !m.is_ascii())
    {
        return Err(ApiFailure::new(
            ErrorCode::InvalidRequest,
            format!("a message id is 1 to {MAX_MSG_ID_CHARS} ASCII characters"),
        ));
    }
    let now = now_secs();
    if now.abs_diff(body.time) > MAX_CLOCK_SKEW_SECS {
        return Err(ApiFailure::new(
            ErrorCode::ClockSkew,
            format!(
                "the signed time is {} s from the server's clock (at most {MAX_CLOCK_SKEW_SECS} s); check the device clock",
                now.abs_diff(body.time)
            ),
        ));
    }
    let key = card_key(&state, &id).await?;
    body.verify(&key).map_err(|e| bad_signature(&e))?;
    let (pending, truncated) = state
        .store
        .inbox_take(&id, &body.ack, MAX_TAKE_MESSAGES, now)
        .await?;
    state
        .inbox_stats
        .taken
        .fetch_add(body.ack.len() as u64, Ordering::Relaxed);
    Ok(Json(InboxTakeResponse {
        messages: pending
            .into_iter()
            .map(|m| InboxMessage {
                msg_id: m.msg_id,
                received: m.received,
                key_id: m.key_id,
                sealed: m.sealed,
            })
            .collect(),
        truncated,
    }))
}

/// Drops expired messages every `every` until `stop` changes (serve_state runs it).
pub(crate) async fn expire_loop(
    store: std::sync::Arc<dyn crate::Store>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => match store.inbox_expire(now_secs()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(dropped = n, "expired inbox messages"),
                Err(e) => tracing::warn!(error = %e, "inbox expiry failed; retrying later"),
            },
            _ = stop.changed() => break,
        }
    }
}
