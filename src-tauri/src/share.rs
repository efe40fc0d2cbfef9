//! Sending my card: the share link and my .vcf through the phone's share sheet
//! (tauri-plugin-sharekit, called from Rust so the webview gets no share permission; Android's
//! WebView has no `navigator.share`), and an SMS with the link as its body
//! (`livecard_actions::sms_body_url`). Desktop has no share sheet: `share_link` answers
//! `shared: false` (the UI copies the link) and `share_vcf` saves the file with the save dialog.

use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::AppState;

/// What a share did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shared {
    /// The system share sheet was opened (phones).
    pub shared: bool,
    /// Desktop: where the .vcf was saved (None: the dialog was cancelled).
    pub path: Option<String>,
}

/// Share my card's link through the system share sheet (phones). Desktop: `shared: false`.
#[tauri::command]
pub async fn share_link(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Shared> {
    let link = state.core().share_link(None).await?.to_string();
    share_text(&app, link)
}

/// The `sms:` URL that sends my card's link as the message body (the user picks the
/// recipient); opened by the UI with the opener (`sms:` is in the opener's scope).
#[tauri::command]
pub async fn sms_link_url(state: State<'_, AppState>) -> CommandResult<String> {
    let link = state.core().share_link(None).await?.to_string();
    Ok(livecard_actions::sms_body_url(&link, crate::live::PLATFORM))
}

/// Share my card as a .vcf file: phones write it to the app's cache folder and open the share
/// sheet with it (sharekit hands it out through its FileProvider, `${applicationId}.fileprovider`,
/// cache-path); desktop saves it with the save dialog.
#[tauri::command]
pub async fn share_vcf(app: tauri::AppHandle, state: State<'_, AppState>) -> CommandResult<Shared> {
    let core = state.core();
    let me = core.own_card(None).await?;
    let vcf = core.own_vcard(None).await?;
    let name = vcf_file_name(&me.card.name);
    tauri::async_runtime::spawn_blocking(move || share_file(&app, &name, vcf.as_bytes()))
        .await
        .map_err(|e| CommandError::new("internal", e.to_string()))?
}

/// `NAME.vcf` with only letters, digits, `-` and `_` of the name kept (`card.vcf` when none).
pub fn vcf_file_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let kept = kept.trim_matches('-');
    if kept.is_empty() {
        "card.vcf".to_string()
    } else {
        format!("{kept}.vcf")
    }
}

#[cfg(mobile)]
fn main_window(app: &tauri::AppHandle) -> CommandResult<tauri::WebviewWindow> {
    use tauri::Manager;
    app.webview_windows()
        .into_values()
        .next()
        .ok_or_else(|| CommandError::new("share", "no window to share from"))
}

#[cfg(mobile)]
fn share_text(app: &tauri::AppHandle, text: String) -> CommandResult<Shared> {
    use tauri_plugin_sharekit::{ShareExt, ShareTextOptions};
    app.share()
        .share_text(main_window(app)?, text, ShareTextOptions::default())
        .map_err(|e| CommandError::new("share", e.to_string()))?;
    Ok(Shared {
        shared: true,
        path: None,
    })
}

#[cfg(not(mobile))]
fn share_text(_app: &tauri::AppHandle, _text: String) -> CommandResult<Shared> {
    Ok(Shared {
        shared: false,
        path: None,
    })
}

#[cfg(mobile)]
fn share_file(app: &tauri::AppHandle, name: &str, bytes: &[u8]) -> CommandResult<Shared> {
    use tauri::Manager;
    use tauri_plugin_sharekit::{ShareExt, ShareFileOptions};
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| CommandError::new("io", e.to_string()))?
        .join("share");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    let options = ShareFileOptions {
        mime_type: Some("text/vcard".into()),
        title: Some(name.to_string()),
        ..Default::default()
    };
    app.share()
        .share_file(main_window(app)?, path.display().to_string(), options)
        .map_err(|e| CommandError::new("share", e.to_string()))?;
    Ok(Shared {
        shared: true,
        path: None,
    })
}

#[cfg(not(mobile))]
fn share_file(app: &tauri::AppHandle, name: &str, bytes: &[u8]) -> CommandResult<Shared> {
    let path = crate::device::save(app, name, ("vCard", &["vcf"]), bytes)?;
    Ok(Shared {
        shared: false,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::vcf_file_name;

    #[test]
    fn vcf_file_names_keep_letters_only() {
        assert_eq!(vcf_file_name("张三丰"), "张三丰.vcf");
        assert_eq!(vcf_file_name("John Doe"), "John-Doe.vcf");
        assert_eq!(vcf_file_name("../../etc/passwd"), "etcpasswd.vcf");
        assert_eq!(vcf_file_name("  "), "card.vcf");
        assert_eq!(vcf_file_name("a/b\\c:d"), "abcd.vcf");
    }
}
