//! Shared by the core's integration tests that talk to a server: a real livecard-server
//! in-process on 127.0.0.1 (SQLite in a tempdir), and a client device on its own data dir.
//! Each test file uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use livecard_core::keystore::MemoryStore;
use livecard_core::Core;
use livecard_format::Region;
use livecard_server::Config;

/// A livecard-server task, rate limits off (tests send bursts).
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), livecard_server::ServeError>>>,
}

impl Server {
    /// Starts a server on `db_dir/server.db`, on `addr` (to come back where it was) or on a
    /// free port.
    pub async fn start(db_dir: &Path, addr: Option<SocketAddr>) -> Server {
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

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits until it has closed its database; returns its address.
    pub async fn stop(mut self) -> SocketAddr {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server ran");
        }
        self.addr
    }
}

/// A device with its data in `dir/name`, an in-memory keystore and `server` as its server.
pub async fn device(dir: &Path, name: &str, server: &str) -> Core {
    Core::open(dir.join(name), Region::default())
        .await
        .expect("open core")
        .with_secrets(Arc::new(MemoryStore::new()))
        .with_server(Some(server.to_string()))
}
