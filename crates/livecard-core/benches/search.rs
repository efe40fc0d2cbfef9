//! Search latency over 10,000 cards: `cargo bench -p livecard-core --bench search`.
//!
//! A plain bench binary (no criterion) because the target is a percentile: every query is
//! timed on its own, end to end through `Core::search` (including the PIN-lock check and the
//! write-generation check against SQLite), and p50/p95/p99/max are reported per query kind and overall.

use std::time::{Duration, Instant};

use livecard_core::{Core, Source};
use livecard_format::{vcard::Imported, Region};

const CARDS: usize = 10_000;
const ROUNDS: usize = 60;

const QUERIES: &[(&str, &[&str])] = &[
    (
        "full pinyin",
        &[
            "wangwei",
            "lijing",
            "zhangsanfeng",
            "ouyangfang",
            "chenming",
        ],
    ),
    ("initials", &["ww", "lj", "zsf", "oyf", "cm"]),
    ("partial pinyin", &["wang", "zh", "li", "chen", "ouy"]),
    ("pinyin with space", &["wang wei", "li jing", "chen ming"]),
    ("chinese", &["王", "王伟", "欧阳", "华为", "工程师"]),
    (
        "latin name",
        &["john", "smith", "alice jo", "garcia", "oli"],
    ),
    (
        "phone",
        &["13900004242", "+86 139 0000 1234", "0000777", "139"],
    ),
    ("email", &["user4242@", "example.com", "user99"]),
    ("no match", &["qqqqxx", "zzzzzzzz", "9999999999"]),
    // An empty query returns before scanning: what is left is the per-search check of the
    // write generation in SQLite (the floor under every row above).
    ("floor (empty query)", &[""]),
];

/// CPU time used so far by this thread (unix), or zero.
fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec into the valid pointer we pass.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = rt.block_on(async {
        let store = Core::open(dir.path(), Region::default())
            .await
            .expect("open");
        let cards = livecard_testdata::generate(CARDS)
            .into_iter()
            .map(|card| Imported {
                card,
                warnings: Vec::new(),
            })
            .collect();
        let t = Instant::now();
        store
            .add_imported(cards, Source::Vcf)
            .await
            .expect("insert");
        eprintln!(
            "inserted {CARDS} cards in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        store
    });
    // Reopen: the index is loaded from the stored keys on first search.
    drop(store);
    let store = rt
        .block_on(Core::open(dir.path(), Region::default()))
        .expect("reopen");
    let t = Instant::now();
    rt.block_on(store.search("warmup", None)).expect("search");
    let load = t.elapsed();

    println!("search over {CARDS} cards, {ROUNDS} rounds per query, one query timed at a time");
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at start: {}", l.trim());
    }
    println!("index load on first search after open: {} ms", ms(load));
    for (limit_label, limit) in [("limit 50 (first screen)", Some(50)), ("all results", None)] {
        println!("\n{limit_label}");
        println!(
            "| kind | hits (first query) | p50 ms | p95 ms | p99 ms | max ms | CPU p50 ms | CPU p95 ms |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        let mut all = Vec::new();
        let mut all_cpu = Vec::new();
        for (kind, qs) in QUERIES {
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            let mut hits = 0;
            for round in 0..ROUNDS {
                for (i, q) in qs.iter().enumerate() {
                    let c = thread_cpu();
                    let t = Instant::now();
                    let r = rt.block_on(store.search(q, limit)).expect("search");
                    times.push(t.elapsed());
                    cpu.push(thread_cpu().saturating_sub(c));
                    if round == 0 && i == 0 {
                        hits = r.len();
                    }
                }
            }
            times.sort();
            cpu.sort();
            println!(
                "| {kind} | {hits} | {} | {} | {} | {} | {} | {} |",
                ms(pct(&times, 0.50)),
                ms(pct(&times, 0.95)),
                ms(pct(&times, 0.99)),
                ms(*times.last().expect("times")),
                ms(pct(&cpu, 0.50)),
                ms(pct(&cpu, 0.95)),
            );
            if !qs.iter().all(|q| q.is_empty()) {
                all.extend(times);
                all_cpu.extend(cpu);
            }
        }
        all.sort();
        all_cpu.sort();
        println!(
            "| **all {} queries** | | {} | **{}** | {} | {} | {} | **{}** |",
            all.len(),
            ms(pct(&all, 0.50)),
            ms(pct(&all, 0.95)),
            ms(pct(&all, 0.99)),
            ms(*all.last().expect("times")),
            ms(pct(&all_cpu, 0.50)),
            ms(pct(&all_cpu, 0.95)),
        );
    }
}
