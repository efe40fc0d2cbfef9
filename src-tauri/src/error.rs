//! The one error type every command returns. It reaches the webview as `{kind, message}`
//! (plus `fields` when a card was refused), never as a bare string.

use livecard_format::FieldError;
use serde::Serialize;

/// An error as the UI sees it. `kind` is a stable machine word the UI switches on
/// (`invalid_input`, `not_found`, `import_failed`, `storage`, `io`, `internal`, …; the core's kinds); `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CommandError {
    #[cfg_attr(feature = "ts", ts(type = "ErrorKind"))]
    pub kind: String,
    pub message: String,
    /// Per-field problems of a refused card, so the editor can show each one in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub fields: Vec<FieldError>,
}

impl CommandError {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            kind: kind.into(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError::new("invalid_input", message)
    }
}

impl From<FieldError> for CommandError {
    fn from(e: FieldError) -> Self {
        CommandError {
            kind: "invalid_input".into(),
            message: e.to_string(),
            fields: vec![e],
        }
    }
}

impl From<livecard_format::CardError> for CommandError {
    fn from(e: livecard_format::CardError) -> Self {
        CommandError {
            kind: "invalid_input".into(),
            message: e.to_string(),
            fields: e.errors,
        }
    }
}

impl From<livecard_core::CoreError> for CommandError {
    fn from(e: livecard_core::CoreError) -> Self {
        let kind = e.kind().to_string();
        let message = e.to_string();
        let fields = match e {
            livecard_core::CoreError::InvalidField(fe) => vec![fe],
            livecard_core::CoreError::InvalidCard(ce) => ce.errors,
            _ => Vec::new(),
        };
        CommandError {
            kind,
            message,
            fields,
        }
    }
}

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        CommandError::new("io", e.to_string())
    }
}

/// The kinds only the app's commands answer (the core's are `livecard_core::error::KINDS`; the
/// NFC answer's are `nfc_empty`, `nfc_not_ndef`, `nfc_bad_answer`). Together they make the UI's
/// generated `ErrorKind` type (`tests/ipc_types.rs`). A new kind goes here too.
pub const APP_KINDS: &[&str] = &[
    "internal",
    "io",
    "corrupt",
    "share",
    "unsupported",
    "gestures_off",
    "biometric_failed",
    "nfc",
    "nfc_cancelled",
    "nfc_locked",
    "nfc_not_ndef",
    "nfc_empty",
    "nfc_bad_answer",
    "nfc_off",
    "nfc_tag_lost",
    "nfc_timeout",
    "nfc_verify_failed",
];

/// Result of every command.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let e = CommandError::new("not_found", "no card with id x");
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"kind": "not_found", "message": "no card with id x"})
        );
    }

    #[test]
    fn field_errors_travel_with_the_error() {
        let fe = FieldError {
            field: "mobile".into(),
            message: "\"12\" is not a valid phone number".into(),
        };
        let j = serde_json::to_value(CommandError::from(fe)).unwrap();
        assert_eq!(j["kind"], "invalid_input");
        assert_eq!(j["fields"][0]["field"], "mobile");
    }
}
