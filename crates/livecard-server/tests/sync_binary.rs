//! The binary sync answer by content negotiation (PROTOCOL.md §5 "Binary sync answer"), on
//! both backends: `Accept: application/vnd.livecard.records` gets the same answer as the JSON
//! one in `livecard_wire::records` form; everything else keeps getting JSON.

mod support;

use livecard_format::crypto::{open, sign_delete, CardKeys};
use livecard_format::wire::{
    ErrorBody, ErrorCode, SealedRecord, SyncItem, SyncRequest, SyncResponse, RECORDS_MEDIA_TYPE,
};
use support::{config, postgres_db, sqlite_db, Owner, TestDb, TestServer};

async fn put(s: &TestServer, r: &SealedRecord) -> u16 {
    s.client
        .put(s.url(&format!("/v1/cards/{}", r.id)))
        .json(r)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// POST /v1/sync with `accept` (None: no header); (content type, vary, body).
async fn sync(
    s: &TestServer,
    req: &SyncRequest,
    accept: Option<&str>,
) -> (u16, String, String, Vec<u8>) {
    let mut b = s.client.post(s.url("/v1/sync")).json(req);
    if let Some(a) = accept {
        b = b.header("accept", a);
    }
    let resp = b.send().await.unwrap();
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, vary) = (header("content-type"), header("vary"));
    (status, ct, vary, resp.bytes().await.unwrap().to_vec())
}

async fn negotiation(db: TestDb) {
    let s = TestServer::start(config(&db)).await;
    let same = Owner::new("Same");
    let changed = Owner::new("变了");
    let deleted = Owner::new("Deleted");
    for (o, v) in [(&same, 3), (&changed, 5), (&deleted, 1)] {
        assert_eq!(put(&s, &o.record(v)).await, 201);
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
    let item = |id, version| SyncItem { id, version };
    let req = SyncRequest {
        cards: vec![
            item(same.keys.id(), 3),
            item(changed.keys.id(), 0),
            item(deleted.keys.id(), 1),
            item(stranger.clone(), 0),
        ],
    };

    // JSON: no Accept, */*, JSON, or the binary type refused with q=0.
    let (st, ct, vary, body) = sync(&s, &req, None).await;
    assert_eq!(
        (st, ct.as_str(), vary.as_str()),
        (200, "application/json", "accept")
    );
    let json: SyncResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(json.changed.len(), 1);
    assert_eq!(json.gone, vec![t]);
    assert_eq!(json.unknown, vec![stranger]);
    for accept in [
        "*/*",
        "application/json",
        "application/vnd.livecard.records;q=0",
    ] {
        let (st, ct, _, again) = sync(&s, &req, Some(accept)).await;
        assert_eq!((st, ct.as_str()), (200, "application/json"), "{accept}");
        assert_eq!(
            serde_json::from_slice::<SyncResponse>(&again).unwrap(),
            json
        );
    }

    // Binary: the same answer, smaller.
    for accept in [
        RECORDS_MEDIA_TYPE,
        "application/vnd.livecard.records, application/json;q=0.5",
    ] {
        let (st, ct, vary, bytes) = sync(&s, &req, Some(accept)).await;
        assert_eq!(
            (st, ct.as_str(), vary.as_str()),
            (200, RECORDS_MEDIA_TYPE, "accept")
        );
        let bin = SyncResponse::from_records(&bytes).expect("a valid binary answer");
        assert_eq!(bin, json, "{accept}");
        bin.changed[0].verify().unwrap();
        bin.gone[0].verify().unwrap();
        assert_eq!(open(&bin.changed[0], &changed.secret).unwrap().name, "变了");
        assert!(
            bytes.len() * 4 < body.len() * 3,
            "{} vs {}",
            bytes.len(),
            body.len()
        );
    }

    // Refusals stay JSON errors, whatever was asked for.
    let too_many = SyncRequest {
        cards: (0..10_001).map(|_| item(same.keys.id(), 0)).collect(),
    };
    let (st, ct, _, body) = sync(&s, &too_many, Some(RECORDS_MEDIA_TYPE)).await;
    assert_eq!((st, ct.as_str()), (413, "application/json"));
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, ErrorCode::TooManyIds);
}

#[tokio::test]
async fn sync_answers_binary_records_on_sqlite() {
    negotiation(sqlite_db()).await;
}

#[tokio::test]
async fn sync_answers_binary_records_on_postgres() {
    let Some(db) = postgres_db("sync_binary").await else {
        return;
    };
    negotiation(db).await;
}

/// The truncation flag travels in the binary answer too (budget of 1 byte: one record per
/// answer), and a client that applies each answer gets every record.
#[tokio::test]
async fn binary_answer_carries_truncated() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.sync_response_bytes = 1;
    let s = TestServer::start(cfg).await;
    let owners: Vec<Owner> = (0..3).map(|i| Owner::new(&format!("T{i}"))).collect();
    let mut items = Vec::new();
    for o in &owners {
        assert_eq!(put(&s, &o.record(1)).await, 201);
        items.push(SyncItem {
            id: o.keys.id(),
            version: 0,
        });
    }
    let mut got = 0;
    for round in 0..3 {
        let req = SyncRequest {
            cards: items.clone(),
        };
        let (_, ct, _, bytes) = sync(&s, &req, Some(RECORDS_MEDIA_TYPE)).await;
        assert_eq!(ct, RECORDS_MEDIA_TYPE);
        let body = SyncResponse::from_records(&bytes).unwrap();
        assert_eq!(body.changed.len(), 1, "round {round}");
        assert_eq!(body.truncated, round < 2, "round {round}");
        for r in body.changed {
            got += 1;
            for it in items.iter_mut().filter(|i| i.id == r.id) {
                it.version = r.version;
            }
        }
    }
    assert_eq!(got, 3);
}
