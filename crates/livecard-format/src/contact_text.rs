//! Contact text of unknown kind — a .vcf file, vCard text from an NFC tag or QR code, or a
//! MeCard — read into cards. The CLI's `add FILE` and the NFC/QR decoders use this.
//!
//! Detection: after a byte-order mark and leading blank space, whichever of `BEGIN:VCARD` and
//! `MECARD:` (any case) comes first decides; text before it (a greeting in a chat message, a
//! label on a QR code) is skipped. A UTF-16 file (with a BOM) is a vCard file.

use crate::card::Region;
use crate::mecard::{parse_mecard_imported, MecardError};
use crate::vcard::{parse_vcards, Imported, VcardError, MAX_INPUT_BYTES};

/// Why contact text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactTextError {
    #[error("vCard {0}")]
    Vcard(#[from] VcardError),
    #[error(transparent)]
    Mecard(#[from] MecardError),
    #[error("not contact text: found neither a vCard (BEGIN:VCARD) nor a MeCard (MECARD:)")]
    Unrecognised,
}

/// What kind of contact text the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactTextKind {
    Vcard,
    Mecard,
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Which kind of contact text this is, and where it starts.
pub fn detect(input: &[u8]) -> Option<(ContactTextKind, usize)> {
    if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
        return Some((ContactTextKind::Vcard, 0));
    }
    let v = find_ci(input, b"BEGIN:VCARD");
    let m = find_ci(input, b"MECARD:");
    match (v, m) {
        (Some(v), Some(m)) if m < v => Some((ContactTextKind::Mecard, m)),
        (Some(v), _) => Some((ContactTextKind::Vcard, v)),
        (None, Some(m)) => Some((ContactTextKind::Mecard, m)),
        (None, None) => None,
    }
}

/// Read a .vcf file, vCard text or MeCard text (detected) into cards.
pub fn parse_contact_text(input: &[u8], region: Region) -> Result<Vec<Imported>, ContactTextError> {
    if input.len() > MAX_INPUT_BYTES {
        // Let the vCard reader refuse it with its message, before searching 20 MiB.
        return Err(parse_vcards(input, region)
            .err()
            .map(ContactTextError::Vcard)
            .unwrap_or(ContactTextError::Unrecognised));
    }
    let (kind, at) = detect(input).ok_or(ContactTextError::Unrecognised)?;
    match kind {
        ContactTextKind::Vcard => Ok(parse_vcards(&input[at..], region)?),
        ContactTextKind::Mecard => {
            let bytes = &input[at..];
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t.to_string(),
                Err(_) => encoding_rs::GB18030
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .map(|s| s.into_owned())
                    .ok_or_else(|| MecardError {
                        message: "text is neither UTF-8 nor GB18030".into(),
                    })?,
            };
            Ok(vec![parse_mecard_imported(&text, region)?])
        }
    }
}
