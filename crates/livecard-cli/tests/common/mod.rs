//! Helpers shared by the CLI's integration tests.
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;

/// The real server on a free port, on its own runtime thread; stopped on drop.
pub struct Server {
    /// `http://ADDR`.
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(db_dir: &Path) -> Server {
        let mut config = livecard_server::Config::new(format!(
            "sqlite://{}",
            db_dir.join("server.db").display()
        ));
        config.rate_per_second = 0;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addr_tx.send(listener.local_addr().expect("addr")).unwrap();
                livecard_server::serve(config, listener, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("server ran");
            });
        });
        let addr = addr_rx.recv().expect("server address");
        Server {
            url: format!("http://{addr}"),
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
