//! Search latency over 10,000 cards: `cargo bench -p livecard-core --bench search`.
//!
//! A plain bench binary (no criterion) because the target is a percentile: every query is
//! timed on its own, end to end through `Store::search` (including the write-generation check
//! against SQLite), and p50/p95/p99/max are reported per query kind and overall.

use std::time::{Duration, Instant};

use livecard_core::{Source, Store};

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
];

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
        let store = Store::open(dir.path()).await.expect("open");
        let cards = livecard_core::testdata::generate(CARDS)
            .into_iter()
            .map(|c| (c, Vec::new()))
            .collect();
        let t = Instant::now();
        store
            .add_received_many(cards, Source::Vcf)
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
    let store = rt.block_on(Store::open(dir.path())).expect("reopen");
    let t = Instant::now();
    rt.block_on(store.search("warmup", None)).expect("search");
    let load = t.elapsed();

    println!("search over {CARDS} cards, {ROUNDS} rounds per query, one query timed at a time");
    println!("index load on first search after open: {} ms", ms(load));
    for (limit_label, limit) in [("limit 50 (first screen)", Some(50)), ("all results", None)] {
        println!("\n{limit_label}");
        println!("| kind | hits (first query) | p50 ms | p95 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|---|");
        let mut all = Vec::new();
        for (kind, qs) in QUERIES {
            let mut times = Vec::new();
            let mut hits = 0;
            for round in 0..ROUNDS {
                for (i, q) in qs.iter().enumerate() {
                    let t = Instant::now();
                    let r = rt.block_on(store.search(q, limit)).expect("search");
                    times.push(t.elapsed());
                    if round == 0 && i == 0 {
                        hits = r.len();
                    }
                }
            }
            times.sort();
            println!(
                "| {kind} | {hits} | {} | {} | {} | {} |",
                ms(pct(&times, 0.50)),
                ms(pct(&times, 0.95)),
                ms(pct(&times, 0.99)),
                ms(*times.last().expect("times"))
            );
            all.extend(times);
        }
        all.sort();
        println!(
            "| **all {} queries** | | {} | **{}** | {} | {} |",
            all.len(),
            ms(pct(&all, 0.50)),
            ms(pct(&all, 0.95)),
            ms(pct(&all, 0.99)),
            ms(*all.last().expect("times"))
        );
    }
}
