//! livecard's NFC plugin (issue 13): a thin bridge to the phone's NFC stack.
//!
//! * Android (`android/`, Kotlin): `NfcAdapter.enableReaderMode` for NfcA/B/F/V (IsoDep tags
//!   come through NfcA/NfcB), NDEF read with `Ndef.get(tag)`, chip identified with the NTAG
//!   `GET_VERSION` command, write with `Ndef.writeNdefMessage` and a read-back, cancel, one
//!   pending scan at a time, and the NDEF_DISCOVERED intent that launched (or reached) the app.
//! * iOS (`ios/`, Swift): `NFCTagReaderSession`, capacity from `queryNDEFStatus`, the same
//!   commands; `invalidate` on cancel.
//!
//! Answers stay `serde_json::Value`: the app hands them to `livecard_format::nfc_answer`,
//! which reads every shape leniently (signed or unsigned bytes, wrapped or bare). Bytes cross
//! as unsigned numbers (0..255). Phones only: on desktop this crate is empty.
#![cfg(mobile)]

mod mobile;

pub use mobile::{init, Error, LivecardNfc, LivecardNfcExt, RawRecord, Status};
