//! Two (and more) devices against one real `livecard-server` process, driven through the real
//! `livecard` CLI: publish, add from a QR PNG, edits with a temporary number and the change
//! record, an NFC offline copy added while the server is down, reset link, 10,000 cards in one
//! sync request, and a server SIGKILLed in the middle of a sync answer.
//!
//! Each device is a data dir with the TEST-ONLY file keystore
//! (`LIVECARD_KEYSTORE=insecure-file:<dir>`). The binaries are built by `cargo build` from this
//! test (a no-op when `cargo test --workspace` already built them).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use livecard_core::{Core, Source};
use livecard_format::crypto::{self, CardKeys, ShareLink, ShareSecret};
use livecard_format::{Card, Field, Region};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Bins {
    cli: PathBuf,
    server: PathBuf,
}

/// `livecard` and `livecard-server` of this workspace build (built with the tests; see
/// `livecard_testkit::workspace_bins`).
fn bins() -> Bins {
    let mut bins = livecard_testkit::workspace_bins(&["livecard", "livecard-server"]).into_iter();
    let (Some(cli), Some(server)) = (bins.next(), bins.next()) else {
        unreachable!("two names, two paths")
    };
    Bins { cli, server }
}

struct ServerProc {
    child: Child,
    addr: SocketAddr,
}

impl ServerProc {
    /// Starts the real server; waits for its "listening on" line (no sleeps).
    fn start(bin: &Path, data: &Path, listen: &str, public: Option<&str>) -> ServerProc {
        let mut cmd = Command::new(bin);
        cmd.arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(data)
            .args(["--rate-per-second", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(p) = public {
            cmd.arg("--public-url").arg(p);
        }
        let mut child = cmd.spawn().expect("spawn livecard-server");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read server stdout");
            if let Some(a) = line.strip_prefix("livecard-server listening on http://") {
                break a.trim().parse().expect("address");
            }
        };
        ServerProc { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no graceful shutdown.
    fn kill(mut self) -> SocketAddr {
        self.child.kill().expect("SIGKILL server");
        let _ = self.child.wait();
        self.addr
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Device {
    dir: PathBuf,
    cli: PathBuf,
}

impl Device {
    fn new(root: &Path, name: &str, cli: &Path) -> Device {
        Device {
            dir: root.join(name),
            cli: cli.to_path_buf(),
        }
    }

    fn run(&self, server: &str, args: &[&str]) -> std::process::Output {
        Command::new(&self.cli)
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env("LIVECARD_SERVER", server)
            .env(
                "LIVECARD_KEYSTORE",
                format!("insecure-file:{}", self.dir.join("test-keys").display()),
            )
            .env_remove("LIVECARD_PASSPHRASE")
            .output()
            .expect("run livecard")
    }

    fn ok(&self, server: &str, args: &[&str]) -> String {
        let o = self.run(server, args);
        assert!(
            o.status.success(),
            "livecard {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).expect("utf-8 stdout")
    }

    fn json(&self, server: &str, args: &[&str]) -> Value {
        let out = self.ok(server, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }
}

/// `livecard_http_requests_total{route="/v1/sync",…,status="200"}` from the server's metrics.
async fn sync_requests(http: &reqwest::Client, server: &str) -> u64 {
    let text = http
        .get(format!("{server}/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    text.lines()
        .filter(|l| {
            l.starts_with("livecard_http_requests_total{")
                && l.contains("route=\"/v1/sync\"")
                && l.contains("status=\"200\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// A TCP proxy in front of the server. In `cut` mode it forwards the first 64 KiB of an
/// answer, then reports on `cut_tx` and drops both connections (the test kills the server
/// right then): a sync interrupted in the middle of its answer.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    cut_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
}

async fn start_proxy(upstream: SocketAddr) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let addr = listener.local_addr().expect("proxy addr");
    let cut = Arc::new(AtomicBool::new(false));
    let (tx, cut_rx) = tokio::sync::mpsc::unbounded_channel();
    let cut2 = cut.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let cutting = cut2.load(Ordering::SeqCst);
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if !cutting {
                    let (mut c, mut s) = (client, server);
                    let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
                    return;
                }
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                let mut total = 0usize;
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    total += n;
                    if total >= 64 * 1024 {
                        let _ = tx.send(());
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    Proxy { addr, cut, cut_rx }
}

fn card(i: usize, title: &str) -> Card {
    let r = Region::default();
    let mut c = Card::default();
    c.set(Field::Name, &format!("客户{i}"), r).expect("name");
    c.set(Field::Mobile, &format!("+86139{i:08}"), r)
        .expect("mobile");
    c.set(Field::Title, title, r).expect("title");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_devices_end_to_end() {
    let bins = bins();
    let root = tempfile::tempdir().expect("tempdir");
    // Server data on tmpfs when there is one: 10,000 fsynced PUTs are then quick.
    let srv_root = match tempfile::Builder::new().tempdir_in("/dev/shm") {
        Ok(d) => d,
        Err(_) => tempfile::tempdir().expect("tempdir"),
    };
    let srv_data = srv_root.path().join("server");
    let server = ServerProc::start(&bins.server, &srv_data, "127.0.0.1:0", None);
    let url = server.url();
    let a = Device::new(root.path(), "a", &bins.cli);
    let b = Device::new(root.path(), "b", &bins.cli);
    let c = Device::new(root.path(), "c", &bins.cli);

    // A publishes; B adds from A's QR PNG.
    a.ok(
        &url,
        &[
            "me",
            "edit",
            "--set",
            "name=张三丰",
            "--set",
            "mobile=13800138000",
        ],
    );
    let link = a.ok(&url, &["me", "publish"]).trim().to_string();
    assert!(link.starts_with(&format!("{url}/c/")), "{link}");
    let png = root.path().join("a.png");
    a.ok(&url, &["me", "qr", "--png", png.to_str().unwrap()]);
    let added = b.json(&url, &["add", png.to_str().unwrap(), "--json"]);
    assert_eq!(added[0]["status"], "added");
    let bid = added[0]["id"].as_str().expect("id").to_string();
    let opened = b.json(&url, &["open", &bid, "--json"]);
    assert_eq!(opened["live"], true);
    assert_eq!(opened["source"], "qr");
    assert_eq!(opened["card"]["mobile"][0], "+8613800138000");

    // A edits the mobile and sets a temporary number; B's open shows both and the change.
    a.ok(
        &url,
        &[
            "me",
            "edit",
            "--set",
            "mobile=13900139000",
            "--set",
            "temp_number=13700137000",
            "--set",
            "temp_until=2030-01-01T18:00:00+08:00",
        ],
    );
    a.ok(&url, &["me", "publish"]);
    let opened = b.json(&url, &["open", &bid, "--json"]);
    assert_eq!(opened["refresh"]["result"], "updated", "{opened}");
    assert_eq!(opened["card"]["mobile"][0], "+8613900139000");
    assert_eq!(opened["card"]["temp_number"], "+8613700137000");
    assert_eq!(opened["remote_version"], 2);
    let changes = opened["changes"].as_array().expect("changes");
    assert!(
        changes.iter().any(|ch| ch["field"] == "mobile"
            && ch["old"] == "+8613800138000"
            && ch["new"] == "+8613900139000"),
        "{changes:?}"
    );
    assert!(changes.iter().any(|ch| ch["field"] == "temp_number"));

    // C publishes and writes an NFC tag; the server dies; B adds C's card from the tag bytes.
    c.ok(
        &url,
        &[
            "me",
            "edit",
            "--set",
            "name=李四",
            "--set",
            "company=峨眉科技",
            "--set",
            "mobile=13600136000",
        ],
    );
    c.ok(&url, &["me", "publish"]);
    let ndef = root.path().join("c.ndef");
    c.ok(
        &url,
        &[
            "me",
            "nfc",
            "--out",
            ndef.to_str().unwrap(),
            "--tag",
            "ntag215",
        ],
    );
    let addr = server.kill();
    let fixed = format!("http://{addr}");
    let added = b.json(&fixed, &["add", ndef.to_str().unwrap(), "--json"]);
    let cid = added[0]["id"].as_str().expect("id").to_string();
    let opened = b.json(&fixed, &["open", &cid, "--json"]);
    assert_eq!(opened["refresh"]["result"], "offline", "{opened}");
    assert_eq!(
        (opened["live"].clone(), opened["source"].clone()),
        (Value::Bool(true), "nfc".into())
    );
    assert_eq!(opened["card"]["company"], "峨眉科技");

    // The server comes back (same address, same data): sync, and C's card is live and full.
    let server = ServerProc::start(&bins.server, &srv_data, &addr.to_string(), Some(&fixed));
    let report = b.json(&fixed, &["sync", "--json"]);
    assert_eq!(report["errors"], Value::Array(vec![]), "{report}");
    assert_eq!(report["checked"], 2);
    let opened = b.json(&fixed, &["open", &cid, "--json"]);
    assert_eq!(opened["refresh"]["result"], "unchanged", "{opened}");
    assert_eq!(opened["partial"], false);
    assert_eq!(opened["status"], "active");
    assert_eq!(opened["remote_version"], 1);

    // A resets the link: B keeps the last copy, marked revoked.
    let new_link = a.ok(&fixed, &["me", "reset-link"]).trim().to_string();
    assert_ne!(new_link, link);
    let report = b.json(&fixed, &["sync", "--json"]);
    assert_eq!(report["revoked"], 1, "{report}");
    let opened = b.json(&fixed, &["open", &bid, "--json"]);
    assert_eq!(opened["status"], "revoked");
    assert_eq!(opened["card"]["mobile"][0], "+8613900139000");
    assert_eq!(opened["card"]["temp_number"], "+8613700137000");

    // 10,000 cards: published straight through HTTP at version 2; device D holds version 1
    // of each (inserted in one transaction through the core API), linked through a proxy.
    let http = reqwest::Client::new();
    let mut proxy = start_proxy(addr).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let n = 10_000;
    let mut items = Vec::with_capacity(n);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let keys = CardKeys::generate();
        let secret = ShareSecret::generate();
        let v1 = crypto::seal(&card(i, "经理"), &keys, &secret, 1).expect("seal v1");
        let v2 = crypto::seal(&card(i, "总监"), &keys, &secret, 2).expect("seal v2");
        items.push((ShareLink::new(&proxy_url, keys.id(), secret), v1));
        let (http, url) = (http.clone(), fixed.clone());
        set.spawn(async move {
            let st = http
                .put(format!("{url}/v1/cards/{}", v2.id))
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&v2).expect("json"))
                .send()
                .await
                .expect("PUT")
                .status();
            assert!(st.is_success(), "PUT {st}");
        });
        if set.len() >= 32 {
            set.join_next().await.expect("task").expect("PUT task");
        }
    }
    while let Some(r) = set.join_next().await {
        r.expect("PUT task");
    }
    let d = Device::new(root.path(), "d", &bins.cli);
    {
        let core = Core::open(&d.dir, Region::default()).await.expect("core");
        let res = core
            .add_records(&items, Source::Link)
            .await
            .expect("add 10,000");
        assert!(res.iter().all(|r| r.is_ok()));
        core.close().await;
    }

    // Kill the server in the middle of the sync answer: nothing changes locally.
    proxy.cut.store(true, Ordering::SeqCst);
    let cli = d.cli.clone();
    let ddir = d.dir.clone();
    let keys_dir = d.dir.join("test-keys");
    let syncing = tokio::task::spawn_blocking(move || {
        Command::new(cli)
            .arg("--data-dir")
            .arg(ddir)
            .args(["sync", "--json"])
            .env(
                "LIVECARD_KEYSTORE",
                format!("insecure-file:{}", keys_dir.display()),
            )
            .output()
            .expect("run livecard sync")
    });
    proxy.cut_rx.recv().await.expect("proxy cut the answer");
    server.kill();
    let out = syncing.await.expect("sync task");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("sync JSON");
    assert_eq!(report["updated"], 0, "{report}");
    assert_eq!(report["checked"], n);
    assert!(!report["errors"].as_array().expect("errors").is_empty());
    {
        let core = Core::open(&d.dir, Region::default()).await.expect("core");
        let all = core.list(Default::default()).await.expect("list");
        assert_eq!(all.len(), n);
        assert!(all
            .iter()
            .all(|c| c.remote_version == Some(1) && c.card.title == "经理"));
        core.close().await;
    }

    // Restarted: the re-sync completes, all 10,000 in ONE request.
    proxy.cut.store(false, Ordering::SeqCst);
    let server = ServerProc::start(&bins.server, &srv_data, &addr.to_string(), Some(&fixed));
    let before = sync_requests(&http, &fixed).await;
    let report = d.json(&proxy_url, &["sync", "--json"]);
    assert_eq!(report["errors"], Value::Array(vec![]), "{report}");
    assert_eq!(
        (report["checked"].clone(), report["updated"].clone()),
        (n.into(), n.into())
    );
    assert_eq!(report["requests"], 1);
    assert_eq!(sync_requests(&http, &fixed).await - before, 1);
    // Unchanged now: again one request, nothing to update.
    let report = d.json(&proxy_url, &["sync", "--json"]);
    assert_eq!(
        (report["checked"].clone(), report["updated"].clone()),
        (n.into(), 0.into())
    );
    assert_eq!(sync_requests(&http, &fixed).await - before, 2);
    let list = d.json(&proxy_url, &["search", "客户9999", "--json"]);
    assert_eq!(list[0]["card"]["title"], "总监");
    assert_eq!(list[0]["remote_version"], 2);
    drop(server);
}
