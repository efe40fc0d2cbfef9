//! docs/protocol-vectors.json checked by an implementation that did not make them: the share
//! page's own browser code (`assets/livecard.mjs`, served by the real server on 127.0.0.1:0)
//! in real headless Chromium, with Chromium's WebCrypto (BoringSSL) — not Rust, not Node.
//!
//! The test opens a share page, runs `browser/vectors.js` in it (WebDriver execute_async): it
//! imports the livecard.mjs next to the page's share.mjs and, for every vector, checks the id
//! of the public key, the share secret, the AES key (HKDF), the AAD, the decoded record, the
//! signed message, the Ed25519 signature, the plaintext, the opened card, and the link and its
//! QR form; and each negative vector. It reports pass/fail per check back here, where every
//! expected check must be present and pass.
//!
//! Not checked by the browser, because the share page has no code for them: the offline copy
//! (`compact_record_b64url`, `compact_plaintext`: NFC tags and `LC1:` QR codes are read by
//! the app), deletion (`tombstone_json`, `delete_signed_message_hex`: the page only sees a
//! 410), signing (`inputs.signing_key_seed_hex`: the page never signs), the inbox vector
//! (sealing a "send mine back" reply is the app's: the page has no X25519 code) and
//! `wire_negative` (request bodies the server must refuse). A new member of the file fails
//! this test until it is put in one list or the other.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them a loud, counted skip (a
//! failure under CI / LIVECARD_REQUIRE_BROWSER / LIVECARD_REQUIRE_ALL=1).

mod browser;
mod support;

use std::collections::BTreeSet;

use serde_json::Value;

/// Per vector: the checks vectors.js makes (in order).
const VECTOR_CHECKS: &[&str] = &[
    "id",
    "share_secret",
    "aes_key",
    "aad",
    "record",
    "signed_message",
    "signature",
    "plaintext",
    "card",
    "link",
    "link_qr_text",
];

/// The members of a vector those checks read.
const READ_BY_THE_BROWSER: &[&str] = &[
    "name",
    "id",
    "public_key_hex",
    "share_secret_base32",
    "aes_key_hex",
    "hkdf_salt_ascii", // inside aes_key: the key only matches with this salt and info
    "hkdf_info_ascii",
    "aad_hex",
    "record_json",
    "ciphertext_hex",
    "signature_hex",
    "signed_message_hex",
    "plaintext_utf8",
    "link",
    "link_qr_text",
    "inputs",
];

/// Members of a vector the share page has no code for (see the module docs).
const NOT_FOR_THE_BROWSER: &[&str] = &[
    "compact_record_b64url",
    "tombstone_json",
    "delete_signed_message_hex",
];

/// Top-level members of the file, and whether the browser checks them.
const FILE_MEMBERS: &[(&str, bool)] = &[
    ("description", false),
    ("vectors", true),
    ("negative", true),
    ("inbox", false),
    ("wire_negative", false),
    // The compact (offline copy) plaintext codec: the app's, not the share page's.
    ("compact_plaintext", false),
];

fn vectors_file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/protocol-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("docs/protocol-vectors.json");
    serde_json::from_str(&text).expect("protocol-vectors.json is JSON")
}

/// Every member of the file is either checked here or named as not the browser's.
fn assert_every_member_is_placed(file: &Value) {
    let top: BTreeSet<&str> = file
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in &top {
        assert!(
            FILE_MEMBERS.iter().any(|(k, _)| k == key),
            "{key:?} is a new member of protocol-vectors.json: check it in Chromium or say why not"
        );
    }
    for (key, checked) in FILE_MEMBERS {
        assert!(!checked || top.contains(key), "no {key:?} in the file");
    }
    for v in file["vectors"].as_array().expect("vectors") {
        for key in v.as_object().expect("a vector").keys() {
            assert!(
                READ_BY_THE_BROWSER.contains(&key.as_str())
                    || NOT_FOR_THE_BROWSER.contains(&key.as_str()),
                "vector member {key:?} is new: check it in Chromium or say why not"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_share_pages_browser_code_in_chromium_checks_every_protocol_vector() {
    let file = vectors_file();
    assert_every_member_is_placed(&file);
    let Some((driver_path, chromium)) = browser::tools_or_skip("protocol vectors in Chromium")
    else {
        return;
    };
    let db = support::sqlite_db();
    let server = support::TestServer::start(support::config(&db)).await;
    let scratch = tempfile::tempdir().expect("tempdir");
    let driver = browser::start_driver(&driver_path);
    let client = browser::open_browser(
        &driver,
        &chromium,
        "en-US",
        &scratch.path().join("profile"),
        scratch.path(),
    )
    .await;
    // Any share page: its module script names where this build's livecard.mjs is.
    let some_id = file["vectors"][0]["id"].as_str().expect("vector 0 id");
    client
        .goto(&server.url(&format!("/c/{some_id}")))
        .await
        .expect("open a share page");
    let answer = client
        .execute_async(include_str!("browser/vectors.js"), vec![file.clone()])
        .await
        .expect("run the vector checks in the page");
    let user_agent = answer["userAgent"].as_str().unwrap_or_default().to_string();
    client.close().await.expect("close the session");
    drop(driver);
    server.stop().await;

    assert!(
        answer.get("error").is_none(),
        "the page's check script failed: {}",
        answer["error"]
    );
    assert!(user_agent.contains("Chrome/"), "not Chromium: {user_agent}");
    let checks = answer["checks"].as_array().expect("checks");
    let mut failed = Vec::new();
    let mut seen = BTreeSet::new();
    for c in checks {
        let (vector, check) = (
            c["vector"].as_str().unwrap_or_default(),
            c["check"].as_str().unwrap_or_default(),
        );
        let ok = c["ok"].as_bool() == Some(true);
        eprintln!("{} {vector}: {check}", if ok { "pass" } else { "FAIL" });
        if !ok {
            failed.push(format!("{vector}: {check}: {}", c["detail"]));
        }
        assert!(
            seen.insert((vector.to_string(), check.to_string())),
            "{vector}: {check} twice"
        );
    }
    // Every vector with every check, every negative vector: nothing left out quietly.
    let mut want = BTreeSet::new();
    for (i, v) in file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .enumerate()
    {
        let name = format!("{i} {}", v["name"].as_str().unwrap_or_default());
        for check in VECTOR_CHECKS {
            want.insert((name.clone(), check.to_string()));
        }
    }
    for n in file["negative"].as_array().expect("negative") {
        let name = n["name"].as_str().unwrap_or_default();
        want.insert((format!("negative {name}"), name.to_string()));
    }
    assert_eq!(seen, want, "the checks Chromium ran");
    assert!(
        failed.is_empty(),
        "Chromium ({user_agent}) disagrees with protocol-vectors.json:\n{}",
        failed.join("\n")
    );
}
