//! Issue 6: owner signing keys, share secrets and the PIN state live only in the keystore —
//! never in the client's files (SQLite, its WAL, anything under the data directory), never on
//! the server, never in what the core could log.
//!
//! A real client store in a tempdir, a real livecard-server in-process on 127.0.0.1 and an
//! in-memory keystore, so the test can read the secrets back and look for them, byte by byte,
//! in every file — raw and in every text form the code writes bytes in (hex, base32, base64,
//! base64url, a JSON array of numbers), also as a run inside a longer encoded text.
//!
//! Logs: the core itself has no logging (no `tracing`/`log` dependency, no print macros; the
//! source scan below fails when one is added). Its dependencies do log (sqlx, hyper, reqwest,
//! rustls): the flow runs with a subscriber that records everything at TRACE — `tracing`
//! events and `log` records — and the record is scanned like the files. Neither the app nor
//! the CLI installs a logger today; this keeps the promise true if one is added. What a log
//! line would print of the values the flow returns (`{:?}`, error messages) is scanned too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use data_encoding::{Encoding, BASE32_NOPAD, BASE64URL_NOPAD, BASE64_NOPAD, HEXLOWER, HEXUPPER};
use livecard_core::keystore::{secret_name, seed_name, MemoryStore, SecretStore};
use livecard_core::lock::LOCK_STATE_NAME;
use livecard_core::{Core, Edit};
use livecard_format::crypto::{derive_key, ShareSecret};
use livecard_format::wire::CardId;
use livecard_format::{Field, Region};

mod common;
use common::Server;

const PIN: &str = "13572468";
const WRONG_PIN: &str = "86427531";
const PASSPHRASE: &str = "correct horse battery staple";

async fn device(dir: &Path, ks: &Arc<MemoryStore>, server: &str) -> Core {
    Core::open(dir, Region::default())
        .await
        .expect("open core")
        .with_secrets(ks.clone())
        .with_server(Some(server.to_string()))
        .with_insecure_pin_hash_for_tests()
}

/// One byte string to look for, and which secret in which form it is.
#[derive(Clone)]
struct Needle {
    what: String,
    bytes: Vec<u8>,
}

/// The characters of `enc` (`bits` per character, `block` input bytes per full group) that
/// depend on `secret` alone, for each alignment of the secret inside a longer encoded text.
fn encoded_runs(enc: &Encoding, bits: usize, block: usize, secret: &[u8]) -> Vec<String> {
    (0..block)
        .map(|shift| {
            let mut buf = vec![0u8; shift];
            buf.extend_from_slice(secret);
            let text = enc.encode(&buf);
            let start = (8 * shift).div_ceil(bits);
            let end = 8 * (shift + secret.len()) / bits;
            text[start..end].to_string()
        })
        .collect()
}

/// Every form in which `secret` could have been written.
fn forms(what: &str, secret: &[u8]) -> Vec<Needle> {
    assert!(secret.len() >= 8, "{what}: too short to search for");
    let mut out = vec![Needle {
        what: format!("{what} (raw)"),
        bytes: secret.to_vec(),
    }];
    let encodings: [(&str, &Encoding, usize, usize); 5] = [
        ("hex", &HEXLOWER, 4, 1),
        ("HEX", &HEXUPPER, 4, 1),
        ("base32", &BASE32_NOPAD, 5, 5),
        ("base64", &BASE64_NOPAD, 6, 3),
        ("base64url", &BASE64URL_NOPAD, 6, 3),
    ];
    for (name, enc, bits, block) in encodings {
        for (shift, run) in encoded_runs(enc, bits, block, secret)
            .into_iter()
            .enumerate()
        {
            out.push(Needle {
                what: format!("{what} ({name}, offset {shift})"),
                bytes: run.clone().into_bytes(),
            });
            if name == "base32" {
                out.push(Needle {
                    what: format!("{what} (lowercase base32, offset {shift})"),
                    bytes: run.to_lowercase().into_bytes(),
                });
            }
        }
    }
    // serde's default for a byte vector: [12,34,…].
    let json = serde_json::to_string(secret).expect("json");
    out.push(Needle {
        what: format!("{what} (JSON array)"),
        bytes: json
            .trim_matches(|c| c == '[' || c == ']')
            .as_bytes()
            .to_vec(),
    });
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Which needles occur in `hay` ("<where>: <what>").
fn found_in(place: &str, hay: &[u8], needles: &[Needle]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| hay.windows(n.bytes.len()).any(|w| w == n.bytes.as_slice()))
        .map(|n| format!("{place}: {}", n.what))
        .collect()
}

/// Which needles occur in any file under `dir`, and the files read. A pass in which a listed
/// file vanished is repeated: SQLite checkpoints a WAL into the main file and then deletes it
/// (also just after `close` returns, from the closing connection's thread), so that pass may
/// have read the main file before the WAL's pages reached it and then missed the WAL.
fn scan_dir(dir: &Path, needles: &[Needle]) -> (Vec<String>, Vec<PathBuf>) {
    'pass: for _ in 0..1000 {
        let mut hits = Vec::new();
        let mut read = Vec::new();
        for f in files_under(dir) {
            let bytes = match std::fs::read(&f) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue 'pass,
                Err(e) => panic!("reading {}: {e}", f.display()),
            };
            hits.extend(found_in(&f.display().to_string(), &bytes, needles));
            read.push(f);
        }
        return (hits, read);
    }
    panic!("files under {} keep vanishing", dir.display());
}

fn secret_of(ks: &MemoryStore, name: &str) -> Vec<u8> {
    ks.get(name)
        .expect("keystore")
        .unwrap_or_else(|| panic!("keystore has no {name}"))
        .to_vec()
}

/// The salt and hash of a PHC string `$argon2id$v=19$m=…,t=…,p=…$SALT$HASH` (B64, no padding).
fn phc_salt_and_hash(phc: &str) -> (Vec<u8>, Vec<u8>) {
    let parts: Vec<&str> = phc.split('$').collect();
    assert_eq!(parts.len(), 6, "PHC string: {phc}");
    assert_eq!(parts[1], "argon2id");
    let salt = BASE64_NOPAD.decode(parts[4].as_bytes()).expect("salt");
    let hash = BASE64_NOPAD.decode(parts[5].as_bytes()).expect("hash");
    (salt, hash)
}

#[test]
fn the_scan_finds_a_secret_in_every_form_it_looks_for() {
    let secret: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let other: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(53).wrapping_add(7))
        .collect();
    let needles = forms("seed", &secret);
    let mut shifted = vec![b'x'];
    shifted.extend_from_slice(&secret);
    let written: Vec<(&str, Vec<u8>)> = vec![
        ("raw", [b"head".as_slice(), &secret, b"tail"].concat()),
        ("hex", HEXLOWER.encode(&secret).into_bytes()),
        ("HEX", HEXUPPER.encode(&secret).into_bytes()),
        ("base32", BASE32_NOPAD.encode(&secret).into_bytes()),
        (
            "base32 lower",
            BASE32_NOPAD.encode(&secret).to_lowercase().into_bytes(),
        ),
        (
            "base64 padded",
            data_encoding::BASE64.encode(&secret).into_bytes(),
        ),
        ("base64url", BASE64URL_NOPAD.encode(&secret).into_bytes()),
        (
            "base64 inside a longer value",
            BASE64_NOPAD.encode(&shifted).into_bytes(),
        ),
        (
            "base32 inside a longer value",
            BASE32_NOPAD.encode(&shifted).into_bytes(),
        ),
        (
            "JSON",
            serde_json::to_vec(&serde_json::json!({ "k": secret })).unwrap(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (form, bytes)) in written.iter().enumerate() {
        std::fs::write(dir.path().join(format!("scratch{i}")), bytes).unwrap();
        assert!(
            !found_in(form, bytes, &needles).is_empty(),
            "a secret written as {form} is not found"
        );
        assert!(
            found_in(form, bytes, &forms("other", &other)).is_empty(),
            "a different secret is reported in {form}"
        );
    }
    let sub = dir.path().join("nested");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("deep"), BASE64URL_NOPAD.encode(&shifted)).unwrap();
    let (hits, files) = scan_dir(dir.path(), &needles);
    assert_eq!(files.len(), written.len() + 1);
    for i in 0..written.len() {
        let name = format!("scratch{i}:");
        assert!(hits.iter().any(|h| h.contains(&name)), "{name} {hits:?}");
    }
    assert!(hits.iter().any(|h| h.contains("deep:")), "{hits:?}");
}

/// Every log record of the process, as text (written by the subscriber `capture_logs` installs).
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a global subscriber that records every event at TRACE, `log` records included.
fn capture_logs() {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_ansi(false)
        .with_writer(|| LogWriter)
        .try_init()
        .expect("the only subscriber of this test binary");
}

fn captured_log() -> Vec<u8> {
    LOG.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[tokio::test]
async fn keys_share_secrets_and_pin_state_stay_in_the_keystore() {
    capture_logs();
    let srv_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    let srv = Server::start(srv_dir.path(), None).await;
    let ks = Arc::new(MemoryStore::new());
    let core = device(&data, &ks, &srv.url()).await;

    // An own card, published, its link reset (a second share secret), edited and published
    // again; a PIN set, the lock closed, one wrong PIN, the right one; a key backup exported.
    core.edit_own(
        None,
        &[
            Edit::set(Field::Name, "欧阳锋"),
            Edit::set(Field::Mobile, "+8613800138000"),
            Edit::set(Field::Email, "ouyang@example.com"),
        ],
    )
    .await
    .expect("edit");
    let p1 = core.publish(None).await.expect("publish");
    let card_id = p1.card_id.clone();
    let old_secret = secret_of(&ks, &secret_name(&card_id));
    let p2 = core.reset_link(None).await.expect("reset link");
    assert_eq!(p2.card_id, card_id);
    core.edit_own(None, &[Edit::set(Field::Bulletin, "新品八折")])
        .await
        .expect("edit");
    let p3 = core.publish(None).await.expect("publish again");
    assert_eq!(p3.link, p2.link);
    let share = core.own_share(None).await.expect("own share");

    let status = core.set_pin(PIN, None).await.expect("set PIN");
    assert!(status.pin_set);
    core.lock_now().await.expect("lock");
    let wrong = core.unlock(WRONG_PIN).await.expect_err("wrong PIN");
    assert_eq!(wrong.kind(), "wrong_pin");
    core.unlock(PIN).await.expect("unlock");
    let backup = core.export_keys(PASSPHRASE).await.expect("export keys");

    // The secrets, read back from the keystore under their names.
    let seed = secret_of(&ks, &seed_name(&card_id));
    let secret = secret_of(&ks, &secret_name(&card_id));
    let lock_state = secret_of(&ks, LOCK_STATE_NAME);
    assert_eq!(seed.len(), 32);
    assert_eq!(secret.as_slice(), share.secret.as_bytes().as_slice());
    assert_ne!(secret, old_secret, "reset link made a new secret");
    assert!(
        p3.link.ends_with(&share.secret.to_base32()),
        "the link carries the keystore's secret"
    );
    let state: serde_json::Value = serde_json::from_slice(&lock_state).expect("lock state JSON");
    let phc = state["pin_hash"].as_str().expect("pin_hash").to_string();
    let (salt, hash) = phc_salt_and_hash(&phc);
    let id = CardId::parse(&card_id).expect("card id");
    let aes = |s: &[u8]| {
        let s: [u8; 16] = s.try_into().expect("16-byte secret");
        derive_key(&id, &ShareSecret::from_bytes(s)).to_vec()
    };

    let mut needles = Vec::new();
    needles.extend(forms("owner signing-key seed", &seed));
    needles.extend(forms("share secret", &secret));
    needles.extend(forms("share secret before reset", &old_secret));
    needles.extend(forms(
        "card key derived from the share secret",
        &aes(&secret),
    ));
    needles.extend(forms("card key of the old secret", &aes(&old_secret)));
    needles.extend(forms("lock state", &lock_state));
    needles.extend(forms("PIN hash salt", &salt));
    needles.extend(forms("PIN hash", &hash));
    needles.push(Needle {
        what: "PIN hash (PHC string)".into(),
        bytes: phc.clone().into_bytes(),
    });
    // The PIN itself, never stored anywhere.
    let mut with_pin = forms("PIN", PIN.as_bytes());
    with_pin.extend(needles.iter().cloned());

    // What a log line could print of the values of this flow.
    let printed = [
        format!("{core:?}"),
        format!("{ks:?}"),
        format!("{share:?}"),
        format!("{:?}", share.link),
        format!("{status:?}"),
        format!("{:?}", core.lock_status().await.expect("status")),
        format!("{wrong:?} {wrong}"),
    ]
    .join("\n");
    let hits = found_in("debug output", printed.as_bytes(), &with_pin);
    assert!(hits.is_empty(), "{hits:#?}\n{printed}");

    // The backup holds the keys only sealed (and restores them: it is not empty).
    let hits = found_in("key backup", &backup, &with_pin);
    assert!(hits.is_empty(), "{hits:#?}");

    // The client's files, while open (WAL and shared memory present) and after closing.
    let (hits, open_files) = scan_dir(&data, &with_pin);
    assert!(
        hits.is_empty(),
        "secrets in the open data directory: {hits:#?}"
    );
    let names: Vec<String> = open_files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(
        names.iter().any(|n| n == "livecard.sqlite"),
        "scanned {names:?}"
    );
    core.close().await;
    let (hits, files) = scan_dir(&data, &with_pin);
    assert!(hits.is_empty(), "secrets in the data directory: {hits:#?}");
    // The scan reads the real data: the card's plaintext is found (positive control).
    let plain = [Needle {
        what: "card name".into(),
        bytes: "欧阳锋".as_bytes().to_vec(),
    }];
    let (plain_hits, _) = scan_dir(&data, &plain);
    assert!(!plain_hits.is_empty(), "the card is not in {files:?}");

    // A restart: the lock loads from the keystore, the right PIN opens it; still nothing in
    // the files.
    let again = device(&data, &ks, &srv.url()).await;
    assert!(again.lock_status().await.expect("status").locked);
    again.unlock(PIN).await.expect("unlock after restart");
    assert_eq!(
        again.own_card(None).await.expect("own card").card.name,
        "欧阳锋"
    );
    again.close().await;
    let (hits, _) = scan_dir(&data, &with_pin);
    assert!(hits.is_empty(), "secrets after a restart: {hits:#?}");

    // The server never held a seed, a share secret, a card key or anything of the lock.
    srv.stop().await;
    let (hits, server_files) = scan_dir(srv_dir.path(), &with_pin);
    assert!(
        server_files.iter().any(|f| f.ends_with("server.db")),
        "{server_files:?}"
    );
    assert!(hits.is_empty(), "secrets on the server: {hits:#?}");

    // The backup restores exactly the keystore's keys on a new device.
    let ks2 = Arc::new(MemoryStore::new());
    let other = device(&dir.path().join("new-phone"), &ks2, "http://127.0.0.1:9").await;
    let imported = other
        .import_keys(&backup, PASSPHRASE)
        .await
        .expect("import");
    assert_eq!(imported.cards, vec![card_id.clone()]);
    assert_eq!(secret_of(&ks2, &seed_name(&card_id)), seed);
    assert_eq!(secret_of(&ks2, &secret_name(&card_id)), secret);
    other.close().await;
    let (hits, _) = scan_dir(&dir.path().join("new-phone"), &needles);
    assert!(hits.is_empty(), "secrets after a restore: {hits:#?}");

    // Everything the dependencies logged at TRACE during the whole flow (SQL, HTTP on both
    // sides, the server's own log lines). The record is real: it holds the SQL the store ran
    // and the requests that went over 127.0.0.1.
    let log = captured_log();
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains("sqlx::query") && text.contains("own_cards"),
        "no SQL in the captured log ({} bytes)",
        log.len()
    );
    assert!(
        text.contains("/v1/cards/"),
        "no HTTP request in the captured log ({} bytes)",
        log.len()
    );
    let hits = found_in("TRACE log", &log, &with_pin);
    assert!(hits.is_empty(), "secrets in the log: {hits:#?}");
}

/// The core writes no log: no logging crate, no print macros. Logging added to the core must
/// come with a captured-log scan in this file (the test above scans `{:?}` output only).
#[test]
fn the_core_has_no_log_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    // Runtime dependencies only: tests may depend on a subscriber (this file does).
    let mut dev = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            dev = line.contains("dev-dependencies");
            continue;
        }
        if dev {
            continue;
        }
        let key = line.split(['=', ' ', '.']).next().unwrap_or("");
        assert!(
            !matches!(key, "tracing" | "log" | "env_logger" | "tracing-subscriber"),
            "livecard-core now depends on {key}: capture its logs in tests/secrets_at_rest.rs"
        );
    }
    let banned = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "dbg!(",
        "tracing::",
        "log::",
        "stdout()",
        "stderr()",
    ];
    let mut hits = Vec::new();
    let sources = files_under(&root.join("src"));
    assert!(sources.len() > 10, "{sources:?}");
    for file in sources
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(file).expect("source");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                let Some(at) = line.find(b) else { continue };
                // `log::` only as a path of its own, not `backlog::`.
                let before = line[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                hits.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "the core writes output; scan it for secrets in this file:\n{}",
        hits.join("\n")
    );
}
