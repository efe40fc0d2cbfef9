//! Database faults under the real `livecard-server` binary:
//! - **SQLite, disk full**: the database lives on a 1 MiB tmpfs of its own (mounted by the
//!   test; where mounting is not allowed, the server runs with a file-size limit instead,
//!   RLIMIT_FSIZE with SIGXFSZ ignored). Writes then get `507 insufficient_storage` (or `503
//!   unavailable` for a failed write), never a 500 or a crash; once space is back (the tmpfs
//!   remounted larger, or the limit lifted) writes succeed, and the database — checked by `PRAGMA integrity_check`
//!   after the server stops — holds every acknowledged record.
//! - **PostgreSQL stopped and restarted under a write load**: a private cluster (initdb into a
//!   tempdir, its own port; never the shared PostgreSQL) is stopped with `pg_ctl stop -m fast`
//!   while writers run and started again. While it is down writes get `503 unavailable`; the
//!   server recovers by itself; every acknowledged write is there afterwards.
//!   Without PostgreSQL binaries the test says SKIPPED loudly, unless
//!   `LIVECARD_REQUIRE_POSTGRES=1`, which makes that a failure.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::wire::{CardId, ErrorBody, ErrorCode, SealedRecord};
use livecard_format::Card;

/// A server process, killed if a failing test leaves it running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the binary on 127.0.0.1:0 with `db_url`; `fsize` limits the size of every file it
/// writes. Returns the child and its base URL.
fn start(db_url: &str, fsize: Option<u64>) -> (Running, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livecard-server"));
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db_url,
        "--rate-per-second",
        "0",
    ])
    .env("RUST_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(limit) = fsize {
        // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: libc::RLIM_INFINITY,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().expect("spawn livecard-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let base = line
        .trim()
        .strip_prefix("livecard-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Running(child), base)
}

/// SIGTERM, then wait for a graceful exit.
fn stop(mut child: Running) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.0.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.0.wait().expect("wait for the server");
    assert!(status.success(), "server exit: {status}");
}

/// An owner whose card seals to about `bytes` of ciphertext.
struct BigOwner {
    keys: CardKeys,
    secret: ShareSecret,
    card: Card,
}

impl BigOwner {
    fn new(n: usize, bytes: usize) -> BigOwner {
        BigOwner {
            keys: CardKeys::generate(),
            secret: ShareSecret::generate(),
            card: Card {
                name: format!("Card {n}"),
                bulletin: "x".repeat(bytes),
                ..Card::default()
            },
        }
    }

    fn record(&self, version: u64) -> SealedRecord {
        seal(&self.card, &self.keys, &self.secret, version).expect("seal")
    }
}

async fn put(client: &reqwest::Client, base: &str, r: &SealedRecord) -> (u16, Option<ErrorBody>) {
    let resp = client
        .put(format!("{base}/v1/cards/{}", r.id))
        .json(r)
        .send()
        .await
        .expect("the server answers");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    let body = if status >= 400 {
        Some(livecard_format::wire::from_json::<ErrorBody>(&bytes).expect("JSON refusal"))
    } else {
        None
    };
    (status, body)
}

async fn get(client: &reqwest::Client, base: &str, id: &CardId) -> Option<SealedRecord> {
    let resp = client
        .get(format!("{base}/v1/cards/{id}"))
        .send()
        .await
        .expect("GET answers");
    if resp.status() != 200 {
        return None;
    }
    Some(resp.json().await.expect("record"))
}

/// A small tmpfs of our own (a real full disk: ENOSPC), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn grow(&self, bytes: u64) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount the tmpfs larger");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test]
async fn sqlite_full_disk_refuses_clearly_keeps_the_database_and_recovers() {
    const LIMIT: u64 = 1024 * 1024;
    // A real full disk when we may mount (root: CI, this machine); otherwise a file-size limit
    // on the server process, which SQLite sees as a failed write (EFBIG → SQLITE_IOERR → 503).
    // `LIVECARD_TEST_FSIZE=1` forces the file-size limit (to test that path where root).
    let disk = if std::env::var_os("LIVECARD_TEST_FSIZE").is_some() {
        None
    } else {
        SmallDisk::mount(LIMIT)
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = disk.as_ref().map_or(scratch.path(), |d| d.dir.path());
    let path = dir.join("cards.db");
    let url = format!("sqlite://{}", path.display());
    let (child, base) = start(&url, if disk.is_some() { None } else { Some(LIMIT) });
    if disk.is_none() {
        eprintln!("NOTE: no tmpfs of our own: using RLIMIT_FSIZE (503 instead of 507 expected)");
    }
    let client = reqwest::Client::new();

    // Fill the "disk" with ~40 KB records until the server refuses.
    let mut acked: Vec<SealedRecord> = Vec::new();
    let mut refusals: Vec<ErrorCode> = Vec::new();
    for n in 0..200 {
        let r = BigOwner::new(n, 40_000).record(1);
        match put(&client, &base, &r).await {
            (200 | 201, _) => acked.push(r),
            (status, Some(b)) => {
                assert!(
                    matches!(
                        b.error.code,
                        ErrorCode::InsufficientStorage | ErrorCode::Unavailable
                    ),
                    "disk full answered {status} {:?}: {}",
                    b.error.code,
                    b.error.message
                );
                assert_eq!(status, b.error.code.http_status());
                refusals.push(b.error.code);
                if refusals.len() >= 5 {
                    break;
                }
            }
            (status, None) => panic!("status {status} without a body"),
        }
    }
    assert!(!acked.is_empty(), "nothing fitted under {LIMIT} bytes");
    assert_eq!(refusals.len(), 5, "the limit was never reached");
    if disk.is_some() {
        assert!(
            refusals.contains(&ErrorCode::InsufficientStorage),
            "no 507 among {refusals:?}"
        );
    }
    eprintln!(
        "disk full after {} records; refusals {refusals:?}",
        acked.len()
    );
    // Reads still work while the disk is full.
    for r in &acked {
        assert_eq!(get(&client, &base, &r.id).await.as_ref(), Some(r));
    }

    // Space is back: a larger tmpfs, or the limit of the running server lifted.
    match &disk {
        Some(d) => d.grow(64 * LIMIT),
        None => {
            let lim = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: prlimit on our own child with a valid new limit, no old-limit pointer.
            let rc = unsafe {
                libc::prlimit(
                    child.0.id() as libc::pid_t,
                    libc::RLIMIT_FSIZE,
                    &lim,
                    std::ptr::null_mut(),
                )
            };
            assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
        }
    }
    for n in 1000..1005 {
        let r = BigOwner::new(n, 40_000).record(1);
        let (status, body) = put(&client, &base, &r).await;
        assert!(
            status == 200 || status == 201,
            "write after space came back: {status} {body:?}"
        );
        acked.push(r);
    }
    stop(child);

    // The file is intact and holds every acknowledged record; a new server serves them.
    check_sqlite(&path, acked.len()).await;
    let (child, base) = start(&url, None);
    for r in &acked {
        assert_eq!(
            get(&client, &base, &r.id).await.as_ref(),
            Some(r),
            "acknowledged record {} lost",
            r.id
        );
    }
    stop(child);
    drop(disk);
}

async fn check_sqlite(path: &Path, expect_rows: usize) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open the database file");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity_check");
    assert_eq!(check, "ok");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM cards")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(rows as usize, expect_rows, "rows in cards");
    conn.close().await.expect("close");
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a private cluster

fn skip_or_fail(why: &str) {
    livecard_testkit::skip_postgres("the PostgreSQL restart test", why);
}

/// The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// A PostgreSQL cluster of our own in a tempdir, run as the `postgres` user when we are root
/// (initdb refuses root). Stopped when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_user: Option<&'static str>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    fn create() -> Result<Cluster, String> {
        let bin = pg_bin().ok_or("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")?;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let as_user = if root { Some("postgres") } else { None };
        if root {
            let ok = Command::new("chown")
                .args(["postgres:"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?
                .success();
            if !ok {
                return Err("cannot hand the cluster directory to the postgres user".into());
            }
        }
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster {
            bin,
            data,
            port,
            as_user,
            _dir: dir,
        };
        let out = cluster
            .cmd("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&cluster.data)
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        cluster.start()?;
        Ok(cluster)
    }

    fn start(&self) -> Result<(), String> {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=on",
            self.port,
            self.data.display()
        );
        let out = self
            .cmd("pg_ctl")
            .args(["-w", "-t", "60", "-o", &opts, "-l"])
            .arg(self.data.join("log"))
            .arg("-D")
            .arg(&self.data)
            .arg("start")
            .output()
            .map_err(|e| format!("pg_ctl start: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl start failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn stop(&self) {
        let out = self
            .cmd("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(&self.data)
            .arg("stop")
            .output()
            .expect("pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .cmd("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(&self.data)
            .arg("stop")
            .output();
    }
}

/// What the writers saw.
#[derive(Default)]
struct Seen {
    /// Highest acknowledged version per card.
    acked: HashMap<CardId, u64>,
    ok: usize,
    unavailable: usize,
}

/// Waits (at most 60 s) for `n` events on `rx`.
async fn wait_for(rx: &mut tokio::sync::mpsc::UnboundedReceiver<()>, n: usize, what: &str) {
    tokio::time::timeout(Duration::from_secs(60), async {
        for _ in 0..n {
            rx.recv().await.expect("writers alive");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("waited 60 s for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_writes_answers_503_recovers_and_loses_nothing() {
    let cluster = match Cluster::create() {
        Ok(c) => c,
        Err(why) => return skip_or_fail(&why),
    };
    let (child, base) = start(&cluster.url(), None);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
    let (phase_tx, phase_rx) = tokio::sync::watch::channel(0u8); // 0 run, 1 finish
    let (ok_tx, mut ok_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (down_tx, mut down_rx) = tokio::sync::mpsc::unbounded_channel::<()>();

    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let (client, base, seen) = (client.clone(), base.clone(), seen.clone());
        let (phase, ok_tx, down_tx) = (phase_rx.clone(), ok_tx.clone(), down_tx.clone());
        writers.spawn(async move {
            let owners: Vec<BigOwner> = (0..3).map(|i| BigOwner::new(w * 10 + i, 10)).collect();
            let mut version = 1u64;
            while *phase.borrow() == 0 {
                for o in &owners {
                    let r = o.record(version);
                    let (status, body) = put(&client, &base, &r).await;
                    let mut s = seen.lock().unwrap();
                    match (status, body) {
                        (200 | 201, _) => {
                            let v = s.acked.entry(r.id.clone()).or_insert(0);
                            *v = (*v).max(version);
                            s.ok += 1;
                            let _ = ok_tx.send(());
                        }
                        (409, Some(b)) if b.error.code == ErrorCode::StaleVersion => {
                            // Stored before the database went away, answer lost: fine.
                            assert!(b.error.current_version >= Some(version), "{b:?}");
                        }
                        (503, Some(b)) => {
                            assert_eq!(b.error.code, ErrorCode::Unavailable, "{}", b.error.message);
                            s.unavailable += 1;
                            let _ = down_tx.send(());
                        }
                        (status, body) => panic!("while PostgreSQL restarts: {status} {body:?}"),
                    }
                }
                version += 1;
            }
        });
    }
    drop((ok_tx, down_tx));

    wait_for(&mut ok_rx, 50, "50 writes before the stop").await;
    let stopped_at = Instant::now();
    cluster.stop();
    wait_for(&mut down_rx, 8, "503 answers while PostgreSQL is down").await;
    let down_for = stopped_at.elapsed();
    cluster.start().expect("PostgreSQL starts again");
    // Drain what was acknowledged meanwhile, then ask for 50 fresh acknowledgements.
    while ok_rx.try_recv().is_ok() {}
    wait_for(&mut ok_rx, 50, "50 writes after the restart").await;
    let _ = phase_tx.send(1);
    while let Some(r) = writers.join_next().await {
        r.expect("writer");
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.unavailable >= 8);
    for (id, version) in &seen.acked {
        let got = get(&client, &base, id)
            .await
            .expect("acknowledged card present");
        assert!(
            got.version >= *version,
            "card {id}: acknowledged {version}, stored {}",
            got.version
        );
    }
    eprintln!(
        "PostgreSQL down ~{down_for:?}: {} writes acknowledged, {} answered 503, none lost",
        seen.ok, seen.unavailable
    );
    stop(child);
}
