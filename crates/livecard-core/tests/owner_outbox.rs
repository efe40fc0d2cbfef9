//! The owner's outbox against a real livecard-server on 127.0.0.1 (in-process, SQLite in a
//! tempdir): one offline edit of a published card is one pending write, and further offline
//! edits collapse into it (the replay sends the card's latest version anyway).

use livecard_core::{CoreError, Edit};
use livecard_format::Field;

mod common;
use common::{device, Server};

#[tokio::test]
async fn one_offline_edit_is_one_outbox_entry_and_edits_collapse() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), None).await;
    let a = device(dir.path(), "a", &srv.url()).await;
    a.edit_own(
        None,
        &[
            Edit::set(Field::Name, "张三丰"),
            Edit::set(Field::Mobile, "+8613800138000"),
        ],
    )
    .await
    .unwrap();
    let p = a.publish(None).await.expect("publish online");
    assert_eq!(a.outbox_len().await.unwrap(), 0);
    let addr = srv.stop().await;

    // One edit while the server is down, saved the way the app saves: edit, then publish.
    a.edit_own(None, &[Edit::set(Field::Title, "掌门")])
        .await
        .unwrap();
    assert_eq!(a.outbox_len().await.unwrap(), 1, "one edit = one entry");
    assert!(matches!(a.publish(None).await, Err(CoreError::Offline(_))));
    assert_eq!(
        a.outbox_len().await.unwrap(),
        1,
        "publishing the edit offline does not queue it twice"
    );

    // A second edit offline: still one pending publish of this card.
    a.edit_own(None, &[Edit::set(Field::Mobile, "+8613900139000")])
        .await
        .unwrap();
    assert!(matches!(a.publish(None).await, Err(CoreError::Offline(_))));
    assert_eq!(a.outbox_len().await.unwrap(), 1, "edits collapse");
    let r = a.sync().await.unwrap();
    assert_eq!((r.outbox_replayed, r.outbox_pending), (0, 1));

    // Server back: the one entry goes out and the server holds the latest version.
    let srv = Server::start(dir.path(), Some(addr)).await;
    let r = a.sync().await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.outbox_replayed, r.outbox_pending), (1, 0));
    assert_eq!(a.outbox_len().await.unwrap(), 0);
    // What the server holds, as a recipient reads it.
    let own = a.own_card(None).await.unwrap();
    let b = device(dir.path(), "b", &srv.url()).await;
    let id = b.add_link(&p.link).await.expect("add link").id;
    let rc = b.get(&id).await.unwrap();
    assert_eq!(rc.remote_version, Some(own.version));
    assert_eq!(rc.card.title, "掌门");
    assert_eq!(rc.card.mobile, vec!["+8613900139000".to_string()]);
    srv.stop().await;
}
