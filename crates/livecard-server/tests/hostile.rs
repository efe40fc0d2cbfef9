//! Hostile requests over real HTTP (127.0.0.1:0): the wire format is as strict as PROTOCOL.md
//! says (objects only, unpadded base64url, `application/json` only, unknown members refused),
//! and every refusal — including axum's and tower's own (404, 405, 413, 408) — is the short
//! JSON error shape with a stable code, naming no Rust type, position or path and quoting at
//! most a short excerpt of the input.

mod support;

use livecard_format::wire::{b64url_encode, ErrorBody, ErrorCode, MAX_EXCERPT_CHARS};
use serde_json::{json, Value};
use support::{config, sqlite_db, Owner, TestServer};

/// Largest refusal body a hostile request may get back.
const MAX_REFUSAL_BYTES: usize = 400;

/// Words that would mean a refusal leaks internals.
const LEAKS: [&str; 14] = [
    "struct ",
    "SealedRecord",
    "Tombstone",
    "SyncRequest",
    "SyncItem",
    "serde",
    "line 1",
    "column",
    "::",
    "sqlx",
    "SELECT",
    "panicked",
    ".rs",
    "/work",
];

/// Checks one refusal: status, JSON content type, the error shape with `code`, short, no
/// leaks, no long run of the input. Returns the message.
async fn refused(resp: reqwest::Response, status: u16, code: ErrorCode) -> String {
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/json", "content type for {code}");
    let bytes = resp.bytes().await.expect("body");
    let text = String::from_utf8_lossy(&bytes).to_string();
    assert!(
        bytes.len() <= MAX_REFUSAL_BYTES,
        "{} bytes for {code}: {text}",
        bytes.len()
    );
    for leak in LEAKS {
        assert!(!text.contains(leak), "{leak:?} in refusal {text}");
    }
    assert!(
        !text.contains(&"A".repeat(MAX_EXCERPT_CHARS + 1)),
        "long echo of the input: {text}"
    );
    let body: ErrorBody = livecard_format::wire::from_json(&bytes).expect("error shape");
    assert_eq!(body.error.code, code, "{text}");
    assert!(!body.error.message.is_empty());
    body.error.message
}

fn record_value(o: &Owner, version: u64) -> Value {
    serde_json::to_value(o.record(version)).expect("record json")
}

#[tokio::test]
async fn wire_bodies_must_be_objects_with_unpadded_base64url_and_known_members() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let o = Owner::new("Strict");
    let id = o.keys.id();
    let put_url = s.url(&format!("/v1/cards/{id}"));
    let send = |method: reqwest::Method, url: &str, body: String| {
        s.client
            .request(method, url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // The record as a positional array: refused (serde alone would take it).
    let rec = record_value(&o, 1);
    let order = [
        "id",
        "public_key",
        "version",
        "nonce",
        "ciphertext",
        "signature",
    ];
    let array = Value::Array(order.iter().map(|k| rec[k].clone()).collect());
    let resp = send(reqwest::Method::PUT, &put_url, array.to_string())
        .await
        .unwrap();
    let msg = refused(resp, 400, ErrorCode::InvalidRequest).await;
    assert!(msg.contains("JSON object"), "{msg}");

    // Padding on a byte field, even `===`, and an unknown member: refused.
    for pad in ["=", "==", "==="] {
        let mut padded = rec.clone();
        let sig = padded["signature"].as_str().unwrap().to_string();
        padded["signature"] = json!(format!("{sig}{pad}"));
        let resp = send(reqwest::Method::PUT, &put_url, padded.to_string())
            .await
            .unwrap();
        refused(resp, 400, ErrorCode::InvalidRequest).await;
    }
    let mut extra = rec.clone();
    extra["comment"] = json!("hi");
    let resp = send(reqwest::Method::PUT, &put_url, extra.to_string())
        .await
        .unwrap();
    let msg = refused(resp, 400, ErrorCode::InvalidRequest).await;
    assert!(msg.contains("unknown field"), "{msg}");

    // A tombstone and a sync request as arrays; sync items as arrays.
    let tomb = livecard_format::crypto::sign_delete(&o.keys, 2).expect("tombstone");
    let tomb_array = json!([
        tomb.id.to_string(),
        b64url_encode(&tomb.public_key),
        tomb.version,
        b64url_encode(&tomb.signature)
    ]);
    let resp = send(reqwest::Method::DELETE, &put_url, tomb_array.to_string())
        .await
        .unwrap();
    refused(resp, 400, ErrorCode::InvalidRequest).await;
    for body in [
        json!([[]]),
        json!([[[id.to_string(), 0]]]),
        json!({"cards": [[id.to_string(), 0]]}),
        json!({"cards": [], "extra": 1}),
    ] {
        let resp = send(reqwest::Method::POST, &s.url("/v1/sync"), body.to_string())
            .await
            .unwrap();
        refused(resp, 400, ErrorCode::InvalidRequest).await;
    }

    // Content types: only application/json (charset=utf-8 allowed).
    for ct in [
        "application/vnd.evil+json",
        "text/plain",
        "application/json; charset=latin1",
        "application/x-www-form-urlencoded",
    ] {
        let resp = s
            .client
            .put(&put_url)
            .header("content-type", ct)
            .body(rec.to_string())
            .send()
            .await
            .unwrap();
        refused(resp, 415, ErrorCode::UnsupportedMediaType).await;
    }
    let resp = s
        .client
        .put(&put_url)
        .body(rec.to_string())
        .send()
        .await
        .unwrap();
    refused(resp, 415, ErrorCode::UnsupportedMediaType).await;

    // Nothing above was stored; the well-formed record is, with a charset parameter.
    let resp = s.client.get(&put_url).send().await.unwrap();
    refused(resp, 404, ErrorCode::NotFound).await;
    let resp = s
        .client
        .put(&put_url)
        .header("content-type", "application/json; charset=UTF-8")
        .body(rec.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    s.assert_alive().await;
}

#[tokio::test]
async fn every_refusal_is_short_json_with_a_code_and_no_internals() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.max_body_bytes = 64 * 1024;
    let s = TestServer::start(cfg).await;
    let o = Owner::new("Hostile");
    let id = o.keys.id();
    let long = "A".repeat(8 * 1024);
    let json_req = |method: reqwest::Method, path: &str, body: String| {
        s.client
            .request(method, s.url(path))
            .header("content-type", "application/json")
            .body(body)
    };
    let card = format!("/v1/cards/{id}");
    let cases: Vec<(reqwest::RequestBuilder, u16, ErrorCode)> = vec![
        (s.client.get(s.url("/nowhere")), 404, ErrorCode::NoSuchRoute),
        (
            s.client.get(s.url(&format!("/v1/{long}"))),
            404,
            ErrorCode::NoSuchRoute,
        ),
        (
            s.client.post(s.url("/v1/info")),
            405,
            ErrorCode::MethodNotAllowed,
        ),
        (
            s.client.get(s.url(&format!("/v1/cards/{long}"))),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            s.client.get(s.url("/v1/cards/%FF%FE")),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(reqwest::Method::PUT, &card, "{".into()),
            400,
            ErrorCode::MalformedJson,
        ),
        (
            json_req(reqwest::Method::PUT, &card, format!("{{\"id\":\"{long}")),
            400,
            ErrorCode::MalformedJson,
        ),
        (
            json_req(reqwest::Method::PUT, &card, "[1,2,3,4,5,6]".into()),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(
                reqwest::Method::POST,
                "/v1/sync",
                format!(r#"{{"cards":[{{"id":"{long}","version":1}}]}}"#),
            ),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(
                reqwest::Method::POST,
                "/v1/sync",
                format!(r#"{{"cards":[{{"id":"{id}","version":"{long}"}}]}}"#),
            ),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(
                reqwest::Method::POST,
                "/v1/sync",
                format!(r#"{{"{long}":[]}}"#),
            ),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(reqwest::Method::PUT, &card, {
                let mut v = record_value(&o, 1);
                v["ciphertext"] = json!(format!("{long}!"));
                v.to_string()
            }),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            json_req(
                reqwest::Method::PUT,
                &card,
                format!(r#"{{"pad":"{}"}}"#, "A".repeat(100 * 1024)),
            ),
            413,
            ErrorCode::BodyTooLarge,
        ),
        (
            s.client
                .put(s.url(&card))
                .header("content-type", format!("application/{long}"))
                .body("{}"),
            415,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            json_req(reqwest::Method::PUT, &card, "\u{0}\u{1}binary".into()),
            400,
            ErrorCode::MalformedJson,
        ),
    ];
    for (req, status, code) in cases {
        let resp = req.send().await.expect("answered");
        refused(resp, status, code).await;
    }
    s.assert_alive().await;
}

/// The `wire_negative` vectors of docs/protocol-vectors.json, sent to a real server.
#[tokio::test]
async fn the_protocol_vectors_wire_negatives_are_refused_over_http() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/protocol-vectors.json"
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("JSON");
    let id = file["vectors"][0]["id"].as_str().expect("id").to_string();
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let bodies = file["wire_negative"]["bodies"].as_array().expect("bodies");
    assert!(!bodies.is_empty());
    for b in bodies {
        let (method, path) = match b["type"].as_str().unwrap() {
            "SealedRecord" => (reqwest::Method::PUT, format!("/v1/cards/{id}")),
            "Tombstone" => (reqwest::Method::DELETE, format!("/v1/cards/{id}")),
            "SyncRequest" => (reqwest::Method::POST, "/v1/sync".to_string()),
            other => panic!("unknown type {other}"),
        };
        let resp = s
            .client
            .request(method, s.url(&path))
            .header("content-type", "application/json")
            .body(b["body"].as_str().unwrap().to_string())
            .send()
            .await
            .unwrap();
        let name = b["name"].as_str().unwrap();
        assert_eq!(resp.status(), 400, "{name}");
        refused(resp, 400, ErrorCode::InvalidRequest).await;
    }
    let record = file["vectors"][0]["record_json"].to_string();
    for ct in file["wire_negative"]["content_types"]["refused"]
        .as_array()
        .unwrap()
    {
        let resp = s
            .client
            .put(s.url(&format!("/v1/cards/{id}")))
            .header("content-type", ct.as_str().unwrap())
            .body(record.clone())
            .send()
            .await
            .unwrap();
        refused(resp, 415, ErrorCode::UnsupportedMediaType).await;
    }
    // Nothing was stored by any of them.
    let resp = s
        .client
        .get(s.url(&format!("/v1/cards/{id}")))
        .send()
        .await
        .unwrap();
    refused(resp, 404, ErrorCode::NotFound).await;
}
