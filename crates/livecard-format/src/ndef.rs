//! NDEF (NFC Data Exchange Format, NFC Forum NDEF 1.0) messages: encode and decode, plus the
//! Type 2 Tag TLV wrapper (NTAG21x) for whole tag images.
//!
//! Hand-written (about 400 lines): the only maintained crate on crates.io, `ndef` 0.7, is
//! GPL-3.0-or-later, which this MIT/Apache project cannot take on. The format is small.
//!
//! Supported: short (SR) and normal records, ID fields, TNF well-known URI (`U`, with the URI
//! prefix-code table of NFC RTD URI 1.0) and Text (`T`, UTF-8 and UTF-16, language code), MIME
//! media records, and any other TNF as opaque bytes. Chunked records (CF) are refused.
//!
//! The decoder never panics: every inconsistent length or flag is an [`NdefError`] naming the
//! byte offset where it was found.

use std::fmt;

/// Why NDEF bytes were refused; `offset` is the byte position in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("NDEF error at byte {offset}: {message}")]
pub struct NdefError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, NdefError> {
    Err(NdefError {
        offset,
        message: message.into(),
    })
}

/// Type Name Format: how a record's type field is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tnf {
    Empty = 0,
    WellKnown = 1,
    Media = 2,
    AbsoluteUri = 3,
    External = 4,
    Unknown = 5,
    Unchanged = 6,
}

impl Tnf {
    /// The TNF of its 3-bit value (0–6); `None` for 7, which no record may use.
    pub fn from_bits(bits: u8) -> Option<Tnf> {
        Some(match bits {
            0 => Tnf::Empty,
            1 => Tnf::WellKnown,
            2 => Tnf::Media,
            3 => Tnf::AbsoluteUri,
            4 => Tnf::External,
            5 => Tnf::Unknown,
            6 => Tnf::Unchanged,
            _ => return None,
        })
    }
}

const MB: u8 = 0x80;
const ME: u8 = 0x40;
const CF: u8 = 0x20;
const SR: u8 = 0x10;
const IL: u8 = 0x08;

/// One NDEF record.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    pub tnf: Tnf,
    pub record_type: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Record {{ tnf: {:?}, type: {:?}, id: {:?}, payload: {} bytes }}",
            self.tnf,
            String::from_utf8_lossy(&self.record_type),
            String::from_utf8_lossy(&self.id),
            self.payload.len()
        )
    }
}

/// URI identifier codes of NFC RTD URI 1.0 (index = code).
pub const URI_PREFIXES: [&str; 36] = [
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
];

impl Record {
    /// A well-known URI record, abbreviated with the longest matching prefix code.
    pub fn uri(uri: &str) -> Record {
        let (code, prefix) = URI_PREFIXES
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, p)| uri.starts_with(*p))
            .max_by_key(|(_, p)| p.len())
            .map(|(i, p)| (i as u8, p.len()))
            .unwrap_or((0, 0));
        let mut payload = Vec::with_capacity(1 + uri.len() - prefix);
        payload.push(code);
        payload.extend_from_slice(&uri.as_bytes()[prefix..]);
        Record {
            tnf: Tnf::WellKnown,
            record_type: b"U".to_vec(),
            id: Vec::new(),
            payload,
        }
    }

    /// A well-known Text record in UTF-8 with an IANA language code (e.g. `zh`, `en`; at most
    /// 63 bytes, longer codes are cut).
    pub fn text(text: &str, language: &str) -> Record {
        let mut lang = language.as_bytes();
        if lang.len() > 63 {
            lang = &lang[..63];
        }
        let mut payload = Vec::with_capacity(1 + lang.len() + text.len());
        payload.push(lang.len() as u8);
        payload.extend_from_slice(lang);
        payload.extend_from_slice(text.as_bytes());
        Record {
            tnf: Tnf::WellKnown,
            record_type: b"T".to_vec(),
            id: Vec::new(),
            payload,
        }
    }

    /// A MIME media record (`text/vcard`, `application/vnd.livecard.card`, …).
    pub fn mime(mime_type: &str, payload: Vec<u8>) -> Record {
        Record {
            tnf: Tnf::Media,
            record_type: mime_type.as_bytes().to_vec(),
            id: Vec::new(),
            payload,
        }
    }

    fn is_well_known(&self, ty: &[u8]) -> bool {
        self.tnf == Tnf::WellKnown && self.record_type == ty
    }

    /// The URI of a well-known URI record (prefix expanded) or an absolute-URI record;
    /// `None` for other records.
    pub fn as_uri(&self) -> Option<Result<String, NdefError>> {
        if self.tnf == Tnf::AbsoluteUri {
            return Some(
                String::from_utf8(self.record_type.clone())
                    .or_else(|_| err(0, "absolute-URI record type is not UTF-8")),
            );
        }
        if !self.is_well_known(b"U") {
            return None;
        }
        Some((|| {
            let (&code, rest) = match self.payload.split_first() {
                Some(x) => x,
                None => return err(0, "URI record has an empty payload"),
            };
            let prefix = match URI_PREFIXES.get(code as usize) {
                Some(p) => p,
                None => return err(0, format!("URI record: unknown prefix code 0x{code:02x}")),
            };
            let rest = match std::str::from_utf8(rest) {
                Ok(r) => r,
                Err(e) => {
                    return err(
                        1 + e.valid_up_to(),
                        "URI record: the URI is not valid UTF-8",
                    )
                }
            };
            Ok(format!("{prefix}{rest}"))
        })())
    }

    /// `(language, text)` of a well-known Text record; `None` for other records.
    pub fn as_text(&self) -> Option<Result<(String, String), NdefError>> {
        if !self.is_well_known(b"T") {
            return None;
        }
        Some((|| {
            let status = match self.payload.first() {
                Some(&s) => s,
                None => return err(0, "Text record has an empty payload"),
            };
            let lang_len = (status & 0x3F) as usize;
            if 1 + lang_len > self.payload.len() {
                return err(
                    0,
                    format!(
                        "Text record: language code of {lang_len} bytes is longer than the payload"
                    ),
                );
            }
            let lang = String::from_utf8_lossy(&self.payload[1..1 + lang_len]).into_owned();
            let body = &self.payload[1 + lang_len..];
            let text = if status & 0x80 != 0 {
                decode_utf16(body).or_else(|m| err(1 + lang_len, m))?
            } else {
                match std::str::from_utf8(body) {
                    Ok(t) => t.to_string(),
                    Err(e) => {
                        return err(
                            1 + lang_len + e.valid_up_to(),
                            "Text record: text is not valid UTF-8",
                        )
                    }
                }
            };
            Ok((lang, text))
        })())
    }

    /// The MIME type of a media record (lower-cased, parameters removed); `None` otherwise.
    pub fn mime_type(&self) -> Option<String> {
        if self.tnf != Tnf::Media {
            return None;
        }
        let t = String::from_utf8_lossy(&self.record_type);
        let t = t.split(';').next().unwrap_or("").trim();
        Some(t.to_ascii_lowercase())
    }
}

fn decode_utf16(body: &[u8]) -> Result<String, String> {
    if !body.len().is_multiple_of(2) {
        return Err("Text record: UTF-16 text has an odd number of bytes".into());
    }
    let (little, body) = match body {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => (false, body), // no BOM: big-endian (RTD Text 1.0)
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "Text record: invalid UTF-16 (unpaired surrogate)".to_string())
}

/// Bytes of one encoded record (for size planning).
pub fn record_len(r: &Record) -> usize {
    let short = r.payload.len() < 256;
    1 + 1
        + if short { 1 } else { 4 }
        + if r.id.is_empty() { 0 } else { 1 }
        + r.record_type.len()
        + r.id.len()
        + r.payload.len()
}

/// Bytes of an encoded message of `records`.
pub fn message_len(records: &[Record]) -> usize {
    records.iter().map(record_len).sum()
}

/// Encodes records as one NDEF message (short records where the payload is under 256 bytes).
/// Refused: no records, a type or id over 255 bytes, a payload over 4 GiB, TNF Empty with
/// content, TNF Unknown/Unchanged with a type, or TNF Well-known/Media/URI/External without
/// one (whatever this encodes, [`decode_message`] reads back).
pub fn encode_message(records: &[Record]) -> Result<Vec<u8>, NdefError> {
    if records.is_empty() {
        return err(0, "an NDEF message needs at least one record");
    }
    let mut out = Vec::with_capacity(message_len(records));
    let last = records.len() - 1;
    for (i, r) in records.iter().enumerate() {
        let at = out.len();
        if r.record_type.len() > 255 {
            return err(at, "record type longer than 255 bytes");
        }
        if r.id.len() > 255 {
            return err(at, "record id longer than 255 bytes");
        }
        let plen = u32::try_from(r.payload.len()).or_else(|_| err(at, "payload over 4 GiB"))?;
        match r.tnf {
            Tnf::Empty
                if !(r.record_type.is_empty() && r.id.is_empty() && r.payload.is_empty()) =>
            {
                return err(at, "an Empty record must have no type, id or payload")
            }
            Tnf::Unknown | Tnf::Unchanged if !r.record_type.is_empty() => {
                return err(at, "Unknown/Unchanged records must have no type")
            }
            Tnf::Unchanged => return err(at, "Unchanged records only occur in chunks"),
            // The decoder refuses these too (fuzz finding 4: encode and decode must agree).
            Tnf::WellKnown | Tnf::Media | Tnf::AbsoluteUri | Tnf::External
                if r.record_type.is_empty() =>
            {
                return err(at, format!("record of TNF {} without a type", r.tnf as u8))
            }
            _ => {}
        }
        let mut header = r.tnf as u8;
        if i == 0 {
            header |= MB;
        }
        if i == last {
            header |= ME;
        }
        let short = plen < 256;
        if short {
            header |= SR;
        }
        if !r.id.is_empty() {
            header |= IL;
        }
        out.push(header);
        out.push(r.record_type.len() as u8);
        if short {
            out.push(plen as u8);
        } else {
            out.extend_from_slice(&plen.to_be_bytes());
        }
        if !r.id.is_empty() {
            out.push(r.id.len() as u8);
        }
        out.extend_from_slice(&r.record_type);
        out.extend_from_slice(&r.id);
        out.extend_from_slice(&r.payload);
    }
    Ok(out)
}

/// Decodes one NDEF message (no TLV wrapper; see [`unwrap_tlv`]). The whole input must be
/// the message: bytes after the record marked last (ME) are refused.
pub fn decode_message(bytes: &[u8]) -> Result<Vec<Record>, NdefError> {
    decode_message_at(bytes, 0)
}

fn decode_message_at(bytes: &[u8], base: usize) -> Result<Vec<Record>, NdefError> {
    if bytes.is_empty() {
        return err(base, "empty NDEF message");
    }
    let mut records = Vec::new();
    let mut pos = 0usize;
    loop {
        let at = base + pos;
        let take =
            |pos: &mut usize, n: usize, what: &str| -> Result<std::ops::Range<usize>, NdefError> {
                let end = pos.checked_add(n).filter(|&e| e <= bytes.len());
                match end {
                    Some(end) => {
                        let r = *pos..end;
                        *pos = end;
                        Ok(r)
                    }
                    None => err(
                        base + *pos,
                        format!(
                            "{what} of {n} bytes runs past the end of the message ({} bytes left)",
                            bytes.len() - *pos
                        ),
                    ),
                }
            };
        let header = bytes[take(&mut pos, 1, "record header")?.start];
        let first = records.is_empty();
        if first && header & MB == 0 {
            return err(at, "first record does not have the message-begin (MB) flag");
        }
        if !first && header & MB != 0 {
            return err(
                at,
                "message-begin (MB) flag on a record that is not the first",
            );
        }
        if header & CF != 0 {
            return err(
                at,
                "chunked records (CF flag) are not supported; write the record unchunked",
            );
        }
        let tnf = match Tnf::from_bits(header & 0x07) {
            Some(t) => t,
            None => return err(at, "reserved type name format 7"),
        };
        let type_len = bytes[take(&mut pos, 1, "type length")?.start] as usize;
        let payload_len = if header & SR != 0 {
            bytes[take(&mut pos, 1, "payload length")?.start] as usize
        } else {
            let r = take(&mut pos, 4, "payload length")?;
            let b = &bytes[r];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        };
        let id_len = if header & IL != 0 {
            bytes[take(&mut pos, 1, "id length")?.start] as usize
        } else {
            0
        };
        match tnf {
            Tnf::Empty if type_len != 0 || id_len != 0 || payload_len != 0 => {
                return err(at, "Empty record (TNF 0) with a type, id or payload")
            }
            Tnf::Unknown | Tnf::Unchanged if type_len != 0 => {
                return err(at, "Unknown/Unchanged record (TNF 5/6) with a type")
            }
            Tnf::Unchanged => return err(at, "Unchanged record (TNF 6) outside a chunk"),
            Tnf::WellKnown | Tnf::Media | Tnf::AbsoluteUri | Tnf::External if type_len == 0 => {
                return err(at, format!("record of TNF {} without a type", tnf as u8))
            }
            _ => {}
        }
        let record_type = bytes[take(&mut pos, type_len, "record type")?].to_vec();
        let id = bytes[take(&mut pos, id_len, "record id")?].to_vec();
        let payload = bytes[take(&mut pos, payload_len, "payload")?].to_vec();
        records.push(Record {
            tnf,
            record_type,
            id,
            payload,
        });
        if header & ME != 0 {
            if pos != bytes.len() {
                return err(
                    base + pos,
                    format!(
                        "{} bytes after the last record (ME flag)",
                        bytes.len() - pos
                    ),
                );
            }
            return Ok(records);
        }
        if pos == bytes.len() {
            return err(
                base + pos,
                "message ends without a record marked last (ME flag)",
            );
        }
    }
}

/// Bytes a message of `message_len` bytes takes on a Type 2 tag: the NDEF TLV (tag 0x03,
/// 1-byte length below 255, else 0xFF + 2-byte length) and the terminator TLV 0xFE.
pub fn tlv_len(message_len: usize) -> usize {
    let header = if message_len < 0xFF { 2 } else { 4 };
    header + message_len + 1
}

/// Wraps a message in an NDEF TLV plus terminator, as written to a Type 2 tag's data area.
/// Refused: messages over 65,534 bytes (the 3-byte length form's limit).
pub fn wrap_tlv(message: &[u8]) -> Result<Vec<u8>, NdefError> {
    let mut out = Vec::with_capacity(tlv_len(message.len()));
    out.push(0x03);
    if message.len() < 0xFF {
        out.push(message.len() as u8);
    } else if message.len() <= 0xFFFE {
        out.push(0xFF);
        out.extend_from_slice(&(message.len() as u16).to_be_bytes());
    } else {
        return err(0, "NDEF message over 65,534 bytes does not fit a TLV");
    }
    out.extend_from_slice(message);
    out.push(0xFE);
    Ok(out)
}

/// Finds the NDEF message in a Type 2 tag data area: skips NULL (0x00), lock control (0x01),
/// memory control (0x02) and proprietary (0xFD) TLVs, returns the first NDEF TLV's (0x03)
/// value and its offset. Anything after the NDEF TLV (terminator, padding) is ignored.
pub fn unwrap_tlv(bytes: &[u8]) -> Result<(&[u8], usize), NdefError> {
    let mut pos = 0usize;
    loop {
        let tag = match bytes.get(pos) {
            Some(&t) => t,
            None => return err(pos, "no NDEF TLV (0x03) in the tag data"),
        };
        match tag {
            0x00 => {
                pos += 1;
                continue;
            }
            0xFE => return err(pos, "terminator TLV before any NDEF TLV: the tag is empty"),
            0x01 | 0x02 | 0x03 | 0xFD => {}
            t => return err(pos, format!("unknown TLV tag 0x{t:02x}")),
        }
        let (len, head) = match bytes.get(pos + 1) {
            None => return err(pos + 1, "TLV length missing"),
            Some(0xFF) => match bytes.get(pos + 2..pos + 4) {
                Some(b) => (u16::from_be_bytes([b[0], b[1]]) as usize, 4),
                None => return err(pos + 2, "3-byte TLV length cut off"),
            },
            Some(&l) => (l as usize, 2),
        };
        let start = pos + head;
        let end = start + len;
        if end > bytes.len() {
            return err(
                pos,
                format!(
                    "TLV 0x{tag:02x} of {len} bytes runs past the end of the data ({} bytes left)",
                    bytes.len() - start.min(bytes.len())
                ),
            );
        }
        if tag == 0x03 {
            if len == 0 {
                return err(pos, "the NDEF TLV is empty: the tag holds no message");
            }
            return Ok((&bytes[start..end], start));
        }
        pos = end;
    }
}

/// Decodes either a bare NDEF message or a Type 2 tag data area (TLVs); a message inside a
/// TLV may be followed by a terminator and any padding.
pub fn decode_any(bytes: &[u8]) -> Result<Vec<Record>, NdefError> {
    match bytes.first() {
        // A bare message starts with a header that has MB set; 0x00–0x03 and 0xFD cannot
        // (MB is bit 7), so these are TLVs.
        Some(0x00..=0x03) | Some(0xFD) => {
            let (msg, at) = unwrap_tlv(bytes)?;
            decode_message_at(msg, at)
        }
        _ => decode_message(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_prefix_is_longest_match() {
        let r = Record::uri("https://www.example.org/x");
        assert_eq!(r.payload[0], 0x02);
        assert_eq!(&r.payload[1..], b"example.org/x");
        assert_eq!(r.as_uri().unwrap().unwrap(), "https://www.example.org/x");
        let r = Record::uri("weird:thing");
        assert_eq!(r.payload[0], 0);
    }

    #[test]
    fn long_records_round_trip() {
        let recs = vec![
            Record::mime("application/octet-stream", vec![7u8; 300]),
            Record::text("你好", "zh"),
        ];
        let bytes = encode_message(&recs).unwrap();
        assert_eq!(bytes.len(), message_len(&recs));
        assert_eq!(bytes[0] & SR, 0);
        assert_eq!(decode_message(&bytes).unwrap(), recs);
    }

    #[test]
    fn utf16_text() {
        let mut payload = vec![0x80 | 2];
        payload.extend_from_slice(b"en");
        for u in "hi 你".encode_utf16() {
            payload.extend_from_slice(&u.to_be_bytes());
        }
        let r = Record {
            tnf: Tnf::WellKnown,
            record_type: b"T".to_vec(),
            id: vec![],
            payload,
        };
        assert_eq!(
            r.as_text().unwrap().unwrap(),
            ("en".to_string(), "hi 你".to_string())
        );
    }
}
