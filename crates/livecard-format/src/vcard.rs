//! vCard 2.1 / 3.0 / 4.0 import and vCard 4.0 export.
//!
//! # Export (vCard 4.0)
//!
//! Standard properties come first, in the order phone address books show them:
//! `FN` (always; [`Card::display_name`]), `N` (`family;given;;;`), `ORG` (one component),
//! `TITLE`, `TEL;TYPE=cell` (mobiles), `TEL;TYPE=work,voice` (landlines), `TEL;TYPE=work,fax`,
//! the temporary number as `LIVECARD-TEMP.TEL;TYPE=cell` with a `LIVECARD-TEMP.X-ABLabel`
//! saying until when (iOS shows the label; Android shows the number), `EMAIL`, `ADR` (all seven
//! parts), `URL`, `PHOTO` as a `data:` URI, `NOTE` (the bulletin, so Contacts shows it).
//! Then the messengers twice: `IMPP;X-SERVICE-TYPE=QQ:x-apple:12345` as Apple Contacts writes
//! custom services (MSN as `msnim:`), and `X-QQ`, `X-WECHAT`, `X-WEIBO`, `X-ALIWANGWANG`,
//! `X-DINGTALK`, `X-MSN`, which Android's importer and ours read. Last, our own fields:
//! `X-LIVECARD-INDUSTRY`, `X-LIVECARD-BULLETIN`, `X-LIVECARD-TEMP-NUMBER`,
//! `X-LIVECARD-TEMP-UNTIL` (RFC 3339, UTC). Text is escaped (`\\ \, \; \n`), URIs are not;
//! lines end in CRLF and are folded at 75 octets, never inside a UTF-8 sequence.
//!
//! # Import (2.1, 3.0, 4.0)
//!
//! The line layer (`vcard/lex.rs`, hand-written; it says why) reads LF / CRLF / mixed line
//! ends, a UTF-8 BOM (a UTF-16 file is converted first), folded lines (space or tab),
//! quoted-printable with soft line breaks, `CHARSET=` anything
//! `encoding_rs` knows (UTF-8, GB2312, GBK, GB18030, Big5, Shift_JIS, ISO-8859-x, …), base64
//! photos in 2.1 blocks ended by a blank line. Mapping:
//!
//! - `FN` → name; `N` → family, given (a missing one is derived from the other).
//! - `ORG` → company = the organisation name (first component). Department components are not
//!   kept (the model has no department), with a warning.
//! - `TITLE` → title. A second `ORG`/`TITLE`/`FN` is dropped with a warning.
//! - `TEL`: FAX in its types or `X-ABLabel` → fax; else CELL/MOBILE/IPHONE (or a "mobile",
//!   "手机" label) → mobile; else (voice, work, home, pager, none) → phone. Numbers go through
//!   [`normalize_phone_lenient`]; a 4.0 `tel:` URI loses its scheme, an extension is kept as
//!   `;ext=N` (a valid RFC 3966 tail).
//! - `EMAIL` → email; `ADR` → address (all parts); `URL` → website (normalised when it parses).
//! - `PHOTO`: base64 (`ENCODING=b`, `ENCODING=BASE64`, bare `BASE64`) or a `data:` URI →
//!   avatar, if it is a JPEG/PNG/GIF/WebP within the avatar limit; a link is not fetched.
//! - `IMPP` and `X-QQ`, `X-WECHAT`/`X-WEIXIN`, `X-WEIBO`, `X-ALIWANGWANG`, `X-DINGTALK`,
//!   `X-MSN` → the messenger fields (service from `X-SERVICE-TYPE` or the URI scheme).
//! - `X-LIVECARD-*` → industry, bulletin, temporary number and expiry; `NOTE` → bulletin when
//!   there is no `X-LIVECARD-BULLETIN` (newlines become spaces).
//! - Everything else (BDAY, NICKNAME, LABEL, KEY, …) is listed in one "not imported" warning.
//!
//! # Limits and errors
//!
//! Over-limit values ([`Limits::DEFAULT`]: text length, values per field, avatar bytes, card
//! bytes) are dropped with a warning in [`Imported::warnings`]; every card returned passes
//! [`Card::validate`]. The input is refused above [`MAX_INPUT_BYTES`] (20 MiB) and at any
//! logical line above [`MAX_LINE_BYTES`] (1 MiB), before anything else is done.
//!
//! A card that cannot be read (no `END:VCARD`, a line that is no property, broken
//! quoted-printable, an unknown charset or ENCODING, text outside any card) is a [`VcardError`]
//! naming the line. Bytes that are invalid in a known charset become U+FFFD with a warning
//! (a real Android export in the interop set has one), and a broken or linked PHOTO is
//! dropped with a warning: neither loses the contact. [`parse_vcards`] is all-or-nothing: one broken
//! card fails the file, so a user never gets a silently partial import and can fix the line
//! named. [`parse_vcards_lenient`] instead returns the good cards and the errors of the skipped
//! ones, for a UI that says "imported 499 cards, skipped 1: line 3012: …".

pub(crate) mod lex;

use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::card::{
    normalize_phone_lenient, normalize_url, sniff_image, split_name, Address, Avatar, Card, Field,
    Limits, Region,
};
use crate::fields::{FieldSpec, Kind, Length, FIELDS};
use lex::{split_structured, unescape, RawCard, RawProp};
pub use lex::{MAX_INPUT_BYTES, MAX_LINE_BYTES};

/// A card read from a file, with what could not be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub card: Card,
    /// Things dropped or changed on the way in ("PHOTO larger than 64 KiB dropped"), for the user.
    pub warnings: Vec<String>,
}

/// Why a vCard could not be read, naming the line (1-based) where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct VcardError {
    pub line: usize,
    pub message: String,
}

/// What [`parse_vcards_lenient`] found: the cards read and the ones skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcardReport {
    pub cards: Vec<Imported>,
    /// One error per card (or run of non-vCard lines) that was skipped.
    pub skipped: Vec<VcardError>,
}

/// Read every card of a .vcf file (any of 2.1, 3.0, 4.0; CRLF or LF; any charset it names).
/// All or nothing: the first card that cannot be read fails the whole file.
pub fn parse_vcards(input: &[u8], region: Region) -> Result<Vec<Imported>, VcardError> {
    let report = parse_vcards_lenient(input, region)?;
    match report.skipped.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(report.cards),
    }
}

/// Read every card that can be read; broken cards are skipped and reported. Fails only for
/// the whole file: too big, an over-long line, no card in it, or no card that could be read
/// (then with the first card's error).
pub fn parse_vcards_lenient(input: &[u8], region: Region) -> Result<VcardReport, VcardError> {
    let utf16;
    let mut input = input;
    if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
        if input.len() > MAX_INPUT_BYTES {
            return Err(VcardError {
                line: 1,
                message: format!("file is over {} MiB", MAX_INPUT_BYTES / (1024 * 1024)),
            });
        }
        let (text, _, _) = encoding_rs::UTF_16LE.decode(input);
        utf16 = text.into_owned();
        input = utf16.as_bytes();
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut report = VcardReport {
        cards: Vec::new(),
        skipped: Vec::new(),
    };
    for raw in lex::split_cards(input)? {
        match raw.and_then(|raw| import_card(&raw, region)) {
            Ok(imported) => report.cards.push(imported),
            Err(e) => report.skipped.push(e),
        }
    }
    if report.cards.is_empty() && report.skipped.is_empty() {
        return Err(VcardError {
            line: 1,
            message: "no vCard in the input (no BEGIN:VCARD line)".into(),
        });
    }
    if report.cards.is_empty() {
        let first = report.skipped.remove(0);
        return Err(first);
    }
    Ok(report)
}

/// Collects values into a card, dropping what is over the limits with a warning.
pub(crate) struct Builder {
    pub card: Card,
    pub warnings: Vec<String>,
    limits: Limits,
    region: Region,
}

impl Builder {
    pub fn new(region: Region) -> Self {
        Builder {
            card: Card::default(),
            warnings: Vec::new(),
            limits: Limits::DEFAULT,
            region,
        }
    }

    fn warn(&mut self, line: usize, msg: impl AsRef<str>) {
        let msg = msg.as_ref();
        let w = if line > 0 {
            format!("line {line}: {msg}")
        } else {
            msg.to_string()
        };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Trim, check length; None (with a warning) when over the limit or empty.
    fn fit(&mut self, line: usize, field: Field, v: &str) -> Option<String> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        let max = match field.spec().length {
            Length::Bulletin => self.limits.bulletin_chars,
            Length::Text => self.limits.text_chars,
        };
        let n = v.chars().count();
        if n > max {
            self.warn(
                line,
                format!("{field} of {n} characters dropped (at most {max})"),
            );
            return None;
        }
        Some(v.to_string())
    }

    /// Set a single-valued text field; the first value wins.
    pub fn single(&mut self, line: usize, field: Field, v: &str) {
        let Some(v) = self.fit(line, field, v) else {
            return;
        };
        let held = match self.card.text(field) {
            Some(held) => held.to_string(),
            None => return,
        };
        if held.is_empty() {
            self.card.put_text(field, v);
        } else if held != v {
            let w = format!("second {field} {v:?} not kept (the card keeps {held:?})");
            self.warn(line, w);
        }
    }

    /// Append to a multi-valued text field (not address), skipping duplicates.
    pub fn push(&mut self, line: usize, field: Field, v: &str) {
        let Some(v) = self.fit(line, field, v) else {
            return;
        };
        let max = self.limits.values_per_field;
        let Some(list) = self.card.list_mut(field) else {
            return;
        };
        if list.contains(&v) {
            return;
        }
        if list.len() >= max {
            self.warn(line, format!("{field} {v:?} dropped: at most {max} values"));
            return;
        }
        list.push(v);
    }

    pub fn phone(&mut self, line: usize, field: Field, raw: &str) {
        let n = normalize_tel(raw, self.region);
        self.push(line, field, &n);
    }

    pub fn address(&mut self, line: usize, a: Address) {
        if a.is_empty() {
            return;
        }
        let max_chars = self.limits.text_chars;
        let parts = [
            &a.po_box,
            &a.extended,
            &a.street,
            &a.locality,
            &a.region,
            &a.postal_code,
            &a.country,
        ];
        if let Some(n) = parts
            .iter()
            .map(|p| p.chars().count())
            .find(|&n| n > max_chars)
        {
            self.warn(
                line,
                format!("address with a part of {n} characters dropped (at most {max_chars})"),
            );
            return;
        }
        if self.card.address.contains(&a) {
            return;
        }
        if self.card.address.len() >= self.limits.values_per_field {
            let max = self.limits.values_per_field;
            self.warn(line, format!("address dropped: at most {max} values"));
            return;
        }
        self.card.address.push(a);
    }

    pub fn avatar(&mut self, line: usize, data: Vec<u8>) {
        if self.card.avatar.is_some() {
            self.warn(line, "second PHOTO not kept");
            return;
        }
        if data.is_empty() {
            return;
        }
        if data.len() > self.limits.avatar_bytes {
            let w = format!(
                "PHOTO of {} KiB dropped (at most {} KiB)",
                data.len() / 1024,
                self.limits.avatar_bytes / 1024
            );
            self.warn(line, w);
            return;
        }
        match sniff_image(&data) {
            Some(mime) => {
                self.card.avatar = Some(Avatar {
                    mime: mime.to_string(),
                    data,
                })
            }
            None => self.warn(line, "PHOTO dropped: not a JPEG, PNG, GIF or WebP image"),
        }
    }

    /// Fill derived names, check the temporary number, and shed whatever still breaks the
    /// card's limits (avatar first), so the result always passes `Card::validate`.
    pub fn finish(mut self) -> crate::vcard::Imported {
        let c = &mut self.card;
        if c.name.is_empty() && (!c.family.is_empty() || !c.given.is_empty()) {
            let joined = if c.family.chars().any(crate::card::is_cjk) {
                format!("{}{}", c.family, c.given)
            } else {
                format!("{} {}", c.given, c.family)
            };
            c.name = joined.trim().to_string();
        } else if !c.name.is_empty() && c.family.is_empty() && c.given.is_empty() {
            let (f, g) = split_name(&c.name);
            c.family = f;
            c.given = g;
        }
        if c.temp_number.is_empty() {
            c.temp_until = None;
        } else if c.temp_until.is_none() {
            c.temp_number.clear();
            self.warn(0, "temporary number dropped: it has no valid expiry time");
        }
        type Shed = (&'static str, fn(&mut Card));
        let mut shed: Vec<Shed> = vec![
            ("avatar", |c| c.avatar = None),
            ("addresses", |c| c.address.clear()),
            ("bulletin", |c| c.bulletin.clear()),
            ("websites", |c| c.website.clear()),
        ];
        shed.reverse();
        while let Err(e) = self.card.validate(&self.limits) {
            match shed.pop() {
                Some((what, f)) => {
                    f(&mut self.card);
                    self.warn(0, format!("{what} dropped to fit the card limits ({e})"));
                }
                None => {
                    // Cannot happen with per-field limits applied, but never return an
                    // invalid card.
                    self.warn(0, format!("card emptied: {e}"));
                    self.card = Card::default();
                    break;
                }
            }
        }
        Imported {
            card: self.card,
            warnings: self.warnings,
        }
    }
}

/// `s` without an ASCII `prefix` matched in any case (never slicing inside a character).
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A number as written in a file → what the card keeps: E.164 when it parses, an extension
/// kept as `;ext=N`.
pub(crate) fn normalize_tel(raw: &str, region: Region) -> String {
    let mut v = raw.trim();
    if let Some(rest) = strip_prefix_ci(v, "tel:") {
        v = rest;
    }
    let (main, ext) = match v.split_once(';') {
        Some((m, params)) => {
            let ext = params.split(';').find_map(|p| {
                let (k, val) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("ext").then(|| val.trim())
            });
            (m, ext)
        }
        None => (v, None),
    };
    let n = normalize_phone_lenient(main, region);
    match ext {
        Some(e) if !e.is_empty() => format!("{n};ext={e}"),
        _ => n,
    }
}

/// The X-ABLabel of each group, cleaned (`_$!<Mobile>!$_` → `Mobile`).
fn group_labels(
    raw: &RawCard,
    warnings: &mut Vec<String>,
) -> Result<HashMap<String, String>, VcardError> {
    let mut labels = HashMap::new();
    for p in &raw.props {
        if p.name == "X-ABLABEL" {
            if let Some(g) = &p.group {
                let t = unescape(&p.text(warnings)?);
                let t = t.trim();
                let t = t
                    .strip_prefix("_$!<")
                    .and_then(|t| t.strip_suffix(">!$_"))
                    .unwrap_or(t);
                labels.insert(g.clone(), t.to_string());
            }
        }
    }
    Ok(labels)
}

/// The messenger a service name or URI scheme stands for (the field table's handles).
fn messenger(name: &str) -> Option<Field> {
    Field::from_service(name)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = (b[i + 1] as char).to_digit(16);
            let l = (b[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Properties nobody needs told about when they are not imported.
const SILENT: &[&str] = &[
    "VERSION",
    "PRODID",
    "REV",
    "UID",
    "X-ABLABEL",
    "X-ABUID",
    "CATEGORIES",
    "X-ABADR",
    "LABEL",
    "CLIENTPIDMAP",
    "KIND",
    "SOURCE",
    "SORT-STRING",
    "X-MS-OL-DEFAULT-POSTAL-ADDRESS",
    "X-MS-OL-DESIGN",
    "X-PHONETIC-FIRST-NAME",
    "X-PHONETIC-LAST-NAME",
    "NAME",
    "MAILER",
];

fn import_card(raw: &RawCard, region: Region) -> Result<Imported, VcardError> {
    let mut b = Builder::new(region);
    let mut w = Vec::new();
    let labels = group_labels(raw, &mut w)?;
    let mut ignored = BTreeSet::new();
    let mut note: Option<(usize, String)> = None;
    let mut temp_until: Option<(usize, String)> = None;
    let mut temp_tel: Option<(usize, String)> = None;
    for p in &raw.props {
        let label = p
            .group
            .as_ref()
            .and_then(|g| labels.get(g))
            .map(|l| l.to_lowercase())
            .unwrap_or_default();
        let line = p.line;
        match p.name.as_str() {
            "FN" => {
                let v = unescape(&p.text(&mut w)?);
                b.single(line, Field::Name, &v);
            }
            "N" => {
                let parts = split_structured(&p.text(&mut w)?);
                if b.card.family.is_empty() && b.card.given.is_empty() {
                    b.single(line, Field::Family, parts.first().map_or("", |s| s));
                    b.single(line, Field::Given, parts.get(1).map_or("", |s| s));
                }
            }
            "ORG" => {
                let parts = split_structured(&p.text(&mut w)?);
                let mut parts = parts.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
                if let Some(org) = parts.next() {
                    b.single(line, Field::Company, org);
                    let units: Vec<&str> = parts.collect();
                    if !units.is_empty() && b.card.company == org {
                        let w =
                            format!("department {:?} not kept (no such field)", units.join(", "));
                        b.warn(line, w);
                    }
                }
            }
            "TITLE" => {
                let v = unescape(&p.text(&mut w)?);
                b.single(line, Field::Title, &v);
            }
            "TEL" => {
                let v = unescape(&p.text(&mut w)?);
                if v.trim().is_empty() {
                    continue;
                }
                if p.group.as_deref() == Some("livecard-temp") {
                    temp_tel = Some((line, v));
                    continue;
                }
                let types = p.types();
                let has = |t: &[&str]| types.iter().any(|x| t.contains(&x.as_str()));
                let field = if has(&["FAX"]) || label.contains("fax") || label.contains("传真") {
                    Field::Fax
                } else if has(&["CELL", "MOBILE", "IPHONE"])
                    || ["mobile", "iphone", "cell", "手机", "移动电话"]
                        .iter()
                        .any(|l| label.contains(l))
                {
                    Field::Mobile
                } else {
                    Field::Phone
                };
                b.phone(line, field, &v);
            }
            "EMAIL" => {
                let v = unescape(&p.text(&mut w)?);
                let v = v.trim();
                let v = strip_prefix_ci(v, "mailto:").unwrap_or(v);
                b.push(line, Field::Email, v);
            }
            "ADR" => {
                let parts = split_structured(&p.text(&mut w)?);
                let part = |i: usize| parts.get(i).map_or(String::new(), |s| s.trim().to_string());
                let a = Address {
                    po_box: part(0),
                    extended: part(1),
                    street: part(2),
                    locality: part(3),
                    region: part(4),
                    postal_code: part(5),
                    country: part(6),
                };
                b.address(line, a);
            }
            "URL" => {
                let v = unescape(&p.text(&mut w)?);
                let v = v.trim();
                if !v.is_empty() {
                    let u = normalize_url(v).unwrap_or_else(|_| v.to_string());
                    b.push(line, Field::Website, &u);
                }
            }
            "PHOTO" => import_photo(&mut b, p, &mut w)?,
            "IMPP" => {
                let v = unescape(&p.text(&mut w)?);
                let v = v.trim();
                let (scheme, rest) = v.split_once(':').unwrap_or(("", v));
                let field = p
                    .param("X-SERVICE-TYPE")
                    .and_then(messenger)
                    .or_else(|| messenger(scheme))
                    .or_else(|| messenger(&label))
                    .or_else(|| p.types().iter().find_map(|t| messenger(t)));
                match field {
                    Some(f) => {
                        let id = percent_decode(rest.trim_start_matches("//"));
                        b.single(line, f, &id);
                    }
                    None => {
                        ignored.insert("IMPP".to_string());
                    }
                }
            }
            name if name.starts_with("X-") && messenger(name).is_some() => {
                let v = unescape(&p.text(&mut w)?);
                if let Some(f) = messenger(name) {
                    b.single(line, f, &v);
                }
            }
            "X-LIVECARD-INDUSTRY" => {
                let v = unescape(&p.text(&mut w)?);
                b.single(line, Field::Industry, &v);
            }
            "X-LIVECARD-BULLETIN" => {
                let v = unescape(&p.text(&mut w)?);
                b.single(line, Field::Bulletin, &v);
            }
            "NOTE" => {
                if note.is_none() {
                    note = Some((line, unescape(&p.text(&mut w)?)));
                }
            }
            "X-LIVECARD-TEMP-NUMBER" => {
                let v = unescape(&p.text(&mut w)?);
                let n = normalize_tel(&v, region);
                b.single(line, Field::TempNumber, &n);
            }
            "X-LIVECARD-TEMP-UNTIL" => {
                temp_until = Some((line, unescape(&p.text(&mut w)?)));
            }
            other => {
                if !SILENT.contains(&other) {
                    ignored.insert(other.to_string());
                }
            }
        }
    }
    if b.card.temp_number.is_empty() {
        if let Some((line, v)) = temp_tel {
            let n = normalize_tel(&v, region);
            b.single(line, Field::TempNumber, &n);
        }
    }
    if let Some((line, v)) = temp_until {
        match DateTime::parse_from_rfc3339(v.trim()) {
            Ok(t) => b.card.temp_until = Some(t.with_timezone(&Utc)),
            Err(e) => b.warn(
                line,
                format!("X-LIVECARD-TEMP-UNTIL {v:?} is not an RFC 3339 time: {e}"),
            ),
        }
    }
    if b.card.bulletin.is_empty() {
        if let Some((line, v)) = note {
            let one_line = v.split_whitespace().collect::<Vec<_>>().join(" ");
            let n = one_line.chars().count();
            let max = Limits::DEFAULT.bulletin_chars;
            if n > max {
                b.warn(
                    line,
                    format!("NOTE of {n} characters not kept as the bulletin (at most {max})"),
                );
            } else {
                b.single(line, Field::Bulletin, &one_line);
            }
        }
    }
    if !ignored.is_empty() {
        let list: Vec<String> = ignored.into_iter().collect();
        b.warn(0, format!("not imported: {}", list.join(", ")));
    }
    for x in w {
        if !b.warnings.contains(&x) {
            b.warnings.push(x);
        }
    }
    Ok(b.finish())
}

fn import_photo(b: &mut Builder, p: &RawProp, w: &mut Vec<String>) -> Result<(), VcardError> {
    let line = p.line;
    // Refuse to decode what could never fit: base64 is 4/3 of the bytes.
    let max_encoded = Limits::DEFAULT.avatar_bytes / 3 * 4 + 4096;
    let too_big = |b: &mut Builder, len: usize| {
        b.warn(
            line,
            format!(
                "PHOTO of about {} KiB dropped (at most {} KiB)",
                len / 4 * 3 / 1024,
                Limits::DEFAULT.avatar_bytes / 1024
            ),
        )
    };
    if p.is_base64() {
        let compact = p.value.iter().filter(|c| !c.is_ascii_whitespace()).count();
        if compact > max_encoded {
            too_big(b, compact);
            return Ok(());
        }
        match lex::decode_base64(&p.value) {
            Ok(data) => b.avatar(line, data),
            Err(e) => b.warn(line, format!("PHOTO dropped: broken base64 ({e})")),
        }
        return Ok(());
    }
    let v = p.text(w)?;
    let v = v.trim();
    if v.is_empty() {
        return Ok(());
    }
    if let Some(uri) = strip_prefix_ci(v, "data:") {
        let Some((meta, data)) = uri.split_once(',') else {
            b.warn(line, "PHOTO dropped: data URI without ','");
            return Ok(());
        };
        if !meta.to_ascii_lowercase().ends_with(";base64") {
            b.warn(line, "PHOTO dropped: data URI is not base64");
            return Ok(());
        }
        if data.len() > max_encoded {
            too_big(b, data.len());
            return Ok(());
        }
        match lex::decode_base64(data.as_bytes()) {
            Ok(data) => b.avatar(line, data),
            Err(e) => b.warn(line, format!("PHOTO dropped: broken base64 ({e})")),
        }
        return Ok(());
    }
    let shown: String = v.chars().take(60).collect();
    b.warn(line, format!("PHOTO link {shown:?} not downloaded"));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Export

/// Escape a text value (RFC 6350 §3.4).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encode what cannot stand raw in a URI value.
fn uri_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '%' | ';' | ',' | '\\' | ' ' | '"') {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Append one content line, folded at 75 octets on character boundaries, ending in CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// Write one card as vCard 4.0 (CRLF line ends, folded at 75 octets).
pub fn to_vcard(card: &Card) -> String {
    let mut out = String::new();
    let mut line = |s: String| push_line(&mut out, &s);
    line("BEGIN:VCARD".into());
    line("VERSION:4.0".into());
    line(format!("FN:{}", esc(&card.display_name())));
    if !card.family.is_empty() || !card.given.is_empty() {
        line(format!("N:{};{};;;", esc(&card.family), esc(&card.given)));
    }
    if !card.company.is_empty() {
        line(format!("ORG:{}", esc(&card.company)));
    }
    if !card.title.is_empty() {
        line(format!("TITLE:{}", esc(&card.title)));
    }
    for m in &card.mobile {
        line(format!("TEL;TYPE=cell:{}", esc(m)));
    }
    for p in &card.phone {
        line(format!("TEL;TYPE=\"work,voice\":{}", esc(p)));
    }
    for f in &card.fax {
        line(format!("TEL;TYPE=\"work,fax\":{}", esc(f)));
    }
    if !card.temp_number.is_empty() {
        line(format!(
            "LIVECARD-TEMP.TEL;TYPE=cell:{}",
            esc(&card.temp_number)
        ));
        let until = card
            .temp_until
            .map(|t| format!(" (until {})", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        line(format!(
            "LIVECARD-TEMP.X-ABLabel:{}",
            esc(&format!("临时号码 Temporary{until}"))
        ));
    }
    for e in &card.email {
        line(format!("EMAIL:{}", esc(e)));
    }
    for a in &card.address {
        line(format!(
            "ADR:{};{};{};{};{};{};{}",
            esc(&a.po_box),
            esc(&a.extended),
            esc(&a.street),
            esc(&a.locality),
            esc(&a.region),
            esc(&a.postal_code),
            esc(&a.country)
        ));
    }
    for u in &card.website {
        line(format!("URL:{}", u.replace(['\r', '\n'], "")));
    }
    if let Some(a) = &card.avatar {
        let data = base64::engine::general_purpose::STANDARD.encode(&a.data);
        line(format!(
            "PHOTO:data:{};base64,{data}",
            a.mime.replace([',', ';', '\r', '\n'], "")
        ));
    }
    if !card.bulletin.is_empty() {
        line(format!("NOTE:{}", esc(&card.bulletin)));
    }
    // The messengers and other handles of the field table: an IMPP line as Apple Contacts
    // writes custom services (when the row names a service), then the X- property.
    let handles: Vec<(&FieldSpec, &str)> = FIELDS
        .iter()
        .filter(|s| s.kind == Kind::Handle && s.vcard.starts_with("X-"))
        .filter_map(|s| Some((s, card.text(s.field)?)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    for (spec, v) in &handles {
        if let Some((service, scheme)) = spec.impp {
            line(format!(
                "IMPP;X-SERVICE-TYPE={service}:{scheme}:{}",
                uri_part(v)
            ));
        }
    }
    for (spec, v) in &handles {
        line(format!("{}:{}", spec.vcard, esc(v)));
    }
    if !card.industry.is_empty() {
        line(format!("X-LIVECARD-INDUSTRY:{}", esc(&card.industry)));
    }
    if !card.bulletin.is_empty() {
        line(format!("X-LIVECARD-BULLETIN:{}", esc(&card.bulletin)));
    }
    if !card.temp_number.is_empty() {
        line(format!("X-LIVECARD-TEMP-NUMBER:{}", esc(&card.temp_number)));
    }
    if let Some(t) = card.temp_until {
        line(format!(
            "X-LIVECARD-TEMP-UNTIL:{}",
            t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        ));
    }
    line("END:VCARD".into());
    out
}

/// Write several cards as one .vcf file.
pub fn to_vcards(cards: &[Card]) -> String {
    cards.iter().map(to_vcard).collect()
}
