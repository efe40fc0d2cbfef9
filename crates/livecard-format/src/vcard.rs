//! vCard 2.1 / 3.0 / 4.0 import and vCard 4.0 export. (Being written: the API below is fixed.)

use crate::card::{Card, Region};

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

/// Read every card of a .vcf file (any of 2.1, 3.0, 4.0; CRLF or LF; any charset it names).
pub fn parse_vcards(input: &[u8], region: Region) -> Result<Vec<Imported>, VcardError> {
    let _ = (input, region);
    Err(VcardError {
        line: 1,
        message: "vCard import is not built yet".into(),
    })
}

/// Write one card as vCard 4.0 (CRLF line ends, folded at 75 octets).
pub fn to_vcard(card: &Card) -> String {
    let _ = card;
    String::new()
}
