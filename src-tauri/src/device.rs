//! The phone's hardware and the host OS: NFC tags, biometric unlock, and save dialogs for
//! exports. Every plugin call happens here in Rust, never from the webview, so the webview
//! needs no NFC, biometric, dialog or fs permission (a script in the webview cannot unlock
//! the PIN lock by claiming a fingerprint, nor pick where files go).
//!
//! The plugin calls are thin and `cfg(mobile)`; what they hand over or receive is built and
//! checked by plain functions (tested here on desktop): the NDEF records for a tag, the
//! message rebuilt from the records a tag gave, the export bytes.

use livecard_core::{AddReport, Core, KeysImported, Source};
use livecard_format::exchange::{self, CopySource, Tag};
use livecard_format::ndef::{self, Record, Tnf};
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
    if text.len() > crate::commands::MAX_IMPORT_BYTES {
        return Err(CommandError::invalid(
            "the text is too long (at most 10 MiB)",
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::invalid("nothing to add: the text is empty"));
    }
    let added = core.add_scanned(text, source).await?;
    Ok(AddReport {
        added,
        skipped: Vec::new(),
    })
}

// ------------------------------------------------------------------ NFC

/// One NDEF record as the NFC plugin reads (`NfcTagRecord`) and writes (`NfcRecord`) it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    pub tnf: u8,
    pub kind: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

/// What writing a tag did.
#[derive(Debug, Clone, Serialize)]
pub struct NfcWritten {
    /// Size of the NDEF message written.
    pub bytes: usize,
    /// The offline copy is on the tag (else the link alone fitted).
    pub offline_included: bool,
    /// Fields left out of the offline copy to fit the tag (the link brings them).
    pub dropped_fields: Vec<String>,
}

/// The records to write for my card on a tag of type `tag`: the share link and, when it fits,
/// the signed offline copy.
pub async fn records_for_tag(core: &Core, tag: Tag) -> CommandResult<(Vec<RawRecord>, NfcWritten)> {
    let share = core.own_share(None).await?;
    let src = CopySource {
        card: &share.card,
        keys: &share.keys,
        version: share.version,
    };
    let payload = exchange::nfc_message(&share.link, Some(&src), tag)
        .map_err(|e| CommandError::new("nfc", e.to_string()))?;
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
    };
    Ok((records, written))
}

/// The NDEF message of the records a tag gave, for the core's decoder. A record with a TNF
/// outside 0–6 is refused (no tag can hold one).
pub fn message_from_records(records: &[RawRecord]) -> CommandResult<Vec<u8>> {
    if records.is_empty() {
        return Err(CommandError::new(
            "import_failed",
            "the tag is empty (no NDEF records)",
        ));
    }
    let records = records
        .iter()
        .map(|r| {
            let tnf = Tnf::from_bits(r.tnf).ok_or_else(|| {
                CommandError::new("import_failed", format!("bad NDEF record type {}", r.tnf))
            })?;
            Ok(Record {
                tnf,
                record_type: r.kind.clone(),
                id: r.id.clone(),
                payload: r.payload.clone(),
            })
        })
        .collect::<CommandResult<Vec<_>>>()?;
    ndef::encode_message(&records).map_err(|e| CommandError::new("import_failed", e.to_string()))
}

/// Add the cards on a tag the phone read.
pub async fn add_from_records(core: &Core, records: &[RawRecord]) -> CommandResult<AddReport> {
    let bytes = message_from_records(records)?;
    Ok(AddReport {
        added: core.add_nfc(&bytes).await?,
        skipped: Vec::new(),
    })
}

#[cfg(mobile)]
mod nfc_plugin {
    use super::RawRecord;
    use crate::error::{CommandError, CommandResult};
    use tauri_plugin_nfc::{NFCTypeNameFormat, NfcExt, NfcRecord, ScanKind, ScanRequest};

    fn err(e: tauri_plugin_nfc::Error) -> CommandError {
        CommandError::new("nfc", e.to_string())
    }

    fn tnf(v: u8) -> NFCTypeNameFormat {
        match v {
            0 => NFCTypeNameFormat::Empty,
            1 => NFCTypeNameFormat::NfcWellKnown,
            2 => NFCTypeNameFormat::Media,
            3 => NFCTypeNameFormat::AbsoluteURI,
            4 => NFCTypeNameFormat::NfcExternal,
            6 => NFCTypeNameFormat::Unchanged,
            _ => NFCTypeNameFormat::Unknown,
        }
    }

    fn ndef_scan(keep_session_alive: bool) -> ScanRequest {
        ScanRequest {
            kind: ScanKind::Ndef {
                mime_type: None,
                uri: None,
                tech_list: None,
            },
            keep_session_alive,
        }
    }

    /// Blocks until a tag is read (call off the main thread).
    pub fn read(app: &tauri::AppHandle) -> CommandResult<Vec<RawRecord>> {
        let nfc = app.nfc();
        if !nfc.is_available().map_err(err)? {
            return Err(CommandError::new(
                "nfc",
                "NFC is off or missing on this phone / NFC 未开启或不可用",
            ));
        }
        let tag = nfc.scan(ndef_scan(false)).map_err(err)?.tag;
        Ok(tag
            .records
            .into_iter()
            .map(|r| RawRecord {
                tnf: r.tnf as u8,
                kind: r.kind,
                id: r.id,
                payload: r.payload,
            })
            .collect())
    }

    /// Blocks until the records are written. Android writes only to the tag of an open
    /// session, so a scan that keeps the session comes first.
    pub fn write(app: &tauri::AppHandle, records: Vec<RawRecord>) -> CommandResult<()> {
        let nfc = app.nfc();
        if !nfc.is_available().map_err(err)? {
            return Err(CommandError::new(
                "nfc",
                "NFC is off or missing on this phone / NFC 未开启或不可用",
            ));
        }
        #[cfg(target_os = "android")]
        nfc.scan(ndef_scan(true)).map_err(err)?;
        let records = records
            .into_iter()
            .map(|r| NfcRecord {
                format: tnf(r.tnf),
                kind: r.kind,
                id: r.id,
                payload: r.payload,
            })
            .collect();
        nfc.write(records).map_err(err)
    }
}

/// Read an NFC tag (phones): the link and offline copy, or a vCard/MeCard on it.
#[tauri::command]
pub async fn nfc_read(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<AddReport> {
    #[cfg(mobile)]
    {
        let records = tauri::async_runtime::spawn_blocking(move || nfc_plugin::read(&app))
            .await
            .map_err(|e| CommandError::new("internal", e.to_string()))??;
        add_from_records(&state.core(), &records).await
    }
    #[cfg(not(mobile))]
    {
        let _ = (app, state);
        Err(unsupported("reading an NFC tag"))
    }
}

/// Write my card to an NFC tag (phones): link plus offline copy sized for an NTAG215; if the
/// tag refuses that, the link alone (fits an NTAG213).
#[tauri::command]
pub async fn nfc_write_my_card(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<NfcWritten> {
    let core = state.core();
    let (records, written) = records_for_tag(&core, Tag::Ntag215).await?;
    #[cfg(mobile)]
    {
        let app2 = app.clone();
        let first = tauri::async_runtime::spawn_blocking(move || nfc_plugin::write(&app2, records))
            .await
            .map_err(|e| CommandError::new("internal", e.to_string()))?;
        match first {
            Ok(()) => Ok(written),
            Err(_) if written.offline_included => {
                let (records, small) = records_for_tag(&core, Tag::Ntag213).await?;
                tauri::async_runtime::spawn_blocking(move || nfc_plugin::write(&app, records))
                    .await
                    .map_err(|e| CommandError::new("internal", e.to_string()))??;
                Ok(small)
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(mobile))]
    {
        let _ = (app, records, written);
        Err(unsupported("writing an NFC tag"))
    }
}

// ------------------------------------------------------------------ biometric unlock

/// Whether this phone can unlock with biometrics, and whether the owner turned it on.
#[derive(Debug, Clone, Serialize)]
pub struct BiometricStatus {
    pub available: bool,
    pub enabled: bool,
    /// `fingerprint`, `face` or `none`.
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
pub struct Exported {
    /// `None`: the user closed the save dialog (nothing written).
    pub path: Option<String>,
    /// Cards in the file.
    pub count: usize,
}

/// LIVECARD_EXPORT_DIR: save exports there without asking (kiosk set-ups and the end-to-end
/// tests, which cannot click a native dialog). Unset: the system's save dialog.
pub const EXPORT_DIR_ENV: &str = "LIVECARD_EXPORT_DIR";

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
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty()) {
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
    let mut count = 0;
    for own in core.own_cards().await? {
        if core.share_link(Some(&own.id)).await.is_ok() {
            count += 1;
        }
    }
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

    #[test]
    fn tag_records_round_trip_and_bad_ones_are_refused() {
        let uri = Record::uri("https://livecard.example/c/ABCD#secret");
        let bytes = ndef::encode_message(std::slice::from_ref(&uri)).unwrap();
        let raw = vec![RawRecord {
            tnf: uri.tnf as u8,
            kind: uri.record_type.clone(),
            id: vec![],
            payload: uri.payload.clone(),
        }];
        assert_eq!(message_from_records(&raw).unwrap(), bytes);
        assert_eq!(message_from_records(&[]).unwrap_err().kind, "import_failed");
        let mut bad = raw.clone();
        bad[0].tnf = 9;
        let e = message_from_records(&bad).unwrap_err();
        assert_eq!(e.kind, "import_failed");
        assert!(e.message.contains("9"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_vcard_on_a_tag_is_added_and_an_unpublished_card_cannot_be_written() {
        let (_d, core) = core().await;
        let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李雷\r\nTEL:13800138000\r\nEND:VCARD\r\n";
        let rec = Record::mime("text/vcard", vcf.as_bytes().to_vec());
        let raw = [RawRecord {
            tnf: rec.tnf as u8,
            kind: rec.record_type.clone(),
            id: vec![],
            payload: rec.payload.clone(),
        }];
        let report = add_from_records(&core, &raw).await.unwrap();
        assert_eq!(report.added.len(), 1);
        assert_eq!(report.added[0].name, "李雷");
        // No own card published: nothing to write, and a clear error.
        let e = records_for_tag(&core, Tag::Ntag215).await.unwrap_err();
        assert!(e.kind == "not_found" || e.kind == "invalid_input", "{e:?}");
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
