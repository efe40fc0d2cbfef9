//! The inbox message decoder (issue 16, "send mine back"): arbitrary bytes as
//! - a sealed message to the fixed card's inbox key → `inbox::split_sealed`, `inbox::open_reply`
//!   (what the owner's sync runs on every message a take delivers);
//! - a decrypted plaintext → `inbox::Reply::from_plaintext`, and sealed with a fixed ephemeral
//!   key and nonce then opened again.
//!
//! Checks: never panics; a sealed message that opens is within the size limit and its reply
//! validates; a reply that reads re-serialises (`to_plaintext`) to a reply that reads the same;
//! sealing then opening gives the plaintext back.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use livecard_format::crypto::CardKeys;
use livecard_format::inbox::{self, InboxSecret, Reply};
use livecard_format::wire::{CardId, MAX_SEALED_BYTES};

#[path = "fixed.rs"]
mod fixed;

static ID: LazyLock<CardId> = LazyLock::new(|| CardKeys::from_seed(&fixed::KEY_SEED).id());
static SECRET: LazyLock<InboxSecret> =
    LazyLock::new(|| InboxSecret::from_bytes(fixed::INBOX_SECRET));

fuzz_target!(|data: &[u8]| {
    let id = &*ID;
    let secret = &*SECRET;
    if let Ok(parts) = inbox::split_sealed(data) {
        assert_eq!(1 + 32 + 12 + parts.ciphertext.len(), data.len());
    }
    if let Ok(reply) = inbox::open_reply(id, secret, data) {
        assert!(data.len() <= MAX_SEALED_BYTES);
        assert!(reply.validate().is_ok());
    }
    if let Ok(reply) = Reply::from_plaintext(data) {
        let again = Reply::from_plaintext(&reply.to_plaintext()).expect("own plaintext reads");
        assert_eq!(again, reply);
    }
    if let Ok(sealed) =
        inbox::seal_plaintext_with(id, &secret.public(), data, &[3u8; 32], [4u8; 12])
    {
        let plain = inbox::open_plaintext(id, secret, &sealed).expect("own seal opens");
        assert_eq!(plain.as_slice(), data);
    }
});
