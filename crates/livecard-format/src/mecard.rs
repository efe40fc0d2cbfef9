//! MeCard (`MECARD:N:…;TEL:…;;`) import and export, as printed in QR codes on paper cards.
//!
//! Format (NTT DoCoMo, as read by ZXing): `MECARD:` then `KEY:value;` fields, ended by an
//! empty field (`;;`). `\` escapes `;`, `:`, `,` and `\` in values. Read keys:
//! `N` (`family,given`; a single part is the whole name), `TEL` (mobile or landline by the
//! number's type in the default region; mobile when it cannot tell), `TEL-AV` (mobile),
//! `EMAIL`, `ORG`, `TITLE`, `ADR` (seven comma-separated parts as DoCoMo defines them, else
//! the whole text as the street), `URL`, `NOTE` (→ bulletin). `SOUND`, `BDAY`, `NICKNAME`
//! are ignored. A missing final `;;` is accepted. Over-limit values are dropped as in vCard
//! import; the card passes [`Card::validate`].

use crate::card::{is_cjk, Address, Card, Field, Region};
use crate::vcard::{normalize_tel, Builder, Imported};

/// Longest MeCard accepted (a QR code holds at most ~3 KB).
pub const MAX_MECARD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MeCard: {message}")]
pub struct MecardError {
    pub message: String,
}

fn err(message: impl Into<String>) -> MecardError {
    MecardError {
        message: message.into(),
    }
}

/// Read one MeCard.
pub fn parse_mecard(input: &str, region: Region) -> Result<Card, MecardError> {
    parse_mecard_imported(input, region).map(|i| i.card)
}

/// Split on an unescaped separator, keeping escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Read one MeCard, with warnings for what was dropped.
pub fn parse_mecard_imported(input: &str, region: Region) -> Result<Imported, MecardError> {
    if input.len() > MAX_MECARD_BYTES {
        return Err(err(format!(
            "text is {} bytes, at most {MAX_MECARD_BYTES} accepted",
            input.len()
        )));
    }
    let text = input.trim_start_matches('\u{feff}').trim();
    let body = crate::vcard::strip_prefix_ci(text, "MECARD:")
        .ok_or_else(|| err("text does not start with MECARD:"))?;
    let mut b = Builder::new(region);
    let mut ignored = Vec::new();
    for field in split_unescaped(body, ';') {
        let field = field.trim();
        if field.is_empty() {
            // `;;` ends the card; anything after it is not ours.
            break;
        }
        let (key, value) = field
            .split_once(':')
            .ok_or_else(|| err(format!("field {field:?} has no ':' (expected KEY:value)")))?;
        let key = key.trim().to_ascii_uppercase();
        match key.as_str() {
            "N" => {
                let parts: Vec<String> = split_unescaped(value, ',')
                    .into_iter()
                    .map(|p| unescape(p).trim().to_string())
                    .collect();
                match parts.as_slice() {
                    [whole] => b.single(0, Field::Name, whole),
                    [family, given, ..] => {
                        b.single(0, Field::Family, family);
                        b.single(0, Field::Given, given);
                        let name = if family.chars().any(is_cjk) || given.chars().any(is_cjk) {
                            format!("{family}{given}")
                        } else {
                            format!("{given} {family}")
                        };
                        b.single(0, Field::Name, name.trim());
                    }
                    [] => {}
                }
            }
            "TEL" | "TEL-AV" => {
                let v = unescape(value);
                let field = if key == "TEL-AV" {
                    Field::Mobile
                } else {
                    tel_field(&v, region)
                };
                b.push(0, field, &normalize_tel(&v, region));
            }
            "EMAIL" => b.push(0, Field::Email, &unescape(value)),
            "ORG" => b.single(0, Field::Company, &unescape(value)),
            "TITLE" => b.single(0, Field::Title, &unescape(value)),
            "URL" => {
                let v = unescape(value);
                let v = crate::card::normalize_url(&v).unwrap_or(v);
                b.push(0, Field::Website, &v);
            }
            "NOTE" => {
                let v = unescape(value)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                b.single(0, Field::Bulletin, &v);
            }
            "ADR" => {
                let parts = split_unescaped(value, ',');
                let a = if parts.len() == 7 {
                    let p = |i: usize| unescape(parts[i]).trim().to_string();
                    Address {
                        po_box: p(0),
                        extended: p(1),
                        street: p(2),
                        locality: p(3),
                        region: p(4),
                        postal_code: p(5),
                        country: p(6),
                    }
                } else {
                    Address::from_text(&unescape(value))
                };
                b.address(0, a);
            }
            "SOUND" | "BDAY" | "NICKNAME" => ignored.push(key),
            _ => ignored.push(key),
        }
    }
    if !ignored.is_empty() {
        ignored.dedup();
        b.warnings
            .push(format!("not imported: {}", ignored.join(", ")));
    }
    Ok(b.finish())
}

/// Landline when the number is a known fixed line, else mobile.
fn tel_field(raw: &str, region: Region) -> Field {
    match phonenumber::parse(Some(region.0), raw.trim()) {
        Ok(n) if phonenumber::is_valid(&n) => {
            match n.number_type(&phonenumber::metadata::DATABASE) {
                phonenumber::Type::FixedLine => Field::Phone,
                _ => Field::Mobile,
            }
        }
        _ => Field::Mobile,
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ':' | ',') {
            out.push('\\');
        }
        if c != '\r' && c != '\n' {
            out.push(c);
        } else {
            out.push(' ');
        }
    }
    out
}

/// Write a card as a MeCard for a QR code: name, numbers (mobiles first; fax left out, MeCard
/// has no key for it), emails, company, title, addresses (one line each), websites, bulletin.
pub fn to_mecard(card: &Card) -> String {
    let mut out = String::from("MECARD:");
    if !card.family.is_empty() || !card.given.is_empty() {
        out.push_str(&format!("N:{},{};", esc(&card.family), esc(&card.given)));
    } else {
        out.push_str(&format!("N:{};", esc(&card.display_name())));
    }
    for t in card.mobile.iter().chain(&card.phone) {
        out.push_str(&format!("TEL:{};", esc(t)));
    }
    for e in &card.email {
        out.push_str(&format!("EMAIL:{};", esc(e)));
    }
    if !card.company.is_empty() {
        out.push_str(&format!("ORG:{};", esc(&card.company)));
    }
    if !card.title.is_empty() {
        out.push_str(&format!("TITLE:{};", esc(&card.title)));
    }
    for a in &card.address {
        out.push_str(&format!("ADR:{};", esc(&a.to_line())));
    }
    for u in &card.website {
        out.push_str(&format!("URL:{};", esc(u)));
    }
    if !card.bulletin.is_empty() {
        out.push_str(&format!("NOTE:{};", esc(&card.bulletin)));
    }
    out.push(';');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::normalize_phone_lenient;

    #[test]
    fn phone_type_decides_mobile_or_landline() {
        let cn = Region::default();
        assert_eq!(tel_field("13800138000", cn), Field::Mobile);
        assert_eq!(tel_field("010 6552 9988", cn), Field::Phone);
        assert_eq!(tel_field("12", cn), Field::Mobile);
        assert_eq!(normalize_phone_lenient("12", cn), "12");
    }
}
