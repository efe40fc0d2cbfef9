//! The binary sync answer (docs/PROTOCOL.md §5 "Binary sync answer"): what `POST /v1/sync`
//! sends to a client that asks for it with `Accept: application/vnd.livecard.records`.
//!
//! The same content as the JSON [`SyncResponse`], without base64 and member names:
//!
//! ```text
//! answer    = "LCR" 0x01 || flags (1 byte: 0x01 truncated, other bits 0)
//!             || u32be(n) || n × (u32be(len) || compact record)     changed
//!             || u32be(n) || n × (public_key(32) || u64be(version) || signature(64))   gone
//!             || u32be(n) || n × id (10 raw bytes)                  unknown
//! ```
//!
//! A compact record is [`SealedRecord::to_compact_bytes`] (`0x01 || key || version || nonce ||
//! signature || ciphertext`, the id derived from the key). Nothing may follow the last list.
//! The decoder checks every length against what is left before allocating, so a hostile
//! answer cannot make it reserve more memory than its own size.

use crate::{
    base32_encode, CardId, RecordError, SealedRecord, SyncResponse, Tombstone, ID_BYTES,
    NONCE_BYTES, TAG_BYTES,
};

/// The media type of the binary sync answer (request it with `Accept`).
pub const RECORDS_MEDIA_TYPE: &str = "application/vnd.livecard.records";
/// The first four bytes of a binary sync answer: `LCR` and format 1.
pub const RECORDS_MAGIC: [u8; 4] = *b"LCR\x01";
/// Flag bit: the JSON answer's `truncated`.
pub const RECORDS_FLAG_TRUNCATED: u8 = 0x01;

const COMPACT_HEAD: usize = 1 + 32 + 8 + NONCE_BYTES + 64;
const TOMBSTONE_BYTES: usize = 32 + 8 + 64;

/// True when an `Accept` header value asks for [`RECORDS_MEDIA_TYPE`] (exact type, any case,
/// not with `q=0`). `*/*` does not count: the JSON answer stays the default.
pub fn accepts_records(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(RECORDS_MEDIA_TYPE)
            && !parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q")
                        && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
            })
    })
}

/// True when a `Content-Type` value is [`RECORDS_MEDIA_TYPE`] (parameters ignored).
pub fn is_records_media_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case(RECORDS_MEDIA_TYPE)
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Lists and records are far below 4 GiB (the server caps ids and answer bytes).
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

impl SyncResponse {
    /// Bytes of [`SyncResponse::to_records`] without building it.
    pub fn records_len(&self) -> usize {
        RECORDS_MAGIC.len()
            + 1
            + 12
            + self
                .changed
                .iter()
                .map(|r| 4 + COMPACT_HEAD + r.ciphertext.len())
                .sum::<usize>()
            + self.gone.len() * TOMBSTONE_BYTES
            + self.unknown.len() * ID_BYTES
    }

    /// The binary answer (module docs).
    pub fn to_records(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.records_len());
        out.extend_from_slice(&RECORDS_MAGIC);
        out.push(if self.truncated {
            RECORDS_FLAG_TRUNCATED
        } else {
            0
        });
        put_u32(&mut out, self.changed.len());
        for r in &self.changed {
            put_u32(&mut out, COMPACT_HEAD + r.ciphertext.len());
            out.push(crate::COMPACT_RECORD_V1);
            out.extend_from_slice(&r.public_key);
            out.extend_from_slice(&r.version.to_be_bytes());
            out.extend_from_slice(&r.nonce);
            out.extend_from_slice(&r.signature);
            out.extend_from_slice(&r.ciphertext);
        }
        put_u32(&mut out, self.gone.len());
        for t in &self.gone {
            out.extend_from_slice(&t.public_key);
            out.extend_from_slice(&t.version.to_be_bytes());
            out.extend_from_slice(&t.signature);
        }
        put_u32(&mut out, self.unknown.len());
        for id in &self.unknown {
            out.extend_from_slice(&id.to_bytes());
        }
        out
    }

    /// Parses [`SyncResponse::to_records`]. Every malformed answer is an error naming the byte
    /// offset; records are not verified here (the client verifies each as it applies it).
    pub fn from_records(bytes: &[u8]) -> Result<SyncResponse, RecordError> {
        let mut r = Cursor { bytes, pos: 0 };
        if r.take(RECORDS_MAGIC.len())? != RECORDS_MAGIC {
            return Err(r.bad(0, "does not start with LCR 0x01 (unknown format)".into()));
        }
        let flags = r.take(1)?[0];
        if flags & !RECORDS_FLAG_TRUNCATED != 0 {
            return Err(r.bad(4, format!("unknown flag bits 0x{flags:02x}")));
        }
        let mut out = SyncResponse {
            truncated: flags & RECORDS_FLAG_TRUNCATED != 0,
            ..SyncResponse::default()
        };
        let n = r.count(4 + COMPACT_HEAD + TAG_BYTES)?;
        out.changed.reserve(n);
        for _ in 0..n {
            let at = r.pos;
            let len = r.u32()? as usize;
            if len < COMPACT_HEAD + TAG_BYTES {
                return Err(r.bad(at, format!("record of {len} bytes is too short")));
            }
            let rec = SealedRecord::from_compact_bytes(r.take(len)?)
                .map_err(|e| r.bad(at + 4, format!("record: {e}")))?;
            out.changed.push(rec);
        }
        let n = r.count(TOMBSTONE_BYTES)?;
        out.gone.reserve(n);
        for _ in 0..n {
            let b = r.take(TOMBSTONE_BYTES)?;
            let mut public_key = [0u8; 32];
            public_key.copy_from_slice(&b[..32]);
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[32..40]);
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&b[40..]);
            out.gone.push(Tombstone {
                id: CardId::from_public_key(&public_key),
                public_key,
                version: u64::from_be_bytes(v),
                signature,
            });
        }
        let n = r.count(ID_BYTES)?;
        out.unknown.reserve(n);
        for _ in 0..n {
            let at = r.pos;
            let id = CardId::parse(&base32_encode(r.take(ID_BYTES)?))
                .map_err(|e| r.bad(at, e.to_string()))?;
            out.unknown.push(id);
        }
        if r.pos != bytes.len() {
            return Err(r.bad(
                r.pos,
                format!("{} bytes after the last list", bytes.len() - r.pos),
            ));
        }
        Ok(out)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bad(&self, at: usize, why: String) -> RecordError {
        RecordError::InvalidField {
            what: "binary sync answer",
            why: format!("byte {at}: {why}"),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                self.bad(
                    self.pos,
                    format!(
                        "cut off ({n} bytes wanted, {} left)",
                        self.bytes.len() - self.pos
                    ),
                )
            })?;
        let v = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(v)
    }

    fn u32(&mut self) -> Result<u32, RecordError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A list length whose items take at least `min` bytes each: more than what is left
    /// is refused before anything is reserved.
    fn count(&mut self, min: usize) -> Result<usize, RecordError> {
        let at = self.pos;
        let n = self.u32()? as usize;
        let left = self.bytes.len() - self.pos;
        if n.saturating_mul(min) > left {
            return Err(self.bad(at, format!("says {n} entries but only {left} bytes follow")));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn record(seed: u8, version: u64, ct_len: usize) -> SealedRecord {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let public_key = key.verifying_key().to_bytes();
        let id = CardId::from_public_key(&public_key);
        let nonce = [seed; NONCE_BYTES];
        let ciphertext = vec![seed ^ 0x5a; ct_len];
        let msg = crate::record_signing_message(&id, version, &nonce, &ciphertext);
        SealedRecord {
            id,
            public_key,
            version,
            nonce,
            ciphertext,
            signature: key.sign(&msg).to_bytes(),
        }
    }

    fn tombstone(seed: u8, version: u64) -> Tombstone {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let public_key = key.verifying_key().to_bytes();
        let id = CardId::from_public_key(&public_key);
        let signature = key
            .sign(&crate::delete_signing_message(&id, version))
            .to_bytes();
        Tombstone {
            id,
            public_key,
            version,
            signature,
        }
    }

    fn sample() -> SyncResponse {
        SyncResponse {
            changed: vec![record(1, 7, 245), record(2, crate::MAX_VERSION, TAG_BYTES)],
            gone: vec![tombstone(3, 4)],
            unknown: vec![CardId::from_public_key(&[9; 32])],
            truncated: true,
        }
    }

    #[test]
    fn round_trip_and_size() {
        let s = sample();
        let bytes = s.to_records();
        assert_eq!(bytes.len(), s.records_len());
        assert_eq!(&bytes[..4], b"LCR\x01");
        let back = SyncResponse::from_records(&bytes).unwrap();
        assert_eq!(back, s);
        for r in &back.changed {
            r.verify().unwrap();
        }
        back.gone[0].verify().unwrap();
        // A typical card's record (245 bytes of ciphertext): 4 + 117 + 245 = 366 bytes.
        let one = SyncResponse {
            changed: vec![record(1, 1, 245)],
            ..SyncResponse::default()
        };
        assert_eq!(one.to_records().len(), 4 + 1 + 12 + 366);
        let empty = SyncResponse::default();
        assert_eq!(
            SyncResponse::from_records(&empty.to_records()).unwrap(),
            empty
        );
    }

    #[test]
    fn malformed_answers_are_refused_with_the_offset() {
        let good = sample().to_records();
        let err = |b: &[u8]| SyncResponse::from_records(b).unwrap_err().to_string();
        // Every cut is refused (never a panic, never a partial answer).
        for cut in 0..good.len() {
            assert!(
                SyncResponse::from_records(&good[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(
            err(&extra).contains("after the last list"),
            "{}",
            err(&extra)
        );
        let mut magic = good.clone();
        magic[3] = 2;
        assert!(err(&magic).contains("unknown format"));
        let mut flags = good.clone();
        flags[4] = 0x80;
        assert!(err(&flags).contains("flag bits"));
        // A huge count is refused before anything is reserved.
        let mut huge = good[..5].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(err(&huge).contains("entries but only"), "{}", err(&huge));
        // A record whose inner format byte is wrong.
        let mut inner = good.clone();
        inner[13] = 9;
        assert!(err(&inner).contains("byte 13"), "{}", err(&inner));
        // A record length shorter than a record.
        let mut short = good.clone();
        short[9..13].copy_from_slice(&10u32.to_be_bytes());
        assert!(err(&short).contains("too short"), "{}", err(&short));
    }

    #[test]
    fn accept_negotiation() {
        for yes in [
            RECORDS_MEDIA_TYPE,
            "application/vnd.livecard.records, application/json;q=0.5",
            "application/json;q=0.1, APPLICATION/VND.LIVECARD.RECORDS",
            "application/vnd.livecard.records;q=0.9",
        ] {
            assert!(accepts_records(yes), "{yes}");
        }
        for no in [
            "",
            "*/*",
            "application/*",
            "application/json",
            "application/vnd.livecard.records;q=0",
            "application/vnd.livecard.recordsx",
        ] {
            assert!(!accepts_records(no), "{no}");
        }
        assert!(is_records_media_type("application/vnd.livecard.records"));
        assert!(is_records_media_type(
            "Application/Vnd.Livecard.Records; x=1"
        ));
        assert!(!is_records_media_type("application/json"));
    }
}
