//! Keys computed from a card at write time: the search key (lowercase text, phone digits,
//! pinyin readings of the name and company), the sort keys (name in pinyin order, company) and
//! the duplicate key.
//!
//! Pinyin comes from the `pinyin` crate. Polyphonic characters are indexed with every reading
//! the crate knows (so 单 matches "dan" and "shan"); a character in surname position is also
//! indexed — and sorted — with its surname reading from [`SURNAME_READINGS`] (单 → shan,
//! 曾 → zeng), because the crate's first reading is the common-word one.

use livecard_format::card::is_cjk;
use livecard_format::Card;
use pinyin::{ToPinyin, ToPinyinMulti};
use serde::{Deserialize, Serialize};

/// Bump when the way keys are computed changes: stored keys of another version are recomputed
/// when the store opens.
pub const SEARCH_KEY_VERSION: i64 = 1;

/// Surnames whose reading differs from the character's most common reading.
const SURNAME_READINGS: &[(&str, &[&str])] = &[
    ("万俟", &["mo", "qi"]),
    ("尉迟", &["yu", "chi"]),
    ("长孙", &["zhang", "sun"]),
    ("单", &["shan"]),
    ("曾", &["zeng"]),
    ("沈", &["shen"]),
    ("仇", &["qiu"]),
    ("覃", &["qin"]),
    ("解", &["xie"]),
    ("区", &["ou"]),
    ("朴", &["piao"]),
    ("查", &["zha"]),
    ("盖", &["ge"]),
    ("乐", &["yue"]),
    ("缪", &["miao"]),
    ("翟", &["zhai"]),
    ("繁", &["po"]),
    ("员", &["yun"]),
    ("秘", &["bi"]),
    ("种", &["chong"]),
    ("重", &["chong"]),
    ("贾", &["jia"]),
    ("柏", &["bai"]),
    ("薄", &["bo"]),
    ("任", &["ren"]),
    ("华", &["hua"]),
    ("纪", &["ji"]),
    ("宁", &["ning"]),
    ("隗", &["wei"]),
    ("逄", &["pang"]),
    ("阚", &["kan"]),
    ("藏", &["zang"]),
    ("褚", &["chu"]),
    ("尉", &["wei"]),
    ("燕", &["yan"]),
    ("冼", &["xian"]),
    ("莘", &["shen"]),
];

/// What search needs of one card, stored as JSON in `received_cards.search_key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchKey {
    /// Lowercased display name.
    pub name: String,
    /// Lowercased other searchable text: family, given, company, title, industry, emails,
    /// numbers as stored, QQ, WeChat, the recipient's tags and notes. Separated by '\n'.
    pub text: String,
    /// Every phone number as digits only, in international ("8613800138000") and national
    /// ("13800138000") form, separated by ' '.
    pub digits: String,
    /// Readings of each character of the display name (one entry per character; a non-Han
    /// character has itself, lowercased, as its only reading).
    pub name_py: Vec<Vec<String>>,
    /// The same for the company (first 64 characters).
    pub company_py: Vec<Vec<String>>,
}

/// Computes the search key of a card plus the recipient's tags and notes.
pub fn search_key(card: &Card, tags: &[String], notes: &str) -> SearchKey {
    let name = card.display_name();
    let mut text = Vec::<String>::new();
    for s in [
        &card.family,
        &card.given,
        &card.company,
        &card.title,
        &card.industry,
        &card.qq,
        &card.wechat,
    ] {
        if !s.trim().is_empty() {
            text.push(s.to_lowercase());
        }
    }
    for s in card
        .email
        .iter()
        .chain(card.mobile.iter())
        .chain(card.phone.iter())
        .chain(card.fax.iter())
        .chain(std::iter::once(&card.temp_number))
        .chain(tags.iter())
    {
        if !s.trim().is_empty() {
            text.push(s.to_lowercase());
        }
    }
    if !notes.trim().is_empty() {
        text.push(notes.to_lowercase());
    }
    let mut digits = Vec::new();
    for n in card
        .mobile
        .iter()
        .chain(card.phone.iter())
        .chain(card.fax.iter())
        .chain(std::iter::once(&card.temp_number))
    {
        digits.extend(phone_digit_forms(n));
    }
    let has_han = name.chars().any(is_cjk);
    let has_han_company = card.company.chars().any(is_cjk);
    SearchKey {
        name: name.to_lowercase(),
        text: text.join("\n"),
        digits: digits.join(" "),
        name_py: if has_han {
            readings_of(&name, true)
        } else {
            Vec::new()
        },
        company_py: if has_han_company {
            readings_of(&card.company.chars().take(64).collect::<String>(), false)
        } else {
            Vec::new()
        },
    }
}

/// Digits-only forms of one number: as stored, and national when it parses as E.164.
pub fn phone_digit_forms(number: &str) -> Vec<String> {
    let all: String = number.chars().filter(char::is_ascii_digit).collect();
    if all.is_empty() {
        return Vec::new();
    }
    let mut out = vec![all];
    if number.trim_start().starts_with('+') {
        if let Ok(n) = phonenumber::parse(None, number) {
            let national: String = n
                .format()
                .mode(phonenumber::Mode::National)
                .to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if !national.is_empty() && !out.contains(&national) {
                out.push(national);
            }
        }
    }
    out
}

/// The readings of each character of `s`. With `surname`, the leading surname (one character,
/// or a compound from the table) also gets its surname reading, listed first.
pub fn readings_of(s: &str, surname: bool) -> Vec<Vec<String>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<Vec<String>> = chars.iter().map(|c| char_readings(*c)).collect();
    if surname {
        if let Some((sur, readings)) = surname_override(s) {
            for (i, r) in readings.iter().enumerate().take(sur.chars().count()) {
                let slot = &mut out[i];
                slot.retain(|x| x != r);
                slot.insert(0, (*r).to_string());
            }
        }
    }
    out
}

fn surname_override(s: &str) -> Option<(&'static str, &'static [&'static str])> {
    // Compound surnames first: they are listed before single characters.
    SURNAME_READINGS
        .iter()
        .find(|(sur, _)| s.starts_with(sur) && s.chars().count() > sur.chars().count())
        .map(|(a, b)| (*a, *b))
}

/// Every plain reading of one character ("lü" also as "lv" and "lu"); a non-Han character
/// reads as itself, lowercased.
fn char_readings(c: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            push_reading(&mut out, p.plain());
        }
    } else if let Some(p) = c.to_pinyin() {
        push_reading(&mut out, p.plain());
    }
    if out.is_empty() {
        out.extend(c.to_lowercase().map(String::from).take(1));
        if out.is_empty() {
            out.push(c.to_string());
        }
    }
    out
}

fn push_reading(out: &mut Vec<String>, r: &str) {
    let mut add = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    if r.contains('ü') {
        add(r.replace('ü', "v"));
        add(r.replace('ü', "u"));
    }
    add(r.to_string());
}

/// Sort key for a name or company: Chinese characters by their (surname-aware) first pinyin
/// reading, other text lowercased. Keys starting with a letter sort before everything else
/// (digits, symbols, empty), as phone contact lists do.
pub fn sort_key(s: &str, surname: bool) -> String {
    let s = s.trim();
    let mut parts: Vec<String> = Vec::new();
    let sur = if surname { surname_override(s) } else { None };
    let sur_len = sur.map_or(0, |(x, _)| x.chars().count());
    let mut latin = String::new();
    for (i, c) in s.chars().enumerate() {
        if is_cjk(c) {
            if !latin.is_empty() {
                parts.push(std::mem::take(&mut latin));
            }
            let r = match sur {
                Some((_, readings)) if i < sur_len => readings[i].to_string(),
                _ => c
                    .to_pinyin()
                    .map(|p| p.plain().replace('ü', "v"))
                    .unwrap_or_else(|| c.to_string()),
            };
            parts.push(r);
        } else {
            latin.extend(c.to_lowercase());
        }
    }
    if !latin.is_empty() {
        parts.push(latin);
    }
    let key = parts.join(" ");
    let group = if key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        '0'
    } else {
        '1'
    };
    format!("{group}{key}")
}

/// The normalised display name used to find duplicates: lowercase, no whitespace.
pub fn name_key(card: &Card) -> String {
    card.display_name()
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyphonic_surname_reads_as_surname_first() {
        let r = readings_of("单田芳", true);
        assert_eq!(r[0][0], "shan");
        assert!(r[0].contains(&"dan".to_string()));
        assert_eq!(sort_key("曾国藩", true), "0zeng guo fan");
        assert_eq!(sort_key("张三丰", true), "0zhang san feng");
        assert_eq!(sort_key("Zoe Smith", true), "0zoe smith");
        assert!(sort_key("123", true).starts_with('1'));
    }

    #[test]
    fn lv_is_also_written_with_v_and_u() {
        let r = readings_of("吕", false);
        assert!(r[0].contains(&"lv".to_string()), "{r:?}");
        assert!(r[0].contains(&"lu".to_string()), "{r:?}");
    }

    #[test]
    fn phone_forms() {
        assert_eq!(
            phone_digit_forms("+8613800138000"),
            vec!["8613800138000", "13800138000"]
        );
        assert_eq!(
            phone_digit_forms("+861066668888"),
            vec!["861066668888", "01066668888"]
        );
        assert_eq!(phone_digit_forms("(010) 6666"), vec!["0106666"]);
    }
}
