//! The HTTP client of protocol v1 (docs/PROTOCOL.md §5): reqwest with rustls, timeouts, and
//! errors that say whether the server was unreachable (offline) or refused something.

use std::time::Duration;

use livecard_format::wire::{
    self, CardId, ErrorBody, ErrorCode, InboxAccepted, InboxRegister, InboxRegistered, InboxSend,
    InboxTake, InboxTakeResponse, PutResponse, SealedRecord, ServerInfo, SyncRequest, SyncResponse,
    Tombstone,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};

use crate::error::{CoreError, Result};

/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request may take (a 10,000-card sync answer included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may stay silent in the middle of an answer (a server that hangs
/// mid-body is given up on after this, not after the whole request timeout).
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest server message kept in an error (a hostile server's text is cut).
const MAX_SERVER_MESSAGE_CHARS: usize = 200;

/// A new HTTP client (rustls, timeouts). Keep one per [`crate::Core`]: its connection pool
/// belongs to the async runtime that uses it.
pub fn new_client() -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .user_agent(concat!("livecard/", env!("CARGO_PKG_VERSION")));
    // Android: reqwest's default (rustls-platform-verifier) must first be initialised from the
    // JVM with its own Android library; the bundled Mozilla roots need neither.
    #[cfg(target_os = "android")]
    let builder = builder.tls_certs_only(bundled_roots());
    builder
        .build()
        .map_err(|e| CoreError::Offline(format!("cannot start the HTTP client: {e}")))
}

/// Mozilla's trusted root certificates (`webpki-root-certs`) as reqwest certificates: what the
/// client trusts on Android. A certificate that does not parse is left out.
pub fn bundled_roots() -> Vec<reqwest::Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok())
        .collect()
}

/// A server at `base` (e.g. `https://livecard.example`).
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

/// What `GET /v1/cards/{id}` answered.
#[derive(Debug, Clone)]
pub enum Fetched {
    Record(Box<SealedRecord>),
    NotModified,
    Gone(Box<Tombstone>),
    NotFound,
}

/// Why a write was refused in a way the caller handles.
#[derive(Debug)]
pub enum WriteError {
    /// 409: the server holds `current`.
    Stale {
        current: u64,
    },
    /// 410: the card was deleted.
    Gone(Option<Box<Tombstone>>),
    Other(CoreError),
}

impl From<CoreError> for WriteError {
    fn from(e: CoreError) -> Self {
        WriteError::Other(e)
    }
}

impl Api {
    pub fn new(http: &reqwest::Client, base: &str) -> Result<Api> {
        let base = base.trim().trim_end_matches('/').to_string();
        let u = url_ok(&base)?;
        Ok(Api {
            base: u,
            http: http.clone(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn net_err(&self, e: reqwest::Error) -> CoreError {
        let why = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection failed".to_string()
        } else {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(x) = src {
                s.push_str(": ");
                s.push_str(&x.to_string());
                src = x.source();
            }
            s
        };
        CoreError::Offline(format!("server {} not reachable ({why})", self.base))
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
        let resp = req.send().await.map_err(|e| self.net_err(e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.net_err(e))?;
        Ok((status, headers, body.to_vec()))
    }

    fn refusal(&self, status: StatusCode, body: &[u8]) -> (Option<ErrorBody>, CoreError) {
        match wire::from_json::<ErrorBody>(body) {
            Ok(b) => {
                let e = CoreError::Server {
                    code: b.error.code.as_str().to_string(),
                    message: b
                        .error
                        .message
                        .chars()
                        .take(MAX_SERVER_MESSAGE_CHARS)
                        .collect(),
                };
                (Some(b), e)
            }
            Err(_) => (
                None,
                CoreError::Server {
                    code: format!("http_{}", status.as_u16()),
                    message: format!(
                        "{} answered {status} with a body that is not a livecard error",
                        self.base
                    ),
                },
            ),
        }
    }

    /// A success answer through the one wire parser ([`wire::from_json`]), after checking it
    /// says it is JSON.
    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<T> {
        let json = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(wire::is_json_media_type);
        if !json {
            return Err(CoreError::Server {
                code: "bad_answer".into(),
                message: format!("{} sent a {what} that is not JSON", self.base),
            });
        }
        wire::from_json(body).map_err(|e| CoreError::Server {
            code: "bad_answer".into(),
            message: format!("{} sent a malformed {what}: {e}", self.base),
        })
    }

    /// `GET /v1/info`.
    pub async fn info(&self) -> Result<ServerInfo> {
        let (st, headers, body) = self.send(self.http.get(self.url(wire::INFO_PATH))).await?;
        if !st.is_success() {
            return Err(self.refusal(st, &body).1);
        }
        self.decode("server info", &headers, &body)
    }

    /// `PUT /v1/cards/{id}`.
    pub async fn put(&self, record: &SealedRecord) -> std::result::Result<PutResponse, WriteError> {
        let body =
            serde_json::to_vec(record).map_err(|e| CoreError::corrupt(record.id.as_str(), e))?;
        let (st, headers, body) = self
            .send(
                self.http
                    .put(self.url(&wire::card_path(&record.id)))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await?;
        if st.is_success() {
            return Ok(self.decode("publish answer", &headers, &body)?);
        }
        Err(self.write_refusal(st, &body))
    }

    fn write_refusal(&self, st: StatusCode, body: &[u8]) -> WriteError {
        let (b, e) = self.refusal(st, body);
        match b {
            Some(b) if b.error.code == ErrorCode::StaleVersion => WriteError::Stale {
                current: b.error.current_version.unwrap_or(0),
            },
            Some(b) if b.error.code == ErrorCode::Gone => {
                WriteError::Gone(b.tombstone.map(Box::new))
            }
            _ => WriteError::Other(e),
        }
    }

    /// `DELETE /v1/cards/{id}` with a signed tombstone.
    pub async fn delete(&self, t: &Tombstone) -> std::result::Result<(), WriteError> {
        let body = serde_json::to_vec(t).map_err(|e| CoreError::corrupt(t.id.as_str(), e))?;
        let (st, _, body) = self
            .send(
                self.http
                    .delete(self.url(&wire::card_path(&t.id)))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await?;
        if st.is_success() {
            return Ok(());
        }
        Err(self.write_refusal(st, &body))
    }

    /// `GET /v1/cards/{id}`, conditional when `have` is the version we hold.
    pub async fn get(&self, id: &CardId, have: Option<u64>) -> Result<Fetched> {
        let mut req = self.http.get(self.url(&wire::card_path(id)));
        if let Some(v) = have.filter(|v| *v > 0) {
            req = req.header(IF_NONE_MATCH, wire::etag(v));
        }
        let (st, headers, body) = self.send(req).await?;
        match st {
            StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified),
            s if s.is_success() => {
                let rec: SealedRecord = self.decode("card record", &headers, &body)?;
                if let Some(tag) = headers.get(ETAG).and_then(|v| v.to_str().ok()) {
                    if wire::parse_etag(tag).is_some_and(|v| v != rec.version) {
                        return Err(CoreError::Server {
                            code: "bad_answer".into(),
                            message: "ETag and record version differ".into(),
                        });
                    }
                }
                Ok(Fetched::Record(Box::new(rec)))
            }
            _ => {
                let (b, e) = self.refusal(st, &body);
                match b {
                    Some(b) if b.error.code == ErrorCode::NotFound => Ok(Fetched::NotFound),
                    Some(b) if b.error.code == ErrorCode::Gone => match b.tombstone {
                        Some(t) => Ok(Fetched::Gone(Box::new(t))),
                        None => Err(e),
                    },
                    _ => Err(e),
                }
            }
        }
    }

    /// `POST /v1/sync`, asking for the binary records answer (`wire::records`, PROTOCOL.md
    /// §5): about half the bytes of JSON. A server that answers JSON anyway (an older one) is
    /// read as JSON; one that refuses the `Accept` (406, or 415 from a proxy) is asked again
    /// for JSON alone.
    pub async fn sync(&self, req: &SyncRequest) -> Result<SyncResponse> {
        let accept = format!("{}, application/json;q=0.5", wire::RECORDS_MEDIA_TYPE);
        let (st, headers, answer) = self
            .send_json(
                Method::POST,
                wire::SYNC_PATH,
                req,
                "sync request",
                Some(&accept),
            )
            .await?;
        if st == StatusCode::NOT_ACCEPTABLE || st == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return self
                .json_call(
                    Method::POST,
                    wire::SYNC_PATH,
                    req,
                    "sync request",
                    "sync answer",
                )
                .await;
        }
        if !st.is_success() {
            return Err(self.refusal(st, &answer).1);
        }
        let binary = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(wire::is_records_media_type);
        if !binary {
            return self.decode("sync answer", &headers, &answer);
        }
        SyncResponse::from_records(&answer).map_err(|e| CoreError::Server {
            code: "bad_answer".into(),
            message: format!("{} sent a malformed sync answer: {e}", self.base),
        })
    }

    /// Sends `body` as JSON to `path` (with `Accept: accept` when given); the raw answer.
    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &impl serde::Serialize,
        request: &str,
        accept: Option<&str>,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
        let body = serde_json::to_vec(body).map_err(|e| CoreError::corrupt(request, e))?;
        let mut req = self
            .http
            .request(method, self.url(path))
            .header(CONTENT_TYPE, "application/json");
        if let Some(accept) = accept {
            req = req.header(ACCEPT, accept);
        }
        self.send(req.body(body)).await
    }

    /// Sends `body` as JSON to `path`; a refusal becomes its error, an answer is parsed strictly.
    async fn json_call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &impl serde::Serialize,
        request: &str,
        answer: &str,
    ) -> Result<T> {
        let (st, headers, body) = self.send_json(method, path, body, request, None).await?;
        if !st.is_success() {
            return Err(self.refusal(st, &body).1);
        }
        self.decode(answer, &headers, &body)
    }
}

/// Inbox and watch requests (issue 16, docs/PROTOCOL.md §6).
impl Api {
    /// `PUT /v1/cards/{id}/inbox`: registers the card's inbox key id.
    pub async fn inbox_register(&self, reg: &InboxRegister) -> Result<InboxRegistered> {
        self.json_call(
            Method::PUT,
            &wire::inbox_path(&reg.id),
            reg,
            "inbox register",
            "inbox registration answer",
        )
        .await
    }

    /// `POST /v1/cards/{id}/inbox`: one sealed message to the owner of `id`.
    pub async fn inbox_send(&self, id: &CardId, msg: &InboxSend) -> Result<InboxAccepted> {
        self.json_call(
            Method::POST,
            &wire::inbox_path(id),
            msg,
            "inbox message",
            "inbox answer",
        )
        .await
    }

    /// `POST /v1/cards/{id}/inbox/take`: acks and fetches pending messages.
    pub async fn inbox_take(&self, take: &InboxTake) -> Result<InboxTakeResponse> {
        self.json_call(
            Method::POST,
            &wire::inbox_take_path(&take.id),
            take,
            "inbox take",
            "inbox take answer",
        )
        .await
    }

    /// `POST /v1/watch` on `stream_client` (no whole-request timeout): the open response of a
    /// `text/event-stream`, or the server's refusal.
    pub async fn watch_open(
        &self,
        stream_client: &reqwest::Client,
        req: &wire::WatchRequest,
    ) -> Result<reqwest::Response> {
        let body = serde_json::to_vec(req).map_err(|e| CoreError::corrupt("watch request", e))?;
        let resp = stream_client
            .post(self.url(wire::WATCH_PATH))
            .header(CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| self.net_err(e))?;
        let st = resp.status();
        if !st.is_success() {
            let body = resp.bytes().await.map_err(|e| self.net_err(e))?;
            return Err(self.refusal(st, &body).1);
        }
        let sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("text/event-stream")
            });
        if !sse {
            return Err(CoreError::Server {
                code: "bad_answer".into(),
                message: format!(
                    "{} answered the watch request without an event stream",
                    self.base
                ),
            });
        }
        Ok(resp)
    }

    /// A network error of a stream read, in this server's words.
    pub fn stream_error(&self, e: reqwest::Error) -> CoreError {
        self.net_err(e)
    }
}

/// The HTTP client of watch streams: like [`new_client`] but without the whole-request timeout
/// (a stream stays open for up to an hour); the reader times out silence itself (heartbeats).
pub fn new_stream_client() -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("livecard/", env!("CARGO_PKG_VERSION")));
    #[cfg(target_os = "android")]
    let builder = builder.tls_certs_only(bundled_roots());
    builder
        .build()
        .map_err(|e| CoreError::Offline(format!("cannot start the HTTP client: {e}")))
}

fn url_ok(base: &str) -> Result<String> {
    let lower = base.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || base.len() < 10 {
        return Err(CoreError::InvalidInput(format!(
            "server URL {base:?} must start with https:// (or http://)"
        )));
    }
    Ok(base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_android_trust_store_is_complete_and_a_client_builds_with_it() {
        let roots = bundled_roots();
        // Every bundled certificate parses (Mozilla's list has well over 100 roots).
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(roots.len() > 100, "{} roots", roots.len());
        // The Android client: the same builder with only these roots.
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tls_certs_only(roots)
            .build()
            .expect("a client trusting only the bundled roots");
        new_client().expect("the default client");
    }
}
