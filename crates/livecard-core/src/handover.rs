//! Handing my card over, once for the app and the CLI: what the "my card" screen shows about
//! sharing, publishing with "offline" and "no server" as outcomes rather than failures, the
//! offline QR code within its byte budget (optional fields dropped to fit, as on a tag) and
//! the NDEF message sized to a tag. The shells only render what these return.

use livecard_format::exchange::{self, CopySource, ExchangeError, NfcPayload, Tag};
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::Core;

/// An offline QR code's text (`LC1:…`: the link plus a signed copy of the card), within
/// [`exchange::OFFLINE_QR_MAX_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfflineQr {
    /// The text to render as a QR code.
    pub text: String,
    /// Field keys left out of the copy to fit (the link brings the full card).
    pub dropped_fields: Vec<String>,
}

/// What the "my card" screen shows about sharing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShareState {
    pub published: bool,
    /// The share link (holds the share secret in its fragment).
    pub link: Option<String>,
    /// The link's QR code as an SVG document.
    pub qr_svg: Option<String>,
    /// Own-card writes waiting to be uploaded.
    pub pending: usize,
}

/// What publishing did, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PublishState {
    Published {
        link: String,
        version: u64,
    },
    /// Offline: the write waits in the outbox for the next sync.
    Waiting {
        message: String,
    },
    /// No server configured: the card stays on this phone.
    NoServer,
}

fn keys(fields: &[livecard_format::Field]) -> Vec<String> {
    fields.iter().map(|f| f.as_str().to_string()).collect()
}

impl Core {
    /// The offline QR of the own card `own_id` (or the default) as last published: the link
    /// and a signed copy, with optional fields (the avatar first) dropped until it fits
    /// [`exchange::OFFLINE_QR_MAX_BYTES`]. Kind `too_large` when even the smallest copy does
    /// not fit.
    pub async fn offline_qr(&self, own_id: Option<&str>) -> Result<OfflineQr> {
        let share = self.own_share(own_id).await?;
        let src = CopySource {
            card: &share.card,
            keys: &share.keys,
            version: share.version,
        };
        let q = exchange::offline_qr(&share.link, &src, exchange::OFFLINE_QR_MAX_BYTES)
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?
            .ok_or_else(|| {
                CoreError::TooLarge(
                    "the card is too large for an offline QR code even with optional fields left out / 名片太大，去掉可选字段后仍无法放入离线二维码".into(),
                )
            })?;
        Ok(OfflineQr {
            text: q.text,
            dropped_fields: keys(&q.dropped_fields),
        })
    }

    /// The NDEF message for a tag with `tag`'s room: the share link and, when it fits, the
    /// signed offline copy (fields dropped to fit). Kind `nfc_too_small` when not even the
    /// link fits.
    pub async fn nfc_message(&self, own_id: Option<&str>, tag: Tag) -> Result<NfcPayload> {
        let share = self.own_share(own_id).await?;
        let src = CopySource {
            card: &share.card,
            keys: &share.keys,
            version: share.version,
        };
        exchange::nfc_message(&share.link, Some(&src), tag).map_err(|e| match e {
            ExchangeError::LinkTooBig { .. } => CoreError::TagTooSmall(format!(
                "{e} / 标签太小，连分享链接都放不下，请换一个更大的标签"
            )),
            other => CoreError::InvalidInput(other.to_string()),
        })
    }

    /// Whether the own card `own_id` (or the default) is published, its link and the link's
    /// QR code, and how many writes wait in the outbox. Not published (or no own card yet):
    /// `published: false`, not an error.
    pub async fn share_state(&self, own_id: Option<&str>) -> Result<ShareState> {
        let pending = self.outbox_len().await?;
        match self.share_link(own_id).await {
            Ok(link) => {
                let text = link.to_string();
                let svg = crate::qr::qr_svg(&text).map_err(CoreError::Qr)?;
                Ok(ShareState {
                    published: true,
                    link: Some(text),
                    qr_svg: Some(svg),
                    pending,
                })
            }
            Err(e) if is_unpublished(&e) => Ok(ShareState {
                published: false,
                link: None,
                qr_svg: None,
                pending,
            }),
            Err(e) => Err(e),
        }
    }

    /// [`Core::publish`], with "offline" (the write waits in the outbox) and "no server
    /// configured" as outcomes.
    pub async fn publish_state(&self, own_id: Option<&str>) -> Result<PublishState> {
        match self.publish(own_id).await {
            Ok(p) => Ok(PublishState::Published {
                link: p.link,
                version: p.version,
            }),
            Err(CoreError::Offline(message)) => Ok(PublishState::Waiting { message }),
            Err(CoreError::NoServer) => Ok(PublishState::NoServer),
            Err(e) => Err(e),
        }
    }

    /// How many own cards are published (what a key backup holds keys for).
    pub async fn published_count(&self) -> Result<usize> {
        let mut count = 0;
        for own in self.own_cards().await? {
            if self.share_link(Some(&own.id)).await.is_ok() {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// The own card has no share link yet (or there is no own card).
fn is_unpublished(e: &CoreError) -> bool {
    matches!(e, CoreError::NoOwnCard | CoreError::NotPublished)
}
