//! The accept loop: connection caps and timeouts in front of the router (docs/PROTOCOL.md §6,
//! docs/THREAT_MODEL.md "Slow and many connections").
//!
//! - At most [`ConnLimits::max_connections`] open connections in all and
//!   [`ConnLimits::max_connections_per_ip`] per client address. One more is answered at once
//!   with `503 too_many_connections` (JSON, `Connection: close`) and closed — never queued.
//! - A connection must send a complete request header within
//!   [`ConnLimits::header_timeout`] of being accepted (a silent or dribbling client is closed
//!   then), and may sit idle between requests for at most [`ConnLimits::idle_timeout`]. "Idle"
//!   means: no request in progress and no response bytes written — a client that stops reading
//!   its answer is closed too. A request in progress is bounded by the request timeout.
//! - Shutdown: stop accepting, let every connection finish the request in progress, then return.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use livecard_wire::{ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// Connection limits of [`crate::serve`].
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections from one client IP address.
    pub max_connections_per_ip: usize,
    /// Time from accept (or from the end of the previous answer) to a complete request header.
    pub header_timeout: Duration,
    /// Time a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 1024,
            max_connections_per_ip: 64,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// Refusals written by the accept loop at once; more excess connections are just closed.
const REFUSALS_IN_FLIGHT: usize = 64;
/// Longest a refusal may take to write and drain.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Open connections, in all and per address.
#[derive(Default)]
struct Tracker {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open connection's place in the [`Tracker`]; released when dropped.
struct Slot {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Tracker {
    fn acquire(self: &Arc<Self>, ip: IpAddr, limits: &ConnLimits) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        let mine = per_ip.get(&ip).copied().unwrap_or(0);
        if *total >= limits.max_connections || mine >= limits.max_connections_per_ip {
            return None;
        }
        *total += 1;
        per_ip.insert(ip, mine + 1);
        Some(Slot {
            tracker: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.tracker.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// What the idle watchdog of one connection looks at.
struct Activity {
    start: Instant,
    /// Milliseconds since `start` of the last progress (accept, response bytes written,
    /// request finished).
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    requests: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When the connection is to be closed if nothing happens, or `None` while a request is
    /// in progress.
    fn deadline(&self, limits: &ConnLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let limit = if self.requests.load(Ordering::Relaxed) == 0 {
            limits.header_timeout
        } else {
            limits.idle_timeout
        };
        Some(self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + limit)
    }
}

/// Counts a request in progress; on drop, the request is over.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        a.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The TCP stream, noting every write that makes progress.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            if *n > 0 {
                self.activity.touch();
            }
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Accepts on `listener` until `shutdown` completes, then waits for open connections to finish
/// their request in progress.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let tracker = Arc::new(Tracker::default());
    let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    let (close_tx, close_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // EMFILE/ENFILE and the like: wait a moment rather than spin.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        match tracker.acquire(peer.ip(), &limits) {
            Some(slot) => {
                let router = router.clone();
                let limits = limits.clone();
                let close = close_rx.clone();
                tokio::spawn(serve_connection(stream, peer, router, limits, slot, close));
            }
            None => {
                tracing::debug!(%peer, "connection refused: too many open connections");
                if let Ok(permit) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    drop(close_rx);
    let _ = close_tx.send(());
    close_tx.closed().await;
    Ok(())
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The whole answer to a connection over the caps.
fn refusal_bytes() -> Vec<u8> {
    let body = serde_json::to_string(&ErrorBody::new(
        ErrorCode::TooManyConnections,
        "too many open connections; retry in a moment",
    ))
    .unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers `503 too_many_connections` without reading the request, then drains what the
/// client sent (so the close is a FIN, not a reset that could destroy the answer) and closes.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        stream.write_all(&refusal_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut left = 64 * 1024usize;
        while left > 0 {
            let n = stream.read(&mut sink).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<(), io::Error>(())
    })
    .await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnLimits,
    _slot: Slot,
    mut close: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        io: stream,
        activity: activity.clone(),
    });
    let svc_activity = activity.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let guard = InFlight::new(svc_activity.clone());
        let router = router.clone();
        async move {
            let resp = router.oneshot(req).await;
            drop(guard);
            resp
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header and idle timeouts are the watchdog's below (hyper's header_read_timeout
    // would also cut keep-alive waits to the header timeout).
    builder.keep_alive(true);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let deadline = activity.deadline(&limits);
        // While a request is in progress, look again after a header timeout.
        let wake = deadline.unwrap_or_else(|| Instant::now() + limits.header_timeout);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(%peer, "closing idle connection");
                    return;
                }
            }
            _ = close.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_address_and_in_all_and_release_on_drop() {
        let limits = ConnLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..ConnLimits::default()
        };
        let t = Arc::new(Tracker::default());
        let a: IpAddr = [127, 0, 0, 2].into();
        let b: IpAddr = [127, 0, 0, 3].into();
        let a1 = t.acquire(a, &limits).expect("first");
        let _a2 = t.acquire(a, &limits).expect("second");
        assert!(t.acquire(a, &limits).is_none(), "third from one address");
        let _b1 = t.acquire(b, &limits).expect("other address");
        assert!(t.acquire(b, &limits).is_none(), "total reached");
        drop(a1);
        assert!(t.acquire(b, &limits).is_some(), "a slot came back");
    }

    #[test]
    fn the_refusal_is_a_complete_json_answer() {
        let bytes = refusal_bytes();
        let text = String::from_utf8(bytes).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let parsed: ErrorBody = livecard_wire::from_json(body.as_bytes()).expect("json");
        assert_eq!(parsed.error.code, ErrorCode::TooManyConnections);
    }
}
