//! Fixed keys shared by the fuzz targets and the seed generator (`examples/seeds.rs`): the
//! seeds are sealed with them, so the targets can open what the seeds carry.

/// Seed of the card key the seeds are signed with.
#[allow(dead_code)]
pub const KEY_SEED: [u8; 32] = [7u8; 32];
/// The share secret the seeds are sealed under.
#[allow(dead_code)]
pub const SECRET: [u8; 16] = [0x5a; 16];
/// Base URL of the share links in the seeds.
#[allow(dead_code)]
pub const BASE_URL: &str = "https://livecard.example";
/// The inbox private key the inbox seeds are sealed to (issue 16).
#[allow(dead_code)]
pub const INBOX_SECRET: [u8; 32] = [9u8; 32];
