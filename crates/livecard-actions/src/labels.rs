//! The words for every i18n key this crate emits: rows of the one catalogue
//! (`livecard-i18n`), so the UI has one source. A test checks that every key
//! [`crate::actions_for`] and [`crate::fallback_for`] can produce has words.

use livecard_i18n::{text, Lang};

/// Every label key this crate emits besides `field.KEY` (actions, fallbacks, refusals,
/// gestures); each is a catalogue row.
pub const KEYS: &[&str] = &[
    "action.call",
    "action.sms",
    "action.copy",
    "action.email",
    "action.open_web",
    "action.open_qq",
    "action.open_weibo",
    "action.open_weibo_web",
    "action.copy_open_wechat",
    "action.open_dingtalk",
    "action.open_aliwangwang",
    "action.map",
    "action.map_amap",
    "fallback.store",
    "fallback.web",
    "refused.invalid_number",
    "refused.invalid_qq",
    "refused.invalid_email",
    "refused.invalid_website",
    "refused.invalid_handle",
    "refused.invalid_weibo",
    "gesture.lift_up",
    "gesture.put_down",
];

/// The text for `key` in `lang` (`"zh…"` → Chinese, anything else → English): the catalogue's
/// row; for `field.KEY`, the card detail's name where it differs from the field table
/// (`detail.field.KEY`), else the table's label (`livecard_format::fields`).
pub fn label(key: &str, lang: &str) -> Option<&'static str> {
    let lang = Lang::from_tag(lang);
    let Some(field) = key.strip_prefix("field.") else {
        return text(key, lang);
    };
    text(&format!("detail.{key}"), lang).or_else(|| {
        let f = livecard_format::Field::ALL
            .into_iter()
            .find(|f| f.as_str() == field)?;
        Some(f.spec().label(lang.code()))
    })
}

/// Every label in `lang`: each field's `field.KEY` and every key of [`KEYS`] (the app's
/// `action_labels` command).
pub fn all(lang: &str) -> Vec<(String, &'static str)> {
    livecard_format::fields::FIELDS
        .iter()
        .map(|s| format!("field.{}", s.key()))
        .chain(KEYS.iter().map(|k| k.to_string()))
        .filter_map(|k| {
            let text = label(&k, lang)?;
            Some((k, text))
        })
        .collect()
}
