//! The catalogue's generated copies are up to date: `ui/src/lib/generated/messages.json` (the
//! app: every row and the field table's labels) and `crates/livecard-server/assets/messages.mjs`
//! (the share page: the `share.*` rows). A drift fails; run with `LIVECARD_REGENERATE=1` to
//! rewrite them.

use std::collections::BTreeMap;

use livecard_i18n::{Lang, MESSAGES};

fn check(rel: &str, want: &str) {
    livecard_testkit::check_generated(rel, want, "cargo test -p livecard-i18n --test generated");
}

fn pick(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// `{"en": {KEY: …}, "zh": {…}}`, keys sorted: every catalogue row and `field.KEY` from the
/// field table.
fn app_messages() -> String {
    let mut all: BTreeMap<&str, BTreeMap<String, &str>> = BTreeMap::new();
    for lang in Lang::ALL {
        let words = all.entry(lang.code()).or_default();
        for (key, en, zh) in MESSAGES {
            words.insert(key.to_string(), pick(lang, en, zh));
        }
        for spec in livecard_format::fields::FIELDS.iter() {
            let label = pick(lang, spec.label_en, spec.label_zh);
            let clash = words.insert(format!("field.{}", spec.key()), label);
            assert!(
                clash.is_none(),
                "field.{} is both a row and a field label",
                spec.key()
            );
        }
    }
    serde_json::to_string_pretty(&all).expect("json") + "\n"
}

/// `export const STRINGS = {zh: {KEY: …}, en: {…}}` of the `share.*` rows, prefix dropped, in
/// catalogue order.
fn share_page_messages() -> String {
    let mut out = String::from(
        "// Generated from crates/livecard-i18n/src/catalogue.rs (the share.* rows) by \
         `cargo test -p livecard-i18n --test generated` with LIVECARD_REGENERATE=1. Do not edit.\n\
         export const STRINGS = {\n",
    );
    for lang in [Lang::Zh, Lang::En] {
        out.push_str(&format!("  {}: {{\n", lang.code()));
        for (key, en, zh) in MESSAGES {
            if let Some(short) = key.strip_prefix("share.") {
                let text = serde_json::to_string(pick(lang, en, zh)).expect("json");
                out.push_str(&format!("    {short}: {text},\n"));
            }
        }
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

#[test]
fn app_messages_are_current() {
    check("ui/src/lib/generated/messages.json", &app_messages());
}

#[test]
fn share_page_messages_are_current() {
    check(
        "crates/livecard-server/assets/messages.mjs",
        &share_page_messages(),
    );
}

#[test]
fn field_labels_have_both_languages() {
    for spec in livecard_format::fields::FIELDS.iter() {
        assert!(
            !spec.label_en.trim().is_empty() && !spec.label_zh.trim().is_empty(),
            "field {} lacks a label",
            spec.key()
        );
    }
}
