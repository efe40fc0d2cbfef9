//! Slow and many connections against a real server on 127.0.0.1:0 (src/conn.rs):
//! - 500 silent and 500 dribbling connections (a header line every second) are all closed
//!   within the header timeout while an honest client keeps being served;
//! - the caps per address and in all refuse one connection more with `503
//!   too_many_connections` at once, and serve again once a slot is free.
//!
//! Attackers connect from 127.0.0.2.. (all of 127/8 is loopback on Linux), the honest client
//! from 127.0.0.1. No sleeps as synchronisation: every wait is for an event (EOF, an answer)
//! under a bounded timeout; the dribblers' one-second pace is the attack itself.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use livecard_format::wire::{ErrorBody, ErrorCode};
use livecard_server::conn::ConnLimits;
use support::{config, sqlite_db, Owner, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Raises the soft open-file limit to the hard one: 1,000 client and 1,000 server sockets
/// live in this one process.
fn raise_fd_limit(need: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < need {
            lim.rlim_cur = lim.rlim_max.min(need.max(lim.rlim_cur));
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    assert!(
        lim.rlim_cur >= need,
        "this test needs {need} open files; the hard limit is {}",
        lim.rlim_max
    );
}

async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().expect("socket");
    sock.bind(SocketAddr::from((source, 0)))
        .expect("bind source");
    sock.connect(server).await.expect("connect")
}

/// Waits (at most `limit`) until the server closes `s`: EOF or a reset. Returns how long it
/// took, or `None` if it stayed open.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let r = tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    r.ok().map(|_| start.elapsed())
}

fn addr(s: &TestServer) -> SocketAddr {
    s.base
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_dribbling_connections_are_closed_while_honest_clients_are_served() {
    const SILENT: usize = 500;
    const DRIBBLING: usize = 500;
    const TIMEOUT: Duration = Duration::from_secs(2);
    // Timer and scheduling slack on a busy 2-core machine.
    const SLACK: Duration = Duration::from_secs(4);
    raise_fd_limit(4 * (SILENT + DRIBBLING) as u64 + 256);

    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.conn = ConnLimits {
        max_connections: 4096,
        max_connections_per_ip: 4096,
        header_timeout: TIMEOUT,
        idle_timeout: TIMEOUT,
    };
    let s = TestServer::start(cfg).await;
    let server = addr(&s);

    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..SILENT + DRIBBLING {
        let dribble = i >= SILENT;
        // Connected one after another (each takes well under a millisecond on loopback), so
        // the listen queue never overflows: a silent client whose handshake the kernel had to
        // retry would be accepted — and its timeout start — seconds after it thinks so.
        let mut c = connect_from([127, 0, 0, 2], server).await;
        let start = Instant::now();
        attackers.spawn(async move {
            let mut buf = [0u8; 256];
            if dribble {
                let _ = c
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                    .await;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                let deadline = tokio::time::sleep(TIMEOUT + SLACK);
                tokio::pin!(deadline);
                let mut n = 0u32;
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            n += 1;
                            if c.write_all(format!("X-Slow-{n}: {n}\r\n").as_bytes()).await.is_err() {
                                break;
                            }
                        }
                        r = c.read(&mut buf) => match r {
                            Ok(0) | Err(_) => break,
                            Ok(_) => panic!("a dribbler got an answer"),
                        },
                        _ = &mut deadline => return ("dribbling", None),
                    }
                }
                ("dribbling", Some(start.elapsed()))
            } else {
                ("silent", closed_within(&mut c, TIMEOUT + SLACK).await)
            }
        });
    }

    // The honest client, from another address, during the attack: every request succeeds.
    let o = Owner::new("Honest");
    let mut served = 0u32;
    let mut version = 0u64;
    let attack_start = Instant::now();
    while attack_start.elapsed() < TIMEOUT + Duration::from_secs(1) {
        version += 1;
        let r = s
            .client
            .put(s.url(&format!("/v1/cards/{}", o.keys.id())))
            .json(&o.record(version))
            .send()
            .await
            .expect("honest PUT answered during the attack");
        assert!(r.status().is_success(), "honest PUT: {}", r.status());
        let r = s
            .client
            .get(s.url(&format!("/v1/cards/{}", o.keys.id())))
            .send()
            .await
            .expect("honest GET answered during the attack");
        assert_eq!(r.status(), 200);
        served += 2;
    }
    assert!(served >= 4, "only {served} honest requests");

    let mut silent_max = Duration::ZERO;
    let mut open = 0usize;
    while let Some(r) = attackers.join_next().await {
        match r.expect("attacker task") {
            (_, Some(d)) => silent_max = silent_max.max(d),
            (kind, None) => {
                open += 1;
                eprintln!("still open: {kind}");
            }
        }
    }
    assert_eq!(
        open,
        0,
        "{open} slow connections still open after {:?}",
        TIMEOUT + SLACK
    );
    assert!(
        silent_max >= TIMEOUT - Duration::from_millis(200),
        "closed before the timeout ({silent_max:?}): not the timeout's doing"
    );
    eprintln!("{} slow connections closed; the last after {silent_max:?}; {served} honest requests served", SILENT + DRIBBLING);
    s.assert_alive().await;
}

/// Sends one request on `c` and reads the answer's status line and body (the server keeps
/// the connection open unless it says otherwise).
async fn request_on(c: &mut TcpStream) -> (u16, String) {
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    read_answer(c).await
}

async fn read_answer(c: &mut TcpStream) -> (u16, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(head_end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if got.len() >= head_end + 4 + len {
                    let status: u16 = head[9..12].parse().expect("status");
                    let body = String::from_utf8_lossy(&got[head_end + 4..head_end + 4 + len]);
                    return (status, body.to_string());
                }
            }
            let n = c.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed before a whole answer: {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    answer.expect("an answer within 5 s")
}

fn assert_too_many(status: u16, body: &str) {
    assert_eq!(status, 503, "{body}");
    let e: ErrorBody = livecard_format::wire::from_json(body.as_bytes()).expect("error JSON");
    assert_eq!(e.error.code, ErrorCode::TooManyConnections);
}

#[tokio::test]
async fn connection_caps_refuse_at_once_and_free_slots_serve_again() {
    let db = sqlite_db();
    let mut cfg = config(&db);
    cfg.conn = ConnLimits {
        max_connections: 12,
        max_connections_per_ip: 5,
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
    };
    let s = TestServer::start(cfg).await;
    let server = addr(&s);

    // Five kept-alive connections from one address are served; the sixth is refused at once.
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut c = connect_from([127, 0, 0, 2], server).await;
        assert_eq!(request_on(&mut c).await.0, 200);
        held.push(c);
    }
    let mut sixth = connect_from([127, 0, 0, 2], server).await;
    let (status, body) = read_answer(&mut sixth).await;
    assert_too_many(status, &body);
    assert!(closed_within(&mut sixth, Duration::from_secs(5))
        .await
        .is_some());

    // Another address is still served; fill up to the total of 12.
    for source in [[127, 0, 0, 3], [127, 0, 0, 4]] {
        for _ in 0..3 {
            let mut c = connect_from(source, server).await;
            assert_eq!(request_on(&mut c).await.0, 200);
            held.push(c);
        }
    }
    let mut c = connect_from([127, 0, 0, 5], server).await;
    assert_eq!(request_on(&mut c).await.0, 200);
    held.push(c);
    assert_eq!(held.len(), 12);
    let mut over = connect_from([127, 0, 0, 6], server).await;
    let (status, body) = read_answer(&mut over).await;
    assert_too_many(status, &body);

    // Close the first address's connections: its slots come back (the server notices the
    // close asynchronously, so retry a bounded number of times).
    held.drain(..5);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = connect_from([127, 0, 0, 2], server).await;
        let (status, _) = request_on(&mut c).await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no slot came back after closing five"
        );
        closed_within(&mut c, Duration::from_secs(5)).await;
    }
}
