//! Real HTTP on 127.0.0.1:0 for every endpoint and every refusal. After each refusal the
//! server must still answer.

mod support;

use std::time::Duration;

use livecard_format::crypto::{open, sign_delete, CardKeys};
use livecard_format::wire::{
    DeleteResponse, ErrorBody, ErrorCode, PutResponse, SealedRecord, ServerInfo, SyncItem,
    SyncRequest, SyncResponse,
};
use livecard_server::AppState;
use reqwest::StatusCode;
use support::{config, sqlite_db, Owner, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn put(s: &TestServer, r: &SealedRecord) -> reqwest::Response {
    s.client
        .put(s.url(&format!("/v1/cards/{}", r.id)))
        .json(r)
        .send()
        .await
        .unwrap()
}

async fn expect_error(resp: reqwest::Response, status: u16, code: ErrorCode) -> ErrorBody {
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        ct.as_deref(),
        Some("application/json"),
        "JSON error for {code}"
    );
    let body: ErrorBody = resp
        .json()
        .await
        .expect("error body is the JSON error shape");
    assert_eq!(body.error.code, code, "{}", body.error.message);
    assert!(!body.error.message.is_empty());
    body
}

#[tokio::test]
async fn publish_get_etag_update_and_open() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let o = Owner::new("张三");
    let r1 = o.record(1);
    let resp = put(&s, &r1).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: PutResponse = resp.json().await.unwrap();
    assert_eq!(
        (body.id.clone(), body.version, body.created),
        (r1.id.clone(), 1, true)
    );

    // GET with a lower-case id.
    let url = s.url(&format!("/v1/cards/{}", r1.id.as_str().to_lowercase()));
    let resp = s.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let got: SealedRecord = resp.json().await.unwrap();
    assert_eq!(got, r1);
    assert_eq!(open(&got, &o.secret).unwrap().name, "张三");

    let resp = s
        .client
        .get(&url)
        .header("If-None-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()["etag"], "\"1\"");

    let r2 = o.record(2);
    let resp = put(&s, &r2).await;
    assert_eq!(resp.status(), 200);
    let body: PutResponse = resp.json().await.unwrap();
    assert!(!body.created);
    let resp = s
        .client
        .get(&url)
        .header("If-None-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    assert_eq!(resp.json::<SealedRecord>().await.unwrap(), r2);
}

#[tokio::test]
async fn refusals_of_records() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let o = Owner::new("Refused");
    assert_eq!(put(&s, &o.record(2)).await.status(), 201);

    // Stale version: 409 with the current version.
    let body = expect_error(put(&s, &o.record(1)).await, 409, ErrorCode::StaleVersion).await;
    assert_eq!(body.error.current_version, Some(2));
    let body = expect_error(put(&s, &o.record(2)).await, 409, ErrorCode::StaleVersion).await;
    assert_eq!(body.error.current_version, Some(2));
    s.assert_alive().await;

    // Bad signature.
    let mut bad = o.record(3);
    bad.signature[0] ^= 1;
    expect_error(put(&s, &bad).await, 403, ErrorCode::BadSignature).await;
    let mut tampered = o.record(3);
    tampered.ciphertext[5] ^= 1;
    expect_error(put(&s, &tampered).await, 403, ErrorCode::BadSignature).await;
    s.assert_alive().await;

    // A key that does not match the id (re-signed by the thief).
    let thief = CardKeys::generate();
    let mut forged = o.record(3);
    forged.public_key = thief.public_key();
    let other = Owner {
        keys: thief,
        secret: o.secret.clone(),
        card: o.card.clone(),
    };
    let thief_rec = other.record(3);
    forged.signature = thief_rec.signature; // any signature: the key check comes first
    expect_error(put(&s, &forged).await, 403, ErrorCode::KeyMismatch).await;

    // Path id differs from the body id.
    let resp = s
        .client
        .put(s.url(&format!("/v1/cards/{}", thief_rec.id)))
        .json(&o.record(3))
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, ErrorCode::IdMismatch).await;

    // Version 0 and above 2^53-1.
    let mut v0 = o.record(3);
    v0.version = 0;
    expect_error(put(&s, &v0).await, 400, ErrorCode::InvalidVersion).await;

    // Oversized record (below the body limit).
    let mut cfg = config(&db);
    cfg.max_ciphertext_bytes = 1000;
    let small = TestServer::start(cfg).await;
    let mut big = Owner::new("Big");
    big.card.bulletin = "x".repeat(2000);
    expect_error(
        put(&small, &big.record(1)).await,
        413,
        ErrorCode::RecordTooLarge,
    )
    .await;
    small.assert_alive().await;

    // Nothing refused was stored.
    let got: SealedRecord = s
        .client
        .get(s.url(&format!("/v1/cards/{}", o.keys.id())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got.version, 2);
    s.assert_alive().await;
}

#[tokio::test]
async fn refusals_of_requests() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.max_body_bytes = 64 * 1024;
    let s = TestServer::start(cfg).await;
    let o = Owner::new("Body");
    let url = s.url(&format!("/v1/cards/{}", o.keys.id()));

    // Malformed JSON.
    let resp = s
        .client
        .put(&url)
        .header("content-type", "application/json")
        .body("{\"id\": ")
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, ErrorCode::MalformedJson).await;
    // JSON of the wrong shape.
    let resp = s
        .client
        .put(&url)
        .json(&serde_json::json!({"id": o.keys.id(), "version": 1}))
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, ErrorCode::InvalidRequest).await;
    // Wrong content type.
    let resp = s
        .client
        .put(&url)
        .header("content-type", "text/plain")
        .body(serde_json::to_string(&o.record(1)).unwrap())
        .send()
        .await
        .unwrap();
    expect_error(resp, 415, ErrorCode::UnsupportedMediaType).await;
    // Oversized body, with Content-Length.
    let resp = s
        .client
        .put(&url)
        .header("content-type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    expect_error(resp, 413, ErrorCode::BodyTooLarge).await;
    // Oversized body, chunked without Content-Length.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT /v1/cards/{} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        o.keys.id()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("2000\r\n{}\r\n", " ".repeat(0x2000));
    for _ in 0..16 {
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            break; // the server may stop reading once the limit is passed
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"code\":\"body_too_large\""), "{text}");
    // Bad id in the path.
    let resp = s
        .client
        .get(s.url("/v1/cards/not-an-id"))
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, ErrorCode::InvalidRequest).await;
    // Unknown card, unknown route, wrong method.
    let resp = s.client.get(&url).send().await.unwrap();
    expect_error(resp, 404, ErrorCode::NotFound).await;
    let resp = s.client.get(s.url("/v2/whatever")).send().await.unwrap();
    expect_error(resp, 404, ErrorCode::NoSuchRoute).await;
    let resp = s.client.post(&url).send().await.unwrap();
    expect_error(resp, 405, ErrorCode::MethodNotAllowed).await;
    s.assert_alive().await;
}

#[tokio::test]
async fn delete_then_gone() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let o = Owner::new("Bye");
    assert_eq!(put(&s, &o.record(1)).await.status(), 201);
    let url = s.url(&format!("/v1/cards/{}", o.keys.id()));

    // Unsigned/forged and stale deletions are refused.
    let mut forged = sign_delete(&o.keys, 2).unwrap();
    forged.signature[3] ^= 1;
    let resp = s.client.delete(&url).json(&forged).send().await.unwrap();
    expect_error(resp, 403, ErrorCode::BadSignature).await;
    let resp = s
        .client
        .delete(&url)
        .json(&sign_delete(&o.keys, 1).unwrap())
        .send()
        .await
        .unwrap();
    expect_error(resp, 409, ErrorCode::StaleVersion).await;
    let stranger = CardKeys::generate();
    let resp = s
        .client
        .delete(s.url(&format!("/v1/cards/{}", stranger.id())))
        .json(&sign_delete(&stranger, 1).unwrap())
        .send()
        .await
        .unwrap();
    expect_error(resp, 404, ErrorCode::NotFound).await;

    let t = sign_delete(&o.keys, 2).unwrap();
    let resp = s.client.delete(&url).json(&t).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let d: DeleteResponse = resp.json().await.unwrap();
    assert!(d.deleted && d.version == 2);

    let body = expect_error(
        s.client.get(&url).send().await.unwrap(),
        410,
        ErrorCode::Gone,
    )
    .await;
    let tomb = body.tombstone.expect("410 carries the tombstone");
    tomb.verify().unwrap();
    assert_eq!(tomb, t);
    // A replay of the old record, or a newer one, cannot resurrect it.
    expect_error(put(&s, &o.record(1)).await, 410, ErrorCode::Gone).await;
    expect_error(put(&s, &o.record(3)).await, 410, ErrorCode::Gone).await;
    let resp = s
        .client
        .delete(&url)
        .json(&sign_delete(&o.keys, 3).unwrap())
        .send()
        .await
        .unwrap();
    expect_error(resp, 410, ErrorCode::Gone).await;
    s.assert_alive().await;
}

#[tokio::test]
async fn batch_sync_reports_changed_gone_unknown() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let same = Owner::new("Same");
    let changed = Owner::new("Changed");
    let deleted = Owner::new("Deleted");
    for (o, v) in [(&same, 3), (&changed, 5), (&deleted, 1)] {
        assert_eq!(put(&s, &o.record(v)).await.status(), 201);
    }
    let t = sign_delete(&deleted.keys, 2).unwrap();
    let resp = s
        .client
        .delete(s.url(&format!("/v1/cards/{}", deleted.keys.id())))
        .json(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stranger = CardKeys::generate().id();
    let req = SyncRequest {
        cards: vec![
            SyncItem {
                id: same.keys.id(),
                version: 3,
            },
            SyncItem {
                id: changed.keys.id(),
                version: 4,
            },
            SyncItem {
                id: changed.keys.id(),
                version: 0,
            }, // duplicate: answered once
            SyncItem {
                id: deleted.keys.id(),
                version: 1,
            },
            SyncItem {
                id: stranger.clone(),
                version: 0,
            },
        ],
    };
    let resp = s
        .client
        .post(s.url("/v1/sync"))
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: SyncResponse = resp.json().await.unwrap();
    assert_eq!(body.changed.len(), 1);
    assert_eq!(body.changed[0].id, changed.keys.id());
    assert_eq!(body.changed[0].version, 5);
    assert_eq!(
        open(&body.changed[0], &changed.secret).unwrap().name,
        "Changed"
    );
    assert_eq!(body.gone, vec![t]);
    assert_eq!(body.unknown, vec![stranger]);
    assert!(!body.truncated);
}

#[tokio::test]
async fn sync_of_10000_unchanged_is_one_request_and_limits_ids() {
    let db = sqlite_db();
    let store = livecard_server::connect(&db.url).await.unwrap();
    let o = Owner::new("Many");
    let mut items = Vec::new();
    // 10,000 distinct cards; sealing with fresh keys is the slow part, so one key's record
    // shape is reused with distinct keys only for the ids stored.
    for i in 0..10_000u64 {
        let keys = CardKeys::generate();
        let owner = Owner {
            keys,
            secret: o.secret.clone(),
            card: o.card.clone(),
        };
        let r = owner.record(1 + i % 3);
        store.put_if_newer(&r).await.unwrap();
        items.push(SyncItem {
            id: r.id.clone(),
            version: r.version,
        });
    }
    let s = TestServer::start_state(AppState::new(store, config(&db)).unwrap()).await;
    let req = SyncRequest {
        cards: items.clone(),
    };
    let resp = s
        .client
        .post(s.url("/v1/sync"))
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: SyncResponse = resp.json().await.unwrap();
    assert!(body.changed.is_empty() && body.gone.is_empty() && body.unknown.is_empty());

    // One card behind: exactly that one comes back.
    let mut behind = items.clone();
    behind[1234].version -= 1;
    let body: SyncResponse = s
        .client
        .post(s.url("/v1/sync"))
        .json(&SyncRequest { cards: behind })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body.changed.len(), 1);
    assert_eq!(body.changed[0].id, items[1234].id);

    // 10,001 ids: refused with too_many_ids.
    let mut too_many = items.clone();
    too_many.push(SyncItem {
        id: CardKeys::generate().id(),
        version: 0,
    });
    let resp = s
        .client
        .post(s.url("/v1/sync"))
        .json(&SyncRequest { cards: too_many })
        .send()
        .await
        .unwrap();
    expect_error(resp, 413, ErrorCode::TooManyIds).await;
    s.assert_alive().await;
}

#[tokio::test]
async fn sync_answer_is_truncated_to_its_budget() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.sync_response_bytes = 1;
    let s = TestServer::start(cfg).await;
    let owners: Vec<Owner> = (0..3).map(|i| Owner::new(&format!("T{i}"))).collect();
    let mut items = Vec::new();
    for o in &owners {
        put(&s, &o.record(1)).await;
        items.push(SyncItem {
            id: o.keys.id(),
            version: 0,
        });
    }
    let mut got = 0;
    for round in 0..3 {
        let body: SyncResponse = s
            .client
            .post(s.url("/v1/sync"))
            .json(&SyncRequest {
                cards: items.clone(),
            })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body.changed.len(),
            1,
            "round {round}: at least one record per answer"
        );
        assert_eq!(body.truncated, round < 2);
        for r in body.changed {
            got += 1;
            for it in items.iter_mut().filter(|i| i.id == r.id) {
                it.version = r.version;
            }
        }
    }
    assert_eq!(got, 3);
}

#[tokio::test]
async fn rate_limit_answers_429_and_other_clients_continue() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.rate_per_second = 1;
    cfg.rate_burst = 3;
    let s = TestServer::start(cfg).await;
    let url = s.url("/v1/info");
    for _ in 0..3 {
        assert_eq!(s.client.get(&url).send().await.unwrap().status(), 200);
    }
    let resp = s.client.get(&url).send().await.unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    expect_error(resp, 429, ErrorCode::RateLimited).await;
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
    // Another client address (127.0.0.2 is loopback too) is not affected.
    let other = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let resp = other.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn slow_body_times_out_with_json_error() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.request_timeout = Duration::from_millis(300);
    let s = TestServer::start(cfg).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let id = CardKeys::generate().id();
    let head = format!(
        "PUT /v1/cards/{id} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"id\":"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Never send the rest: the server must give up and answer.
    let mut buf = Vec::new();
    tcp.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"timeout\""), "{text}");
    s.assert_alive().await;
}

#[tokio::test]
async fn health_info_and_metrics() {
    let db = sqlite_db();
    let s = TestServer::start(config(&db)).await;
    let h: serde_json::Value = s
        .client
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["backend"], "sqlite");
    let info: ServerInfo = s
        .client
        .get(s.url("/v1/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info.protocol, "livecard-v1");
    assert_eq!(info.max_sync_ids, 10_000);
    let o = Owner::new("Metric");
    assert_eq!(put(&s, &o.record(1)).await.status(), 201);
    let _ = put(&s, &o.record(1)).await; // 409
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        r#"livecard_http_requests_total{route="/v1/cards/{id}",method="PUT",status="201"} 1"#,
        r#"livecard_http_requests_total{route="/v1/cards/{id}",method="PUT",status="409"} 1"#,
        r#"livecard_records{state="live"} 1"#,
        r#"livecard_records{state="deleted"} 0"#,
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
}

#[tokio::test]
async fn full_flow_on_postgres() {
    let Some(db) = support::postgres_db("api_full_flow").await else {
        return;
    };
    let s = TestServer::start(config(&db)).await;
    let o = Owner::new("PG");
    assert_eq!(put(&s, &o.record(1)).await.status(), 201);
    expect_error(put(&s, &o.record(1)).await, 409, ErrorCode::StaleVersion).await;
    assert_eq!(put(&s, &o.record(2)).await.status(), 200);
    let url = s.url(&format!("/v1/cards/{}", o.keys.id()));
    let resp = s
        .client
        .get(&url)
        .header("If-None-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    let body: SyncResponse = s
        .client
        .post(s.url("/v1/sync"))
        .json(&SyncRequest {
            cards: vec![SyncItem {
                id: o.keys.id(),
                version: 1,
            }],
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body.changed.len(), 1);
    let resp = s
        .client
        .delete(&url)
        .json(&sign_delete(&o.keys, 3).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    expect_error(
        s.client.get(&url).send().await.unwrap(),
        410,
        ErrorCode::Gone,
    )
    .await;
    let h: serde_json::Value = s
        .client
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["backend"], "postgres");
}
