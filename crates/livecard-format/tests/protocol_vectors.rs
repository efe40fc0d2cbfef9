//! Checks docs/protocol-vectors.json: every value in it is recomputed from its inputs.
//! The share page's JavaScript tests check the same file with WebCrypto.
//!
//! Regenerate (only when the protocol changes on purpose):
//! `LIVECARD_WRITE_VECTORS=1 cargo test -p livecard-format --test protocol_vectors`

use livecard_format::crypto::{
    card_plaintext, derive_key, open, open_plaintext, seal_with_nonce, sign_delete, CardKeys,
    ShareLink, ShareSecret,
};
use livecard_format::wire::{
    b64url_encode, delete_signing_message, from_json, is_json_media_type, record_aad,
    record_signing_message, JsonError, RecordError, SealedRecord, SyncRequest, Tombstone,
};
use livecard_format::Card;
use serde_json::{json, Value};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/protocol-vectors.json"
);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Input {
    name: &'static str,
    seed: [u8; 32],
    secret: [u8; 16],
    nonce: [u8; 12],
    version: u64,
    delete_version: u64,
    base_url: &'static str,
    card: Value,
}

fn inputs() -> Vec<Input> {
    let mut seed1 = [0u8; 32];
    for (i, b) in seed1.iter_mut().enumerate() {
        *b = i as u8;
    }
    let mut secret1 = [0u8; 16];
    for (i, b) in secret1.iter_mut().enumerate() {
        *b = 0xa0 + i as u8;
    }
    let mut nonce1 = [0u8; 12];
    for (i, b) in nonce1.iter_mut().enumerate() {
        *b = 0x10 + i as u8;
    }
    vec![
        Input {
            name: "zh card, version 1",
            seed: seed1,
            secret: secret1,
            nonce: nonce1,
            version: 1,
            delete_version: 2,
            base_url: "https://livecard.example",
            card: json!({
                "name": "张三丰", "family": "张", "given": "三丰",
                "company": "武当科技有限公司", "title": "总经理", "industry": "软件",
                "mobile": ["+8613800138000"], "email": ["zhang@wudang.example"],
                "wechat": "zhangsanfeng", "bulletin": "新品发布：八折优惠",
                "temp_number": "+8613900139000", "temp_until": "2030-01-01T10:00:00Z"
            }),
        },
        Input {
            name: "en card, highest version",
            seed: [0x42; 32],
            secret: [0xff; 16],
            nonce: [0; 12],
            version: (1 << 53) - 1,
            delete_version: (1 << 53) - 1,
            base_url: "https://livecard.example",
            card: json!({
                "name": "John Doe", "family": "Doe", "given": "John",
                "company": "Example Ltd", "phone": ["+442079460000"],
                "website": ["https://example.com/"],
                "address": [{"street": "1 Main St", "locality": "London", "country": "UK"}]
            }),
        },
    ]
}

fn compute(input: &Input) -> Value {
    let keys = CardKeys::from_seed(&input.seed);
    let secret = ShareSecret::from_bytes(input.secret);
    let card: Card = serde_json::from_value(input.card.clone()).unwrap();
    let plaintext = card_plaintext(&card);
    let rec = seal_with_nonce(&card, &keys, &secret, input.version, input.nonce).unwrap();
    let link = ShareLink::new(input.base_url, keys.id(), secret.clone());
    let tomb = sign_delete(&keys, input.delete_version).unwrap();
    json!({
        "name": input.name,
        "inputs": {
            "signing_key_seed_hex": hex(&input.seed),
            "share_secret_hex": hex(&input.secret),
            "nonce_hex": hex(&input.nonce),
            "version": input.version,
            "delete_version": input.delete_version,
            "base_url": input.base_url,
            "card": input.card,
        },
        "public_key_hex": hex(&keys.public_key()),
        "id": keys.id().to_string(),
        "share_secret_base32": secret.to_base32(),
        "link": link.to_string(),
        "link_qr_text": link.to_qr_text(),
        "hkdf_salt_ascii": keys.id().to_string(),
        "hkdf_info_ascii": "livecard v1 card",
        "aes_key_hex": hex(derive_key(&keys.id(), &secret).as_ref()),
        "aad_hex": hex(&record_aad(&keys.id(), input.version)),
        "plaintext_utf8": String::from_utf8(plaintext).unwrap(),
        "ciphertext_hex": hex(&rec.ciphertext),
        "signed_message_hex": hex(&record_signing_message(&rec.id, rec.version, &rec.nonce, &rec.ciphertext)),
        "signature_hex": hex(&rec.signature),
        "record_json": serde_json::to_value(&rec).unwrap(),
        "compact_record_b64url": b64url_encode(&rec.to_compact_bytes()),
        "delete_signed_message_hex": hex(&delete_signing_message(&tomb.id, tomb.version)),
        "tombstone_json": serde_json::to_value(&tomb).unwrap(),
    })
}

/// Bodies every implementation must refuse as `invalid_request` (PROTOCOL.md §3 "Strict
/// parsing"), made from vector 0, and `Content-Type` values to refuse / accept.
fn wire_negative(v0: &Value) -> Value {
    let rec = &v0["record_json"];
    let tomb = &v0["tombstone_json"];
    let with = |base: &Value, key: &str, value: Value| {
        let mut v = base.clone();
        v[key] = value;
        v.to_string()
    };
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let record_fields = [
        "id",
        "public_key",
        "version",
        "nonce",
        "ciphertext",
        "signature",
    ];
    let as_array = |v: &Value, keys: &[&str]| {
        Value::Array(keys.iter().map(|k| v[*k].clone()).collect()).to_string()
    };
    let rec_text = rec.to_string();
    let id = s(&rec["id"]);
    let body = |name: &str, ty: &str, body: String| json!({"name": name, "type": ty, "body": body, "expect": "invalid_request"});
    json!({
        "bodies": [
            body("record as a positional array", "SealedRecord", as_array(rec, &record_fields)),
            body("record signature with = padding", "SealedRecord", with(rec, "signature", json!(format!("{}==", s(&rec["signature"]))))),
            body("record public key with = padding", "SealedRecord", with(rec, "public_key", json!(format!("{}=", s(&rec["public_key"]))))),
            body("record nonce with === padding", "SealedRecord", with(rec, "nonce", json!(format!("{}===", s(&rec["nonce"]))))),
            body("record nonce in standard base64 alphabet", "SealedRecord", with(rec, "nonce", json!(s(&rec["nonce"]).replace('-', "+").replace('_', "/") + "+/"))),
            body("record with an unknown member", "SealedRecord", with(rec, "note", json!("x"))),
            body("record with a duplicate member", "SealedRecord", format!("{},\"version\":1}}", &rec_text[..rec_text.len() - 1])),
            body("record version as a string", "SealedRecord", with(rec, "version", json!("1"))),
            body("record version as a float", "SealedRecord", rec_text.replace("\"version\":1", "\"version\":1.0")),
            body("tombstone as a positional array", "Tombstone", as_array(tomb, &["id", "public_key", "version", "signature"])),
            body("tombstone signature with = padding", "Tombstone", with(tomb, "signature", json!(format!("{}==", s(&tomb["signature"]))))),
            body("sync request as an array", "SyncRequest", json!([[{"id": id, "version": 0}]]).to_string()),
            body("sync item as an array", "SyncRequest", json!({"cards": [[id, 0]]}).to_string()),
            body("sync request with an unknown member", "SyncRequest", json!({"cards": [], "since": 0}).to_string()),
        ],
        "content_types": {
            "refused": ["application/vnd.evil+json", "text/json", "text/plain", "application/json; charset=latin1", "application/json; boundary=x", ""],
            "accepted": ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\""]
        }
    })
}

/// Issue 16: a "send mine back" reply sealed to vector 0's card inbox, its registration and a
/// take, all with fixed keys (PROTOCOL.md §6).
fn inbox_vector(v0: &Value) -> Value {
    use livecard_format::crypto::{sign_inbox_register, sign_inbox_take};
    use livecard_format::inbox::{open_reply, seal_plaintext_with, InboxSecret, Reply};
    use livecard_format::wire::{
        inbox_aad, inbox_register_signing_message, inbox_take_signing_message,
    };
    let input = &inputs()[0];
    let keys = CardKeys::from_seed(&input.seed);
    let inbox = InboxSecret::from_bytes([0x33; 32]);
    let eph = [0x44u8; 32];
    let nonce = [0x55u8; 12];
    let sender = ShareLink::new(
        "https://livecard.example",
        CardKeys::from_seed(&[0x42; 32]).id(),
        ShareSecret::from_bytes([0xff; 16]),
    );
    let reply = Reply {
        link: sender.to_string(),
        note: "展会上见过，这是我的名片".into(),
        sent: 1_765_000_000,
        msg: b64url_encode(&[0x66; 16]),
    };
    let plaintext = reply.to_plaintext();
    let key = inbox.public();
    let sealed = seal_plaintext_with(&keys.id(), &key, &plaintext, &eph, nonce).unwrap();
    assert_eq!(open_reply(&keys.id(), &inbox, &sealed).unwrap(), reply);
    let key_id = key.key_id();
    let reg = sign_inbox_register(&keys, 7, &key_id);
    let ack = vec!["bXNnLTE".to_string(), "bXNnLTI".to_string()];
    let take = sign_inbox_take(&keys, 1_765_000_100, ack.clone());
    json!({
        "description": "A reply sealed to the inbox key of vector 0's card (PROTOCOL.md §6 B); its card carries \"inbox\":{\"key\":inbox_public_b64url}. sealed = 0x01 || eph_pub || nonce || AES-256-GCM(HKDF-SHA256(X25519(eph, inbox_pub), salt = eph_pub || inbox_pub, info = \"livecard v1 inbox\"), nonce, plaintext, aad = ASCII(id) || key_id).",
        "card_id": v0["id"],
        "inbox_private_hex": hex(&[0x33; 32]),
        "inbox_public_b64url": b64url_encode(&key.key),
        "key_id": key_id.to_string(),
        "ephemeral_private_hex": hex(&eph),
        "nonce_hex": hex(&nonce),
        "aad_hex": hex(&inbox_aad(&keys.id(), &key_id)),
        "plaintext_utf8": String::from_utf8(plaintext).unwrap(),
        "sealed_b64url": b64url_encode(&sealed),
        "register": {
            "epoch": 7,
            "signed_message_hex": hex(&inbox_register_signing_message(&keys.id(), 7, &key_id)),
            "body": serde_json::to_value(&reg).unwrap(),
        },
        "take": {
            "time": 1_765_000_100u64,
            "signed_message_hex": hex(&inbox_take_signing_message(&keys.id(), 1_765_000_100, &ack)),
            "body": serde_json::to_value(&take).unwrap(),
        },
    })
}

/// The compact binary plaintext (PROTOCOL.md §3 "Plaintext"): each input card, and one with
/// every field, an avatar and an inbox key, sealed with `0xC1 || compact card` under its
/// vector's key and secret with nonce `0x60 + i` (repeated); plus a binary sync answer
/// (§5 "Binary sync answer") holding those records, vector 0's tombstone and an unknown id.
/// A vector's inputs: name, key seed, share secret, version, card JSON.
type VectorInput = (&'static str, [u8; 32], [u8; 16], u64, Value);

fn compact_vectors() -> Value {
    use livecard_format::crypto::seal_plaintext;
    use livecard_format::exchange::{parse_record_plaintext, record_plaintext};
    use livecard_format::wire::SyncResponse;
    let mut cards: Vec<VectorInput> = inputs()
        .into_iter()
        .map(|i| (i.name, i.seed, i.secret, i.version, i.card))
        .collect();
    let first = &inputs()[0];
    cards.push((
        "zh card with every kind of member, avatar and inbox key",
        first.seed,
        first.secret,
        2,
        json!({
            "name": "张三丰", "family": "张", "given": "三丰",
            "avatar": {"mime": "image/png", "data": "iVBORw0KGgo="},
            "company": "武当科技有限公司", "title": "总经理", "industry": "软件",
            "mobile": ["+8613800138000", "+8613912345678"], "phone": ["+8675512345678"],
            "fax": ["+8675587654321"], "email": ["zhang@wudang.example"],
            "address": [{"street": "科苑路15号", "locality": "深圳", "region": "广东省", "postal_code": "518057", "country": "中国"}],
            "website": ["https://wudang.example/"], "qq": "12345678", "wechat": "zhangsanfeng",
            "aliwangwang": "张三丰", "msn": "zsf@msn.example", "weibo": "zhangsanfeng",
            "dingtalk": "zsf", "bulletin": "新品发布：八折优惠",
            "temp_number": "+8613900139000", "temp_until": "2030-01-01T10:00:00Z",
            "telegram": "zhang_san", "wecom": "zsf-wecom",
            "inbox": {"key": b64url_encode(&[0x33; 32])}
        }),
    ));
    let mut answer = SyncResponse::default();
    let list: Vec<Value> = cards
        .iter()
        .enumerate()
        .map(|(i, (name, seed, secret, version, card_json))| {
            let keys = CardKeys::from_seed(seed);
            let secret = ShareSecret::from_bytes(*secret);
            let card: Card = serde_json::from_value(card_json.clone()).unwrap();
            let plaintext = record_plaintext(&card);
            assert_eq!(plaintext[0], 0xC1, "{name}: compact");
            assert_eq!(parse_record_plaintext(&plaintext).unwrap(), card);
            let nonce = [0x60 + i as u8; 12];
            let rec = seal_plaintext(&plaintext, &keys, &secret, *version, nonce).unwrap();
            assert_eq!(open(&rec, &secret).unwrap(), card);
            answer.changed.push(rec.clone());
            let link = ShareLink::new("https://livecard.example", keys.id(), secret);
            json!({
                "name": name,
                "card": card_json,
                "card_json_plaintext_utf8": String::from_utf8(card_plaintext(&card)).unwrap(),
                "plaintext_hex": hex(&plaintext),
                "nonce_hex": hex(&nonce),
                "link": link.to_string(),
                "record_json": serde_json::to_value(&rec).unwrap(),
            })
        })
        .collect();
    let keys = CardKeys::from_seed(&first.seed);
    answer
        .gone
        .push(sign_delete(&keys, first.delete_version).unwrap());
    answer.unknown.push(CardKeys::from_seed(&[0x77; 32]).id());
    answer.truncated = false;
    json!({
        "description": "Record plaintexts in the compact binary form: 0xC1 || compact card (PROTOCOL.md §3, codes in §8; 0x7F = the inbox key). Each record_json opens with its link's secret to card; card_json_plaintext_utf8 is the same card's JSON form.",
        "cards": list,
        "records_answer": {
            "description": "A binary sync answer (Content-Type application/vnd.livecard.records, PROTOCOL.md §5) and the JSON answer it stands for.",
            "hex": hex(&answer.to_records()),
            "json": serde_json::to_value(&answer).unwrap(),
        },
    })
}

fn document() -> Value {
    let vectors: Vec<Value> = inputs().iter().map(compute).collect();
    let negative_wire = wire_negative(&vectors[0]);
    let inbox = inbox_vector(&vectors[0]);
    json!({
        "compact_plaintext": compact_vectors(),
        "inbox": inbox,
        "wire_negative": negative_wire,
        "description": "livecard protocol v1 test vectors (docs/PROTOCOL.md). Every value is recomputed by crates/livecard-format/tests/protocol_vectors.rs; the share page's tests decrypt record_json with link's secret via WebCrypto. Byte fields in record_json/tombstone_json are base64url without padding.",
        "vectors": vectors,
        "negative": [
            {"name": "tampered ciphertext", "of": 0, "change": "flip the lowest bit of ciphertext byte 0", "expect": "signature does not verify; decryption fails"},
            {"name": "wrong secret", "of": 0, "change": "use share secret AAAAAAAAAAAAAAAAAAAAAAAAAA (16 zero bytes)", "expect": "decryption fails"},
            {"name": "version moved", "of": 0, "change": "decrypt with AAD of version 2", "expect": "decryption fails"}
        ]
    })
}

#[test]
fn vectors_file_matches_implementation() {
    let expected = document();
    if std::env::var_os("LIVECARD_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&expected).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    let text = std::fs::read_to_string(PATH).expect("docs/protocol-vectors.json is readable");
    let file: Value = serde_json::from_str(&text).expect("vectors file is JSON");
    assert_eq!(
        file, expected,
        "docs/protocol-vectors.json differs from what the code computes"
    );
}

#[test]
fn wire_negatives_are_refused_by_the_one_parser() {
    let file = document();
    let neg = &file["wire_negative"];
    let bodies = neg["bodies"].as_array().unwrap();
    assert!(bodies.len() >= 10);
    for b in bodies {
        let text = b["body"].as_str().unwrap().as_bytes();
        let name = b["name"].as_str().unwrap();
        let refused = match b["type"].as_str().unwrap() {
            "SealedRecord" => from_json::<SealedRecord>(text).err(),
            "Tombstone" => from_json::<Tombstone>(text).err(),
            "SyncRequest" => from_json::<SyncRequest>(text).err(),
            other => panic!("unknown type {other}"),
        };
        assert!(
            matches!(refused, Some(JsonError::Shape(_))),
            "{name}: {refused:?}"
        );
    }
    // The unmodified vector parses through the same parser.
    let ok = file["vectors"][0]["record_json"].to_string();
    from_json::<SealedRecord>(ok.as_bytes()).expect("vector 0 parses");
    for ct in neg["content_types"]["refused"].as_array().unwrap() {
        assert!(!is_json_media_type(ct.as_str().unwrap()), "{ct}");
    }
    for ct in neg["content_types"]["accepted"].as_array().unwrap() {
        assert!(is_json_media_type(ct.as_str().unwrap()), "{ct}");
    }
}

#[test]
fn compact_vectors_open_and_the_records_answer_reads() {
    use livecard_format::wire::SyncResponse;
    let file = document();
    let c = &file["compact_plaintext"];
    let cards = c["cards"].as_array().unwrap();
    assert!(cards.len() >= 3);
    for v in cards {
        let rec: SealedRecord = from_json(v["record_json"].to_string().as_bytes()).unwrap();
        let link = ShareLink::parse(v["link"].as_str().unwrap()).unwrap();
        let plain = open_plaintext(&rec, &link.secret).unwrap();
        assert_eq!(hex(&plain), v["plaintext_hex"].as_str().unwrap());
        let want: Card = serde_json::from_value(v["card"].clone()).unwrap();
        assert_eq!(open(&rec, &link.secret).unwrap(), want);
        let json_form: Card =
            serde_json::from_str(v["card_json_plaintext_utf8"].as_str().unwrap()).unwrap();
        assert_eq!(json_form, want);
    }
    let answer = &c["records_answer"];
    let bytes = unhex(answer["hex"].as_str().unwrap());
    let parsed = SyncResponse::from_records(&bytes).unwrap();
    let want: SyncResponse = from_json(answer["json"].to_string().as_bytes()).unwrap();
    assert_eq!(parsed, want);
    assert_eq!(parsed.changed.len(), cards.len());
}

#[test]
fn vectors_open_and_negatives_fail() {
    // The file equals document() (checked above); using document() avoids racing its rewrite.
    let file = document();
    for v in file["vectors"].as_array().unwrap() {
        let rec: SealedRecord = serde_json::from_value(v["record_json"].clone()).unwrap();
        rec.verify().unwrap();
        let link = ShareLink::parse(v["link_qr_text"].as_str().unwrap()).unwrap();
        assert_eq!(link.id, rec.id);
        assert_eq!(hex(&rec.public_key), v["public_key_hex"].as_str().unwrap());
        let plain = open_plaintext(&rec, &link.secret).unwrap();
        assert_eq!(plain, v["plaintext_utf8"].as_str().unwrap().as_bytes());
        let card = open(&rec, &link.secret).unwrap();
        let want: Card = serde_json::from_value(v["inputs"]["card"].clone()).unwrap();
        assert_eq!(card, want);
        assert_eq!(unhex(v["ciphertext_hex"].as_str().unwrap()), rec.ciphertext);
        let tomb: Tombstone = serde_json::from_value(v["tombstone_json"].clone()).unwrap();
        tomb.verify().unwrap();
    }
    let first: SealedRecord =
        serde_json::from_value(file["vectors"][0]["record_json"].clone()).unwrap();
    let link = ShareLink::parse(file["vectors"][0]["link"].as_str().unwrap()).unwrap();
    let mut tampered = first.clone();
    tampered.ciphertext[0] ^= 1;
    assert_eq!(tampered.verify(), Err(RecordError::BadSignature));
    let zero = ShareSecret::from_base32("AAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    assert_eq!(open(&first, &zero), Err(RecordError::DecryptFailed));
    assert!(open(&first, &link.secret).is_ok());
}
