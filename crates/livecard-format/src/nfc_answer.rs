//! What a phone's NFC code hands over for a tag, read leniently (issue 13).
//!
//! The native side of an NFC plugin answers a scan with JSON. The shapes seen in practice:
//!
//! * Android (`tauri-plugin-nfc` 2.4.2 `NfcPlugin.kt` and our `livecard-nfc` plugin):
//!   `{"id":[…],"kind":["android.nfc.tech.NfcA",…],"records":[{"tnf":1,"kind":[…],"id":[…],
//!   "payload":[…]}]}`. Upstream puts Kotlin `Byte`s into a `JSONArray`, so bytes are
//!   *signed* (−128..127); ours masks them with `0xff` (0..255).
//! * iOS (`NfcPlugin.swift`): the same with `[UInt8]` (0..255), `kind` such as `["MiFare"]`,
//!   maybe `readOnly`; an NDEF reader session answers only `{"records":[…]}`.
//! * Either, bare or wrapped as `{"tag": …}` (upstream's `ScanResponse`).
//! * Our plugin adds `maxSize` (the largest NDEF message the tag takes), `writable`,
//!   `chip` (`ntag213`/`ntag215`/`ntag216` when identified) and `ndef` (the tag speaks NDEF).
//!
//! [`parse_answer`] takes any of these: bytes are masked with `0xff` (numbers outside
//! −128..255 are refused, naming where), unknown fields are ignored, records may come in any
//! order; empty (TNF 0) records are dropped. It never panics.

use serde_json::Value;

use crate::ndef::{self, NdefError, Record, Tnf};

/// Largest answer accepted (a tag holds at most a few KiB; its JSON is ~4 bytes per byte).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why a plugin answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NfcAnswerError {
    #[error("the NFC answer is not valid JSON: {0}")]
    Json(String),
    #[error("the NFC answer is too large ({0} bytes; at most 1 MiB)")]
    TooLarge(usize),
    #[error("the NFC answer is not a tag: {0}")]
    Shape(String),
    #[error("{field}[{index}] is {value}: not a byte (expected a whole number from -128 to 255)")]
    BadByte {
        field: String,
        index: usize,
        value: String,
    },
    #[error("{field}: {why}")]
    BadField { field: String, why: String },
    #[error("the tag is empty (no NDEF records): nothing to add")]
    Empty,
    #[error("the tag is not NDEF-formatted (it offers {0}): it holds no card")]
    NotNdef(String),
    #[error("the tag's records do not form an NDEF message: {0}")]
    Ndef(#[from] NdefError),
}

impl NfcAnswerError {
    /// The message in Chinese, for the UI (the `Display` text is the English one).
    pub fn message_zh(&self) -> String {
        match self {
            NfcAnswerError::Json(_) | NfcAnswerError::Shape(_) => {
                "NFC 读取结果无法识别（不是标签数据）".into()
            }
            NfcAnswerError::TooLarge(_) => "NFC 读取结果过大".into(),
            NfcAnswerError::BadByte { field, index, .. } => {
                format!("NFC 读取结果中 {field}[{index}] 不是字节")
            }
            NfcAnswerError::BadField { field, .. } => format!("NFC 读取结果中 {field} 无效"),
            NfcAnswerError::Empty => "这个标签是空的，未添加任何内容".into(),
            NfcAnswerError::NotNdef(_) => "这个标签不是 NDEF 格式，里面没有名片".into(),
            NfcAnswerError::Ndef(e) => format!("标签数据无效：{}", e.message),
        }
    }

    /// A short machine-readable kind for the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            NfcAnswerError::Empty => "nfc_empty",
            NfcAnswerError::NotNdef(_) => "nfc_not_ndef",
            _ => "nfc_bad_answer",
        }
    }
}

/// A tag as the phone reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NfcAnswer {
    /// The tag's UID (empty when not given).
    pub id: Vec<u8>,
    /// Technologies (Android techList without `android.nfc.tech.`, or iOS kinds).
    pub tech: Vec<String>,
    /// The NDEF records, in the order given, TNF-empty records dropped.
    pub records: Vec<Record>,
    /// Largest NDEF message the tag takes, in bytes (Android `Ndef.getMaxSize`, iOS
    /// `queryNDEFStatus` capacity).
    pub max_size: Option<usize>,
    /// Whether the tag can be written (`writable`, or the negation of iOS `readOnly`).
    pub writable: Option<bool>,
    /// The chip, when the plugin identified it (e.g. `ntag215`), lower case.
    pub chip: Option<String>,
    /// Whether the tag speaks NDEF: the plugin's `ndef` field, else `Ndef` in the tech list.
    pub ndef: Option<bool>,
}

impl NfcAnswer {
    /// The NDEF message of the records (for `exchange::decode_nfc`). Refused: no records (an
    /// empty or non-NDEF tag), or records no NDEF message can hold.
    pub fn message(&self) -> Result<Vec<u8>, NfcAnswerError> {
        if self.records.is_empty() {
            return Err(self.nothing_on_it());
        }
        Ok(ndef::encode_message(&self.records)?)
    }

    /// The error for a tag without records: not NDEF-formatted, or empty.
    pub fn nothing_on_it(&self) -> NfcAnswerError {
        if self.ndef == Some(false) {
            let tech = if self.tech.is_empty() {
                "no NDEF technology".to_string()
            } else {
                self.tech.join(", ")
            };
            NfcAnswerError::NotNdef(tech)
        } else {
            NfcAnswerError::Empty
        }
    }
}

/// Parses an answer given as JSON text.
pub fn parse_answer(json: &str) -> Result<NfcAnswer, NfcAnswerError> {
    if json.len() > MAX_ANSWER_BYTES {
        return Err(NfcAnswerError::TooLarge(json.len()));
    }
    let value: Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))
        .map_err(|e| NfcAnswerError::Json(e.to_string()))?;
    parse_value(&value)
}

/// Parses an answer already parsed as JSON.
pub fn parse_value(value: &Value) -> Result<NfcAnswer, NfcAnswerError> {
    let obj = match value {
        // `{"tag": {…}}` (upstream's ScanResponse) — unwrap once.
        Value::Object(o) => match o.get("tag") {
            Some(Value::Object(inner)) => inner,
            Some(Value::Null) | None => o,
            Some(other) => {
                return Err(NfcAnswerError::Shape(format!(
                    "\"tag\" is {}, expected an object",
                    type_name(other)
                )))
            }
        },
        // A bare list of records.
        Value::Array(_) => {
            return Ok(NfcAnswer {
                records: records(value, "records")?,
                ..NfcAnswer::default()
            })
        }
        other => {
            return Err(NfcAnswerError::Shape(format!(
                "expected an object with \"records\", got {}",
                type_name(other)
            )))
        }
    };
    if !(obj.contains_key("records") || obj.contains_key("id") || obj.contains_key("kind")) {
        return Err(NfcAnswerError::Shape(
            "expected an object with \"records\" (and maybe \"id\", \"kind\")".into(),
        ));
    }
    let tech = match obj.get("kind").or_else(|| obj.get("techList")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![tech_name(s)],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(tech_name(s)),
                other => Err(NfcAnswerError::BadField {
                    field: format!("kind[{i}]"),
                    why: format!("{} where a technology name was expected", type_name(other)),
                }),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(NfcAnswerError::BadField {
                field: "kind".into(),
                why: format!(
                    "{} where a list of technologies was expected",
                    type_name(other)
                ),
            })
        }
    };
    let id = optional_bytes(obj.get("id"), "id")?;
    let records = match obj.get("records") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => records(v, "records")?,
    };
    let max_size = match obj.get("maxSize").or_else(|| obj.get("capacity")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            whole(v)
                .filter(|n| (0..=i64::from(u32::MAX)).contains(n))
                .map(|n| n as usize)
                .ok_or_else(|| NfcAnswerError::BadField {
                    field: "maxSize".into(),
                    why: format!("{v} is not a size in bytes"),
                })?,
        ),
    };
    let writable = match (obj.get("writable"), obj.get("readOnly")) {
        (Some(Value::Bool(w)), _) => Some(*w),
        (_, Some(Value::Bool(ro))) => Some(!*ro),
        _ => None,
    };
    let chip = match obj.get("chip") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_ascii_lowercase()),
        _ => None,
    };
    let ndef = match obj.get("ndef") {
        Some(Value::Bool(b)) => Some(*b),
        _ if tech.iter().any(|t| t == "Ndef") => Some(true),
        // An Android tech list without Ndef: the tag is blank or speaks something else.
        _ if tech.iter().any(|t| is_android_tech(t)) => Some(false),
        _ => None,
    };
    Ok(NfcAnswer {
        id,
        tech,
        records,
        max_size,
        writable,
        chip,
        ndef,
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn tech_name(s: &str) -> String {
    s.trim()
        .strip_prefix("android.nfc.tech.")
        .unwrap_or(s.trim())
        .to_string()
}

fn is_android_tech(t: &str) -> bool {
    matches!(
        t,
        "NfcA"
            | "NfcB"
            | "NfcF"
            | "NfcV"
            | "IsoDep"
            | "MifareClassic"
            | "MifareUltralight"
            | "NdefFormatable"
            | "NfcBarcode"
    )
}

/// A JSON number that is a whole number (`12` or `12.0`).
fn whole(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
}

fn bytes(v: &Value, field: &str) -> Result<Vec<u8>, NfcAnswerError> {
    let Value::Array(items) = v else {
        return Err(NfcAnswerError::BadField {
            field: field.to_string(),
            why: format!("{} where a list of bytes was expected", type_name(v)),
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match whole(item) {
            // Kotlin's signed bytes and Swift's unsigned ones are the same byte.
            Some(n @ -128..=255) => Ok((n & 0xff) as u8),
            _ => Err(NfcAnswerError::BadByte {
                field: field.to_string(),
                index,
                value: item.to_string(),
            }),
        })
        .collect()
}

fn optional_bytes(v: Option<&Value>, field: &str) -> Result<Vec<u8>, NfcAnswerError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => bytes(v, field),
    }
}

fn records(v: &Value, field: &str) -> Result<Vec<Record>, NfcAnswerError> {
    let Value::Array(items) = v else {
        return Err(NfcAnswerError::BadField {
            field: field.to_string(),
            why: format!("{} where a list of records was expected", type_name(v)),
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Value::Object(r) = item else {
            return Err(NfcAnswerError::BadField {
                field: at,
                why: format!("{} where a record was expected", type_name(item)),
            });
        };
        // `tnf` as both plugins answer; `format` as upstream's write request names it.
        let tnf_value = r.get("tnf").or_else(|| r.get("format"));
        let tnf = match tnf_value {
            None | Some(Value::Null) => {
                return Err(NfcAnswerError::BadField {
                    field: format!("{at}.tnf"),
                    why: "missing".into(),
                })
            }
            Some(v) => whole(v)
                .and_then(|n| u8::try_from(n).ok())
                .and_then(Tnf::from_bits)
                .ok_or_else(|| NfcAnswerError::BadField {
                    field: format!("{at}.tnf"),
                    why: format!("{v} is not a record type name format (0-6)"),
                })?,
        };
        let record = Record {
            tnf,
            record_type: optional_bytes(
                r.get("kind").or_else(|| r.get("type")),
                &format!("{at}.kind"),
            )?,
            id: optional_bytes(
                r.get("id").or_else(|| r.get("identifier")),
                &format!("{at}.id"),
            )?,
            payload: optional_bytes(r.get("payload"), &format!("{at}.payload"))?,
        };
        if record.tnf == Tnf::Empty {
            // What Android reports for a formatted but empty tag; carries nothing.
            continue;
        }
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_and_unsigned_bytes_are_the_same_byte() {
        let a =
            parse_answer(r#"{"records":[{"tnf":2,"kind":[116],"id":[],"payload":[-28,-67,-96]}]}"#)
                .unwrap();
        let b = parse_answer(
            r#"{"tag":{"records":[{"tnf":2,"kind":[116],"id":[],"payload":[228,189,160]}]}}"#,
        )
        .unwrap();
        assert_eq!(a.records, b.records);
        assert_eq!(a.records[0].payload, "你".as_bytes());
    }

    #[test]
    fn out_of_range_numbers_name_their_place() {
        let e =
            parse_answer(r#"{"records":[{"tnf":1,"kind":[85],"payload":[0, 256]}]}"#).unwrap_err();
        assert_eq!(
            e,
            NfcAnswerError::BadByte {
                field: "records[0].payload".into(),
                index: 1,
                value: "256".into()
            }
        );
        assert!(parse_answer(r#"{"records":[{"tnf":1,"kind":[-129]}]}"#).is_err());
        assert!(parse_answer(r#"{"records":[{"tnf":1,"kind":[1.5]}]}"#).is_err());
        assert!(parse_answer(r#"{"records":[{"tnf":9}]}"#).is_err());
        assert!(parse_answer("[1,2]").is_err());
        assert!(parse_answer("\"x\"").is_err());
        assert!(parse_answer("{}").is_err());
    }
}
