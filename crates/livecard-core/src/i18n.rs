//! Words for users come from the one catalogue, the crate `livecard-i18n` (re-exported here):
//! error kinds are its `error.KIND` rows, rendered at display time in the user's language
//! ([`error_text`]). The UI reads the same rows from `ui/src/lib/generated/messages.json`. A
//! kind a command can answer has a row (tests check `error::KINDS` here and the app's
//! `APP_KINDS` in src-tauri).

pub use livecard_i18n::*;

/// The catalogue's words for error `kind` in `lang`; `None` for a kind without a row.
pub fn error_text(kind: &str, lang: Lang) -> Option<&'static str> {
    text(&format!("error.{kind}"), lang)
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
        assert_eq!(error_text("no_such_kind", Lang::En), None);
    }
}
