//! Radicale (the CardDAV server a user would pick instead) side by side: an address book of
//! typical cards as vCards (~430 B each) written into Radicale's file storage, Radicale started
//! on 127.0.0.1, then the same operations as for livecard: a change check with nothing changed
//! (`sync-collection` REPORT with the last sync token; and a `PROPFIND` of every `getetag`),
//! a full download (`addressbook-multiget` of every card) and the store size on disk (the
//! vCard files plus Radicale's own cache, after the requests).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};

use crate::{free_port, median, ms, wait_port, Conn, Proc};

const USER: &str = "bench";
/// `bench:x` — Radicale's `auth type = none` takes any password; the user owns /bench/.
const AUTH: &str = "Basic YmVuY2g6eA==";
const BOOK: &str = "/bench/cards/";

/// The vCard of typical card `i` (the fields of `crate::typical_card`), padded with a NOTE to
/// ~430 B as the issue's earlier measurement used.
pub(crate) fn vcard(i: usize) -> String {
    let mut v = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:livecard-bench-{i}\r\nFN:张三丰{i}\r\nN:张;三丰{i};;;\r\n\
         ORG:武当科技有限公司\r\nTITLE:销售总监\r\nTEL;TYPE=CELL:+86138{:08}\r\n\
         TEL;TYPE=CELL:+8613912345678\r\nEMAIL;TYPE=INTERNET:zhang{i}@wudang.example\r\n\
         ADR;TYPE=WORK:;;科技园科苑路15号;深圳市南山区;广东省;;\r\nURL:https://wudang.example\r\n\
         X-QQ:{}\r\nX-WECHAT:zhangsanfeng{i}\r\nREV:20261206T000000Z\r\n",
        i % 100_000_000,
        10_000_000 + i
    );
    let end = "END:VCARD\r\n";
    let note = "NOTE:";
    let pad = 430usize.saturating_sub(v.len() + end.len() + note.len() + 2);
    v.push_str(note);
    v.push_str(&"x".repeat(pad));
    v.push_str("\r\n");
    v.push_str(end);
    v
}

fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let m = e.metadata()?;
        total += if m.is_dir() {
            dir_bytes(&e.path())?
        } else {
            m.len()
        };
    }
    Ok(total)
}

pub(crate) struct Step {
    pub cards: usize,
    pub store_bytes: u64,
    pub first_listing: Duration,
    pub sync_collection: Duration,
    pub propfind: Duration,
    pub multiget: Duration,
    pub multiget_bytes: usize,
}

fn start(bin: &Path, dir: &Path) -> Result<(Proc, SocketAddr)> {
    let port = free_port()?;
    let conf = dir.join("config");
    let storage = dir.join("collections");
    std::fs::write(
        &conf,
        format!(
            "[server]\nhosts = 127.0.0.1:{port}\nmax_content_length = 100000000\n\
             [auth]\ntype = none\n[rights]\ntype = owner_only\n\
             [storage]\nfilesystem_folder = {}\n[web]\ntype = none\n[logging]\nlevel = warning\n",
            storage.display()
        ),
    )?;
    let child = Command::new(bin)
        .arg("--config")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    Ok((Proc(child), SocketAddr::from(([127, 0, 0, 1], port))))
}

/// One WebDAV request on a new connection (Radicale's built-in server closes the connection
/// after each answer).
async fn dav(addr: SocketAddr, method: &str, depth: &str, body: &str) -> Result<Bytes> {
    let m = Method::from_bytes(method.as_bytes())?;
    let mut conn = Conn::open(addr).await?;
    let (status, _, bytes) = conn
        .request(
            m,
            BOOK,
            &[
                ("authorization", AUTH),
                ("depth", depth),
                ("content-type", "application/xml; charset=utf-8"),
            ],
            Bytes::from(body.to_string()),
        )
        .await?;
    if status != StatusCode::MULTI_STATUS {
        bail!(
            "Radicale {method}: {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
    }
    Ok(bytes)
}

fn count(hay: &[u8], needle: &str) -> usize {
    let n = needle.as_bytes();
    hay.windows(n.len()).filter(|w| *w == n).count()
}

fn sync_token(body: &[u8]) -> Result<String> {
    let text = String::from_utf8_lossy(body);
    let start = text
        .find("sync-token>")
        .map(|i| i + "sync-token>".len())
        .context("no sync-token in Radicale's answer")?;
    let end = text[start..].find('<').context("unterminated sync-token")?;
    Ok(text[start..start + end].to_string())
}

/// One address book of `n` cards in a fresh Radicale.
async fn step(bin: &Path, dir: &Path, n: usize, rounds: usize) -> Result<Step> {
    let _ = std::fs::remove_dir_all(dir);
    let book = dir
        .join("collections/collection-root")
        .join(USER)
        .join("cards");
    std::fs::create_dir_all(&book)?;
    std::fs::write(
        book.join(".Radicale.props"),
        r#"{"D:displayname": "bench", "tag": "VADDRESSBOOK"}"#,
    )?;
    for i in 0..n {
        std::fs::write(book.join(format!("livecard-bench-{i}.vcf")), vcard(i))?;
    }
    let (_radicale, addr) = start(bin, dir)?;
    wait_port(addr).await?;

    let propfind = r#"<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>"#;
    let t = Instant::now();
    let listed = dav(addr, "PROPFIND", "1", propfind).await?;
    let first_listing = t.elapsed();
    // The collection itself plus every card.
    if count(&listed, "getetag>") < 2 * n {
        bail!("Radicale listed fewer than {n} etags");
    }

    let initial = r#"<?xml version="1.0" encoding="utf-8"?><sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>"#;
    let first = dav(addr, "REPORT", "0", initial).await?;
    let token = sync_token(&first)?;
    let again = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><sync-collection xmlns="DAV:"><sync-token>{token}</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>"#
    );
    let hrefs: String = (0..n)
        .map(|i| format!("<href>{BOOK}livecard-bench-{i}.vcf</href>"))
        .collect();
    let multiget = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><prop><getetag/><C:address-data/></prop>{hrefs}</C:addressbook-multiget>"#
    );
    let (mut sc, mut pf, mut mg) = (Vec::new(), Vec::new(), Vec::new());
    let mut multiget_bytes = 0;
    let r = if n > 5_000 { rounds.min(5) } else { rounds };
    for _ in 0..r.max(1) {
        let t = Instant::now();
        let body = dav(addr, "REPORT", "0", &again).await?;
        sc.push(t.elapsed());
        if count(&body, "href>") != 0 {
            bail!("Radicale sync-collection reported changes where there were none");
        }

        let t = Instant::now();
        dav(addr, "PROPFIND", "1", propfind).await?;
        pf.push(t.elapsed());

        let t = Instant::now();
        let body = dav(addr, "REPORT", "1", &multiget).await?;
        mg.push(t.elapsed());
        if count(&body, "BEGIN:VCARD") != n {
            bail!("Radicale multiget did not return {n} vCards");
        }
        multiget_bytes = body.len();
    }
    Ok(Step {
        cards: n,
        store_bytes: dir_bytes(&dir.join("collections"))?,
        first_listing,
        sync_collection: median(sc),
        propfind: median(pf),
        multiget: median(mg),
        multiget_bytes,
    })
}

pub(crate) async fn run(
    bin: &Path,
    dir: &Path,
    sizes: &[usize],
    rounds: usize,
) -> Result<Vec<Step>> {
    let mut out = Vec::new();
    for &n in sizes {
        eprintln!("== Radicale: {n} vCards");
        out.push(step(bin, dir, n, rounds).await?);
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(out)
}

pub(crate) fn version(bin: &Path) -> String {
    Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The side-by-side table; `livecard` = growth steps of one backend (matched by card count).
pub(crate) fn report(
    steps: &[Step],
    version: &str,
    livecard: Option<&crate::growth::Curve>,
    rounds: usize,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n### Side by side with Radicale {version}\n");
    let _ = writeln!(
        s,
        "Radicale from PyPI (in a venv the script makes under the target dir), file storage, \
         `auth = none`, a new connection per request (its built-in server closes each), the same typical cards as vCard 3.0 of \
         ~430 B (`vcard()` in crates/livecard-loadgen/src/radicale.rs) written into its \
         collection folder. Change check = `sync-collection` REPORT with the token of the \
         previous one (nothing changed); also `PROPFIND` Depth 1 of every `getetag`. Full \
         download = one `addressbook-multiget` of every card. Store = the collection folder \
         incl. Radicale's cache after the requests. livecard = the growth table's {} row at the \
         same size (sync of every id unchanged, full download of every id). Median of {rounds} \
         rounds (5 above 5k cards). Ratio = Radicale ÷ livecard.\n",
        livecard.map(|c| c.backend.as_str()).unwrap_or("(none)")
    );
    let _ = writeln!(
        s,
        "| cards | Radicale: first PROPFIND (cold) | sync-collection, nothing changed | PROPFIND getetag | multiget all | store | livecard: sync unchanged | full download | store | ratio change check / download / store |"
    );
    let _ = writeln!(
        s,
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for st in steps {
        let lc = livecard.and_then(|c| c.steps.iter().find(|x| x.cards == st.cards));
        let (lsync, lfull, lstore, ratio) = match lc {
            Some(l) => (
                format!("{:.1} ms", ms(l.sync_all)),
                format!("{:.1} ms", ms(l.full_all.time)),
                format!("{:.1} MB", l.store_bytes as f64 / 1e6),
                format!(
                    "**{:.0}× / {:.0}× / {:.1}×**",
                    ms(st.sync_collection) / ms(l.sync_all),
                    ms(st.multiget) / ms(l.full_all.time),
                    st.store_bytes as f64 / l.store_bytes as f64
                ),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            s,
            "| {} | {:.0} ms | {:.1} ms | {:.1} ms | {:.0} ms ({:.1} MB) | {:.1} MB | {} | {} | {} | {} |",
            st.cards,
            ms(st.first_listing),
            ms(st.sync_collection),
            ms(st.propfind),
            ms(st.multiget),
            st.multiget_bytes as f64 / 1e6,
            st.store_bytes as f64 / 1e6,
            lsync,
            lfull,
            lstore,
            ratio
        );
    }
    s
}
