//! PIN format and the Argon2id hash.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Version};
use serde::{Deserialize, Serialize};

/// Shortest PIN accepted.
pub const PIN_MIN_LEN: usize = 4;
/// Longest PIN accepted.
pub const PIN_MAX_LEN: usize = 12;

/// Why a PIN was refused before it was even compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinFormatError {
    /// A character other than the ASCII digits 0–9 (full-width digits, spaces, letters).
    NotDigits,
    /// Fewer than [`PIN_MIN_LEN`] digits.
    TooShort,
    /// More than [`PIN_MAX_LEN`] digits.
    TooLong,
}

/// Checks that `pin` is 4–12 ASCII digits.
pub fn validate_pin(pin: &str) -> Result<(), PinFormatError> {
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinFormatError::NotDigits);
    }
    if pin.len() < PIN_MIN_LEN {
        return Err(PinFormatError::TooShort);
    }
    if pin.len() > PIN_MAX_LEN {
        return Err(PinFormatError::TooLong);
    }
    Ok(())
}

/// Argon2id cost parameters for hashing a new PIN. Verification always uses the parameters
/// stored in the hash itself, so changing these only affects PINs set afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl HashParams {
    /// OWASP Password Storage Cheat Sheet's first Argon2id choice: m = 19 MiB, t = 2, p = 1.
    pub const OWASP: HashParams = HashParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// The cheapest parameters argon2 accepts (8 KiB, t = 1). For tests only: they make a
    /// 4-digit PIN hash trivial to brute-force offline.
    pub const INSECURE_FOR_TESTS: HashParams = HashParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };
}

impl Default for HashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Hashes a PIN with a fresh 16-byte random salt; returns the PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
pub(crate) fn hash_pin(pin: &str, params: HashParams) -> Result<String, String> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, None)
        .map_err(|e| format!("argon2 parameters: {e}"))?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2 hash: {e}"))
}

/// Verifies a PIN against a stored PHC string (constant-time comparison inside argon2).
/// `Ok(false)` = wrong PIN; `Err` = the stored hash is unreadable.
pub(crate) fn verify_pin(pin: &str, phc: &str) -> Result<bool, String> {
    let parsed = PasswordHash::new(phc).map_err(|e| format!("stored PIN hash: {e}"))?;
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return Err(format!(
            "stored PIN hash uses {}, expected argon2id",
            parsed.algorithm
        ));
    }
    match Argon2::default().verify_password(pin.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(format!("argon2 verify: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(validate_pin("1234"), Ok(()));
        assert_eq!(validate_pin("123456789012"), Ok(()));
        assert_eq!(validate_pin("123"), Err(PinFormatError::TooShort));
        assert_eq!(validate_pin(""), Err(PinFormatError::TooShort));
        assert_eq!(validate_pin("1234567890123"), Err(PinFormatError::TooLong));
        assert_eq!(validate_pin("12a4"), Err(PinFormatError::NotDigits));
        assert_eq!(validate_pin("1234 "), Err(PinFormatError::NotDigits));
        assert_eq!(validate_pin("１２３４"), Err(PinFormatError::NotDigits));
        assert_eq!(validate_pin("-123"), Err(PinFormatError::NotDigits));
    }

    #[test]
    fn hash_is_argon2id_phc_with_random_salt_and_verifies() {
        let a = hash_pin("2580", HashParams::INSECURE_FOR_TESTS).unwrap();
        let b = hash_pin("2580", HashParams::INSECURE_FOR_TESTS).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "same PIN, different salt → different hash");
        assert!(!a.contains("2580"));
        assert_eq!(verify_pin("2580", &a), Ok(true));
        assert_eq!(verify_pin("2581", &a), Ok(false));
        assert_eq!(verify_pin("25800", &a), Ok(false));
        assert!(verify_pin("2580", "not a hash").is_err());
    }

    #[test]
    fn owasp_parameters_are_in_the_hash() {
        let h = hash_pin("123456", HashParams::OWASP).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify_pin("123456", &h), Ok(true));
    }
}
