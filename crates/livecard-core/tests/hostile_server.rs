//! The HTTP client (`livecard_core::api`) against a hostile or broken server: a raw TCP server
//! on 127.0.0.1:0 answers garbage, the wrong content type, positional arrays, huge error
//! texts, or hangs in the middle of a body. Every case is a clear error, never a panic or a
//! hang past the client's read timeout.

use std::time::{Duration, Instant};

use livecard_core::api::{new_client, Api, READ_TIMEOUT};
use livecard_core::CoreError;
use livecard_format::wire::{SyncItem, SyncRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one connection: reads the request head and body, then writes `answer` and, when
/// `hang`, keeps the connection open without another byte.
async fn one_answer(answer: Vec<u8>, hang: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until the head and the announced body are in (the client's requests are small).
        loop {
            let Ok(n) = s.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let _ = s.write_all(&answer).await;
        if hang {
            // Hold the connection open until the client gives up.
            let _ = s.read(&mut buf).await;
        }
    });
    format!("http://{addr}")
}

fn http(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

fn request() -> SyncRequest {
    SyncRequest {
        cards: vec![SyncItem {
            id: "AAAAAAAAAAAAAAAA".parse().expect("id"),
            version: 1,
        }],
    }
}

async fn sync_error(answer: Vec<u8>) -> CoreError {
    let base = one_answer(answer, false).await;
    let api = Api::new(&new_client().expect("client"), &base).expect("api");
    api.sync(&request()).await.expect_err("refused")
}

fn code_and_message(e: &CoreError) -> (String, String) {
    match e {
        CoreError::Server { code, message } => (code.clone(), message.clone()),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn garbage_answers_are_clear_errors() {
    // HTML where JSON belongs.
    let e = sync_error(http("200 OK", "text/html", b"<html>hello</html>")).await;
    let (code, message) = code_and_message(&e);
    assert_eq!(code, "bad_answer", "{message}");
    assert!(message.contains("not JSON"), "{message}");

    // JSON, but a positional array for the sync answer: the strict parser refuses it.
    let e = sync_error(http("200 OK", "application/json", b"[[],[],[],false]")).await;
    let (code, message) = code_and_message(&e);
    assert_eq!(code, "bad_answer");
    assert!(message.contains("JSON object"), "{message}");

    // Truncated JSON.
    let e = sync_error(http("200 OK", "application/json", br#"{"changed":["#)).await;
    assert_eq!(code_and_message(&e).0, "bad_answer");

    // A 500 with 8 KB of non-JSON text: the status, not the text.
    let junk = vec![b'x'; 8192];
    let e = sync_error(http("500 Internal Server Error", "text/plain", &junk)).await;
    let (code, message) = code_and_message(&e);
    assert_eq!(code, "http_500");
    assert!(message.len() < 200, "{message}");

    // A refusal in the error shape whose message is 8 KB: kept short.
    let long = format!(
        r#"{{"error":{{"code":"invalid_request","message":"{}"}}}}"#,
        "y".repeat(8192)
    );
    let e = sync_error(http("400 Bad Request", "application/json", long.as_bytes())).await;
    let (code, message) = code_and_message(&e);
    assert_eq!(code, "invalid_request");
    assert!(message.chars().count() <= 200, "{} chars", message.len());
}

#[tokio::test]
async fn a_server_that_hangs_mid_body_is_given_up_on_after_the_read_timeout() {
    let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
        content-length: 100000\r\n\r\n{\"changed\":["
        .to_vec();
    let base = one_answer(answer, true).await;
    let api = Api::new(&new_client().expect("client"), &base).expect("api");
    let start = Instant::now();
    let r = tokio::time::timeout(READ_TIMEOUT + Duration::from_secs(20), api.sync(&request()))
        .await
        .expect("the client gives up by itself");
    let e = r.expect_err("a hung body is an error");
    assert!(
        matches!(&e, CoreError::Offline(m) if m.contains("timed out")),
        "{e:?}"
    );
    let took = start.elapsed();
    assert!(
        took >= READ_TIMEOUT - Duration::from_secs(1),
        "gave up after {took:?}, before the read timeout"
    );
}
