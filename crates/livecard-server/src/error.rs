//! Every refusal as `{"error": {"code", "message"}}` (docs/PROTOCOL.md §5).

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use livecard_wire::{
    self as wire, ApiError, ErrorBody, ErrorCode, JsonError, RecordError, Tombstone,
};
use serde::de::DeserializeOwned;

use crate::store::StoreError;

/// A refusal, answered as JSON with the code's HTTP status.
#[derive(Debug)]
pub struct ApiFailure {
    pub body: Box<ErrorBody>,
    /// Extra `Retry-After` header (rate limiting).
    pub retry_after: Option<u64>,
    /// Another status than the code's usual one (`too_many_streams` is 429 per address but
    /// 503 when the server's total is reached).
    pub status: Option<StatusCode>,
}

impl ApiFailure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            body: Box::new(ErrorBody::new(code, message)),
            retry_after: None,
            status: None,
        }
    }

    pub fn stale(current: u64) -> ApiFailure {
        let mut f = ApiFailure::new(
            ErrorCode::StaleVersion,
            format!("version must be higher than the stored version {current}"),
        );
        f.body.error.current_version = Some(current);
        f
    }

    pub fn gone(tombstone: Tombstone) -> ApiFailure {
        let mut f = ApiFailure::new(ErrorCode::Gone, "this card was deleted by its owner");
        f.body.tombstone = Some(tombstone);
        f
    }

    pub fn record(e: &RecordError) -> ApiFailure {
        ApiFailure::new(ErrorCode::for_record_error(e), e.to_string())
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> ApiFailure {
        if e.is_full() {
            tracing::error!(error = %e, "disk full");
            ApiFailure::new(
                ErrorCode::InsufficientStorage,
                "the server's disk is full; nothing was stored, retry later",
            )
        } else if e.is_unavailable() {
            tracing::error!(error = %e, "database unavailable");
            ApiFailure::new(
                ErrorCode::Unavailable,
                "the database is unavailable, retry later",
            )
        } else {
            tracing::error!(error = %e, "store error");
            ApiFailure::new(ErrorCode::Internal, "internal error")
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.body.error.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        let mut resp = (status, Json(*self.body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A JSON body parsed by the one wire parser ([`wire::from_json`]: objects only, unknown
/// members refused, unpadded base64url), after checking `Content-Type` is exactly
/// `application/json` (optionally `; charset=utf-8`). Rejections are [`ApiFailure`]s.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(wire::is_json_media_type);
        if !json {
            return Err(ApiFailure::new(
                ErrorCode::UnsupportedMediaType,
                "Content-Type must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        match wire::from_json::<T>(&bytes) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e @ JsonError::Syntax(_)) => {
                Err(ApiFailure::new(ErrorCode::MalformedJson, e.to_string()))
            }
            Err(e @ JsonError::Shape(_)) => {
                Err(ApiFailure::new(ErrorCode::InvalidRequest, e.to_string()))
            }
        }
    }
}

fn bytes_rejection(rejection: BytesRejection) -> ApiFailure {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiFailure::new(ErrorCode::BodyTooLarge, "request body is too large")
    } else if rejection.status() == StatusCode::REQUEST_TIMEOUT {
        ApiFailure::new(ErrorCode::Timeout, "the request took too long")
    } else {
        ApiFailure::new(
            ErrorCode::InvalidRequest,
            "the request body could not be read",
        )
    }
}

/// Middleware: turns error responses made by layers and axum itself (empty or plain-text
/// bodies: 404 no route, 405, 408 timeout, 413 body limit, …) into the JSON error shape.
/// Responses that already have a content type other than text/plain (JSON errors, the share
/// page's HTML) pass unchanged.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let plain = match resp.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(ct) => ct
            .to_str()
            .map(|s| s.starts_with("text/plain"))
            .unwrap_or(true),
    };
    if !plain {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NoSuchRoute, "no such endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::MethodNotAllowed, "method not allowed here"),
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::BodyTooLarge, "request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests, slow down"),
        StatusCode::SERVICE_UNAVAILABLE => (ErrorCode::Unavailable, "service unavailable"),
        s if s.is_server_error() => (ErrorCode::Internal, "internal error"),
        _ => (ErrorCode::InvalidRequest, "invalid request"),
    };
    let (mut parts, _) = resp.into_parts();
    let body = ErrorBody {
        error: ApiError {
            code,
            message: message.to_string(),
            current_version: None,
        },
        tombstone: None,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
