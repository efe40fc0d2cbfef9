//! App bench (issue 15): the real desktop app with 10,000 received cards, driven through
//! tauri-driver + WebKitWebDriver under a display, measuring what a user feels:
//!
//! - launch → first list rows: from the app process's start (its /proc start time) to the
//!   `livecard:first-rows` performance mark Cards.svelte sets when the first rows are in the DOM;
//! - keystroke → updated list: a query typed key by key into the search box; per key, from the
//!   `input` event to the DOM showing that query's rows (a MutationObserver in the page), and to
//!   the next animation frame;
//! - a scroll jump → the rows under the view loaded;
//! - IPC: what one `cards_list` (every card), `cards_search` and `cards_window` answer costs
//!   through `invoke` in the webview (the data path the windowed list replaced);
//! - memory: RSS of the app process and every WebKit process under it, from /proc.
//!
//! Not a test and not run by CI: `scripts/bench-app.sh` builds the app and runs this with
//! `--doc docs/PERFORMANCE.md`, which rewrites only the section between the
//! `<!-- bench-app:begin -->` / `<!-- bench-app:end -->` markers. Nothing here sleeps to
//! synchronise: every wait polls a condition up to a deadline.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(20);
/// Each build (`--build debug|release`) has its own section: `<!-- bench-app:begin BUILD -->`
/// … `<!-- bench-app:end BUILD -->`; a run replaces only its build's section.
const BEGIN: &str = "<!-- bench-app:begin";
const END: &str = "<!-- bench-app:end";

struct Args {
    app: PathBuf,
    cli: PathBuf,
    cards: usize,
    launches: usize,
    doc: Option<PathBuf>,
    build: String,
}

fn args() -> Res<Args> {
    let mut a = Args {
        app: PathBuf::from("target/release/livecard-app"),
        cli: PathBuf::from("target/release/livecard"),
        cards: 10_000,
        launches: 5,
        doc: None,
        build: "release".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--app" => a.app = v()?.into(),
            "--cli" => a.cli = v()?.into(),
            "--cards" => a.cards = v()?.parse()?,
            "--launches" => a.launches = v()?.parse()?,
            "--doc" => a.doc = Some(v()?.into()),
            "--build" => a.build = v()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(a)
}

fn free_port() -> Res<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// tauri-driver on free ports, stopped with SIGTERM (SIGKILL would leave WebKitWebDriver
/// holding its port).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(env: &[(String, String)], log: &Path) -> Res<Driver> {
        let port = free_port()?;
        let native = loop {
            let p = free_port()?;
            if p != port {
                break p;
            }
        };
        let out = std::fs::File::create(log)?;
        let child = Command::new(std::env::var("TAURI_DRIVER").unwrap_or("tauri-driver".into()))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("tauri-driver did not listen".into());
            }
            std::thread::sleep(POLL);
        }
        Ok(Driver { child, port })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on a child we spawned and have not reaped.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
}

/// `n` generated vCards: alternately Chinese and Latin names, each unique, with a company
/// and title (as tests/tests/e2e_app.rs seeds its 10,000-card test).
fn many_cards_vcf(n: usize) -> String {
    const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄"];
    const GIVEN: [&str; 6] = ["伟", "芳", "娜", "秀英", "敏", "静"];
    const FIRST: [&str; 6] = ["Alice", "Bob", "Chen", "Dana", "Emil", "Zoe"];
    let mut s = String::with_capacity(n * 200);
    for i in 0..n {
        let name = if i % 2 == 0 {
            format!("{}{}{i:05}", SURNAMES[i % 8], GIVEN[i % 6])
        } else {
            format!("{} Walker {i:05}", FIRST[i % 6])
        };
        s.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nORG:Company {c}\r\nTITLE:Engineer\r\n\
             TEL;TYPE=CELL:+86139{i:08}\r\nEMAIL:user{i}@example.com\r\nEND:VCARD\r\n",
            c = i % 97
        ));
    }
    s
}

// ------------------------------------------------------------------ /proc

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Fields of /proc/PID/stat after the command name: [0] = state, [1] = ppid, [19] = starttime.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 1..];
    Some(after.split_whitespace().map(str::to_string).collect())
}

fn epoch_ms_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// When process `pid` started, in ms since the Unix epoch (10 ms resolution: clock ticks).
fn process_start_epoch_ms(pid: u32) -> Option<f64> {
    let start_ticks: f64 = stat_fields(pid)?.get(19)?.parse().ok()?;
    let now = epoch_ms_now();
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(now - (uptime - start_ticks / clock_ticks()) * 1000.0)
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// App processes started with `marker` (their data dir) among their arguments.
fn find_apps(marker: &str) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                    args.first().is_some_and(|a0| a0.ends_with(b"livecard-app"))
                        && args.contains(&marker.as_bytes())
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Waits up to 15 s for the app (`pid`, which this bench launched) to exit after its session
/// closed; then asks it with SIGTERM, and at last SIGKILL.
async fn stop_app(pid: u32) {
    let gone = || stat_fields(pid).is_none_or(|f| f.first().is_some_and(|st| st == "Z"));
    for signal in [None, Some(libc::SIGTERM), Some(libc::SIGKILL)] {
        if let (Some(sig), Ok(p)) = (signal, i32::try_from(pid)) {
            eprintln!("bench-app: app {pid} still runs after its session closed; signal {sig}");
            // SAFETY: kill(2) on the app process this bench's session started.
            unsafe {
                libc::kill(p, sig);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if gone() {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Waits until no app process on `marker` is left (the previous launch has exited), so the
/// next launch's process is the only one.
async fn wait_no_app(marker: &str) -> Res<()> {
    let deadline = Instant::now() + WAIT;
    while !find_apps(marker).is_empty() {
        if Instant::now() > deadline {
            return Err("the previous app process did not exit".into());
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// `pid` and every process under it.
fn tree(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = all_pids()
        .into_iter()
        .filter_map(|p| Some((p, stat_fields(p)?.get(1)?.parse().ok()?)))
        .collect();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    out
}

/// Memory of one process, in KiB, from /proc/PID/smaps_rollup: RSS counts every resident page
/// it maps (shared libraries in full, in every process that maps them); PSS divides each shared
/// page among the processes mapping it, so PSS adds up across processes; USS (private clean +
/// dirty) is what the process alone holds — freed when it exits.
#[derive(Clone, Default)]
struct Mem {
    name: String,
    rss: u64,
    pss: u64,
    uss: u64,
    anon: u64,
    /// PSS of the GL driver's files (Mesa `*_dri.so`, `libgallium*`, `libLLVM*`), from smaps.
    gl: u64,
}

/// PSS of the GL driver's mappings of `pid`, in KiB.
fn gl_pss(pid: u32) -> u64 {
    let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return 0;
    };
    let mut gl = false;
    let mut sum = 0;
    for l in smaps.lines() {
        if let Some(v) = l.strip_prefix("Pss:") {
            if gl {
                sum += v
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0);
            }
        } else if l
            .split_whitespace()
            .next()
            .is_some_and(|a| a.contains('-') && !a.ends_with(':'))
        {
            let path = l.split_whitespace().nth(5).unwrap_or("");
            gl = path.ends_with("_dri.so")
                || path.contains("/libgallium")
                || path.contains("/libLLVM");
        }
    }
    sum
}

fn mem(pid: u32) -> Option<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let name = status
        .lines()
        .find_map(|l| l.strip_prefix("Name:"))?
        .trim()
        .to_string();
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |key: &str| -> u64 {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Some(Mem {
        name,
        rss: field("Rss"),
        pss: field("Pss"),
        uss: field("Private_Clean") + field("Private_Dirty"),
        anon: field("Anonymous"),
        gl: gl_pss(pid),
    })
}

/// The app (`pid`) and every process under it.
fn mem_tree(pid: u32) -> Vec<Mem> {
    tree(pid).into_iter().filter_map(mem).collect()
}

// ------------------------------------------------------------------ the core's heap

/// Counts the bytes this bench process has allocated through Rust's allocator (now and the
/// peak), to see what the core holds for 10,000 cards. It counts this process only: the app
/// is measured from /proc. SQLite allocates through libc, not here: the anonymous memory of
/// this process (smaps_rollup) is reported alongside.
struct Counting;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: the caller's contract is passed on.
        let p = unsafe { std::alloc::System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { std::alloc::System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), std::sync::atomic::Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
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

/// The core's memory on the imported store, in this process: Rust heap (live, and the peak
/// since the step before) and anonymous memory after each step the app takes at launch.
async fn core_heap(app_dir: &Path) -> Res<String> {
    use livecard_core::{model::Sort, Core};
    use std::sync::atomic::Ordering::Relaxed;
    let anon = || mem(std::process::id()).map_or(0, |m| m.anon);
    let mut rows = Vec::new();
    let mut step = |label: &str, base: (usize, u64)| {
        let live = LIVE.load(Relaxed);
        let peak = PEAK.swap(live, Relaxed);
        rows.push(format!(
            "| {label} | {:.1} | {:.1} | {:.1} |",
            live.saturating_sub(base.0) as f64 / 1_048_576.0,
            peak.saturating_sub(base.0) as f64 / 1_048_576.0,
            anon().saturating_sub(base.1) as f64 / 1024.0
        ));
    };
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let base = (LIVE.load(Relaxed), anon());
    let core = Core::open(app_dir, livecard_format::Region::default())
        .await?
        .with_secrets(std::sync::Arc::new(
            livecard_core::keystore::MemoryStore::new(),
        ));
    step("`Core::open` (pool, migrations)", base);
    let w = core.cards_window("", Sort::Name, 0, 50).await?;
    step(
        &format!("+ first `cards_window` (index of {} cards loaded)", w.total),
        base,
    );
    core.cards_window("walker", Sort::Name, 0, 50).await?;
    core.cards_window("zhang", Sort::Name, 0, 50).await?;
    step("+ two searches (name ranks cached)", base);
    drop(core);
    step("after dropping the core", base);
    Ok(format!(
        "The core on this store, opened in the bench process (a counting allocator; the app's \
         own process is measured above from /proc), MiB above the bench's baseline:\n\n\
         | step | Rust heap live | Rust heap peak | anon memory (incl. SQLite) |\n\
         | --- | ---: | ---: | ---: |\n{}\n\n",
        rows.join("\n")
    ))
}

// ------------------------------------------------------------------ statistics

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (s.len() as f64 - 1.0)).round() as usize;
    s[i.min(s.len() - 1)]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

// ------------------------------------------------------------------ the session

struct Session {
    client: Client,
    _driver: Driver,
    pid: u32,
}

async fn launch(a: &Args, data: &Path) -> Res<(Session, f64, f64)> {
    let app_dir = data.join("app");
    wait_no_app(&app_dir.display().to_string()).await?;
    let env = vec![(
        "LIVECARD_KEYSTORE".to_string(),
        format!("insecure-file:{}", data.join("app-keys").display()),
    )];
    let driver = Driver::start(&env, &data.join("tauri-driver.log"))?;
    let caps = json!({
        "browserName": "wry",
        "tauri:options": {"application": a.app, "args": ["--data-dir", app_dir]},
    });
    let Value::Object(caps) = caps else {
        return Err("capabilities".into());
    };
    let deadline = Instant::now() + WAIT;
    let client = loop {
        match ClientBuilder::rustls()?
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline && e.to_string().contains("did not respond") => {
                tokio::time::sleep(POLL).await
            }
            Err(e) => return Err(format!("no WebDriver session: {e}").into()),
        }
    };
    let marker = app_dir.display().to_string();
    let apps = find_apps(&marker);
    if apps.len() != 1 {
        // Close the session so the app it started does not outlive the bench.
        let _ = client.close().await;
        return Err(format!("expected one app process on the data dir, found {apps:?}").into());
    }
    let pid = apps[0];
    let started = process_start_epoch_ms(pid).ok_or("the app's start time from /proc")?;
    // Poll for the first-rows mark (set once, when the first rows are in the DOM).
    let deadline = Instant::now() + WAIT;
    let mark = loop {
        let v = client
            .execute(
                "const m = performance.getEntriesByName('livecard:first-rows')[0];\
                 return m ? [performance.timeOrigin + m.startTime, performance.timeOrigin] : null;",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if let Some(arr) = v.as_array() {
            let f = |i: usize| arr.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
            break (f(0), f(1));
        }
        if Instant::now() > deadline {
            return Err("no livecard:first-rows mark: did the card list show?".into());
        }
        tokio::time::sleep(POLL).await;
    };
    Ok((
        Session {
            client,
            _driver: driver,
            pid,
        },
        mark.0 - started,
        mark.1 - started,
    ))
}

/// Runs `script` (async: its last argument is the callback) and returns what it answered.
async fn run_async(c: &Client, script: &str, args: Vec<Value>) -> Res<Value> {
    let v = c.execute_async(script, args).await?;
    if let Some(e) = v.get("error") {
        return Err(format!("in the page: {e}").into());
    }
    Ok(v)
}

const KEYSTROKE_JS: &str = r#"
const q = arguments[0];
const done = arguments[arguments.length - 1];
const input = document.querySelector('[data-testid=search]');
const results = () => document.querySelector('[data-testid=card-results]');
const want = q.trim();
let finished = false;
let mo = null;
const t0 = performance.now();
const finish = () => {
  const r = results();
  if (finished || !r || r.dataset.query !== want) return;
  finished = true;
  mo.disconnect();
  const t1 = performance.now();
  requestAnimationFrame(() => done({
    dom: t1 - t0, frame: performance.now() - t0, total: Number(r.dataset.total),
    rows: document.querySelectorAll('[data-testid=card-row]').length,
  }));
};
mo = new MutationObserver(finish);
mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
input.value = q;
input.dispatchEvent(new Event('input', { bubbles: true }));
setTimeout(() => { if (!finished) { finished = true; mo.disconnect(); done({ error: 'no list update for ' + q }); } }, 20000);
"#;

const SCROLL_JS: &str = r#"
const frac = arguments[0];
const done = arguments[arguments.length - 1];
const list = document.querySelector('[data-testid=card-list]');
const m = list.closest('main');
const t0 = performance.now();
m.scrollTop = Math.round(frac * (m.scrollHeight - m.clientHeight));
const box = m.getBoundingClientRect();
const loaded = () => {
  if (list.querySelector('[aria-busy]')) return false;
  const el = document.elementFromPoint(box.left + box.width / 2, box.top + box.height * 0.75);
  return !!(el && el.closest('[data-testid=card-row]'));
};
const tick = () => {
  if (loaded()) {
    const t1 = performance.now();
    requestAnimationFrame(() => done({ dom: t1 - t0, frame: performance.now() - t0 }));
  } else if (performance.now() - t0 > 20000) {
    done({ error: 'rows did not load at ' + frac });
  } else {
    requestAnimationFrame(tick);
  }
};
tick();
"#;

const IPC_JS: &str = r#"
const [cmd, args, n] = [arguments[0], arguments[1], arguments[2]];
const done = arguments[arguments.length - 1];
(async () => {
  const times = [];
  let bytes = 0, rows = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const v = await window.__TAURI_INTERNALS__.invoke(cmd, args);
    times.push(performance.now() - t0);
    if (i === 0) { bytes = JSON.stringify(v).length; rows = Array.isArray(v) ? v.length : v.rows.length; }
  }
  times.sort((a, b) => a - b);
  done({ median: times[Math.floor(times.length / 2)], max: times[times.length - 1], bytes, rows });
})().catch((e) => done({ error: String(e && e.message || e) }));
"#;

/// The memory table: per process (by name, summed if a name repeats) and in total, RSS / PSS
/// / USS right after launch and at the end of the run.
fn mem_table(launch: &[Mem], end: &[Mem]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for m in launch.iter().chain(end) {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let sum = |v: &[Mem], name: Option<&str>| {
        v.iter()
            .filter(|m| name.is_none_or(|n| m.name == n))
            .fold(Mem::default(), |a, m| Mem {
                name: String::new(),
                rss: a.rss + m.rss,
                pss: a.pss + m.pss,
                uss: a.uss + m.uss,
                anon: a.anon + m.anon,
                gl: a.gl + m.gl,
            })
    };
    let mib = |k: u64| format!("{:.1}", k as f64 / 1024.0);
    let cells = |m: &Mem| {
        format!(
            "{} | {} | {} | {} | {}",
            mib(m.rss),
            mib(m.pss),
            mib(m.uss),
            mib(m.anon),
            mib(m.gl)
        )
    };
    let mut md = String::from(
        "\nMemory in MiB from /proc/PID/smaps_rollup of the app and every process under it. \
         RSS counts shared libraries (WebKitGTK, GTK, …) in full in each of the three processes; \
         PSS splits each shared page among the processes mapping it, so the PSS total is what \
         the app costs the machine and is what the ≤ 200 MB target is compared with; USS = \
         private pages only; anon = heap and other anonymous memory; GL = PSS of the GL \
         driver's files (here Mesa's software rasteriser: `*_dri.so`, libLLVM), which WebKitGTK \
         loads in the app and the web process even with compositing off.\n\n\
         | process | launch RSS | PSS | USS | anon | GL | end RSS | PSS | USS | anon | GL |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for n in &names {
        md.push_str(&format!(
            "| {n} | {} | {} |\n",
            cells(&sum(launch, Some(n))),
            cells(&sum(end, Some(n)))
        ));
    }
    md.push_str(&format!(
        "| **total** | {} | {} |\n\n",
        cells(&sum(launch, None)),
        cells(&sum(end, None))
    ));
    let (l, e) = (sum(launch, None), sum(end, None));
    md.push_str(&format!(
        "PSS total **{} MiB** after launch with the list showing, **{} MiB** at the end of the run \
         (after the IPC comparison's 15 × every card through the old path, the keystrokes and \
         the scroll jumps); RSS total {} / {} MiB. Target ≤ 200 MB (190.7 MiB).\n\n",
        mib(l.pss),
        mib(e.pss),
        mib(l.rss),
        mib(e.rss)
    ));
    md
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res<()> {
    let a = args()?;
    for p in [&a.app, &a.cli] {
        if !p.exists() {
            return Err(format!(
                "{} is missing (scripts/bench-app.sh builds it)",
                p.display()
            )
            .into());
        }
    }
    let tmp = tempfile::tempdir()?;
    let data = tmp.path();
    let app_dir = data.join("app");
    std::fs::create_dir_all(&app_dir)?;
    std::fs::write(
        app_dir.join("settings.json"),
        json!({"language": "en", "onboarded": true}).to_string(),
    )?;
    let vcf = data.join("contacts.vcf");
    std::fs::write(&vcf, many_cards_vcf(a.cards))?;

    eprintln!("bench-app: importing {} cards with the CLI", a.cards);
    let t = Instant::now();
    let out = Command::new(&a.cli)
        .arg("--data-dir")
        .arg(&app_dir)
        .arg("add")
        .arg(&vcf)
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", data.join("app-keys").display()),
        )
        .output()?;
    if !out.status.success() {
        return Err(format!("livecard add: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let import_s = t.elapsed().as_secs_f64();
    let db_mib = std::fs::read_dir(&app_dir)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("livecard.sqlite")
        })
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1_048_576.0;

    let heap = core_heap(&app_dir).await?;

    // Launches: process start → first rows. The last session stays for the rest.
    let mut first_rows = Vec::new();
    let mut nav_start = Vec::new();
    let mut session = None;
    for i in 0..a.launches.max(1) {
        eprintln!("bench-app: launch {}/{}", i + 1, a.launches.max(1));
        let (s, ms, nav) = launch(&a, data).await?;
        first_rows.push(ms);
        nav_start.push(nav);
        if i + 1 < a.launches.max(1) {
            let Session {
                client,
                _driver,
                pid,
            } = s;
            client.close().await?;
            drop(_driver);
            stop_app(pid).await;
        } else {
            session = Some(s);
        }
    }
    let s = session.ok_or("no session")?;
    let c = &s.client;

    let count: Value = c
        .execute(
            "return [document.querySelectorAll('[data-testid=card-row]').length,\
             document.getElementsByTagName('*').length,\
             document.querySelector('[data-testid=card-count]')?.textContent];",
            vec![],
        )
        .await?;

    // Memory right after launch (the windowed list showing), before anything else ran.
    let procs_launch = mem_tree(s.pid);

    // IPC cost of each data path (no DOM): every card, a broad search, one window.
    eprintln!("bench-app: IPC");
    let mut ipc = Vec::new();
    for (label, cmd, args) in [
        (
            "`cards_list` (every card; the old list)",
            "cards_list",
            json!({"sort": "name"}),
        ),
        (
            "`cards_search` \"walker\" (5,000 hits; the old search)",
            "cards_search",
            json!({"query": "walker"}),
        ),
        (
            "`cards_search` \"zhang\" (the old search)",
            "cards_search",
            json!({"query": "zhang"}),
        ),
        (
            "`cards_window` no query, 50 rows",
            "cards_window",
            json!({"query": "", "sort": "name", "offset": 0, "limit": 50}),
        ),
        (
            "`cards_window` \"walker\", 50 rows",
            "cards_window",
            json!({"query": "walker", "sort": "name", "offset": 0, "limit": 50}),
        ),
        (
            "`cards_window` \"zhang\", 50 rows",
            "cards_window",
            json!({"query": "zhang", "sort": "name", "offset": 0, "limit": 50}),
        ),
    ] {
        let v = run_async(c, IPC_JS, vec![json!(cmd), args, json!(15)]).await?;
        ipc.push((label, v));
    }

    // Keystrokes: each query typed key by key (each prefix is one keystroke), then cleared.
    eprintln!("bench-app: keystrokes");
    let queries = [
        "zhang",
        "walker 0",
        "13900",
        "alice",
        "company 4",
        "wsy",
        "黄静",
    ];
    let mut dom = Vec::new();
    let mut frame = Vec::new();
    let mut typed = 0;
    for q in queries {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let prefix: String = chars[..n].iter().collect();
            if prefix.ends_with(' ') {
                continue; // the same trimmed query as the key before: no new list
            }
            let v = run_async(c, KEYSTROKE_JS, vec![json!(prefix)]).await?;
            dom.push(v["dom"].as_f64().unwrap_or(f64::NAN));
            frame.push(v["frame"].as_f64().unwrap_or(f64::NAN));
            typed += 1;
        }
        let v = run_async(c, KEYSTROKE_JS, vec![json!("")]).await?;
        dom.push(v["dom"].as_f64().unwrap_or(f64::NAN));
        frame.push(v["frame"].as_f64().unwrap_or(f64::NAN));
        typed += 1;
    }

    // Scroll jumps across the whole list.
    eprintln!("bench-app: scroll jumps");
    let mut jump = Vec::new();
    for k in 0..=20 {
        // A fixed spread over the list, not in order (0, 0.55, 0.1, …).
        let frac = ((k * 11) % 21) as f64 / 20.0;
        let v = run_async(c, SCROLL_JS, vec![json!(frac)]).await?;
        jump.push(v["frame"].as_f64().unwrap_or(f64::NAN));
    }
    let rows_after: Value = c
        .execute(
            "return document.querySelectorAll('[data-testid=card-row]').length;",
            vec![],
        )
        .await?;

    // Memory at the end: the app and every process under it (WebKit web and network
    // processes), after the IPC comparison (15 × every card through the old path), the
    // keystrokes and the scroll jumps.
    let procs = mem_tree(s.pid);

    let Session {
        client, _driver, ..
    } = s;
    client.close().await?;
    drop(_driver);

    // ------------------------------------------------------------ the report
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let when = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();

    let f1 = |x: f64| format!("{x:.1}");
    let mut md = String::new();
    md.push_str(&format!(
        "Measured by `scripts/bench-app.sh` on {when}, commit {commit}, the {build} app \
         (`{app}`) under Xvfb via tauri-driver/WebKitWebDriver (WebKitGTK).\n\
         Machine: {machine}, {cores} cores, load average {load} at the end (shared: other \
         builds ran; the numbers are noisy upper bounds).\n\n",
        build = a.build,
        app = a.app.display(),
        load = load.join(" "),
    ));
    md.push_str(&format!(
        "{n} received cards imported by `livecard add` of one .vcf in {import_s:.1} s \
         (store {db_mib:.1} MiB); list in the DOM after launch: {rows} rows, {elems} elements \
         (\"{cnt}\"); after the scroll jumps: {after} rows.\n\n",
        n = a.cards,
        rows = count[0],
        elems = count[1],
        cnt = count[2].as_str().unwrap_or_default(),
        after = rows_after,
    ));
    md.push_str("| measure | p50 | p95 | max | target |\n| --- | ---: | ---: | ---: | --- |\n");
    md.push_str(&format!(
        "| launch → first list rows in the DOM, ms ({} launches) | {} | {} | {} | ≤ 1000 |\n",
        first_rows.len(),
        f1(pct(&first_rows, 50.0)),
        f1(pct(&first_rows, 95.0)),
        f1(max(&first_rows))
    ));
    md.push_str(&format!(
        "| (of which process start → page navigation start, ms) | {} | {} | {} | |\n",
        f1(pct(&nav_start, 50.0)),
        f1(pct(&nav_start, 95.0)),
        f1(max(&nav_start))
    ));
    md.push_str(&format!(
        "| keystroke → list updated in the DOM, ms ({typed} keys) | {} | {} | {} | |\n",
        f1(pct(&dom, 50.0)),
        f1(pct(&dom, 95.0)),
        f1(max(&dom))
    ));
    md.push_str(&format!(
        "| keystroke → next frame after the update, ms | {} | {} | {} | p95 ≤ 50 |\n",
        f1(pct(&frame, 50.0)),
        f1(pct(&frame, 95.0)),
        f1(max(&frame))
    ));
    md.push_str(&format!(
        "| scroll jump → rows in view loaded, next frame, ms ({} jumps) | {} | {} | {} | |\n",
        jump.len(),
        f1(pct(&jump, 50.0)),
        f1(pct(&jump, 95.0)),
        f1(max(&jump))
    ));
    md.push_str(&mem_table(&procs_launch, &procs));
    md.push_str(&heap);
    md.push_str(
        "IPC through `invoke` in the webview (15 calls each; JSON answer size as the page \
         sees it):\n\n| call | rows | JSON bytes | median ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    for (label, v) in &ipc {
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            v["rows"],
            v["bytes"],
            f1(v["median"].as_f64().unwrap_or(f64::NAN)),
            f1(v["max"].as_f64().unwrap_or(f64::NAN))
        ));
    }
    println!("{md}");

    if let Some(doc) = &a.doc {
        let old = std::fs::read_to_string(doc).unwrap_or_default();
        let (begin, end) = (
            format!("{BEGIN} {} -->", a.build),
            format!("{END} {} -->", a.build),
        );
        let section = format!("{begin}\n{md}{end}");
        let new = match (old.find(&begin), old.find(&end)) {
            (Some(b), Some(e)) if e > b => {
                format!("{}{section}{}", &old[..b], &old[e + end.len()..])
            }
            // No section for this build yet: after the last build's section.
            _ => match old
                .rfind(END)
                .and_then(|e| Some(e + old[e..].find("-->")? + 3))
            {
                Some(at) => format!("{}\n\n{section}{}", &old[..at], &old[at..]),
                None => format!(
                    "{}\n## App with 10,000 cards\n\nThe windowed card list in the real desktop \
                     app (issue 15). Reproduce with `scripts/bench-app.sh`.\n\n{section}\n",
                    old.trim_end()
                ),
            },
        };
        std::fs::write(doc, new)?;
        eprintln!("bench-app: wrote its section of {}", doc.display());
    }
    Ok(())
}
