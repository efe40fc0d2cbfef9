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
    pub name_py: Readings,
    /// The same for the company (first 64 characters).
    pub company_py: Readings,
}

/// The readings of each character of a text (what [`readings_of`] gives) in one string:
/// per character a count byte, then each reading as a length byte and its bytes. Both bytes
/// are below 0x80, so the whole is valid UTF-8. Stored as JSON in the nested-list form of
/// `Vec<Vec<String>>` (unchanged since before this type), and read without a `String` per
/// reading: 10,000 cards held ~25 small allocations each as nested vectors
/// (docs/PERFORMANCE.md, "App with 10,000 cards").
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Readings(Box<str>);

/// At most this many readings per character and bytes per reading are kept (the pinyin crate
/// gives at most a handful of readings of at most 6 letters; a query is at most 120 bytes).
const READINGS_MAX: usize = 127;

/// The packed bytes being built: [`Readings`] and the deserializer append here.
struct ReadingsBuf {
    out: Vec<u8>,
    /// Where the current character's count byte is.
    count_at: usize,
}

impl ReadingsBuf {
    fn new() -> Self {
        ReadingsBuf {
            out: Vec::new(),
            count_at: 0,
        }
    }

    fn start_char(&mut self) {
        self.count_at = self.out.len();
        self.out.push(0);
    }

    fn push(&mut self, r: &str) {
        let Some(count) = self.out.get_mut(self.count_at) else {
            return;
        };
        if *count as usize >= READINGS_MAX {
            return;
        }
        *count += 1;
        let mut n = r.len().min(READINGS_MAX);
        while !r.is_char_boundary(n) {
            n -= 1;
        }
        self.out.push(n as u8);
        self.out.extend_from_slice(&r.as_bytes()[..n]);
    }

    fn finish(self) -> Readings {
        // Valid by construction: ASCII count and length bytes around whole UTF-8 readings.
        Readings(
            String::from_utf8(self.out)
                .unwrap_or_default()
                .into_boxed_str(),
        )
    }
}

impl Readings {
    /// Packs nested readings (one list per character).
    pub fn from_nested<S: AsRef<str>>(chars: &[Vec<S>]) -> Readings {
        let mut b = ReadingsBuf::new();
        for c in chars {
            b.start_char();
            for r in c {
                b.push(r.as_ref());
            }
        }
        b.finish()
    }

    /// The nested form again (tests, debugging).
    pub fn to_nested(&self) -> Vec<Vec<String>> {
        self.view()
            .chars()
            .map(|c| c.readings().map(String::from).collect())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Borrowed view for the matcher.
    pub fn view(&self) -> ReadingsRef<'_> {
        ReadingsRef(self.0.as_bytes())
    }

    /// The packed form (see the type's comment).
    pub fn packed(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Readings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.view()
                    .chars()
                    .map(|c| c.readings().collect::<Vec<_>>()),
            )
            .finish()
    }
}

/// A borrowed packed [`Readings`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadingsRef<'a>(&'a [u8]);

impl<'a> ReadingsRef<'a> {
    /// Over packed bytes made by [`Readings`] (any bytes are safe: a malformed tail ends the
    /// iteration early).
    pub fn from_packed(packed: &'a str) -> Self {
        ReadingsRef(packed.as_bytes())
    }

    /// The characters in order.
    pub fn chars(self) -> CharsIter<'a> {
        CharsIter(self.0)
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }
}

/// Characters of a [`ReadingsRef`].
#[derive(Clone, Copy)]
pub struct CharsIter<'a>(&'a [u8]);

impl<'a> CharsIter<'a> {
    /// No character left after the one last returned.
    pub fn is_done(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> Iterator for CharsIter<'a> {
    type Item = CharReadings<'a>;

    fn next(&mut self) -> Option<CharReadings<'a>> {
        let (&count, mut rest) = self.0.split_first()?;
        let start = rest;
        let mut len = 0;
        for _ in 0..count {
            let Some((&n, after)) = rest.split_first() else {
                break;
            };
            let n = (n as usize).min(after.len());
            rest = &after[n..];
            len += 1 + n;
        }
        self.0 = rest;
        Some(CharReadings(&start[..len]))
    }
}

/// One character's readings: a length byte and the bytes, each.
#[derive(Clone, Copy)]
pub struct CharReadings<'a>(&'a [u8]);

impl<'a> CharReadings<'a> {
    /// The readings as bytes.
    pub fn iter(self) -> ReadingIter<'a> {
        ReadingIter(self.0)
    }

    /// The readings as text.
    pub fn readings(self) -> impl Iterator<Item = &'a str> {
        self.iter().map(|b| std::str::from_utf8(b).unwrap_or(""))
    }
}

/// Readings of one character, as bytes.
pub struct ReadingIter<'a>(&'a [u8]);

impl<'a> Iterator for ReadingIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&n, rest) = self.0.split_first()?;
        let n = (n as usize).min(rest.len());
        let (r, rest) = rest.split_at(n);
        self.0 = rest;
        Some(r)
    }
}

impl Serialize for Readings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for c in self.view().chars() {
            seq.serialize_element(&c.readings().collect::<Vec<_>>())?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Readings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{DeserializeSeed, SeqAccess, Visitor};
        use std::fmt;

        struct Outer;
        struct Char<'b>(&'b mut ReadingsBuf);
        struct One<'b>(&'b mut ReadingsBuf);

        impl<'de> Visitor<'de> for Outer {
            type Value = Readings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of lists of readings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Readings, A::Error> {
                let mut b = ReadingsBuf::new();
                while seq.next_element_seed(Char(&mut b))?.is_some() {}
                Ok(b.finish())
            }
        }
        impl<'de> DeserializeSeed<'de> for Char<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Char<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of readings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                self.0.start_char();
                while seq.next_element_seed(One(&mut *self.0))?.is_some() {}
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for One<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_str(self)
            }
        }
        impl<'de> Visitor<'de> for One<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a reading")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
                self.0.push(v);
                Ok(())
            }
        }
        d.deserialize_seq(Outer)
    }
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
            Readings::from_nested(&readings_of(&name, true))
        } else {
            Readings::default()
        },
        company_py: if has_han_company {
            Readings::from_nested(&readings_of(
                &card.company.chars().take(64).collect::<String>(),
                false,
            ))
        } else {
            Readings::default()
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
    fn packed_readings_are_stored_as_the_nested_lists_they_were() {
        for text in ["单田芳", "吕布 Lee", "华为技术", "", "x"] {
            let nested = readings_of(text, true);
            let packed = Readings::from_nested(&nested);
            assert_eq!(packed.to_nested(), nested, "{text}");
            // The JSON is the one `Vec<Vec<String>>` wrote, both ways.
            let json = serde_json::to_string(&nested).unwrap();
            assert_eq!(serde_json::to_string(&packed).unwrap(), json);
            let back: Readings = serde_json::from_str(&json).unwrap();
            assert_eq!(back, packed);
        }
        // A key stored before this type, read back whole.
        let stored = r#"{"name":"单田芳","text":"","digits":"","name_py":[["shan","dan","chan"],["tian"],["fang"]],"company_py":[]}"#;
        let key: SearchKey = serde_json::from_str(stored).unwrap();
        assert_eq!(key.name_py.to_nested()[0], ["shan", "dan", "chan"]);
        assert!(key.company_py.is_empty());
        // Odd but well-formed: a character without readings, an empty reading, a reading
        // longer than kept (cut at a character boundary), escapes.
        let odd = r#"[[],[""],["ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"],["é"]]"#;
        let r: Readings = serde_json::from_str(odd).unwrap();
        let n = r.to_nested();
        assert_eq!(n.len(), 4);
        assert!(n[0].is_empty());
        assert_eq!(n[1], [""]);
        assert_eq!(n[2][0].len(), 126);
        assert_eq!(n[3], ["é"]);
        // Not a list of lists of strings: an error, not a panic.
        for bad in [r#"[["a", 1]]"#, r#"["a"]"#, r#"{"a":1}"#, r#"[[["a"]]]"#] {
            assert!(serde_json::from_str::<Readings>(bad).is_err(), "{bad}");
        }
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
