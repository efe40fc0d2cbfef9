//! The one catalogue of user-facing words for error kinds, zh + en. Rust renders through it
//! ([`error_text`]); the UI gets the same rows as `ui/src/lib/generated/messages.json`
//! (written and drift-checked by `src-tauri/tests/ipc_types.rs`, together with the field
//! labels of `livecard_format::fields`). A kind a command can answer has a row here (tests
//! check `error::KINDS` and the app's `APP_KINDS`).

pub use livecard_lock::Lang;

/// `(kind, English, 中文)`: what the kind means to a user, without the details a message
/// carries. No row tells an app user to run a CLI command.
pub const ERROR_TEXTS: &[(&str, &str, &str)] = &[
    ("not_found", "Not found.", "未找到。"),
    ("invalid_input", "Some input was refused.", "输入有误。"),
    (
        "import_failed",
        "Nothing could be read as a card.",
        "无法读取为名片。",
    ),
    (
        "storage",
        "The data on this device could not be read or written.",
        "本机数据无法读写。",
    ),
    (
        "offline",
        "The server cannot be reached; the change waits and is sent later.",
        "无法连接服务器；修改将稍后发送。",
    ),
    (
        "server",
        "The server refused the request.",
        "服务器拒绝了请求。",
    ),
    (
        "refused",
        "The card was refused (its signature, key or version is not right).",
        "名片被拒绝（签名、密钥或版本不对）。",
    ),
    (
        "keystore",
        "The system keystore failed.",
        "系统密钥库出错。",
    ),
    (
        "no_server",
        "No sync server is set: set one in Settings.",
        "未设置同步服务器：请在设置中填写。",
    ),
    (
        "not_published",
        "The card is not published yet: publish it first.",
        "名片尚未发布：请先发布。",
    ),
    (
        "wrong_passphrase",
        "Wrong passphrase, or the backup is damaged.",
        "密码错误或备份已损坏。",
    ),
    (
        "locked",
        "livecard is locked: enter the PIN.",
        "已锁定：请输入 PIN 码。",
    ),
    ("no_pin", "No PIN is set.", "尚未设置 PIN 码。"),
    (
        "invalid_pin",
        "A PIN is 4 to 12 digits.",
        "PIN 码为 4 到 12 位数字。",
    ),
    ("wrong_pin", "Wrong PIN.", "PIN 码错误。"),
    (
        "must_wait",
        "Too many wrong PINs: wait before the next try.",
        "PIN 码错误次数过多：请稍后再试。",
    ),
    (
        "current_pin_required",
        "The current PIN is required.",
        "需要当前 PIN 码。",
    ),
    (
        "wipe_after_out_of_range",
        "Choose a number from 5 to 100.",
        "请选择 5 到 100 之间的数字。",
    ),
    (
        "biometric_off",
        "Fingerprint or face unlock is off: enter the PIN.",
        "未开启指纹/面容解锁：请输入 PIN 码。",
    ),
    (
        "corrupt_state",
        "The lock's saved state is damaged.",
        "锁定状态数据已损坏。",
    ),
    ("hash", "The PIN could not be checked.", "无法校验 PIN 码。"),
    (
        "keys_missing",
        "This phone's keys are missing: restore your key backup, or start over.",
        "本机密钥丢失：请恢复密钥备份，或重新开始。",
    ),
    (
        "keys_present",
        "The lock is intact: unlock it with the PIN.",
        "锁定完好：请用 PIN 码解锁。",
    ),
    (
        "wiped",
        "Too many wrong PINs: the received cards were erased.",
        "PIN 码错误次数过多：收到的名片已清除。",
    ),
    (
        "too_large",
        "The card is too large for this.",
        "名片太大，无法放入。",
    ),
    (
        "nfc_too_small",
        "This tag is too small even for the share link: use a larger tag.",
        "标签太小，连分享链接都放不下：请换更大的标签。",
    ),
    (
        "no_qr_code",
        "No readable QR code was found in the picture.",
        "图片中没有可读取的二维码。",
    ),
    // The app's own kinds (src-tauri APP_KINDS).
    (
        "internal",
        "Something went wrong inside livecard.",
        "livecard 内部出错。",
    ),
    (
        "io",
        "A file could not be read or written.",
        "文件无法读写。",
    ),
    (
        "corrupt",
        "The saved settings are damaged.",
        "已保存的设置已损坏。",
    ),
    (
        "share",
        "The share sheet could not be opened.",
        "无法打开分享面板。",
    ),
    ("unsupported", "This needs a phone.", "此功能需要手机。"),
    (
        "gestures_off",
        "Gestures are off in Settings.",
        "设置中已关闭手势。",
    ),
    (
        "biometric_failed",
        "Fingerprint or face was not recognised.",
        "未能识别指纹或面容。",
    ),
    (
        "nfc",
        "The NFC tag could not be used.",
        "无法使用该 NFC 标签。",
    ),
    (
        "nfc_cancelled",
        "Stopped waiting for a tag.",
        "已停止等待标签。",
    ),
    (
        "nfc_locked",
        "This tag is locked (read-only): use another tag.",
        "标签已锁定（只读）：请换一个标签。",
    ),
    (
        "nfc_not_ndef",
        "This tag cannot hold NDEF data.",
        "该标签不支持 NDEF。",
    ),
    ("nfc_empty", "This tag is empty.", "这个标签是空的。"),
    (
        "nfc_bad_answer",
        "The phone's answer for the tag could not be read.",
        "无法识别手机读取到的标签数据。",
    ),
    (
        "nfc_off",
        "NFC is off or missing on this phone.",
        "本机 NFC 未开启或不可用。",
    ),
    (
        "nfc_tag_lost",
        "The tag moved away: hold it still and try again.",
        "标签已移开：请拿稳后重试。",
    ),
    ("nfc_timeout", "No tag came near in time.", "等待标签超时。"),
    (
        "nfc_verify_failed",
        "The tag reads back differently: write again.",
        "写入后读回不一致：请重新写入。",
    ),
];

/// The catalogue's words for `kind` in `lang`; `None` for a kind without a row.
pub fn error_text(kind: &str, lang: Lang) -> Option<&'static str> {
    ERROR_TEXTS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_has_words_in_both_languages() {
        for kind in crate::error::KINDS {
            let en = error_text(kind, Lang::En).unwrap_or_else(|| panic!("no row for {kind}"));
            let zh = error_text(kind, Lang::Zh).unwrap_or_default();
            assert!(!en.is_empty() && !zh.is_empty() && en != zh, "{kind}");
            assert!(
                !en.contains("livecard me") && !zh.contains("livecard me"),
                "{kind}"
            );
        }
        let mut kinds: Vec<&str> = ERROR_TEXTS.iter().map(|r| r.0).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), ERROR_TEXTS.len(), "a kind has two rows");
        assert_eq!(error_text("no_such_kind", Lang::En), None);
    }
}
