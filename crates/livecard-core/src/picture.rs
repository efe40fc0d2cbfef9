//! Adding from a picture of a QR code (a phone photo, a screenshot): the one path the app's
//! photo and camera scans and the CLI's `add IMAGE` share. Decoding is `crate::qr`.

use crate::error::{CoreError, Result};
use crate::model::Source;
use crate::qr::{decode_qr_image, QrError};
use crate::{AddReport, Core};

/// Largest picture [`Core::add_qr_image`] reads (a 50-megapixel phone JPEG is ~15 MiB).
pub const MAX_QR_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// Every QR code's text in a picture, decoded off the async threads (a photo takes 0.1–1 s).
pub async fn decode_picture(bytes: Vec<u8>) -> Result<Vec<String>> {
    tokio::task::spawn_blocking(move || decode_qr_image(&bytes))
        .await
        .map_err(|e| CoreError::ImportFailed(format!("the QR decoder stopped: {e}")))?
        .map_err(CoreError::Qr)
}

impl Core {
    /// Adds every card whose QR code is in a picture (PNG/JPEG bytes, a phone photo or a
    /// screenshot; at most [`MAX_QR_IMAGE_BYTES`]): share links (live cards), offline QR codes,
    /// vCard/MeCard. Codes whose content cannot be added are listed in `skipped`; when none
    /// could be added, the error of the only code (or all of them, joined) is returned.
    /// Used by the app's photo/camera paths and the CLI's `add IMAGE`.
    pub async fn add_qr_image(&self, bytes: &[u8]) -> Result<AddReport> {
        self.unlocked().await?;
        if bytes.len() > MAX_QR_IMAGE_BYTES {
            return Err(CoreError::InvalidInput(format!(
                "the picture is too large ({} MiB; at most {} MiB) / 图片太大",
                bytes.len() / (1024 * 1024),
                MAX_QR_IMAGE_BYTES / (1024 * 1024)
            )));
        }
        let texts = decode_picture(bytes.to_vec()).await?;
        let mut report = AddReport {
            added: Vec::new(),
            skipped: Vec::new(),
        };
        let mut errors = Vec::new();
        for text in texts {
            match self.add_scanned(text.trim(), Source::Qr).await {
                Ok(outcomes) => report.added.extend(outcomes),
                Err(e) => {
                    report.skipped.push(e.to_string());
                    errors.push(e);
                }
            }
        }
        if report.added.is_empty() {
            return Err(match errors.len() {
                0 => CoreError::Qr(QrError::NoQrCode),
                1 => errors.remove(0),
                _ => CoreError::ImportFailed(report.skipped.join("; ")),
            });
        }
        Ok(report)
    }
}
