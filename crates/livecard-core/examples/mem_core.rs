//! The core's own memory with N received cards, without the app or a webview:
//! `cargo run --release -p livecard-core --example mem_core -- [--cards N] [--arena-max N]`.
//!
//! Fills a temp store with `livecard_testdata::generate(N)` cards (default 10,000), then runs
//! itself again on that store, so the measured process has never held the import: `Core::open`,
//! the first `cards_window` (loads the search index), two searches, 8 tasks at once (a window
//! and 20 card reads each, as the app's concurrent commands), dropping the core. After
//! each step it prints the Rust heap (a counting allocator: bytes and allocations live, peak
//! since the step before) and the process's anonymous memory, RSS and PSS from
//! /proc/self/smaps_rollup (SQLite allocates through libc, so only anon/PSS see its caches).
//! `--arena-max N` calls glibc's `mallopt(M_ARENA_MAX, N)` first, as the app does
//! (`livecard_core::memory::limit_malloc_arenas`); `--arena-max 0` leaves glibc's default.
//! The runtime is tokio's multi-threaded one, like the app's. Numbers only: nothing is asserted.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use livecard_core::{model::Sort, Core, Source};
use livecard_format::{vcard::Imported, Region};

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

// ------------------------------------------------------------------ counting allocator

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe { std::alloc::System.alloc(l) };
        if !p.is_null() {
            COUNT.fetch_add(1, Relaxed);
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { std::alloc::System.dealloc(p, l) };
        COUNT.fetch_sub(1, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let q = unsafe { std::alloc::System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Relaxed);
            let now = LIVE.fetch_add(new, Relaxed) + new;
            PEAK.fetch_max(now, Relaxed);
        }
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

// ------------------------------------------------------------------ /proc

/// (anon, RSS, PSS) of this process in KiB, from /proc/self/smaps_rollup (zeros elsewhere).
fn proc_mem() -> (u64, u64, u64) {
    let Ok(rollup) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return (0, 0, 0);
    };
    let field = |key: &str| -> u64 {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("Anonymous"), field("Rss"), field("Pss"))
}

fn mib_b(b: usize) -> f64 {
    b as f64 / 1_048_576.0
}

fn mib_k(k: u64) -> f64 {
    k as f64 / 1024.0
}

// ------------------------------------------------------------------ main

struct Args {
    cards: usize,
    arena_max: i32,
    store: Option<String>,
}

fn args() -> Res<Args> {
    let mut a = Args {
        cards: 10_000,
        arena_max: 0,
        store: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--cards" => a.cards = v.parse()?,
            "--arena-max" => a.arena_max = v.parse()?,
            "--store" => a.store = Some(v),
            _ => return Err(format!("unknown argument {k}").into()),
        }
    }
    Ok(a)
}

fn main() -> Res<()> {
    let a = args()?;
    if a.arena_max > 0 {
        livecard_core::memory::limit_malloc_arenas(a.arena_max);
    }
    match &a.store {
        Some(dir) => measure(Path::new(dir)),
        None => {
            let dir = tempfile::tempdir()?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(fill(dir.path(), a.cards))?;
            drop(rt);
            // A fresh process for the numbers: this one's heap has seen the whole import.
            let status = std::process::Command::new(std::env::current_exe()?)
                .args(["--arena-max", &a.arena_max.to_string(), "--store"])
                .arg(dir.path())
                .status()?;
            if !status.success() {
                return Err(format!("measuring run failed: {status}").into());
            }
            Ok(())
        }
    }
}

async fn fill(dir: &Path, n: usize) -> Res<()> {
    let core = Core::open(dir, Region::default()).await?;
    let cards = livecard_testdata::generate(n)
        .into_iter()
        .map(|card| Imported {
            card,
            warnings: Vec::new(),
        })
        .collect();
    let t = std::time::Instant::now();
    core.add_imported(cards, Source::Vcf).await?;
    eprintln!(
        "filled a store with {n} cards in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn measure(dir: &Path) -> Res<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut rows: Vec<String> = Vec::new();
    let base_heap = LIVE.load(Relaxed);
    let base_count = COUNT.load(Relaxed);
    let base = proc_mem();
    PEAK.store(base_heap, Relaxed);
    let mut step = |label: &str| {
        let live = LIVE.load(Relaxed);
        let peak = PEAK.swap(live, Relaxed);
        let (anon, rss, pss) = proc_mem();
        rows.push(format!(
            "| {label} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {:.1} |",
            mib_b(live.saturating_sub(base_heap)),
            mib_b(peak.saturating_sub(base_heap)),
            COUNT.load(Relaxed).saturating_sub(base_count),
            mib_k(anon.saturating_sub(base.0)),
            mib_k(rss),
            mib_k(pss),
        ));
    };
    let total = rt.block_on(async {
        let core = Core::open(dir, Region::default()).await?;
        step("`Core::open` (pool, migrations)");
        let t = std::time::Instant::now();
        let w = core.cards_window("", Sort::Name, 0, 50).await?;
        let first = t.elapsed();
        step(&format!(
            "+ first `cards_window` ({} cards, {:.0} ms)",
            w.total,
            first.as_secs_f64() * 1e3
        ));
        core.cards_window("walker", Sort::Name, 0, 50).await?;
        core.cards_window("zhang", Sort::Name, 0, 50).await?;
        step("+ two searches");
        // What the app does at once: several commands in flight on tokio's workers, so
        // several pooled SQLite connections (each its own thread and page cache).
        let core = std::sync::Arc::new(core);
        let mut tasks = Vec::new();
        for t in 0..8usize {
            let core = core.clone();
            tasks.push(tokio::spawn(async move {
                let q = ["wang", "li", "john", "139", "", "zh", "example", "欧阳"][t];
                let w = core.cards_window(q, Sort::Updated, t * 50, 50).await?;
                // Reading a card formats its phone numbers: the first one builds the
                // `phonenumber` crate's metadata, which stays (docs/PERFORMANCE.md).
                for s in w.rows.iter().take(20) {
                    core.get(&s.id).await?;
                }
                Ok::<(), livecard_core::error::CoreError>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        step("+ 8 concurrent tasks (a window, 20 cards read)");
        drop(core);
        step("after dropping the core");
        Ok::<usize, Box<dyn std::error::Error>>(w.total)
    })?;
    drop(rt);
    step("after dropping the runtime");
    println!(
        "mem_core: {total} cards; load average {}; base anon {:.1} MiB, RSS {:.1}, PSS {:.1}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        mib_k(base.0),
        mib_k(base.1),
        mib_k(base.2)
    );
    println!(
        "| step | Rust heap live MiB | heap peak MiB | allocations live | anon MiB (over base) | RSS MiB | PSS MiB |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}
