//! Adding from what a shell was handed, once for the app and the CLI: text (scanned or
//! pasted), a contacts file, or a whole file of unknown kind (a QR picture, NFC tag bytes, a
//! link or offline QR text, vCard/MeCard). The shells only read bytes and print results.

use crate::error::{CoreError, Result};
use crate::model::Source;
use crate::{AddReport, Core};

/// The largest contacts file or text added at once.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

/// What a file handed to [`Core::add_file`] holds, judged by its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A PNG or JPEG picture (of QR codes).
    Image,
    /// NFC tag bytes (`.ndef`, `.bin`, `.nfc`).
    Ndef,
    /// Text holding a share link or an offline QR text.
    LinkText,
    /// vCard or MeCard text.
    Contacts,
}

fn extension(name: &str) -> String {
    std::path::Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The kind of a file named `name` holding `bytes`.
pub fn file_kind(name: &str, bytes: &[u8]) -> FileKind {
    let ext = extension(name);
    if matches!(ext.as_str(), "png" | "jpg" | "jpeg")
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
    {
        return FileKind::Image;
    }
    if matches!(ext.as_str(), "ndef" | "bin" | "nfc") {
        return FileKind::Ndef;
    }
    let head: Vec<u8> = bytes
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(8)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if head.starts_with(b"http://") || head.starts_with(b"https://") || head.starts_with(b"lc1:") {
        FileKind::LinkText
    } else {
        FileKind::Contacts
    }
}

fn too_large(what: &str, len: usize) -> CoreError {
    CoreError::InvalidInput(format!(
        "the {what} is {} MiB; at most {} MiB can be added at once / 内容太大",
        len / (1024 * 1024),
        MAX_IMPORT_BYTES / (1024 * 1024)
    ))
}

impl Core {
    /// Adds from text a camera scan or a paste box gave: a share link, an offline QR text
    /// (`LC1:…`), a vCard or a MeCard. Empty or over [`MAX_IMPORT_BYTES`]: `invalid_input`.
    pub async fn add_text(&self, text: &str, source: Source) -> Result<AddReport> {
        if text.len() > MAX_IMPORT_BYTES {
            return Err(too_large("text", text.len()));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::InvalidInput(
                "nothing to add: the text is empty / 内容为空".into(),
            ));
        }
        Ok(AddReport {
            added: self.add_scanned(text, source).await?,
            skipped: Vec::new(),
        })
    }

    /// [`Core::add_contacts`] with the size cap ([`MAX_IMPORT_BYTES`]) for bytes handed over
    /// in one message (the app's webview reads the file).
    pub async fn import_contacts(&self, bytes: &[u8]) -> Result<AddReport> {
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(too_large("file", bytes.len()));
        }
        self.add_contacts(bytes).await
    }

    /// Adds from a file named `name` (the name only guides: see [`file_kind`]): every QR
    /// code in a picture, the cards on NFC tag bytes, a link or offline QR text, or the
    /// contacts of a vCard/MeCard file.
    pub async fn add_file(&self, name: &str, bytes: &[u8]) -> Result<AddReport> {
        match file_kind(name, bytes) {
            FileKind::Image => self.add_qr_image(bytes).await,
            FileKind::Ndef => Ok(AddReport {
                added: self.add_nfc(bytes).await?,
                skipped: Vec::new(),
            }),
            FileKind::LinkText => {
                self.add_text(&String::from_utf8_lossy(bytes), Source::Link)
                    .await
            }
            // Files the shell read itself: no cap (a large address book is fine).
            FileKind::Contacts => self.add_contacts(bytes).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_by_name_and_first_bytes() {
        assert_eq!(file_kind("a.PNG", b""), FileKind::Image);
        assert_eq!(file_kind("x", b"\xFF\xD8\xFF\xE0"), FileKind::Image);
        assert_eq!(file_kind("tag.ndef", b"\xD1\x01"), FileKind::Ndef);
        assert_eq!(
            file_kind("l.txt", b"  HTTPS://x.example/c/A#b"),
            FileKind::LinkText
        );
        assert_eq!(file_kind("q.txt", b"\nLC1:ABC"), FileKind::LinkText);
        assert_eq!(file_kind("c.vcf", b"BEGIN:VCARD\r\n"), FileKind::Contacts);
        assert_eq!(file_kind("", b""), FileKind::Contacts);
    }
}
