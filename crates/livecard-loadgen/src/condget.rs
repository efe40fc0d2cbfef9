//! `--only-cond-get`: only the conditional-GET phase (`If-None-Match` → 304), on PostgreSQL
//! with the version cache's read barrier on and off (`--version-cache-barrier`, docs/PROTOCOL.md
//! §7), and nginx's ceiling, in one run at the same load. The variants alternate (nginx, on,
//! off, then again, `--rounds` times) so load that drifts during the run hits each alike. Each
//! server variant is a fresh process on the same database (the cards are published once), its
//! cache warmed by one unmeasured pass over every id before the measured phase.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};
use hyper::{Method, StatusCode};
use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::Card;

use crate::{bench_nginx, run_phase, seed, Args, Phase, Proc};

fn start(bin: &Path, url: &str, barrier: bool) -> Result<(Proc, SocketAddr)> {
    let barrier = if barrier { "true" } else { "false" };
    crate::start_server_with(bin, url, &["--version-cache-barrier", barrier])
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

async fn cond_get(
    addr: SocketAddr,
    paths: &Arc<Vec<String>>,
    workers: usize,
    seconds: u64,
    max_requests: u64,
) -> Result<Phase> {
    let p = paths.clone();
    run_phase(
        addr,
        workers,
        seconds,
        max_requests,
        move |i| {
            (
                Method::GET,
                p[(i as usize) % p.len()].clone(),
                Some("\"1\"".into()),
                None,
            )
        },
        StatusCode::NOT_MODIFIED,
        |_| Ok(()),
    )
    .await
}

/// Runs the comparison; returns the Markdown report.
pub(crate) async fn run(args: &Args, bin: &Path, dir: &Path) -> Result<String> {
    let Some(url) = args.postgres_url.as_deref() else {
        bail!("--only-cond-get needs --postgres-url (an empty database)");
    };
    let before = loadavg();
    let sample = seal(
        &Card {
            name: "张三丰".into(),
            ..Card::default()
        },
        &CardKeys::generate(),
        &ShareSecret::generate(),
        1,
    )?;
    let sample = serde_json::to_vec(&sample)?;

    eprintln!("== PostgreSQL: publishing {} cards", args.cards);
    let paths = {
        let (_server, addr) = start(bin, url, true)?;
        let (ids, _) = seed(addr, args.cards, 16).await?;
        Arc::new(
            ids.iter()
                .map(|id| format!("/v1/cards/{id}"))
                .collect::<Vec<_>>(),
        )
    };

    let mut rows = Vec::new();
    for round in 1..=args.rounds.max(1) {
        if args.nginx.exists() {
            eprintln!("== round {round}: nginx");
            let p = bench_nginx(args, &dir.join(format!("nginx-{round}")), &sample).await?;
            rows.push(p.row(
                &format!("nginx: static file, If-None-Match → 304 (round {round})"),
                "ceiling",
            ));
        }
        for barrier in [true, false] {
            let name = if barrier { "on" } else { "off" };
            eprintln!("== round {round}: PostgreSQL, barrier {name}");
            let (server, addr) = start(bin, url, barrier)?;
            // Warm the cache: one pass over every id, not measured.
            cond_get(addr, &paths, args.connections, 3600, paths.len() as u64).await?;
            let p = cond_get(
                addr,
                &paths,
                args.connections,
                args.seconds,
                args.max_requests,
            )
            .await?;
            drop(server);
            rows.push(p.row(
                &format!(
                    "PostgreSQL: GET /v1/cards/{{id}}, If-None-Match → 304, barrier {name} \
                     (round {round})"
                ),
                "",
            ));
        }
    }
    let mut s = String::new();
    s.push_str(&format!(
        "### Conditional GET, read barrier on / off (--only-cond-get)\n\n{} cards, {} \
         connections, {} s or {} requests per phase; load average before {before}, after {}.\n\n",
        paths.len(),
        args.connections,
        args.seconds,
        args.max_requests,
        loadavg()
    ));
    s.push_str("| what | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | note |\n");
    s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in rows {
        s.push_str(&r);
        s.push('\n');
    }
    Ok(s)
}
