//! Adding what a tag, a QR code or a pasted text carried (decoded by
//! `livecard_format::exchange`): a live card (link, maybe with an offline copy), contacts
//! (static cards) or a link of another app (refused with a clear message).

use livecard_format::crypto::ShareLink;
use livecard_format::exchange::{self, OfflineCopy, Received};
use livecard_format::nfc_answer::{self, NfcAnswer, NfcAnswerError};

use crate::error::{CoreError, Result};
use crate::model::{AddOutcome, Source};
use crate::sync::Arrival;
use crate::Core;

fn exchange_err(e: exchange::ExchangeError) -> CoreError {
    CoreError::ImportFailed(e.to_string())
}

fn answer_err(e: NfcAnswerError) -> CoreError {
    match e {
        NfcAnswerError::Empty | NfcAnswerError::NotNdef(_) => {
            CoreError::InvalidInput(format!("{e} / {}", e.message_zh()))
        }
        _ => CoreError::ImportFailed(e.to_string()),
    }
}

impl Core {
    /// Saves an offline copy (from NFC or an offline QR) at once as a live card; a partial
    /// copy (fields dropped to fit) is completed by the next sync, which asks for the full
    /// record. Same checks as sync: signature, pinned key, no rollback.
    pub async fn add_offline(
        &self,
        link: &ShareLink,
        copy: &OfflineCopy,
        source: Source,
    ) -> Result<AddOutcome> {
        let db = self.unlocked().await?;
        if copy.record.id != link.id {
            return Err(CoreError::InvalidInput(format!(
                "the offline copy is of card {} but the link is of card {}",
                copy.record.id, link.id
            )));
        }
        let applied = self
            .apply_many(
                db,
                vec![Arrival {
                    record: &copy.record,
                    secret: Some(&link.secret),
                    server_url: Some(&link.base_url),
                    partial: copy.partial,
                    source,
                    card: Some(&copy.card),
                }],
            )
            .await?
            .pop()
            .ok_or_else(|| CoreError::InvalidInput("nothing to add".into()))?;
        self.outcome(db, applied).await
    }

    /// Adds what a reader decoded. A link without an offline copy is fetched from its server
    /// (offline: error, nothing added); with a copy, the copy is saved at once.
    pub async fn add_received(
        &self,
        received: Received,
        source: Source,
    ) -> Result<Vec<AddOutcome>> {
        self.unlocked().await?;
        match received {
            Received::LiveCard {
                link,
                offline: Some(copy),
            } => Ok(vec![self.add_offline(&link, &copy, source).await?]),
            Received::LiveCard {
                link,
                offline: None,
            } => Ok(vec![self.add_link_from(&link.to_string(), source).await?]),
            Received::Contacts(cards) => {
                let src = if source == Source::Link {
                    Source::Vcf
                } else {
                    source
                };
                Ok(self.add_imported(cards, src).await?.added)
            }
            Received::ForeignLink(url) => Err(CoreError::InvalidInput(format!(
                "not a livecard card: {url} (a link of another app or site) / 不是 livecard 名片"
            ))),
        }
    }

    /// Adds from NFC tag bytes (an NDEF message, or a Type 2 tag's TLV area).
    pub async fn add_nfc(&self, bytes: &[u8]) -> Result<Vec<AddOutcome>> {
        self.unlocked().await?;
        let r = exchange::decode_nfc(bytes, self.region).map_err(exchange_err)?;
        self.add_received(r, Source::Nfc).await
    }

    /// Adds from the JSON a phone's NFC plugin gave for a tag (Android or iOS shape, bare or
    /// wrapped as `{"tag": …}`; see `livecard_format::nfc_answer`). Bad JSON or an empty tag:
    /// an error, nothing added.
    pub async fn add_nfc_json(&self, json: &str) -> Result<Vec<AddOutcome>> {
        self.unlocked().await?;
        let answer = nfc_answer::parse_answer(json).map_err(answer_err)?;
        self.add_nfc_answer(&answer).await
    }

    /// Adds the cards of a tag answer already parsed (the app's NFC plugin parses it once to
    /// show the tag type too).
    pub async fn add_nfc_answer(&self, answer: &NfcAnswer) -> Result<Vec<AddOutcome>> {
        self.unlocked().await?;
        let bytes = answer.message().map_err(answer_err)?;
        self.add_nfc(&bytes).await
    }

    /// Adds from scanned or pasted text (share link, offline QR text, vCard, MeCard).
    pub async fn add_scanned(&self, text: &str, source: Source) -> Result<Vec<AddOutcome>> {
        self.unlocked().await?;
        let r = exchange::decode_scanned_text(text, self.region).map_err(exchange_err)?;
        self.add_received(r, source).await
    }
}
