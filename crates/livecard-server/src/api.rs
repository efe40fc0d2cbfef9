//! API v1 handlers (docs/PROTOCOL.md §5).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use livecard_wire::{
    accepts_records, etag, parse_etag, CardId, DeleteResponse, ErrorCode, PutResponse,
    SealedRecord, ServerInfo, SyncRequest, SyncResponse, Tombstone, PROTOCOL, RECORDS_MEDIA_TYPE,
};

use crate::body_check::{self, path_id};
use crate::error::{ApiFailure, ApiJson};
use crate::store::{DeleteOutcome, PutOutcome, Stored};
use crate::AppState;

fn with_etag(mut resp: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// True when `If-None-Match` names `version` (or is `*`).
fn not_modified(headers: &HeaderMap, version: u64) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || parse_etag(tag) == Some(version))
}

/// True when the version cache holds every write acknowledged before now (see [`get_card`]).
async fn cache_is_current(state: &AppState) -> bool {
    match state.changes.barrier() {
        Some(barrier) if state.config.version_cache_barrier => barrier.pass().await,
        _ => true,
    }
}

/// `GET /v1/cards/{id}`.
pub async fn get_card(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let id = path_id(&id)?;
    if headers.contains_key(header::IF_NONE_MATCH) {
        // The version from the cache (src/version_cache.rs), else from the database (noted in
        // the cache). Only a 304 is answered from it; everything else reads the record. On
        // PostgreSQL the cache is consulted only after a read barrier (changes.rs) sent after
        // this request arrived came back: then every write any server acknowledged before is
        // in it. A failed barrier reads the database.
        let cached = if state.versions.enabled() && cache_is_current(&state).await {
            state.versions.get(&id)
        } else {
            None
        };
        let known = match cached {
            Some(c) => {
                state.metrics.version_cache_hits.inc();
                Some((c.version, c.deleted))
            }
            None => {
                state.metrics.version_cache_misses.inc();
                let token = state.versions.fill_token();
                let info = state.store.version(&id).await?;
                if let Some(info) = info {
                    state.versions.fill(token, &id, info.version, info.deleted);
                }
                info.map(|i| (i.version, i.deleted))
            }
        };
        if let Some((version, false)) = known {
            if not_modified(&headers, version) {
                return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), version));
            }
        }
    }
    match state.store.get(&id).await? {
        None => Err(ApiFailure::new(
            ErrorCode::NotFound,
            format!("no card {id}"),
        )),
        Some(Stored::Deleted(t)) => Err(ApiFailure::gone(t)),
        Some(Stored::Live(r)) => {
            let version = r.version;
            Ok(with_etag(Json(r).into_response(), version))
        }
    }
}

/// `PUT /v1/cards/{id}`.
pub async fn put_card(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(record): ApiJson<SealedRecord>,
) -> Result<Response, ApiFailure> {
    let id = path_id(&id)?;
    body_check::check_put(&id, &record, state.config.max_ciphertext_bytes)?;
    let outcome = state.store.put_if_newer(&record).await?;
    let (status, created) = match outcome {
        PutOutcome::Created => (StatusCode::CREATED, true),
        PutOutcome::Updated => (StatusCode::OK, false),
        PutOutcome::Stale { current } => return Err(ApiFailure::stale(current)),
        PutOutcome::KeyMismatch => {
            return Err(ApiFailure::new(
                ErrorCode::KeyMismatch,
                "this id is stored with another public key",
            ))
        }
        PutOutcome::Gone(t) => return Err(ApiFailure::gone(t)),
    };
    state.versions.note(&record.id, record.version, false);
    tracing::debug!(id = %record.id, version = record.version, created, "stored record");
    let body = PutResponse {
        id: record.id,
        version: record.version,
        created,
    };
    Ok(with_etag(
        (status, Json(body)).into_response(),
        record.version,
    ))
}

/// `DELETE /v1/cards/{id}` with a signed tombstone.
pub async fn delete_card(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(tombstone): ApiJson<Tombstone>,
) -> Result<Response, ApiFailure> {
    let id = path_id(&id)?;
    body_check::check_delete(&id, &tombstone)?;
    match state.store.delete(&tombstone).await? {
        DeleteOutcome::Deleted => {
            state.versions.note(&tombstone.id, tombstone.version, true);
            Ok(Json(DeleteResponse {
                id: tombstone.id,
                version: tombstone.version,
                deleted: true,
            })
            .into_response())
        }
        DeleteOutcome::NotFound => Err(ApiFailure::new(
            ErrorCode::NotFound,
            format!("no card {id}"),
        )),
        DeleteOutcome::Stale { current } => Err(ApiFailure::stale(current)),
        DeleteOutcome::KeyMismatch => Err(ApiFailure::new(
            ErrorCode::KeyMismatch,
            "this id is stored with another public key",
        )),
        DeleteOutcome::AlreadyGone(t) => Err(ApiFailure::gone(t)),
    }
}

/// `POST /v1/sync`: one query for all versions, one for the changed rows. The answer is JSON,
/// or the binary records answer (`livecard_wire::records`) when `Accept` asks for it.
pub async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SyncRequest>,
) -> Result<Response, ApiFailure> {
    let binary = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(accepts_records);
    let response = sync_answer(&state, request).await?;
    let mut resp = if binary {
        (
            [(header::CONTENT_TYPE, RECORDS_MEDIA_TYPE)],
            response.to_records(),
        )
            .into_response()
    } else {
        Json(response).into_response()
    };
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(resp)
}

async fn sync_answer(state: &AppState, request: SyncRequest) -> Result<SyncResponse, ApiFailure> {
    body_check::check_sync(&request, state.config.max_sync_ids)?;
    state.metrics.sync_ids.inc_by(request.cards.len() as u64);
    // Sorted by id, duplicates answered once with the highest version the client claims. The
    // stores answer by position, so every list below comes out in id order without a map.
    let mut items = request.cards;
    items.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    items.dedup_by(|next, kept| {
        let same = next.id == kept.id;
        if same {
            kept.version = kept.version.max(next.version);
        }
        same
    });
    let (ids, held): (Vec<CardId>, Vec<u64>) = items.into_iter().map(|i| (i.id, i.version)).unzip();
    let stored = state.store.versions_each(&ids).await?;

    let mut response = SyncResponse::default();
    let mut fetch: Vec<CardId> = Vec::new();
    let mut budget = state.config.sync_response_bytes as u64;
    let mut changed = 0usize;
    for ((id, held), info) in ids.iter().zip(held).zip(stored) {
        match info {
            None => response.unknown.push(id.clone()),
            Some(info) if info.deleted => fetch.push(id.clone()),
            Some(info) if info.version > held => {
                if changed > 0 && info.bytes > budget {
                    response.truncated = true;
                    continue;
                }
                budget = budget.saturating_sub(info.bytes);
                changed += 1;
                fetch.push(id.clone());
            }
            Some(_) => {}
        }
    }
    for item in state.store.get_each(&fetch).await?.into_iter().flatten() {
        match item {
            Stored::Live(r) => {
                // A write may have landed between the two queries: still newer, still wanted.
                response.changed.push(r);
            }
            Stored::Deleted(t) => response.gone.push(t),
        }
    }
    state
        .metrics
        .sync_changed
        .inc_by(response.changed.len() as u64);
    Ok(response)
}

/// `GET /v1/info`.
pub async fn info(State(state): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        protocol: PROTOCOL.to_string(),
        public_url: state.config.public_url.clone(),
        max_ciphertext_bytes: state.config.max_ciphertext_bytes,
        max_body_bytes: state.config.max_body_bytes,
        max_sync_ids: state.config.max_sync_ids,
    })
}

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiFailure> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(serde_json::json!({
            "status": "ok",
            "backend": state.store.backend(),
        }))
        .into_response()),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            Err(ApiFailure::new(
                ErrorCode::Unavailable,
                "the database is unavailable",
            ))
        }
    }
}
