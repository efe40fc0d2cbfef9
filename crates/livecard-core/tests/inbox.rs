//! Issue 16 in the core against a real server (in-process, SQLite): the inbox key travels in
//! the sealed card and the key backup; the server refuses the same sealed message twice; the
//! owner accepts a `msg` once even when it arrives in two different sealings; `watch` reports a
//! change with its fields and stops when asked.

use std::sync::Arc;
use std::time::Duration;

use livecard_core::keystore::MemoryStore;
use livecard_core::{Core, Edit, WatchEvent};
use livecard_format::crypto::{self, ShareLink};
use livecard_format::inbox::{self, Reply};
use livecard_format::wire::{self, ErrorBody, InboxSend};
use livecard_format::{Field, Region};

mod common;
use common::{device, Server};

async fn published(dir: &std::path::Path, name: &str, who: &str, server: &str) -> (Core, String) {
    let c = device(dir, who, server).await;
    c.edit_own(None, &[Edit::set(Field::Name, name)])
        .await
        .expect("edit");
    let p = c.publish(None).await.expect("publish");
    (c, p.link)
}

async fn post(server: &str, id: &wire::CardId, body: &InboxSend) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .post(format!("{server}{}", wire::inbox_path(id)))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .expect("post");
    let st = r.status().as_u16();
    (st, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_same_message_twice_is_refused_and_a_msg_is_accepted_once() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let (a, link_a) = published(dir.path(), "Alice", "a", &srv.url()).await;
    let (b, link_b) = published(dir.path(), "Bob", "b", &srv.url()).await;
    let added = b.add_link(&link_a).await.expect("add");
    let held = b.get(&added.id).await.expect("get");
    // The card B holds carries A's inbox key (read from the sealed record).
    let a_link = ShareLink::parse(&link_a).unwrap();
    let rec = match b_record(&srv.url(), &a_link).await {
        Some(r) => r,
        None => panic!("no record"),
    };
    let card = crypto::open(&rec, &a_link.secret).expect("open");
    let inbox_key = card.inbox.expect("published card carries an inbox key");
    assert_eq!(held.name, "Alice");

    // One sealed message, posted twice: the second is refused.
    let reply = Reply::new(&ShareLink::parse(&link_b).unwrap(), "hi", 1_765_000_000).unwrap();
    let body = InboxSend {
        key_id: inbox_key.key_id(),
        sealed: inbox::seal_reply(&a_link.id, &inbox_key, &reply).unwrap(),
    };
    let (st, _) = post(&srv.url(), &a_link.id, &body).await;
    assert_eq!(st, 201);
    let (st, err) = post(&srv.url(), &a_link.id, &body).await;
    assert_eq!(st, 409);
    let e: ErrorBody = wire::from_json(&err).expect("error body");
    assert_eq!(e.error.code.as_str(), "duplicate_message");

    // The same reply (same msg) sealed again: the server takes it (other bytes), the owner
    // stores it once.
    let again = InboxSend {
        key_id: inbox_key.key_id(),
        sealed: inbox::seal_reply(&a_link.id, &inbox_key, &reply).unwrap(),
    };
    let (st, _) = post(&srv.url(), &a_link.id, &again).await;
    assert_eq!(st, 201);
    let rep = a.sync().await.expect("sync");
    assert_eq!(rep.inbox_received, 1, "{rep:?}");
    assert_eq!(rep.inbox_cards, 1, "{rep:?}");
    let inbox = a.inbox().await.unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].name, "Bob");
    assert_eq!(inbox[0].note, "hi");
    // Both were acked: nothing is delivered again.
    let rep = a.sync().await.expect("sync");
    assert_eq!(rep.inbox_received, 0, "{rep:?}");

    // Ignore removes the card the reply added.
    let e = a.inbox_ignore(&inbox[0].msg).await.unwrap();
    assert_eq!(e.state, "ignored");
    assert!(a.list(livecard_core::Sort::Name).await.unwrap().is_empty());
    srv.stop().await;
}

async fn b_record(server: &str, link: &ShareLink) -> Option<wire::SealedRecord> {
    let r = reqwest::get(format!("{server}{}", wire::card_path(&link.id)))
        .await
        .ok()?;
    wire::from_json(&r.bytes().await.ok()?).ok()
}

#[tokio::test]
async fn the_inbox_key_is_in_the_key_backup() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let (a, link_a) = published(dir.path(), "Alice", "a", &srv.url()).await;
    let file = a.export_keys("correct horse battery").await.unwrap();
    // A new phone restores the backup and still opens replies sent to the published key.
    let a2 = Core::open(dir.path().join("a2"), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(MemoryStore::new()))
        .with_server(Some(srv.url()));
    a2.import_keys(&file, "correct horse battery")
        .await
        .unwrap();
    let (b, _) = published(dir.path(), "Bob", "b", &srv.url()).await;
    let added = b.add_link(&link_a).await.unwrap();
    b.reply(&added.id, Some("to the new phone")).await.unwrap();
    let rep = a2.sync().await.unwrap();
    assert_eq!(rep.inbox_received, 1, "{rep:?}");
    assert_eq!(a2.inbox().await.unwrap()[0].note, "to the new phone");
    srv.stop().await;
}

#[tokio::test]
async fn watch_reports_a_change_with_its_fields_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let (a, link_a) = published(dir.path(), "Alice", "a", &srv.url()).await;
    let b = device(dir.path(), "b", &srv.url()).await;
    b.add_link(&link_a).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(b);
    let bw = b.clone();
    let watcher = tokio::spawn(async move {
        bw.watch(
            async {
                let _ = stop_rx.await;
            },
            move |ev| {
                let _ = tx.send(ev);
            },
        )
        .await
    });
    loop {
        if let WatchEvent::Connected { ids, .. } = next(&mut rx).await {
            assert_eq!(ids, 1);
            break;
        }
    }
    a.edit_own(
        None,
        &[
            Edit::set(Field::Title, "CTO"),
            Edit::set(Field::Company, "Acme"),
        ],
    )
    .await
    .unwrap();
    a.publish(None).await.unwrap();
    let u = loop {
        if let WatchEvent::Update(u) = next(&mut rx).await {
            break u;
        }
    };
    assert_eq!(u.version, 2);
    assert_eq!(u.changed, vec!["company".to_string(), "title".to_string()]);
    assert_eq!(u.status, "active");
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), watcher)
        .await
        .expect("watch stops")
        .unwrap()
        .unwrap();
    srv.stop().await;
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<WatchEvent>) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an event within 30 s")
        .expect("watch still running")
}
