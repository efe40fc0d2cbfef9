//! The owner's outbox against a real livecard-server on 127.0.0.1 (in-process, SQLite in a
//! tempdir): one offline edit of a published card is one pending write, and further offline
//! edits collapse into it (the replay sends the card's latest version anyway).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use livecard_core::keystore::MemoryStore;
use livecard_core::{Core, CoreError, Edit};
use livecard_format::{Field, Region};
use livecard_server::Config;

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), livecard_server::ServeError>>>,
}

impl Server {
    async fn start(db_dir: &Path, addr: Option<SocketAddr>) -> Server {
        let mut config = Config::new(format!("sqlite://{}", db_dir.join("server.db").display()));
        config.rate_per_second = 0;
        let listener = tokio::net::TcpListener::bind(addr.unwrap_or(([127, 0, 0, 1], 0).into()))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(livecard_server::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn stop(mut self) -> SocketAddr {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server ran");
        }
        self.addr
    }
}

async fn device(dir: &Path, name: &str, server: &str) -> Core {
    Core::open(dir.join(name), Region::default())
        .await
        .expect("open core")
        .with_secrets(Arc::new(MemoryStore::new()))
        .with_server(Some(server.to_string()))
}

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
