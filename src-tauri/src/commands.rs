//! Commands: a thin map from the webview onto [`livecard_core::Core`]. Each returns
//! `Result<T, CommandError>`, which the UI receives as `{kind, message, fields?}`.

use livecard_core::{AddReport, CardSummary, Core, CoreError, OwnCard, ReceivedCard, Sort};
use livecard_format::{Card, Region};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::settings::Settings;
use crate::AppState;

// ------------------------------------------------------------------ app and settings

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// Debug builds with LIVECARD_DEV_HOOKS=1: the UI exposes test hooks (inject an
    /// accelerometer trace). Always false in a release build.
    pub dev_hooks: bool,
    /// `desktop`, `android` or `ios`.
    #[cfg_attr(feature = "ts", ts(type = "'desktop' | 'android' | 'ios'"))]
    pub platform: &'static str,
    /// NFC tags can be read and written (phone builds).
    pub nfc: bool,
    /// The camera QR scanner exists (phone builds).
    pub scanner: bool,
    /// Biometric unlock exists in this build (phones); whether the phone has it set up is
    /// `lock_biometric_status`.
    pub biometric: bool,
}

/// TEST HOOK, debug builds only (release builds have no such variable).
#[cfg(debug_assertions)]
fn dev_hooks() -> bool {
    std::env::var("LIVECARD_DEV_HOOKS").is_ok_and(|v| v == "1")
}

#[cfg(not(debug_assertions))]
fn dev_hooks() -> bool {
    false
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.data_dir.display().to_string(),
        dev_hooks: dev_hooks(),
        platform: match crate::live::PLATFORM {
            livecard_actions::Platform::Android => "android",
            livecard_actions::Platform::Ios => "ios",
            _ => "desktop",
        },
        nfc: cfg!(mobile),
        scanner: cfg!(mobile),
        biometric: cfg!(mobile),
    }
}

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> CommandResult<Settings> {
    state.settings.load(state.server_override.as_deref())
}

#[tauri::command]
pub async fn settings_set(
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<Settings> {
    let before = state.settings.load(None)?.server_url;
    let saved = state.settings.save(settings)?;
    if saved.server_url != before && state.server_override.is_none() {
        state.reload_core().await?;
    }
    Ok(saved)
}

// ------------------------------------------------------------------ own card

/// The default own card, or `null` before the user made one.
#[tauri::command]
pub async fn me_get(state: State<'_, AppState>) -> CommandResult<Option<OwnCard>> {
    me_get_in(&state.core()).await
}

pub async fn me_get_in(core: &Core) -> CommandResult<Option<OwnCard>> {
    match core.own_card(None).await {
        Ok(c) => Ok(Some(c)),
        Err(CoreError::NoOwnCard) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Create (if none) or replace the default own card with what the editor holds. Every
/// refused value is reported at once (`fields`), and then nothing is saved.
#[tauri::command]
pub async fn me_save(state: State<'_, AppState>, card: Card) -> CommandResult<OwnCard> {
    me_save_in(&state.core(), card).await
}

pub async fn me_save_in(core: &Core, card: Card) -> CommandResult<OwnCard> {
    Ok(core.save_own(None, &card).await?)
}

/// Patent claim 2: a new own card from a received one, made the default so the editor
/// opens it next.
#[tauri::command]
pub async fn me_from_received(state: State<'_, AppState>, id: String) -> CommandResult<OwnCard> {
    let own = state.core().seed_own_from(&id).await?;
    Ok(state.core().set_default_own(&own.id).await?)
}

/// Check one value as the editor's user types it; the normalised value on success
/// (a phone number in E.164, a website with its scheme), the field's error otherwise.
#[tauri::command]
pub fn validate_field(field: String, value: String) -> CommandResult<String> {
    check_field(&field, &value, Region::default())
}

pub fn check_field(field: &str, value: &str, region: Region) -> CommandResult<String> {
    Ok(livecard_core::check_field(field, value, region)?)
}

// ------------------------------------------------------------------ received cards

#[tauri::command]
pub async fn cards_list(state: State<'_, AppState>, sort: Sort) -> CommandResult<Vec<CardSummary>> {
    Ok(state.core().summaries(sort).await?)
}

#[tauri::command]
pub async fn cards_search(
    state: State<'_, AppState>,
    query: String,
) -> CommandResult<Vec<CardSummary>> {
    Ok(state.core().search(&query, None).await?)
}

/// One window of the card list or of a search's hits: the windowed list asks only for the
/// rows in view (see [`livecard_core::Core::cards_window`]).
#[tauri::command]
pub async fn cards_window(
    state: State<'_, AppState>,
    query: String,
    sort: Sort,
    offset: usize,
    limit: usize,
) -> CommandResult<livecard_core::model::CardWindow> {
    Ok(state
        .core()
        .cards_window(&query, sort, offset, limit)
        .await?)
}

/// Open a received card (clears its "changed" badge).
#[tauri::command]
pub async fn card_open(state: State<'_, AppState>, id: String) -> CommandResult<ReceivedCard> {
    Ok(state.core().open_card(&id).await?)
}

#[tauri::command]
pub async fn card_set_notes(
    state: State<'_, AppState>,
    id: String,
    notes: String,
) -> CommandResult<ReceivedCard> {
    Ok(state.core().set_notes(&id, &notes).await?)
}

#[tauri::command]
pub async fn card_add_tag(
    state: State<'_, AppState>,
    id: String,
    tag: String,
) -> CommandResult<ReceivedCard> {
    Ok(state.core().add_tags(&id, &[tag]).await?)
}

#[tauri::command]
pub async fn card_remove_tag(
    state: State<'_, AppState>,
    id: String,
    tag: String,
) -> CommandResult<ReceivedCard> {
    Ok(state.core().remove_tags(&id, &[tag]).await?)
}

#[tauri::command]
pub async fn card_delete(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    Ok(state.core().delete(&id).await?)
}

// ------------------------------------------------------------------ import

/// The largest file the UI may hand over (the webview reads it; no fs permission).
pub use livecard_core::MAX_IMPORT_BYTES;

/// Import the bytes of a .vcf file (or any vCard/MeCard text) as received cards.
#[tauri::command]
pub async fn import_vcf(state: State<'_, AppState>, bytes: Vec<u8>) -> CommandResult<AddReport> {
    import_in(&state.core(), &bytes).await
}

/// Import pasted vCard or MeCard text.
#[tauri::command]
pub async fn import_text(state: State<'_, AppState>, text: String) -> CommandResult<AddReport> {
    import_in(&state.core(), text.as_bytes()).await
}

pub async fn import_in(core: &Core, bytes: &[u8]) -> CommandResult<AddReport> {
    Ok(core.import_contacts(bytes).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), Region::default()).await.unwrap();
        (dir, core)
    }

    #[test]
    fn field_check_normalises_or_names_the_field() {
        let cn = Region::default();
        assert_eq!(
            check_field("mobile", "138 0013 8000", cn).unwrap(),
            "+8613800138000"
        );
        let e = check_field("email", "nope", cn).unwrap_err();
        assert_eq!(e.kind, "invalid_input");
        assert_eq!(e.fields[0].field, "email");
        let e = check_field("shoe_size", "42", cn).unwrap_err();
        assert_eq!(e.kind, "invalid_input");
    }

    #[tokio::test]
    async fn me_save_creates_then_updates_and_reports_every_bad_field() {
        let (_d, core) = core().await;
        assert!(me_get_in(&core).await.unwrap().is_none());

        let card = Card {
            name: "张三丰".into(),
            mobile: vec!["138 0013 8000".into()],
            company: "武当".into(),
            ..Default::default()
        };
        let me = me_save_in(&core, card).await.unwrap();
        assert_eq!(me.card.name, "张三丰");
        assert_eq!(me.card.family, "张");
        assert_eq!(me.card.mobile, vec!["+8613800138000"]);
        assert_eq!(me.version, 1);

        let mut bad = me.card.clone();
        bad.email = vec!["not-an-email".into()];
        bad.qq = "12ab".into();
        let e = me_save_in(&core, bad).await.unwrap_err();
        assert_eq!(e.kind, "invalid_input");
        let mut fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["email", "qq"]);
        let still = me_get_in(&core).await.unwrap().unwrap();
        assert_eq!(still.version, 1, "a refused save changes nothing");

        let mut good = still.card.clone();
        good.title = "掌门".into();
        good.mobile.push("13900139000".into());
        let me2 = me_save_in(&core, good).await.unwrap();
        assert_eq!(me2.version, 2);
        assert_eq!(me2.card.mobile.len(), 2);
        assert_eq!(me2.card.title, "掌门");
    }

    #[tokio::test]
    async fn me_save_sets_replaces_and_removes_the_avatar() {
        let (_d, core) = core().await;
        let png = |n: u8| {
            let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
            b.extend([n; 32]);
            b
        };
        let mut card = Card {
            name: "张三".into(),
            avatar: Some(livecard_format::Avatar {
                mime: "image/png".into(),
                data: png(1),
            }),
            ..Default::default()
        };
        let me = me_save_in(&core, card.clone()).await.unwrap();
        let a = me.card.avatar.as_ref().unwrap();
        assert_eq!(
            (a.mime.as_str(), a.data.as_slice()),
            ("image/png", png(1).as_slice())
        );
        card.avatar = Some(livecard_format::Avatar {
            mime: "image/png".into(),
            data: png(2),
        });
        let me = me_save_in(&core, card.clone()).await.unwrap();
        assert_eq!(me.card.avatar.unwrap().data, png(2));
        // Not an image: refused in place, the old avatar stays.
        card.avatar = Some(livecard_format::Avatar {
            mime: "image/png".into(),
            data: b"hello".to_vec(),
        });
        let e = me_save_in(&core, card.clone()).await.unwrap_err();
        assert_eq!(e.fields[0].field, "avatar");
        assert_eq!(
            me_get_in(&core)
                .await
                .unwrap()
                .unwrap()
                .card
                .avatar
                .unwrap()
                .data,
            png(2)
        );
        card.avatar = None;
        let me = me_save_in(&core, card).await.unwrap();
        assert!(me.card.avatar.is_none());
    }

    #[tokio::test]
    async fn import_reports_each_card_and_refuses_garbage() {
        let (_d, core) = core().await;
        let vcf =
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三丰\r\nTEL;TYPE=CELL:13800138000\r\nEND:VCARD\r\n";
        let report = import_in(&core, vcf.as_bytes()).await.unwrap();
        assert_eq!(report.added.len(), 1);
        assert_eq!(report.added[0].name, "张三丰");
        let e = import_in(&core, b"\x00\x01 not a card").await.unwrap_err();
        assert_eq!(e.kind, "import_failed", "{e:?}");
        let e = import_in(&core, &vec![b'x'; MAX_IMPORT_BYTES + 1])
            .await
            .unwrap_err();
        assert_eq!(e.kind, "invalid_input");
    }
}

// ------------------------------------------------------------------ PIN lock

/// The lock's state (answers while locked).
#[tauri::command]
pub async fn lock_status(state: State<'_, AppState>) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().lock_status().await?)
}

/// Enter the PIN. Errors: `wrong_pin`, `must_wait`, `wiped` (the UI then asks `lock_status`
/// for the tries left and the wait).
#[tauri::command]
pub async fn lock_unlock(
    state: State<'_, AppState>,
    pin: String,
) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().unlock(&pin).await?)
}

/// Set the PIN, or change it (then `current` is required).
#[tauri::command]
pub async fn lock_set_pin(
    state: State<'_, AppState>,
    new: String,
    current: Option<String>,
) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().set_pin(&new, current.as_deref()).await?)
}

/// Remove the PIN (the current one is required).
#[tauri::command]
pub async fn lock_remove(
    state: State<'_, AppState>,
    current: String,
) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().remove_pin(&current).await?)
}

#[tauri::command]
pub async fn lock_now(state: State<'_, AppState>) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().lock_now().await?)
}

/// Auto-lock timeout in the background, seconds (0 = at once).
#[tauri::command]
pub async fn lock_set_auto(
    state: State<'_, AppState>,
    secs: u32,
) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().set_auto_lock_secs(secs).await?)
}

/// Wipe received cards after `n` wrong PINs in a row; `null` turns it off.
#[tauri::command]
pub async fn lock_set_wipe_after(
    state: State<'_, AppState>,
    n: Option<u32>,
) -> CommandResult<livecard_core::LockStatus> {
    Ok(state.core().set_wipe_after(n).await?)
}

/// Keys-missing way out 1 (`lock_status` answers `keys_missing: true`): restore the owner keys
/// from a key backup file (its bytes) with its passphrase; the lock is reset (no PIN, the UI
/// offers to set one). Errors: `wrong_passphrase` (nothing changed), `keys_present` (the lock
/// is intact: use the PIN), `invalid_input`.
#[tauri::command]
pub async fn lock_recover_from_backup(
    state: State<'_, AppState>,
    bytes: Vec<u8>,
    passphrase: String,
) -> CommandResult<livecard_core::KeysImported> {
    if bytes.len() > crate::device::MAX_BACKUP_BYTES {
        return Err(CommandError::invalid(
            "this file is too large to be a livecard key backup (at most 1 MiB)",
        ));
    }
    Ok(state
        .core()
        .recover_from_key_backup(&bytes, &passphrase)
        .await?)
}

/// Keys-missing way out 2: delete every received card and reset the lock; own cards stay.
/// Returns how many received cards were deleted. Error `keys_present` when the lock is intact.
#[tauri::command]
pub async fn lock_start_over(state: State<'_, AppState>) -> CommandResult<u64> {
    Ok(state.core().start_over_without_keys().await?)
}
