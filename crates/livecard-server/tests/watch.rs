//! `POST /v1/watch` (issue 16) over real HTTP on 127.0.0.1:0: the ready event, catch-up
//! events, live version/gone events, heartbeats that keep the connection past the idle
//! timeout, the caps (ids, per address, in all), rate limiting, the lifetime, shutdown, and
//! two servers over one PostgreSQL. Every wait is for an event, with a deadline.

mod support;

use std::time::Duration;

use livecard_format::crypto::sign_delete;
use livecard_format::wire::{
    CardId, ErrorBody, ErrorCode, SyncItem, WatchChange, WatchEvent, WatchReady, WatchRequest,
};
use livecard_server::{AppState, Config};
use support::{config, postgres_db, sqlite_db, Owner, TestServer};

const DEADLINE: Duration = Duration::from_secs(10);

/// What a watch stream sends: an event or a comment line.
#[derive(Debug, PartialEq)]
enum Item {
    Event(WatchEvent),
    Comment(String),
}

struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    /// The next event or comment; `None` when the server ended the stream.
    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(at) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..at + 2).collect();
                let mut name = String::new();
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        return Some(Item::Comment(c.trim().to_string()));
                    } else if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_string();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push(d.to_string());
                    }
                }
                let event = WatchEvent::parse(&name, &data.join("\n"))
                    .expect("event data parses")
                    .expect("known event");
                return Some(Item::Event(event));
            }
            let chunk = tokio::time::timeout(DEADLINE, self.resp.chunk())
                .await
                .expect("the stream sends something within the deadline")
                .expect("stream reads");
            match chunk {
                Some(bytes) => self
                    .buf
                    .push_str(std::str::from_utf8(&bytes).expect("utf-8")),
                None => {
                    assert!(
                        self.buf.is_empty(),
                        "stream ended mid-event: {:?}",
                        self.buf
                    );
                    return None;
                }
            }
        }
    }

    /// The next event, skipping heartbeats.
    async fn event(&mut self) -> WatchEvent {
        loop {
            match self.next().await.expect("stream still open") {
                Item::Event(e) => return e,
                Item::Comment(_) => continue,
            }
        }
    }
}

fn request(cards: &[(&CardId, u64)]) -> WatchRequest {
    WatchRequest {
        cards: cards
            .iter()
            .map(|(id, version)| SyncItem {
                id: (*id).clone(),
                version: *version,
            })
            .collect(),
    }
}

async fn open(s: &TestServer, req: &WatchRequest) -> reqwest::Response {
    s.client
        .post(s.url("/v1/watch"))
        .json(req)
        .send()
        .await
        .expect("watch answers")
}

/// Opens a stream and reads its `ready` event.
async fn watch(s: &TestServer, cards: &[(&CardId, u64)]) -> Sse {
    let resp = open(s, &request(cards)).await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    let mut sse = Sse {
        resp,
        buf: String::new(),
    };
    match sse.next().await {
        Some(Item::Event(WatchEvent::Ready(r))) => assert_eq!(r.ids, cards.len()),
        other => panic!("expected ready first, got {other:?}"),
    }
    sse
}

async fn put(s: &TestServer, o: &Owner, version: u64) {
    let r = o.record(version);
    let resp = s
        .client
        .put(s.url(&format!("/v1/cards/{}", r.id)))
        .json(&r)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}

async fn delete(s: &TestServer, o: &Owner, version: u64) {
    let t = sign_delete(&o.keys, version).unwrap();
    let resp = s
        .client
        .delete(s.url(&format!("/v1/cards/{}", t.id)))
        .json(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn expect_error(resp: reqwest::Response, status: u16, code: ErrorCode) {
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let body: ErrorBody = resp.json().await.expect("JSON error body");
    assert_eq!(body.error.code, code);
}

fn quick(db: &support::TestDb) -> Config {
    let mut c = config(db);
    c.watch.heartbeat = Duration::from_secs(1);
    c
}

fn version(id: &CardId, version: u64) -> WatchEvent {
    WatchEvent::Version(WatchChange {
        id: id.clone(),
        version,
    })
}

#[tokio::test]
async fn a_watcher_sees_puts_and_deletes_as_they_are_stored() {
    let db = sqlite_db();
    let s = TestServer::start(quick(&db)).await;
    let a = Owner::new("Alice");
    let b = Owner::new("Bob");
    put(&s, &a, 1).await;
    let mut sse = watch(&s, &[(&a.keys.id(), 1), (&b.keys.id(), 0)]).await;

    put(&s, &a, 2).await;
    assert_eq!(sse.event().await, version(&a.keys.id(), 2));
    put(&s, &b, 1).await;
    assert_eq!(sse.event().await, version(&b.keys.id(), 1));
    delete(&s, &a, 3).await;
    assert_eq!(
        sse.event().await,
        WatchEvent::Gone(WatchChange {
            id: a.keys.id(),
            version: 3
        })
    );
    // A card nobody watches here changes nothing on this stream: the next item is a heartbeat.
    put(&s, &Owner::new("Other"), 1).await;
    assert_eq!(sse.next().await, Some(Item::Comment("hb".into())));
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "livecard_watch{state=\"open\"} 1",
        "livecard_watch{state=\"events\"} 3",
        "livecard_inbox{state=\"pending\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn catch_up_events_follow_ready_for_what_is_already_newer() {
    let db = sqlite_db();
    let s = TestServer::start(quick(&db)).await;
    let (a, b, c) = (Owner::new("A"), Owner::new("B"), Owner::new("C"));
    put(&s, &a, 3).await;
    put(&s, &b, 3).await;
    put(&s, &c, 1).await;
    delete(&s, &c, 2).await;
    let unknown = Owner::new("never stored").keys.id();
    let mut sse = watch(
        &s,
        &[
            (&a.keys.id(), 1),
            (&b.keys.id(), 3),
            (&c.keys.id(), 1),
            (&unknown, 0),
        ],
    )
    .await;
    let mut got = vec![sse.event().await, sse.event().await];
    got.sort_by_key(|e| format!("{e:?}"));
    let mut want = vec![
        version(&a.keys.id(), 3),
        WatchEvent::Gone(WatchChange {
            id: c.keys.id(),
            version: 2,
        }),
    ];
    want.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(got, want);
    // Nothing for B (the client has 3) or the unknown id: a heartbeat comes next.
    assert_eq!(sse.next().await, Some(Item::Comment("hb".into())));
}

/// Heartbeats keep a quiet stream open past the connection idle timeout (2 s here): five
/// heartbeats at 1 s take longer than that.
#[tokio::test]
async fn heartbeats_keep_a_quiet_stream_past_the_idle_timeout() {
    let db = sqlite_db();
    let mut c = quick(&db);
    c.conn.idle_timeout = Duration::from_secs(2);
    let s = TestServer::start(c).await;
    let a = Owner::new("Quiet");
    let mut sse = watch(&s, &[(&a.keys.id(), 0)]).await;
    let started = std::time::Instant::now();
    for _ in 0..5 {
        assert_eq!(sse.next().await, Some(Item::Comment("hb".into())));
    }
    assert!(started.elapsed() > Duration::from_secs(2));
    put(&s, &a, 1).await;
    assert_eq!(sse.event().await, version(&a.keys.id(), 1));
}

#[tokio::test]
async fn caps_are_refused_before_the_stream_starts() {
    let db = sqlite_db();
    let mut c = quick(&db);
    c.watch.max_ids = 2;
    c.watch.max_streams_per_ip = 1;
    let s = TestServer::start(c).await;
    let ids: Vec<CardId> = (0..3)
        .map(|i| Owner::new(&format!("{i}")).keys.id())
        .collect();

    let three = request(&[(&ids[0], 0), (&ids[1], 0), (&ids[2], 0)]);
    expect_error(open(&s, &three).await, 413, ErrorCode::TooManyIds).await;
    let resp = s
        .client
        .post(s.url("/v1/watch"))
        .header("content-type", "application/json")
        .body("{\"cards\":[")
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, ErrorCode::MalformedJson).await;

    let first = watch(&s, &[(&ids[0], 0)]).await;
    expect_error(
        open(&s, &request(&[(&ids[1], 0)])).await,
        429,
        ErrorCode::TooManyStreams,
    )
    .await;
    // Closing the first stream gives its place back (once the server notices the close).
    drop(first);
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let resp = open(&s, &request(&[(&ids[1], 0)])).await;
        if resp.status() == 200 {
            break;
        }
        assert_eq!(resp.status(), 429);
        assert!(std::time::Instant::now() < deadline, "slot never released");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.assert_alive().await;
}

#[tokio::test]
async fn the_total_cap_is_503_and_rate_limiting_applies() {
    let db = sqlite_db();
    let mut c = quick(&db);
    c.watch.max_streams = 1;
    c.rate_per_second = 1;
    c.rate_burst = 2;
    let s = TestServer::start(c).await;
    let id = Owner::new("x").keys.id();
    let _first = watch(&s, &[(&id, 0)]).await;
    let resp = open(&s, &request(&[(&id, 0)])).await;
    assert_eq!(resp.headers()["retry-after"], "30");
    expect_error(resp, 503, ErrorCode::TooManyStreams).await;
    expect_error(
        open(&s, &request(&[(&id, 0)])).await,
        429,
        ErrorCode::RateLimited,
    )
    .await;
}

#[tokio::test]
async fn streams_end_after_their_lifetime_and_at_shutdown() {
    let db = sqlite_db();
    let mut c = quick(&db);
    c.watch.max_life = Duration::from_secs(2);
    let s = TestServer::start(c).await;
    let a = Owner::new("Life");
    let mut sse = watch(&s, &[(&a.keys.id(), 0)]).await;
    while let Some(item) = sse.next().await {
        assert_eq!(item, Item::Comment("hb".into()));
    }

    let s = TestServer::start(quick(&db)).await;
    let mut sse = watch(&s, &[(&a.keys.id(), 0)]).await;
    // The stream holds the graceful shutdown open only until the server ends it.
    tokio::time::timeout(DEADLINE, s.stop())
        .await
        .expect("shutdown does not wait for watch streams");
    while let Some(item) = sse.next().await {
        assert_eq!(item, Item::Comment("hb".into()));
    }
}

/// Two servers over one PostgreSQL: a PUT through server 1 reaches a watcher on server 2.
#[tokio::test]
async fn postgres_put_on_one_server_reaches_a_watcher_on_the_other() {
    let Some(db) = postgres_db("watch_two_servers").await else {
        return;
    };
    let s1 = TestServer::start(quick(&db)).await;
    let store2 = livecard_server::connect(&db.url).await.unwrap();
    let s2 = TestServer::start_state(AppState::new(store2, quick(&db)).unwrap()).await;
    let a = Owner::new("Über");
    put(&s1, &a, 1).await;
    let mut sse = watch(&s2, &[(&a.keys.id(), 1)]).await;
    put(&s1, &a, 2).await;
    assert_eq!(sse.event().await, version(&a.keys.id(), 2));
    delete(&s1, &a, 3).await;
    assert_eq!(
        sse.event().await,
        WatchEvent::Gone(WatchChange {
            id: a.keys.id(),
            version: 3
        })
    );
    let ready = WatchReady {
        ids: 1,
        heartbeat_secs: 1,
    };
    assert!(WatchEvent::Ready(ready)
        .to_sse()
        .starts_with("event: ready\n"));
}
