//! Writes the seed corpora of every fuzz target under `fuzz/corpus/<target>/` (docs/FUZZING.md):
//! small real vCards (embedded photos, keys and sounds cut to a few bytes so that one
//! execution stays fast), MeCards, NDEF messages, and valid wire values — records, tombstones,
//! sync answers, offline copies and QR payloads — sealed with the fixed key and secret of
//! `fuzz_targets/fixed.rs`, so the targets can verify and open them.
//!
//! Run from `fuzz/`: `cargo run --release --example seeds` (an ordinary build, not a fuzz
//! build). Existing files of the same name are overwritten; nothing else is removed.

use std::fs;
use std::path::{Path, PathBuf};

use livecard_format::crypto::{self, CardKeys, ShareLink, ShareSecret};
use livecard_format::exchange::{self, CopySource, Tag, OFFLINE_QR_MAX_BYTES};
use livecard_format::mecard::to_mecard;
use livecard_format::ndef;
use livecard_format::vcard::to_vcard;
use livecard_format::wire::{
    b64url_decode, etag, ApiError, DeleteResponse, ErrorBody, ErrorCode, PutResponse, ServerInfo,
    SyncItem, SyncRequest, SyncResponse, DEFAULT_MAX_CIPHERTEXT_BYTES, DEFAULT_MAX_SYNC_IDS,
    PROTOCOL,
};
use livecard_format::{Address, Card, Field, Region};

#[path = "../fuzz_targets/fixed.rs"]
mod fixed;

/// 1×1 PNG: what an embedded photo is cut to.
const TINY_PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(target: &str, name: &str, bytes: &[u8]) -> Res<()> {
    let dir = root().join("corpus").join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(name), bytes)?;
    Ok(())
}

/// A vCard with embedded binary values (PHOTO/LOGO/SOUND/KEY) cut down: inline photos become
/// a 1×1 PNG, the other binary properties go; URL photos stay.
fn trim_vcard(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        if skipping {
            // Continuation lines (folded) and the blank line ending a 2.1 base64 value.
            if bare.starts_with([' ', '\t']) || bare.is_empty() {
                continue;
            }
            skipping = false;
        }
        let head = bare.split(':').next().unwrap_or("").to_ascii_uppercase();
        let name = head.split(';').next().unwrap_or("");
        let name = name.rsplit('.').next().unwrap_or(name);
        let binary = head.contains("ENCODING=B") || head.contains(";BASE64");
        match name {
            "PHOTO" | "LOGO" if binary => {
                let base64_21 = head.contains("BASE64");
                let enc = if base64_21 { "BASE64" } else { "b" };
                out.push_str(&format!(
                    "{name};ENCODING={enc};TYPE=PNG:{TINY_PNG_B64}\r\n"
                ));
                if base64_21 {
                    out.push_str("\r\n");
                }
                skipping = true;
            }
            "SOUND" | "KEY" if binary => skipping = true,
            _ => out.push_str(line),
        }
    }
    out
}

fn sample_cards() -> Res<Vec<Card>> {
    let r = Region::default();
    let mut full = Card::default();
    full.set(Field::Name, "张三丰", r)?;
    full.set(Field::Family, "张", r)?;
    full.set(Field::Given, "三丰", r)?;
    full.set(Field::Company, "华为技术有限公司", r)?;
    full.set(Field::Title, "高级工程师", r)?;
    full.set(Field::Industry, "通信", r)?;
    full.add(Field::Mobile, "13800138000", r)?;
    full.add(Field::Mobile, "+86 139 0013 9000", r)?;
    full.add(Field::Phone, "0755-28780808", r)?;
    full.add(Field::Fax, "0755-28780809", r)?;
    full.add(Field::Email, "zhang@example.com", r)?;
    full.add(Field::Website, "https://example.com/张", r)?;
    full.address
        .push(Address::from_text("深圳市龙岗区坂田华为基地"));
    full.set(Field::Qq, "10001", r)?;
    full.set(Field::Wechat, "zhangsf", r)?;
    full.set(Field::Weibo, "zhangsf", r)?;
    full.set(Field::Dingtalk, "zsf", r)?;
    full.set(Field::Bulletin, "新品发布：5G 模组八折", r)?;
    full.set(Field::TempNumber, "13700137000", r)?;
    full.set(Field::TempUntil, "2026-11-25T18:00:00Z", r)?;
    let png = b64url_decode(
        &TINY_PNG_B64
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_"),
    )?;
    full.set_avatar(png)?;
    let mut small = Card::default();
    small.set(Field::Name, "John Doe", r)?;
    small.add(Field::Email, "john@example.org", r)?;
    Ok(vec![full, small])
}

fn main() -> Res<()> {
    let repo = root().join("..");
    let data = repo.join("crates/livecard-format/tests/data");
    let cards = sample_cards()?;
    let keys = CardKeys::from_seed(&fixed::KEY_SEED);
    let secret = ShareSecret::from_bytes(fixed::SECRET);
    let link = ShareLink::new(fixed::BASE_URL, keys.id(), secret.clone());

    // --- vCard / contact text / MeCard
    for entry in fs::read_dir(data.join("vcards"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("vcf") {
            continue;
        }
        let bytes = fs::read(&path)?;
        let text = String::from_utf8_lossy(&bytes);
        let trimmed = trim_vcard(&text);
        let name = file_name(&path);
        if trimmed.len() > 8192 {
            println!("skipped {name}: {} bytes after trimming", trimmed.len());
            continue;
        }
        write("vcard", &name, trimmed.as_bytes())?;
        write("contact_text", &name, trimmed.as_bytes())?;
    }
    let mecard_seed =
        "MECARD:N:张,三;TEL:13800138000;EMAIL:zs@example.com;ORG:华为;ADR:深圳\\,龙岗;;";
    write("mecard", "seed1", mecard_seed.as_bytes())?;
    write("contact_text", "mecard-seed1", mecard_seed.as_bytes())?;
    for (i, card) in cards.iter().enumerate() {
        write("vcard", &format!("own-{i}.vcf"), to_vcard(card).as_bytes())?;
        write(
            "contact_text",
            &format!("own-{i}.vcf"),
            to_vcard(card).as_bytes(),
        )?;
        write("mecard", &format!("own-{i}"), to_mecard(card).as_bytes())?;
        write(
            "contact_text",
            &format!("own-mecard-{i}"),
            to_mecard(card).as_bytes(),
        )?;
    }

    // --- Sealed values with the fixed key and secret
    let record = crypto::seal_with_nonce(&cards[0], &keys, &secret, 3, [1u8; 12])?;
    let record_small = crypto::seal_with_nonce(&cards[1], &keys, &secret, 4, [2u8; 12])?;
    let tombstone = crypto::sign_delete(&keys, 5)?;
    let other = CardKeys::from_seed(&[8u8; 32]);

    // --- NDEF and exchange text
    for entry in fs::read_dir(data.join("ndef"))? {
        let path = entry?.path();
        write("ndef", &file_name(&path), &fs::read(&path)?)?;
    }
    // The plugin answers of crates/livecard-format/tests/fixtures/nfc/ (Android signed bytes,
    // iOS shapes, empty, non-NDEF, foreign records, refused ones).
    let answers = root().join("../crates/livecard-format/tests/fixtures/nfc");
    for entry in fs::read_dir(&answers)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json" || e == "txt") {
            write("nfc_answer", &file_name(&path), &fs::read(&path)?)?;
        }
    }
    let mut qr_payloads = Vec::new();
    let mut nfc_copies = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let src = CopySource {
            card,
            keys: &keys,
            version: 3,
        };
        for tag in Tag::ALL {
            let nfc = exchange::nfc_message(&link, Some(&src), tag)?;
            write("ndef", &format!("own-{i}-{}", tag.as_str()), &nfc.bytes)?;
            write(
                "ndef",
                &format!("own-{i}-{}-tlv", tag.as_str()),
                &nfc.tlv_bytes(),
            )?;
            for r in ndef::decode_message(&nfc.bytes)? {
                if r.mime_type().as_deref() == Some(exchange::CARD_MIME) {
                    nfc_copies.push(r.payload.clone());
                }
            }
        }
        for max in [OFFLINE_QR_MAX_BYTES, 300] {
            if let Some(qr) = exchange::offline_qr(&link, &src, max)? {
                write(
                    "exchange_text",
                    &format!("offline-qr-{i}-{max}"),
                    qr.text.as_bytes(),
                )?;
                let body = &qr.text[exchange::OFFLINE_QR_PREFIX.len()..];
                qr_payloads.push(base45::decode(body)?);
            }
        }
        write(
            "exchange_text",
            &format!("mecard-{i}"),
            to_mecard(card).as_bytes(),
        )?;
    }
    // An offline QR with the JSON plaintext of a server record.
    write(
        "exchange_text",
        "offline-qr-json",
        exchange::offline_qr_text(&link, &record_small).as_bytes(),
    )?;
    write("exchange_text", "link-qr", link.to_qr_text().as_bytes())?;
    write("exchange_text", "link", link.to_string().as_bytes())?;
    write("exchange_text", "vcard", to_vcard(&cards[1]).as_bytes())?;
    write("exchange_text", "url", b"https://example.org/some/page?x=1")?;
    write("exchange_text", "tel", b"tel:+8613800138000")?;

    // --- inbox_message: a reply sealed to the fixed inbox key, its plaintext, bad heads
    let inbox_secret = livecard_format::inbox::InboxSecret::from_bytes(fixed::INBOX_SECRET);
    for (i, note) in ["", "我们在展会见过，这是我的名片"].iter().enumerate() {
        let reply = livecard_format::inbox::Reply::new(&link, note, 1_765_000_000)?;
        let sealed =
            livecard_format::inbox::seal_reply(&keys.id(), &inbox_secret.public(), &reply)?;
        write("inbox_message", &format!("sealed-{i}"), &sealed)?;
        write(
            "inbox_message",
            &format!("plaintext-{i}"),
            &reply.to_plaintext(),
        )?;
    }
    write("inbox_message", "head-only", &[1u8; 45])?;
    write("inbox_message", "format-2", &[2u8; 80])?;

    // --- offline_card
    write("offline_card", "compact-record", &record.to_compact_bytes())?;
    write(
        "offline_card",
        "compact-record-small",
        &record_small.to_compact_bytes(),
    )?;
    for (i, c) in nfc_copies.iter().enumerate() {
        write("offline_card", &format!("nfc-copy-{i}"), c)?;
    }
    for (i, p) in qr_payloads.iter().enumerate() {
        write("offline_card", &format!("qr-payload-{i}"), p)?;
        // The copy behind the QR's head (what the target puts behind the fixed link's head).
        let head = 1 + fixed::BASE_URL.len() + 16;
        if p.len() > head {
            write("offline_card", &format!("qr-copy-{i}"), &p[head..])?;
        }
    }
    write("offline_card", "id", keys.id().as_str().as_bytes())?;
    write(
        "offline_card",
        "id-lower",
        keys.id().as_str().to_ascii_lowercase().as_bytes(),
    )?;
    write("offline_card", "link", link.to_string().as_bytes())?;
    write("offline_card", "link-qr", link.to_qr_text().as_bytes())?;
    let prefixed = ShareLink::new("http://example.org:8080/lc/", other.id(), secret.clone());
    write(
        "offline_card",
        "link-prefix",
        prefixed.to_string().as_bytes(),
    )?;

    // --- sync_json (answers of the server)
    let json = |v: &dyn erased::Json| v.to_json();
    write("sync_json", "record", &json(&record))?;
    write("sync_json", "tombstone", &json(&tombstone))?;
    let sync = SyncResponse {
        changed: vec![record_small.clone()],
        gone: vec![tombstone.clone()],
        unknown: vec![other.id()],
        truncated: true,
    };
    write("sync_json", "sync-response", &json(&sync))?;

    // --- sync_records (the binary sync answer and compact record plaintexts)
    write("sync_records", "answer", &sync.to_records())?;
    write(
        "sync_records",
        "answer-empty",
        &SyncResponse::default().to_records(),
    )?;
    let compact_sealed = SyncResponse {
        changed: vec![crypto::seal(&cards[0], &keys, &secret, 6)?],
        ..SyncResponse::default()
    };
    write(
        "sync_records",
        "answer-compact",
        &compact_sealed.to_records(),
    )?;
    for (i, card) in cards.iter().enumerate() {
        write(
            "sync_records",
            &format!("plaintext-{i}"),
            &exchange::record_plaintext(card),
        )?;
    }
    write(
        "sync_json",
        "sync-response-empty",
        &json(&SyncResponse::default()),
    )?;
    let put = PutResponse {
        id: keys.id(),
        version: 3,
        created: true,
    };
    write("sync_json", "put-response", &json(&put))?;
    let del = DeleteResponse {
        id: keys.id(),
        version: 5,
        deleted: true,
    };
    write("sync_json", "delete-response", &json(&del))?;
    let mut stale = ErrorBody::new(ErrorCode::StaleVersion, "version must be higher than 7");
    stale.error.current_version = Some(7);
    write("sync_json", "error-stale", &json(&stale))?;
    let gone = ErrorBody {
        error: ApiError {
            code: ErrorCode::Gone,
            message: "this card was deleted by its owner".into(),
            current_version: None,
        },
        tombstone: Some(tombstone.clone()),
    };
    write("sync_json", "error-gone", &json(&gone))?;
    let info = ServerInfo {
        protocol: PROTOCOL.into(),
        public_url: fixed::BASE_URL.into(),
        max_ciphertext_bytes: DEFAULT_MAX_CIPHERTEXT_BYTES,
        max_body_bytes: 1 << 20,
        max_sync_ids: DEFAULT_MAX_SYNC_IDS,
    };
    write("sync_json", "server-info", &json(&info))?;
    for (i, card) in cards.iter().enumerate() {
        write(
            "sync_json",
            &format!("card-json-{i}"),
            &crypto::card_plaintext(card),
        )?;
    }
    write("sync_json", "etag", etag(42).as_bytes())?;
    write(
        "sync_json",
        "etag-weak",
        format!("W/{}", etag(9)).as_bytes(),
    )?;
    // The published test vectors (another key and secret: they verify but do not open).
    let vectors: serde_json::Value =
        serde_json::from_slice(&fs::read(repo.join("docs/protocol-vectors.json"))?)?;
    if let Some(list) = vectors["vectors"].as_array() {
        for (i, v) in list.iter().enumerate() {
            for key in ["record_json", "tombstone_json"] {
                if let Some(text) = v[key].as_str() {
                    write("sync_json", &format!("vector-{i}-{key}"), text.as_bytes())?;
                    if key == "record_json" {
                        write(
                            "server_bodies",
                            &format!("vector-{i}-{key}"),
                            text.as_bytes(),
                        )?;
                    }
                }
            }
        }
    }

    // --- server_bodies (request bodies)
    write("server_bodies", "put-record", &json(&record))?;
    write("server_bodies", "put-record-small", &json(&record_small))?;
    write("server_bodies", "delete-tombstone", &json(&tombstone))?;
    let mut items: Vec<SyncItem> = vec![SyncItem {
        id: keys.id(),
        version: 2,
    }];
    write(
        "server_bodies",
        "sync-one",
        &json(&SyncRequest {
            cards: items.clone(),
        }),
    )?;
    for v in 0..5u64 {
        items.push(SyncItem {
            id: CardKeys::from_seed(&[v as u8 + 20; 32]).id(),
            version: v,
        });
    }
    write(
        "server_bodies",
        "sync-six",
        &json(&SyncRequest { cards: items }),
    )?;
    write("server_bodies", "sync-empty", br#"{"cards":[]}"#)?;
    println!("seeds written under {}", root().join("corpus").display());
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

mod erased {
    /// Object-safe "to JSON bytes" for the seed writer.
    pub trait Json {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}
