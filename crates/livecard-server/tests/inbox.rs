//! Inbox endpoints (issue 16) over real HTTP on SQLite and PostgreSQL (conformance style: one
//! scenario, both backends): register (signed, epoch), send (size, duplicate, rotated key,
//! cap), take (signed, clock skew, acks, truncation), expiry, and that the database holds no
//! plaintext of a message (the raw rows and the SQLite file are searched for a marker).

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use livecard_format::crypto::{sign_inbox_register, sign_inbox_take, CardKeys, ShareLink};
use livecard_format::inbox::{open_reply, seal_reply, InboxSecret, Reply};
use livecard_format::wire::{
    ErrorBody, ErrorCode, InboxAccepted, InboxKeyId, InboxRegistered, InboxSend, InboxTakeResponse,
    MAX_SEALED_BYTES,
};
use livecard_server::store::{NewMessage, SendOutcome};
use support::{config, postgres_db, sqlite_db, Owner, TestDb, TestServer};

const MARKER: &str = "PLAINTEXT-MARKER-7f3a";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn expect_error(resp: reqwest::Response, status: u16, code: ErrorCode) {
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let body: ErrorBody = resp.json().await.expect("JSON error body");
    assert_eq!(body.error.code, code);
}

struct Ctx<'a> {
    s: &'a TestServer,
}

impl Ctx<'_> {
    async fn put_json(&self, path: &str, body: &impl serde::Serialize) -> reqwest::Response {
        self.s
            .client
            .put(self.s.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }
    async fn post_json(&self, path: &str, body: &impl serde::Serialize) -> reqwest::Response {
        self.s
            .client
            .post(self.s.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }
    async fn send(&self, owner: &Owner, key_id: InboxKeyId, sealed: &[u8]) -> reqwest::Response {
        let body = InboxSend {
            key_id,
            sealed: sealed.to_vec(),
        };
        self.post_json(&format!("/v1/cards/{}/inbox", owner.keys.id()), &body)
            .await
    }
    async fn take(&self, keys: &CardKeys, time: u64, ack: Vec<String>) -> reqwest::Response {
        let body = sign_inbox_take(keys, time, ack);
        self.post_json(&format!("/v1/cards/{}/inbox/take", keys.id()), &body)
            .await
    }
}

fn reply_to(a: &Owner, inbox: &InboxSecret, from: &Owner, note: &str) -> Vec<u8> {
    let link = ShareLink::new(
        "https://livecard.example",
        from.keys.id(),
        from.secret.clone(),
    );
    let reply = Reply::new(&link, note, now()).expect("reply");
    seal_reply(&a.keys.id(), &inbox.public(), &reply).expect("seal")
}

async fn scenario(db: TestDb) {
    let mut c = config(&db);
    c.inbox.max_pending = 3;
    let s = TestServer::start(c).await;
    let x = Ctx { s: &s };
    let a = Owner::new("Alice");
    let b = Owner::new("Bob");
    let a_id = a.keys.id();
    let inbox_path = format!("/v1/cards/{a_id}/inbox");
    let inbox = InboxSecret::generate();
    let key_id = inbox.key_id();

    // No card yet: nothing to register or send to.
    let reg = sign_inbox_register(&a.keys, 1, &key_id);
    expect_error(
        x.put_json(&inbox_path, &reg).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    let resp = x.put_json(&format!("/v1/cards/{a_id}"), &a.record(1)).await;
    assert_eq!(resp.status(), 201);
    let sealed = reply_to(&a, &inbox, &b, MARKER);
    expect_error(x.send(&a, key_id, &sealed).await, 404, ErrorCode::NotFound).await;

    // Register: signed by the card key, epochs only grow.
    let mut forged = reg.clone();
    forged.epoch = 5;
    expect_error(
        x.put_json(&inbox_path, &forged).await,
        403,
        ErrorCode::BadSignature,
    )
    .await;
    let resp = x.put_json(&inbox_path, &reg).await;
    assert_eq!(resp.status(), 200);
    let ok: InboxRegistered = resp.json().await.unwrap();
    assert_eq!((ok.id, ok.epoch), (a_id.clone(), 1));
    expect_error(
        x.put_json(&inbox_path, &reg).await,
        409,
        ErrorCode::StaleVersion,
    )
    .await;
    let other = sign_inbox_register(&b.keys, 1, &key_id);
    expect_error(
        x.put_json(&inbox_path, &other).await,
        400,
        ErrorCode::IdMismatch,
    )
    .await;

    // Send.
    let resp = x.send(&a, key_id, &sealed).await;
    assert_eq!(resp.status(), 201);
    let accepted: InboxAccepted = resp.json().await.unwrap();
    assert!(accepted.accepted);
    let ttl = 30 * 86_400;
    assert!(accepted.expires >= now() + ttl - 60 && accepted.expires <= now() + ttl + 60);
    expect_error(
        x.send(&a, key_id, &sealed).await,
        409,
        ErrorCode::DuplicateMessage,
    )
    .await;
    expect_error(
        x.send(&a, InboxKeyId([9u8; 16]), &reply_to(&a, &inbox, &b, "x"))
            .await,
        409,
        ErrorCode::InboxKeyRotated,
    )
    .await;
    let mut big = vec![1u8];
    big.resize(MAX_SEALED_BYTES + 1, 7);
    expect_error(
        x.send(&a, key_id, &big).await,
        413,
        ErrorCode::MessageTooLarge,
    )
    .await;
    let mut bad = sealed.clone();
    bad[0] = 2;
    expect_error(
        x.send(&a, key_id, &bad).await,
        400,
        ErrorCode::InvalidRequest,
    )
    .await;

    // The database holds the sealed bytes as posted, and no plaintext.
    assert_no_plaintext(&db, &sealed).await;

    // Take: signed, within the clock window.
    expect_error(
        x.take(&a.keys, now() - 1_000, vec![]).await,
        400,
        ErrorCode::ClockSkew,
    )
    .await;
    let mut tampered = sign_inbox_take(&a.keys, now(), vec![]);
    tampered.ack.push("AAAA".into());
    expect_error(
        x.post_json(&format!("{inbox_path}/take"), &tampered).await,
        403,
        ErrorCode::BadSignature,
    )
    .await;
    let resp = x.take(&a.keys, now(), vec![]).await;
    assert_eq!(resp.status(), 200);
    let got: InboxTakeResponse = resp.json().await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert!(!got.truncated);
    let m = &got.messages[0];
    assert_eq!((m.sealed.clone(), m.key_id), (sealed.clone(), key_id));
    let opened = open_reply(&a_id, &inbox, &m.sealed).expect("the owner opens it");
    assert_eq!(opened.note, MARKER);
    assert_eq!(opened.share_link().unwrap().id, b.keys.id());
    // Not acked yet: a second take answers it again (a crash between take and store loses
    // nothing); acked: gone, and a replay of the same bytes is still refused.
    let again: InboxTakeResponse = x.take(&a.keys, now(), vec![]).await.json().await.unwrap();
    assert_eq!(again.messages.len(), 1);
    let after: InboxTakeResponse = x
        .take(&a.keys, now(), vec![m.msg_id.clone()])
        .await
        .json()
        .await
        .unwrap();
    assert!(after.messages.is_empty());
    expect_error(
        x.send(&a, key_id, &sealed).await,
        409,
        ErrorCode::DuplicateMessage,
    )
    .await;

    // The cap (3 here): the fourth pending message is refused with a clear error.
    for i in 0..3 {
        let resp = x
            .send(&a, key_id, &reply_to(&a, &inbox, &b, &format!("n{i}")))
            .await;
        assert_eq!(resp.status(), 201);
    }
    expect_error(
        x.send(&a, key_id, &reply_to(&a, &inbox, &b, "one too many"))
            .await,
        507,
        ErrorCode::InboxFull,
    )
    .await;

    // Truncation and expiry, on the store itself.
    let store = livecard_server::connect(&db.url).await.unwrap();
    let (two, truncated) = store.inbox_take(&a_id, &[], 2, now()).await.unwrap();
    assert_eq!((two.len(), truncated), (2, true));
    let (three, truncated) = store.inbox_take(&a_id, &[], 3, now()).await.unwrap();
    assert_eq!((three.len(), truncated), (3, false));
    assert_eq!(store.inbox_pending().await.unwrap(), 3);
    // Everything expires at now + ttl: an expiry run after that drops every row.
    assert_eq!(store.inbox_expire(now()).await.unwrap(), 0);
    assert!(store.inbox_expire(now() + ttl + 120).await.unwrap() >= 4);
    assert_eq!(store.inbox_pending().await.unwrap(), 0);
    let stale_msg = NewMessage {
        msg_id: "expired",
        key_id: &key_id,
        sealed: &sealed,
        received: now() - 10,
        expires: now() - 5,
    };
    assert_eq!(
        store.inbox_send(&a_id, stale_msg, 3).await.unwrap(),
        SendOutcome::Accepted
    );
    let (none, _) = store.inbox_take(&a_id, &[], 10, now()).await.unwrap();
    assert!(none.is_empty(), "an expired message is never answered");

    // Rotation: a new key with a higher epoch drops what was sealed to the old one and
    // refuses old senders.
    let old = reply_to(&a, &inbox, &b, "before rotation");
    assert_eq!(x.send(&a, key_id, &old).await.status(), 201);
    let inbox2 = InboxSecret::generate();
    let reg2 = sign_inbox_register(&a.keys, 2, &inbox2.key_id());
    assert_eq!(x.put_json(&inbox_path, &reg2).await.status(), 200);
    let got: InboxTakeResponse = x.take(&a.keys, now(), vec![]).await.json().await.unwrap();
    assert!(
        got.messages.is_empty(),
        "old-key messages dropped on rotation"
    );
    expect_error(
        x.send(&a, key_id, &reply_to(&a, &inbox, &b, "old key"))
            .await,
        409,
        ErrorCode::InboxKeyRotated,
    )
    .await;
    assert_eq!(
        x.send(&a, inbox2.key_id(), &reply_to(&a, &inbox2, &b, "new key"))
            .await
            .status(),
        201
    );
    s.assert_alive().await;
}

/// Reads the raw rows (and on SQLite the database files) and checks the marker of the note
/// is nowhere, while the stored sealed bytes equal the posted ones.
async fn assert_no_plaintext(db: &TestDb, sealed: &[u8]) {
    let marker = MARKER.as_bytes();
    let contains = |hay: &[u8]| hay.windows(marker.len()).any(|w| w == marker);
    if db.label == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let rows: Vec<(String, String, Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT card_id, msg_id, key_id, sealed FROM inbox_messages")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].3, sealed);
        for (a, b, c, d) in &rows {
            assert!(!contains(a.as_bytes()) && !contains(b.as_bytes()));
            assert!(!contains(c) && !contains(d));
        }
        pool.close().await;
        let path = db.url.trim_start_matches("sqlite://");
        for file in [path.to_string(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(!contains(&bytes), "plaintext in {file}");
            }
        }
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let rows: Vec<(String, String, Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT card_id, msg_id, key_id, sealed FROM inbox_messages")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].3, sealed);
        for (a, b, c, d) in &rows {
            assert!(!contains(a.as_bytes()) && !contains(b.as_bytes()));
            assert!(!contains(c) && !contains(d));
        }
        pool.close().await;
    }
}

#[tokio::test]
async fn inbox_on_sqlite() {
    scenario(sqlite_db()).await;
}

#[tokio::test]
async fn inbox_on_postgres() {
    let Some(db) = postgres_db("inbox").await else {
        return;
    };
    scenario(db).await;
}
