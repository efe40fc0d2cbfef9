//! The core's batch sync over the binary records answer (PROTOCOL.md §5 "Binary sync answer"):
//! a real livecard-server in-process behind a small recording HTTP proxy on 127.0.0.1, which
//! can also play an old server (drops `Accept`: JSON), a server that refuses the type (406),
//! or a broken one (a cut binary answer).

use std::path::Path;
use std::sync::{Arc, Mutex};

use livecard_core::{Core, Edit};
use livecard_format::wire::{SyncResponse, RECORDS_MEDIA_TYPE};
use livecard_format::Field;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;
use common::{device, Server};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Forward as is.
    Pass,
    /// Forward sync requests without `Accept` (what an old server answers: JSON).
    OldServer,
    /// Answer 406 to a sync request that asks for the records type.
    Refuse406,
    /// Forward, then cut the binary sync answer in the middle of its first record.
    CutBinary,
}

/// One request the proxy saw: (method + path, Accept, answer's status, answer's Content-Type).
type Seen = (String, String, u16, String);

struct Proxy {
    url: String,
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mode = Arc::new(Mutex::new(Mode::Pass));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (m, s) = (mode.clone(), seen.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while let Ok((conn, _)) = listener.accept().await {
                let (http, m, s, up) = (http.clone(), m.clone(), s.clone(), upstream.clone());
                tokio::spawn(async move { serve(conn, http, up, m, s).await });
            }
        });
        Proxy { url, mode, seen }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn syncs(&self) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.0 == "POST /v1/sync")
            .cloned()
            .collect()
    }
}

/// Serves the requests of one client connection (keep-alive) one after the other.
async fn serve(
    mut conn: tokio::net::TcpStream,
    http: reqwest::Client,
    upstream: String,
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    let mut buf = Vec::new();
    loop {
        // Read one request: head, then Content-Length bytes of body.
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let mut chunk = [0u8; 8192];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut lines = head.lines();
        let first = lines.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap_or(0);
        while buf.len() < end + 4 + len {
            let mut chunk = [0u8; 8192];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[end + 4..end + 4 + len].to_vec();
        buf.drain(..end + 4 + len);
        let mut parts = first.split(' ');
        let (method, path) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        let accept = header("accept");
        let is_sync = method == "POST" && path == "/v1/sync";
        let mode = *mode.lock().unwrap();

        let (status, ctype, etag, mut answer) =
            if is_sync && mode == Mode::Refuse406 && accept.contains(RECORDS_MEDIA_TYPE) {
                (
                    406,
                    "application/json".to_string(),
                    String::new(),
                    br#"{"error":{"code":"invalid_request","message":"not acceptable"}}"#.to_vec(),
                )
            } else {
                let mut req =
                    http.request(method.parse().expect("method"), format!("{upstream}{path}"));
                for name in ["content-type", "if-none-match"] {
                    let v = header(name);
                    if !v.is_empty() {
                        req = req.header(name, v);
                    }
                }
                if !(accept.is_empty() || (is_sync && mode == Mode::OldServer)) {
                    req = req.header("accept", accept.clone());
                }
                let resp = req.body(body).send().await.expect("upstream answers");
                let h = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let (ctype, etag) = (h("content-type"), h("etag"));
                let status = resp.status().as_u16();
                let bytes = resp.bytes().await.expect("upstream body").to_vec();
                (status, ctype, etag, bytes)
            };
        if is_sync && mode == Mode::CutBinary && ctype == RECORDS_MEDIA_TYPE {
            // Magic, flags, count, record length and 20 bytes of the first record.
            answer.truncate(4 + 1 + 4 + 4 + 20);
        }
        seen.lock()
            .unwrap()
            .push((format!("{method} {path}"), accept, status, ctype.clone()));
        let mut out = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n",
            answer.len()
        );
        if !ctype.is_empty() {
            out.push_str(&format!("content-type: {ctype}\r\n"));
        }
        if !etag.is_empty() {
            out.push_str(&format!("etag: {etag}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&answer);
        if conn.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// An owner publishing on `srv` and a recipient who added the card through `proxy`.
async fn pair(dir: &Path, srv: &Server, proxy: &Proxy) -> (Core, Core, String) {
    let a = device(dir, "a", &srv.url()).await;
    a.edit_own(
        None,
        &[
            Edit::set(Field::Name, "张三丰"),
            Edit::set(Field::Mobile, "+8613800138000"),
            Edit::set(Field::Company, "武当科技"),
            Edit::set(Field::Wecom, "zsf-wecom"),
        ],
    )
    .await
    .expect("edit");
    let p = a.publish(None).await.expect("publish");
    let link = p.link.replacen(&srv.url(), &proxy.url, 1);
    let b = device(dir, "b", &proxy.url).await;
    let added = b.add_link(&link).await.expect("add through the proxy");
    (a, b, added.id)
}

async fn republish(a: &Core, title: &str) {
    a.edit_own(None, &[Edit::set(Field::Title, title)])
        .await
        .expect("edit");
    a.publish(None).await.expect("publish");
}

#[tokio::test]
async fn sync_reads_the_binary_answer() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let proxy = Proxy::start(srv.url()).await;
    let (a, b, id) = pair(dir.path(), &srv, &proxy).await;
    republish(&a, "掌门").await;

    let report = b.sync().await.expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.updated, 1);
    let card = b.get(&id).await.unwrap().card;
    assert_eq!(card.title, "掌门");
    assert_eq!(card.text(Field::Wecom), Some("zsf-wecom"));
    let syncs = proxy.syncs();
    assert_eq!(syncs.len(), 1, "{syncs:?}");
    let (_, accept, status, ctype) = &syncs[0];
    assert!(accept.starts_with(RECORDS_MEDIA_TYPE), "{accept}");
    assert_eq!((*status, ctype.as_str()), (200, RECORDS_MEDIA_TYPE));

    // Nothing changed: an empty binary answer, nothing updated.
    let report = b.sync().await.expect("sync");
    assert_eq!((report.updated, report.errors.len()), (0, 0));
}

#[tokio::test]
async fn old_servers_and_406_fall_back_to_json() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let proxy = Proxy::start(srv.url()).await;
    let (a, b, id) = pair(dir.path(), &srv, &proxy).await;

    // An old server ignores Accept and answers JSON: read as JSON.
    proxy.set(Mode::OldServer);
    republish(&a, "一").await;
    let report = b.sync().await.expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(b.get(&id).await.unwrap().card.title, "一");
    let last = proxy.syncs().last().cloned().unwrap();
    assert_eq!(last.3, "application/json");

    // A server (or proxy) that refuses the type with 406: asked again for JSON alone.
    proxy.set(Mode::Refuse406);
    let before = proxy.syncs().len();
    republish(&a, "二").await;
    let report = b.sync().await.expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(b.get(&id).await.unwrap().card.title, "二");
    let syncs = proxy.syncs();
    assert_eq!(syncs.len(), before + 2, "{syncs:?}");
    assert_eq!(syncs[before].2, 406);
    assert!(
        !syncs[before + 1].1.contains(RECORDS_MEDIA_TYPE),
        "{syncs:?}"
    );
    assert_eq!(syncs[before + 1].3, "application/json");
}

#[tokio::test]
async fn a_cut_binary_answer_is_a_clear_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let proxy = Proxy::start(srv.url()).await;
    let (a, b, id) = pair(dir.path(), &srv, &proxy).await;
    let before = b.get(&id).await.unwrap();
    republish(&a, "新职位").await;

    proxy.set(Mode::CutBinary);
    let report = b.sync().await.expect("sync itself runs");
    assert_eq!(report.updated, 0);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert!(
        e.contains("malformed sync answer") && e.contains("binary sync answer"),
        "{e}"
    );
    let after = b.get(&id).await.unwrap();
    assert_eq!(after.card, before.card, "nothing applied, nothing lost");
    assert_eq!(after.remote_version, before.remote_version);

    // The next good answer brings the change.
    proxy.set(Mode::Pass);
    let report = b.sync().await.expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(b.get(&id).await.unwrap().card.title, "新职位");
}

/// The binary answer decodes to what the JSON one says (through the core's own client).
#[tokio::test]
async fn api_sync_binary_equals_json() {
    use livecard_core::api::{new_client, Api};
    use livecard_format::wire::{SyncItem, SyncRequest};
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let proxy = Proxy::start(srv.url()).await;
    let (_a, b, id) = pair(dir.path(), &srv, &proxy).await;
    let rc = b.get(&id).await.unwrap();
    let card_id = rc.remote_id.expect("remote id").parse().expect("card id");
    let req = SyncRequest {
        cards: vec![SyncItem {
            id: card_id,
            version: 0,
        }],
    };
    let api = Api::new(&new_client().unwrap(), &proxy.url).unwrap();
    let binary: SyncResponse = api.sync(&req).await.unwrap();
    proxy.set(Mode::OldServer);
    let json: SyncResponse = api.sync(&req).await.unwrap();
    assert_eq!(binary, json);
    assert_eq!(binary.changed.len(), 1);
    let kinds: Vec<String> = proxy.syncs().into_iter().map(|s| s.3).collect();
    assert_eq!(
        kinds,
        vec![RECORDS_MEDIA_TYPE.to_string(), "application/json".into()]
    );
}
