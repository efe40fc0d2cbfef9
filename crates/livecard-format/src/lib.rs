//! livecard's data formats: the card model and its codecs.
//!
//! This crate does no IO: every function takes bytes or values and returns values, so the
//! client core, the server, the CLI, the app and the fuzz targets all share it.

pub mod card;
pub mod contact_text;
#[cfg(feature = "secret")]
pub mod crypto;
#[cfg(feature = "secret")]
pub mod exchange;
pub mod fields;
#[cfg(feature = "secret")]
pub mod inbox;
pub mod mecard;
pub mod ndef;
pub mod nfc_answer;
pub mod vcard;
/// The wire format: its own crate, `livecard-wire` (what the server may know; the server
/// depends on it and not on this crate). Re-exported so `livecard_format::wire::…` keeps working.
pub use livecard_wire as wire;

pub use card::{Address, Avatar, Card, CardError, Field, FieldError, InboxKey, Limits, Region};
