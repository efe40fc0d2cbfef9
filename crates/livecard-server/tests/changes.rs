//! The change feed (src/changes.rs, issue 16): a committed write arrives as a `Change` — in
//! process on SQLite, and through PostgreSQL LISTEN/NOTIFY at every server over one database.
//! Waits are for the change itself (with a deadline), never sleeps.

mod support;

use std::time::Duration;

use livecard_format::crypto::sign_delete;
use livecard_server::changes::Change;
use livecard_server::store::{DeleteOutcome, PutOutcome};
use livecard_server::AppState;
use support::{config, postgres_db, sqlite_db, Owner, TestServer};
use tokio::sync::broadcast::Receiver;

const DEADLINE: Duration = Duration::from_secs(10);

/// The next change about `id` (or a resync), skipping changes about other cards (other tests
/// share the PostgreSQL notification channel).
async fn next_for(rx: &mut Receiver<Change>, want: impl Fn(&Change) -> bool) -> Change {
    tokio::time::timeout(DEADLINE, async {
        loop {
            match rx.recv().await {
                Ok(c) if want(&c) => return c,
                Ok(_) => continue,
                Err(e) => panic!("feed closed or lagged: {e}"),
            }
        }
    })
    .await
    .expect("change arrives within the deadline")
}

#[tokio::test]
async fn sqlite_write_is_published_after_commit() {
    let db = sqlite_db();
    let store = livecard_server::connect(&db.url).await.unwrap();
    let mut rx = store.changes().subscribe();
    let o = Owner::new("Feed");
    let id = o.keys.id();
    assert_eq!(
        store.put_if_newer(&o.record(1)).await.unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        store.put_if_newer(&o.record(3)).await.unwrap(),
        PutOutcome::Updated
    );
    // A refused write publishes nothing.
    assert_eq!(
        store.put_if_newer(&o.record(2)).await.unwrap(),
        PutOutcome::Stale { current: 3 }
    );
    assert_eq!(
        store
            .delete(&sign_delete(&o.keys, 4).unwrap())
            .await
            .unwrap(),
        DeleteOutcome::Deleted
    );
    let got: Vec<Change> = (0..3).map(|_| rx.try_recv().unwrap()).collect();
    assert_eq!(
        got,
        vec![
            Change::Version {
                id: id.clone(),
                version: 1
            },
            Change::Version {
                id: id.clone(),
                version: 3
            },
            Change::Gone { id, version: 4 },
        ]
    );
    assert!(rx.try_recv().is_err(), "nothing more was published");
}

/// Two servers over one PostgreSQL database: a PUT and a DELETE through server 1's HTTP API
/// arrive as changes at server 2's feed.
#[tokio::test]
async fn postgres_put_through_one_server_reaches_the_other() {
    let Some(db) = postgres_db("changes_two_servers").await else {
        return;
    };
    let s1 = TestServer::start(config(&db)).await;
    let store2 = livecard_server::connect(&db.url).await.unwrap();
    let state2 = AppState::new(store2, config(&db)).unwrap();
    let mut rx2 = state2.changes.subscribe();
    let s2 = TestServer::start_state(state2).await;

    let o = Owner::new("Zwei");
    let id = o.keys.id();
    let resp = s1
        .client
        .put(s1.url(&format!("/v1/cards/{id}")))
        .json(&o.record(5))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let c = next_for(&mut rx2, |c| c.id() == Some(&id)).await;
    assert_eq!(
        c,
        Change::Version {
            id: id.clone(),
            version: 5
        }
    );

    let t = sign_delete(&o.keys, 6).unwrap();
    let resp = s1
        .client
        .delete(s1.url(&format!("/v1/cards/{id}")))
        .json(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let c = next_for(&mut rx2, |c| c.id() == Some(&id)).await;
    assert_eq!(c, Change::Gone { id, version: 6 });
    s1.stop().await;
    s2.stop().await;
}

/// The listener's connection is killed (as a PostgreSQL restart would): the feed publishes a
/// resync once it listens again, and later writes arrive as before.
#[tokio::test]
async fn postgres_listener_reconnect_publishes_resync() {
    let Some(db) = postgres_db("changes_reconnect").await else {
        return;
    };
    let app = format!("lc_listen_{}", std::process::id());
    let url = format!("{}&application_name={app}", db.url);
    let store = livecard_server::connect(&url).await.unwrap();
    let mut rx = store.changes().subscribe();
    let admin = livecard_server::connect(&db.url).await.unwrap();

    let killer = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(support::PG_URL)
        .await
        .unwrap();
    let killed: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
    )
    .bind(&app)
    .fetch_all(&killer)
    .await
    .unwrap();
    assert_eq!(
        killed.len(),
        1,
        "exactly the listener's connection is killed"
    );

    let c = next_for(&mut rx, |c| *c == Change::Resync).await;
    assert_eq!(c, Change::Resync);
    assert_eq!(store.changes().resyncs(), 1);

    let o = Owner::new("After");
    let id = o.keys.id();
    admin.put_if_newer(&o.record(2)).await.unwrap();
    let c = next_for(&mut rx, |c| c.id() == Some(&id)).await;
    assert_eq!(c, Change::Version { id, version: 2 });
}
