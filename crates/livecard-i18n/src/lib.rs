//! The one catalogue of user-facing words, zh + en, for Rust and the UI.
//!
//! [`MESSAGES`] holds every string as `(key, English, 中文)`: error kinds (`error.*`), the PIN
//! lock (`pin.*`, `duration.*`), contact actions (`action.*`, `fallback.*`, `refused.*`,
//! `gesture.*`), the share page (`share.*`), the CLI's glosses (`cli.*`) and the app's
//! screens (every other key). Field labels are the field table's
//! (`livecard_format::fields`, `field.KEY`). Placeholders are `{name}` in both languages.
//!
//! Rust reads it through [`text`] / [`format`]; the UI and the share page read generated
//! copies, `ui/src/lib/generated/messages.json` (every row + the field labels) and
//! `crates/livecard-server/assets/messages.mjs` (the `share.*` rows), written and checked for
//! drift by `tests/generated.rs` (regenerate:
//! `LIVECARD_REGENERATE=1 cargo test -p livecard-i18n --test generated`).

mod catalogue;

pub use catalogue::MESSAGES;

/// The language words are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// Both languages; every key has both.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// `zh`, `zh-CN`, `zh_Hans` … → Zh; anything else → En.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// `"en"` / `"zh"`, the generated files' language keys.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Sentences as one text: joined by a space in English, by nothing in Chinese.
    pub fn join(self, sentences: &[String]) -> String {
        sentences.join(match self {
            Lang::En => " ",
            Lang::Zh => "",
        })
    }
}

/// The words for `key` in `lang`; `None` for a key without a row.
pub fn text(key: &str, lang: Lang) -> Option<&'static str> {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
}

/// The words for `key` in `lang` with each `{name}` replaced by its value in `args`
/// (unknown names stay as written). A key without a row gives the key itself, as the UI's
/// `t()` does.
pub fn format(key: &str, lang: Lang, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let Some(template) = text(key, lang) else {
        return key.to_string();
    };
    fill(template, args)
}

/// `key.one` when `n` is 1, else `key.other`, with `{n}` and `args` filled in.
pub fn format_count(
    key: &str,
    n: u64,
    lang: Lang,
    args: &[(&str, &dyn std::fmt::Display)],
) -> String {
    let key = format!("{key}.{}", if n == 1 { "one" } else { "other" });
    let mut all: Vec<(&str, &dyn std::fmt::Display)> = vec![("n", &n)];
    all.extend_from_slice(args);
    format(&key, lang, &all)
}

/// "English / 中文" on one line: how the CLI glosses a line in both languages.
pub fn both(key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    format!(
        "{} / {}",
        format(key, Lang::En, args),
        format(key, Lang::Zh, args)
    )
}

/// `template` with each `{name}` of `args` replaced.
fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v.to_string(), close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a template, in order of appearance.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                names.push(name);
                rest = &rest[close + 1..];
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_key_is_unique_and_has_both_languages() {
        let mut seen = BTreeSet::new();
        for (key, en, zh) in MESSAGES {
            assert!(seen.insert(*key), "{key} has two rows");
            assert!(
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_'),
                "bad key {key:?}"
            );
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!zh.trim().is_empty(), "{key} has no 中文");
            // A long English text copied into zh was not translated.
            assert!(en.len() <= 12 || en != zh, "{key}: zh is the English text");
        }
    }

    #[test]
    fn both_languages_use_the_same_placeholders() {
        for (key, en, zh) in MESSAGES {
            let mut e = placeholders(en);
            let mut z = placeholders(zh);
            e.sort();
            z.sort();
            if key.starts_with("cli.") || key.starts_with("refusal.") {
                // The CLI's Chinese is a short gloss after the English line: it may name fewer.
                assert!(z.iter().all(|n| e.contains(n)), "{key}: {z:?} ⊄ {e:?}");
            } else {
                assert_eq!(e, z, "{key}: placeholders differ between en and zh");
            }
        }
    }

    #[test]
    fn fills_placeholders_and_counts() {
        assert_eq!(
            format("add.result.added", Lang::Zh, &[("name", &"张三丰")]),
            "已添加 张三丰"
        );
        assert_eq!(format("cards.count", Lang::En, &[("count", &3)]), "3 cards");
        // Unknown names stay; a key without a row is itself.
        assert_eq!(format("cards.count", Lang::En, &[]), "{count} cards");
        assert_eq!(format("no.such.key", Lang::En, &[]), "no.such.key");
        assert_eq!(
            format_count("pin.tries_left", 1, Lang::En, &[]),
            "1 more try before you have to wait."
        );
        assert_eq!(
            format_count("pin.tries_left", 2, Lang::En, &[]),
            "2 more tries before you have to wait."
        );
        assert_eq!(
            both("cli.qr_written", &[("path", &"a.png")]),
            "QR of the share link written to a.png / 已生成二维码"
        );
        assert_eq!(placeholders("{h} h {m} min {x y} {}"), ["h", "m"]);
        assert_eq!(Lang::from_tag("zh-Hant-TW"), Lang::Zh);
        assert_eq!(Lang::from_tag("fr"), Lang::En);
        assert_eq!(Lang::Zh.join(&["a。".into(), "b。".into()]), "a。b。");
    }
}
