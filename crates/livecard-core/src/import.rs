//! Reading contact text (vCard or MeCard) into cards, through
//! `livecard_format::contact_text` (which detects the kind).

use livecard_format::contact_text::{detect, parse_contact_text, ContactTextKind};
use livecard_format::vcard::Imported;
use livecard_format::Region;

use crate::error::{CoreError, Result};
use crate::model::Source;

/// Cards read from `bytes`, with the importer's warnings and the source kind.
pub fn parse_contacts(bytes: &[u8], region: Region) -> Result<(Vec<Imported>, Source)> {
    let source = match detect(bytes) {
        Some((ContactTextKind::Mecard, _)) => Source::Mecard,
        _ => Source::Vcf,
    };
    let cards =
        parse_contact_text(bytes, region).map_err(|e| CoreError::ImportFailed(e.to_string()))?;
    if cards.is_empty() {
        return Err(CoreError::ImportFailed(
            "no vCard or MeCard found (expected BEGIN:VCARD or MECARD:)".into(),
        ));
    }
    Ok((cards, source))
}
