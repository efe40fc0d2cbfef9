//! MeCard (`MECARD:N:…;TEL:…;;`) import, as printed in QR codes on paper cards.

use crate::card::{Card, Region};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MeCard: {message}")]
pub struct MecardError {
    pub message: String,
}

/// Read one MeCard.
pub fn parse_mecard(input: &str, region: Region) -> Result<Card, MecardError> {
    let _ = (input, region);
    Err(MecardError {
        message: "MeCard import is not built yet".into(),
    })
}
