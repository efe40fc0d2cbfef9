//! Reading contact text (vCard or MeCard) into cards.
//!
//! Until `livecard_format::contact_text::parse_contact_text` lands, this is the small
//! dispatch: text starting with `MECARD:` is MeCard (one per line or back to back), anything
//! else goes to the vCard importer.

use livecard_format::mecard::parse_mecard;
use livecard_format::vcard::{parse_vcards, Imported};
use livecard_format::Region;

use crate::error::{CoreError, Result};
use crate::model::Source;

/// Cards read from `bytes`, with the importer's warnings and the source kind.
pub fn parse_contacts(bytes: &[u8], region: Region) -> Result<(Vec<Imported>, Source)> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    if head.len() >= 7 && head[..7].eq_ignore_ascii_case(b"MECARD:") {
        let text = std::str::from_utf8(head)
            .map_err(|e| CoreError::ImportFailed(format!("MeCard text is not UTF-8: {e}")))?;
        let mut out = Vec::new();
        for (n, chunk) in split_mecards(text).into_iter().enumerate() {
            let card = parse_mecard(chunk, region)
                .map_err(|e| CoreError::ImportFailed(format!("MeCard {}: {e}", n + 1)))?;
            out.push(Imported {
                card,
                warnings: Vec::new(),
            });
        }
        return Ok((out, Source::Mecard));
    }
    let cards = parse_vcards(body, region).map_err(|e| CoreError::ImportFailed(e.to_string()))?;
    if cards.is_empty() {
        return Err(CoreError::ImportFailed(
            "no vCard or MeCard found (expected BEGIN:VCARD or MECARD:)".into(),
        ));
    }
    Ok((cards, Source::Vcf))
}

/// Splits text holding one or more MeCards at each `MECARD:` that starts a line.
fn split_mecards(text: &str) -> Vec<&str> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.len() >= 7 && t.as_bytes()[..7].eq_ignore_ascii_case(b"MECARD:") {
            starts.push(offset + (line.len() - t.len()));
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (i, s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let chunk = text[*s..end].trim();
        if !chunk.is_empty() {
            out.push(chunk);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mecards_split_per_line() {
        let t = "MECARD:N:A;;\r\n  MECARD:N:B;TEL:1;;\n";
        assert_eq!(split_mecards(t), vec!["MECARD:N:A;;", "MECARD:N:B;TEL:1;;"]);
    }
}
