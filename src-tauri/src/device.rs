//! The phone's hardware and the host OS: NFC tags, biometric unlock, and save dialogs for
//! exports. Every plugin call happens here in Rust, never from the webview, so the webview
//! needs no NFC, biometric, dialog or fs permission (a script in the webview cannot unlock
//! the PIN lock by claiming a fingerprint, nor pick where files go).
//!
//! The plugin calls are thin and `cfg(mobile)`; what they hand over or receive is built and
//! checked by plain functions (tested here on desktop): the room on a tag and the records for
//! it, the read-back check, the cards of a tag answer (the plugin's JSON, read by
//! `livecard_format::nfc_answer`), the export bytes.

use livecard_core::{AddReport, Core, KeysImported, Source};
use livecard_format::exchange::Tag;
use livecard_format::ndef::{self, Record, Tnf};
use livecard_format::nfc_answer::{self, NfcAnswer, NfcAnswerError};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::AppState;

/// Desktop answer of a phone-only command (unused on phones).
#[cfg(not(mobile))]
fn unsupported(what: &str) -> CommandError {
    CommandError::new(
        "unsupported",
        format!("{what} needs a phone; on desktop use the QR image, a pasted link or a .vcf file"),
    )
}

// ------------------------------------------------------------------ scanned text

/// Add from text a camera scan (phones) or the paste box (`pasted`) gave: a share link, an
/// offline QR text (`LC1:…`), a vCard or a MeCard.
#[tauri::command]
pub async fn add_scanned_text(
    state: State<'_, AppState>,
    text: String,
    pasted: Option<bool>,
) -> CommandResult<AddReport> {
    let source = if pasted == Some(true) {
        Source::Link
    } else {
        Source::Qr
    };
    add_scanned_in(&state.core(), &text, source).await
}

pub async fn add_scanned_in(core: &Core, text: &str, source: Source) -> CommandResult<AddReport> {
    Ok(core.add_text(text, source).await?)
}

// ------------------------------------------------------------------ NFC
//
// Our plugin (src-tauri/plugins/livecard-nfc) answers JSON; `livecard_format::nfc_answer`
// reads it (the same decoder as `livecard add --nfc-json`). Writing: scan and hold the tag,
// size the message to the room it reported, write, read back, compare.

/// One NDEF record to write (bytes as unsigned numbers, what the plugin takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    pub tnf: u8,
    pub kind: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

/// A tag as the phone reported it, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TagInfo {
    /// `ntag213`, `ntag215`, `ntag216` when the phone identified the chip.
    pub chip: Option<String>,
    /// Largest NDEF message it takes, in bytes.
    pub max_size: Option<usize>,
    /// `false`: locked (read-only).
    pub writable: Option<bool>,
    /// Technologies (Android tech list, or the iOS tag family).
    pub tech: Vec<String>,
}

impl From<&NfcAnswer> for TagInfo {
    fn from(a: &NfcAnswer) -> TagInfo {
        TagInfo {
            chip: a.chip.clone(),
            max_size: a.max_size,
            writable: a.writable,
            tech: a.tech.clone(),
        }
    }
}

/// What reading a tag did: the cards added and the tag.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NfcReadReport {
    #[serde(flatten)]
    pub report: AddReport,
    pub tag: TagInfo,
}

/// What writing a tag did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NfcWritten {
    /// Size of the NDEF message written.
    pub bytes: usize,
    /// The offline copy is on the tag (else the link alone fitted).
    pub offline_included: bool,
    /// Fields left out of the offline copy to fit the tag (the link brings them).
    pub dropped_fields: Vec<String>,
    /// The tag was read back and holds exactly what was written.
    pub verified: bool,
    pub tag: TagInfo,
}

fn answer_error(e: NfcAnswerError) -> CommandError {
    CommandError::new(e.kind(), format!("{e} / {}", e.message_zh()))
}

/// The records to write for my card on a tag with `tag`'s room: the share link and, when it
/// fits, the signed offline copy. A tag too small for the link: kind `nfc_too_small`.
pub async fn records_for_tag(core: &Core, tag: Tag) -> CommandResult<(Vec<RawRecord>, NfcWritten)> {
    let payload = core.nfc_message(None, tag).await?;
    let records = ndef::decode_message(&payload.bytes)
        .map_err(|e| CommandError::new("internal", e.to_string()))?
        .into_iter()
        .map(|r| RawRecord {
            tnf: r.tnf as u8,
            kind: r.record_type,
            id: r.id,
            payload: r.payload,
        })
        .collect();
    let written = NfcWritten {
        bytes: payload.bytes.len(),
        offline_included: payload.offline_included,
        dropped_fields: payload
            .dropped_fields
            .iter()
            .map(|f| f.as_str().to_string())
            .collect(),
        verified: false,
        tag: TagInfo::default(),
    };
    Ok((records, written))
}

/// Where my card can go on the tag the phone just reported: refused when locked or not NDEF
/// (kinds `nfc_locked`, `nfc_not_ndef`); the room is the reported size, else the chip's,
/// else an NTAG213's (the smallest common tag).
pub fn room_on_tag(answer: &NfcAnswer) -> CommandResult<Tag> {
    if answer.writable == Some(false) {
        return Err(CommandError::new(
            "nfc_locked",
            "this tag is locked (read-only): use another tag / 这个标签已锁定（只读），请换一个标签",
        ));
    }
    let formatable = answer.tech.iter().any(|t| t == "NdefFormatable");
    if answer.ndef == Some(false) && !formatable {
        return Err(CommandError::new(
            "nfc_not_ndef",
            "this tag cannot hold NDEF data (not an NDEF tag) / 这个标签不支持 NDEF，无法写入",
        ));
    }
    Ok(Tag::reported(answer.max_size, answer.chip.as_deref()).unwrap_or(Tag::Ntag213))
}

/// The message of `records`, as the tag should hold it.
pub fn message_of(records: &[RawRecord]) -> CommandResult<Vec<u8>> {
    let records = records
        .iter()
        .map(|r| {
            Ok(Record {
                tnf: Tnf::from_bits(r.tnf).ok_or_else(|| {
                    CommandError::new("internal", format!("bad NDEF record type {}", r.tnf))
                })?,
                record_type: r.kind.clone(),
                id: r.id.clone(),
                payload: r.payload.clone(),
            })
        })
        .collect::<CommandResult<Vec<_>>>()?;
    ndef::encode_message(&records).map_err(|e| CommandError::new("internal", e.to_string()))
}

/// Checks the read-back after a write: the tag must hold exactly `written`.
pub fn verify_written(written: &[u8], read_back: &serde_json::Value) -> CommandResult<TagInfo> {
    let answer = nfc_answer::parse_value(read_back).map_err(answer_error)?;
    match answer.message() {
        Ok(m) if m == written => Ok(TagInfo::from(&answer)),
        _ => Err(CommandError::new(
            "nfc_verify_failed",
            "the tag was written but reads back differently: hold it still and write again / 写入后读回的内容不一致，请拿稳标签重新写入",
        )),
    }
}

/// Add the cards of a tag answer (the plugin's JSON).
pub async fn add_from_answer(
    core: &Core,
    answer: &serde_json::Value,
) -> CommandResult<NfcReadReport> {
    let answer = nfc_answer::parse_value(answer).map_err(answer_error)?;
    let added = match core.add_nfc_answer(&answer).await {
        Ok(added) => added,
        // Empty / not NDEF: the answer's own kinds, so the UI can say so.
        Err(_) if answer.records.is_empty() => return Err(answer_error(answer.nothing_on_it())),
        Err(e) => return Err(e.into()),
    };
    Ok(NfcReadReport {
        report: AddReport {
            added,
            skipped: Vec::new(),
        },
        tag: TagInfo::from(&answer),
    })
}

/// The NDEF message of a tag answer, for the incoming handler (a tag that launched the app).
pub fn launch_message(answer: &serde_json::Value) -> CommandResult<Vec<u8>> {
    nfc_answer::parse_value(answer)
        .and_then(|a| a.message())
        .map_err(answer_error)
}

#[cfg(mobile)]
mod nfc_plugin {
    use super::RawRecord;
    use crate::error::CommandError;
    use tauri_plugin_livecard_nfc::{Error, LivecardNfcExt};

    /// The plugin's reason codes as command error kinds the UI knows.
    pub fn err(e: Error) -> CommandError {
        let kind = match e.code() {
            Some("cancelled") | Some("superseded") => "nfc_cancelled",
            Some("read_only") => "nfc_locked",
            Some("too_small") => "nfc_too_small",
            Some("not_ndef") => "nfc_not_ndef",
            Some("tag_lost") => "nfc_tag_lost",
            Some("unavailable") | Some("disabled") => "nfc_off",
            Some("timeout") => "nfc_timeout",
            _ => "nfc",
        };
        CommandError::new(kind, e.to_string())
    }

    pub fn records(r: Vec<RawRecord>) -> Vec<tauri_plugin_livecard_nfc::RawRecord> {
        r.into_iter()
            .map(|r| tauri_plugin_livecard_nfc::RawRecord {
                tnf: r.tnf,
                kind: r.kind,
                id: r.id,
                payload: r.payload,
            })
            .collect()
    }

    /// Tags that launch or reach the app (Android NDEF_DISCOVERED): the one waiting now and
    /// every later one go to the incoming handler (queued while the PIN lock is shown).
    pub fn start(app: &tauri::AppHandle) {
        let handle = app.clone();
        let take = move || {
            let app = handle.clone();
            tauri::async_runtime::spawn(async move {
                if let Ok(Some(answer)) = app.livecard_nfc().take_launch_tag().await {
                    match super::launch_message(&answer) {
                        Ok(message) => crate::incoming::deliver_nfc(&app, message),
                        Err(e) => eprintln!("livecard: a tag opened the app but {e}"),
                    }
                }
            });
        };
        take();
        if let Err(e) = app.livecard_nfc().set_event_handler(take) {
            eprintln!("livecard: NFC tag events unavailable: {e}");
        }
    }
}

/// Tags tapped while the app is closed or in the background (phones; nothing on desktop).
pub fn start_nfc_launch(app: &tauri::AppHandle) {
    #[cfg(mobile)]
    nfc_plugin::start(app);
    #[cfg(not(mobile))]
    let _ = app;
}

/// Read an NFC tag (phones): the link and offline copy, or a vCard/MeCard on it; the tag's
/// type and size come along. Cancel with [`nfc_cancel`] (kind `nfc_cancelled`).
#[tauri::command]
pub async fn nfc_read(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<NfcReadReport> {
    #[cfg(mobile)]
    {
        use tauri_plugin_livecard_nfc::LivecardNfcExt;
        let answer = app
            .livecard_nfc()
            .scan(false, "Hold the tag near the phone / 请将标签靠近手机")
            .await
            .map_err(nfc_plugin::err)?;
        add_from_answer(&state.core(), &answer).await
    }
    #[cfg(not(mobile))]
    {
        let _ = (app, state);
        Err(unsupported("reading an NFC tag"))
    }
}

/// Write my card to an NFC tag (phones): the tag is read first, the link plus the offline
/// copy are sized to the room it reports (link only when the copy does not fit), then
/// written and read back. Locked, non-NDEF or too small: a clear error, nothing written.
#[tauri::command]
pub async fn nfc_write_my_card(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<NfcWritten> {
    let core = state.core();
    // Refuse before waiting for a tag when there is nothing to write.
    core.own_share(None).await?;
    #[cfg(mobile)]
    {
        use tauri_plugin_livecard_nfc::LivecardNfcExt;
        let nfc = app.livecard_nfc();
        let found = nfc
            .scan(true, "Hold the tag near the phone / 请将标签靠近手机")
            .await
            .map_err(nfc_plugin::err)?;
        let planned = async {
            let answer = nfc_answer::parse_value(&found).map_err(answer_error)?;
            let tag = room_on_tag(&answer)?;
            let (records, written) = records_for_tag(&core, tag).await?;
            Ok::<_, CommandError>((records, written))
        }
        .await;
        let (records, mut written) = match planned {
            Ok(p) => p,
            Err(e) => {
                let _ = nfc.cancel().await;
                return Err(e);
            }
        };
        let message = message_of(&records)?;
        let read_back = nfc
            .write(&nfc_plugin::records(records), "Written / 已写入")
            .await
            .map_err(nfc_plugin::err)?;
        written.tag = verify_written(&message, &read_back)?;
        written.verified = true;
        Ok(written)
    }
    #[cfg(not(mobile))]
    {
        let _ = app;
        Err(unsupported("writing an NFC tag"))
    }
}

/// Stop waiting for a tag (the pending read or write fails with kind `nfc_cancelled`).
#[tauri::command]
pub async fn nfc_cancel(app: tauri::AppHandle) -> CommandResult<()> {
    #[cfg(mobile)]
    {
        use tauri_plugin_livecard_nfc::LivecardNfcExt;
        app.livecard_nfc().cancel().await.map_err(nfc_plugin::err)
    }
    #[cfg(not(mobile))]
    {
        let _ = app;
        Ok(())
    }
}

// ------------------------------------------------------------------ biometric unlock

/// Whether this phone can unlock with biometrics, and whether the owner turned it on.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BiometricStatus {
    pub available: bool,
    pub enabled: bool,
    /// `fingerprint`, `face` or `none`.
    #[cfg_attr(feature = "ts", ts(type = "'fingerprint' | 'face' | 'iris' | 'none'"))]
    pub kind: &'static str,
}

#[cfg(mobile)]
fn biometric_hw(app: &tauri::AppHandle) -> (bool, &'static str) {
    use tauri_plugin_biometric::{BiometricExt, BiometryType};
    match app.biometric().status() {
        Ok(s) => (
            s.is_available,
            match s.biometry_type {
                BiometryType::TouchID => "fingerprint",
                BiometryType::FaceID => "face",
                BiometryType::None => "none",
            },
        ),
        Err(_) => (false, "none"),
    }
}

#[cfg(not(mobile))]
fn biometric_hw(_app: &tauri::AppHandle) -> (bool, &'static str) {
    (false, "none")
}

#[tauri::command]
pub async fn lock_biometric_status(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<BiometricStatus> {
    let enabled = state.core().lock_status().await?.biometric;
    let (available, kind) = biometric_hw(&app);
    Ok(BiometricStatus {
        available,
        enabled,
        kind,
    })
}

/// Allow or stop biometric unlock (needs a PIN and an unlocked app).
#[tauri::command]
pub async fn lock_set_biometric(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    enabled: bool,
) -> CommandResult<livecard_core::LockStatus> {
    if enabled && !biometric_hw(&app).0 {
        return Err(CommandError::new(
            "unsupported",
            "this device has no fingerprint or face unlock set up / 此设备未设置指纹或面容",
        ));
    }
    Ok(state.core().set_biometric(enabled).await?)
}

/// Show the system's fingerprint/face prompt; on success open the lock.
#[tauri::command]
pub async fn lock_unlock_biometric(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<livecard_core::LockStatus> {
    let core = state.core();
    if !core.lock_status().await?.biometric {
        return Err(CommandError::new(
            "biometric_off",
            "unlocking with fingerprint or face is off; enter the PIN / 未开启指纹/面容解锁",
        ));
    }
    #[cfg(mobile)]
    {
        use tauri_plugin_biometric::{AuthOptions, BiometricExt};
        let prompt = tauri::async_runtime::spawn_blocking(move || {
            app.biometric().authenticate(
                "Unlock livecard / 解锁 livecard".into(),
                AuthOptions {
                    // The PIN pad is the fallback, not the phone's passcode.
                    allow_device_credential: false,
                    cancel_title: Some("PIN".into()),
                    ..Default::default()
                },
            )
        })
        .await
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
        prompt.map_err(|e| CommandError::new("biometric_failed", e.to_string()))?;
        Ok(core.unlock_after_biometric().await?)
    }
    #[cfg(not(mobile))]
    {
        let _ = app;
        Err(unsupported("fingerprint or face unlock"))
    }
}

// ------------------------------------------------------------------ export and key backup

/// Where an export went.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Exported {
    /// `None`: the user closed the save dialog (nothing written).
    pub path: Option<String>,
    /// Cards in the file.
    pub count: usize,
}

/// TEST HOOK, debug builds only: LIVECARD_EXPORT_DIR saves exports there without asking (the
/// end-to-end tests cannot click a native dialog). Unset, and always in a release build: the
/// system's save dialog.
#[cfg(debug_assertions)]
pub const EXPORT_DIR_ENV: &str = "LIVECARD_EXPORT_DIR";

#[cfg(debug_assertions)]
fn test_export_dir() -> Option<std::ffi::OsString> {
    std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty())
}

#[cfg(not(debug_assertions))]
fn test_export_dir() -> Option<std::ffi::OsString> {
    None
}

/// Every received card as one vCard 4.0 file and how many it holds.
pub async fn cards_vcf(core: &Core) -> CommandResult<(Vec<u8>, usize)> {
    let text = core.export_vcf().await?;
    let count = text.matches("BEGIN:VCARD").count();
    if count == 0 {
        return Err(CommandError::invalid(
            "no received cards to export yet / 还没有收到的名片",
        ));
    }
    Ok((text.into_bytes(), count))
}

pub(crate) fn save(
    app: &tauri::AppHandle,
    name: &str,
    filter: (&str, &[&str]),
    bytes: &[u8],
) -> CommandResult<Option<String>> {
    if let Some(dir) = test_export_dir() {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes)?;
        return Ok(Some(path.display().to_string()));
    }
    use tauri_plugin_dialog::DialogExt;
    let Some(target) = app
        .dialog()
        .file()
        .set_file_name(name)
        .add_filter(filter.0, filter.1)
        .blocking_save_file()
    else {
        return Ok(None);
    };
    let shown = target.to_string();
    #[cfg(mobile)]
    {
        use std::io::Write;
        use tauri_plugin_fs::{FsExt, OpenOptions};
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        let mut f = app.fs().open(target, opts)?;
        f.write_all(bytes)?;
    }
    #[cfg(not(mobile))]
    {
        let path = target
            .into_path()
            .map_err(|e| CommandError::new("io", e.to_string()))?;
        std::fs::write(&path, bytes)?;
    }
    Ok(Some(shown))
}

/// Export every received card as a .vcf file (the save dialog asks where).
#[tauri::command]
pub async fn export_cards(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Exported> {
    let (bytes, count) = cards_vcf(&state.core()).await?;
    let path = tauri::async_runtime::spawn_blocking(move || {
        save(&app, "livecard-cards.vcf", ("vCard", &["vcf"]), &bytes)
    })
    .await
    .map_err(|e| CommandError::new("internal", e.to_string()))??;
    Ok(Exported { path, count })
}

/// Export the keys of my published cards, encrypted under `passphrase` (Argon2id).
#[tauri::command]
pub async fn export_key_backup(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> CommandResult<Exported> {
    let core = state.core();
    let bytes = core.export_keys(&passphrase).await?;
    let count = core.published_count().await?;
    let path = tauri::async_runtime::spawn_blocking(move || {
        save(
            &app,
            "livecard-keys.backup",
            ("livecard key backup", &["backup"]),
            &bytes,
        )
    })
    .await
    .map_err(|e| CommandError::new("internal", e.to_string()))??;
    Ok(Exported { path, count })
}

/// Largest key-backup file accepted (real ones are a few KiB).
pub const MAX_BACKUP_BYTES: usize = 1024 * 1024;

/// Restore keys from a backup file the user picked (read in the webview).
#[tauri::command]
pub async fn import_key_backup(
    state: State<'_, AppState>,
    bytes: Vec<u8>,
    passphrase: String,
) -> CommandResult<KeysImported> {
    import_backup_in(&state.core(), &bytes, &passphrase).await
}

pub async fn import_backup_in(
    core: &Core,
    bytes: &[u8],
    passphrase: &str,
) -> CommandResult<KeysImported> {
    if bytes.len() > MAX_BACKUP_BYTES {
        return Err(CommandError::invalid(
            "this file is too large to be a livecard key backup (at most 1 MiB)",
        ));
    }
    Ok(core.import_keys(bytes, passphrase).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use livecard_format::Region;

    async fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), Region::default())
            .await
            .unwrap()
            .with_secrets(std::sync::Arc::new(
                livecard_core::keystore::MemoryStore::new(),
            ));
        (dir, core)
    }

    fn fixture(name: &str) -> serde_json::Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/livecard-format/tests/fixtures/nfc")
            .join(name);
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    }

    #[test]
    fn the_room_on_a_tag_and_the_read_back_check() {
        let room = |name: &str| {
            room_on_tag(&nfc_answer::parse_value(&fixture(name)).unwrap()).map_err(|e| e.kind)
        };
        assert_eq!(room("ours-link-copy.json"), Ok(Tag::Other(496)));
        assert_eq!(room("ours-ntag213-link.json"), Ok(Tag::Other(137)));
        assert_eq!(room("ours-locked.json"), Err("nfc_locked".to_string()));
        assert_eq!(
            room("ios-upstream-read-only.json"),
            Err("nfc_locked".to_string())
        );
        assert_eq!(room("ours-not-ndef.json"), Err("nfc_not_ndef".to_string()));
        // A blank MIFARE Classic can be formatted: the smallest common room.
        assert_eq!(room("android-upstream-not-ndef.json"), Ok(Tag::Ntag213));

        let uri = Record::uri("https://livecard.example/c/ABCD#secret");
        let raw = vec![RawRecord {
            tnf: uri.tnf as u8,
            kind: uri.record_type.clone(),
            id: vec![],
            payload: uri.payload.clone(),
        }];
        let written = message_of(&raw).unwrap();
        assert_eq!(
            written,
            ndef::encode_message(std::slice::from_ref(&uri)).unwrap()
        );
        // Read back as our Android plugin answers (unsigned) and as upstream did (signed).
        let back: Vec<i64> = uri.payload.iter().map(|&b| b as i64).collect();
        let ok = serde_json::json!({"kind": ["NfcA", "Ndef"], "maxSize": 137, "writable": true,
            "records": [{"tnf": 1, "kind": [85], "id": [], "payload": back}]});
        let info = verify_written(&written, &ok).unwrap();
        assert_eq!(info.max_size, Some(137));
        let other = serde_json::json!({"records": [{"tnf": 1, "kind": [85], "payload": [4, 120]}]});
        assert_eq!(
            verify_written(&written, &other).unwrap_err().kind,
            "nfc_verify_failed"
        );
        let empty = serde_json::json!({"records": []});
        assert_eq!(
            verify_written(&written, &empty).unwrap_err().kind,
            "nfc_verify_failed"
        );
        let mut bad = raw.clone();
        bad[0].tnf = 9;
        assert_eq!(message_of(&bad).unwrap_err().kind, "internal");
        // What a launching tag hands the incoming handler: the message bytes.
        assert_eq!(
            launch_message(&fixture("interop-uri-https.android.json")).unwrap(),
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../crates/livecard-format/tests/data/ndef/uri-https.ndef")
            )
            .unwrap()
        );
        assert_eq!(
            launch_message(&fixture("ours-empty.json"))
                .unwrap_err()
                .kind,
            "nfc_empty"
        );
    }

    #[tokio::test]
    async fn tag_answers_add_cards_and_say_what_the_tag_is() {
        let (_d, core) = core().await;
        // Android upstream shape, signed bytes: the ndeflib vCard of 陈明.
        let r = add_from_answer(&core, &fixture("interop-mime-text-vcard.android.json"))
            .await
            .unwrap();
        assert_eq!(r.report.added.len(), 1);
        assert_eq!(r.report.added[0].name, "陈明");
        assert_eq!(r.tag.tech, ["NfcA", "MifareUltralight", "Ndef"]);
        // Empty and non-NDEF tags: their own kinds; foreign records only: no card.
        let e = add_from_answer(&core, &fixture("ours-empty.json"))
            .await
            .unwrap_err();
        assert_eq!(e.kind, "nfc_empty", "{e:?}");
        let e = add_from_answer(&core, &fixture("android-upstream-not-ndef.json"))
            .await
            .unwrap_err();
        assert_eq!(e.kind, "nfc_not_ndef", "{e:?}");
        let e = add_from_answer(&core, &fixture("android-upstream-foreign-only.json"))
            .await
            .unwrap_err();
        assert_eq!(e.kind, "import_failed", "{e:?}");
        let e = add_from_answer(&core, &fixture("bad-byte.json"))
            .await
            .unwrap_err();
        assert_eq!(e.kind, "nfc_bad_answer", "{e:?}");
        assert_eq!(core.summaries(Default::default()).await.unwrap().len(), 1);
        // No own card published: nothing to write, and a clear error.
        let e = records_for_tag(&core, Tag::Ntag215).await.unwrap_err();
        assert!(
            ["not_found", "not_published", "invalid_input"].contains(&e.kind.as_str()),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn scanned_text_adds_a_mecard_and_refuses_empty_or_garbage() {
        let (_d, core) = core().await;
        let r = add_scanned_in(
            &core,
            "  MECARD:N:韩,梅梅;TEL:13900139000;;  ",
            Source::Link,
        )
        .await
        .unwrap();
        assert_eq!(r.added.len(), 1);
        assert_eq!(r.added[0].name, "韩梅梅");
        assert_eq!(
            add_scanned_in(&core, "   ", Source::Qr)
                .await
                .unwrap_err()
                .kind,
            "invalid_input"
        );
        let e = add_scanned_in(&core, "LC1:%%%not-base45", Source::Qr)
            .await
            .unwrap_err();
        assert_ne!(e.kind, "internal", "{e:?}");
        assert_eq!(core.summaries(Default::default()).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn export_counts_cards_and_refuses_an_empty_list() {
        let (_d, core) = core().await;
        assert_eq!(cards_vcf(&core).await.unwrap_err().kind, "invalid_input");
        core.add_contacts(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nEND:VCARD\r\n"
                .as_bytes(),
        )
        .await
        .unwrap();
        let (bytes, n) = cards_vcf(&core).await.unwrap();
        assert_eq!(n, 2);
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains("FN:张三") && text.contains("FN:李四"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn key_backup_import_refuses_oversized_and_garbage_files() {
        let (_d, core) = core().await;
        let e = import_backup_in(&core, &vec![b'x'; MAX_BACKUP_BYTES + 1], "passphrase")
            .await
            .unwrap_err();
        assert_eq!(e.kind, "invalid_input");
        let e = import_backup_in(&core, b"not a backup", "passphrase")
            .await
            .unwrap_err();
        assert_eq!(e.kind, "invalid_input", "{e:?}");
    }
}
