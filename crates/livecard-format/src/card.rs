//! The card model: every field of DESIGN.md §1, its validation and its limits.
//!
//! A [`Card`] is plain data. Values typed by a person go through [`Card::set`] / [`Card::add`],
//! which normalise (phone numbers to E.164, websites to absolute URLs) and refuse bad values with
//! a [`FieldError`] naming the field. Values read from outside files (vCard import) use the
//! lenient `*_lenient` normalisers, which never refuse: they keep what cannot be normalised so
//! that an import loses nothing. [`Card::validate`] checks the size limits of a whole card.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A business card. JSON field names are the CLI's field names (`mobile`, `phone`, …);
/// multi-valued fields are arrays, absent text fields are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct Card {
    /// Display name (vCard FN), e.g. "张三丰" or "John Doe".
    pub name: String,
    /// Family name (vCard N, first component).
    pub family: String,
    /// Given name (vCard N, second component).
    pub given: String,
    /// A small image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Avatar>,
    pub company: String,
    pub title: String,
    pub industry: String,
    /// Mobile numbers, E.164 when they could be parsed.
    pub mobile: Vec<String>,
    /// Landline numbers, E.164 when they could be parsed.
    pub phone: Vec<String>,
    /// Fax numbers, E.164 when they could be parsed.
    pub fax: Vec<String>,
    pub email: Vec<String>,
    pub address: Vec<Address>,
    pub website: Vec<String>,
    pub qq: String,
    pub wechat: String,
    pub aliwangwang: String,
    pub msn: String,
    pub weibo: String,
    pub dingtalk: String,
    /// A free line: industry news, an offer.
    pub bulletin: String,
    /// A temporary number ("phone dead, reach me on X"), valid until `temp_until`.
    pub temp_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_until: Option<DateTime<Utc>>,
    /// Single-line text fields added after the first release ([`Slot::Extra`] rows of the
    /// field table), by key: `{"wecom": "zhangsan"}`. In JSON they are top-level members like
    /// every other field; reading keeps only string values of keys the table has, so unknown
    /// members are ignored as before.
    #[serde(flatten, with = "extra_serde")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: BTreeMap<String, String>,
    /// The card's inbox key (issue 16, "send mine back"): not a user field (not in
    /// [`Field`]); set by the owner's client when it publishes. A malformed member is read as
    /// absent, so a future shape never makes the card unreadable.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "inbox_lenient"
    )]
    pub inbox: Option<InboxKey>,
}

/// A card's inbox public key (X25519): the compact JSON member `"inbox": {"key": "<32 bytes
/// base64url>"}`. Whoever holds the card can seal a message to it (`crypto::inbox`); only the
/// owner, who keeps the private half, can open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxKey {
    #[serde(with = "b64url_32")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub key: [u8; 32],
}

impl InboxKey {
    /// The key id the server knows this key by (first 16 bytes of its SHA-256).
    pub fn key_id(&self) -> crate::wire::InboxKeyId {
        crate::wire::InboxKeyId::from_public_key(&self.key)
    }
}

fn inbox_lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<InboxKey>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

mod b64url_32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::wire::b64url_encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let bytes = crate::wire::b64url_decode(&s).map_err(serde::de::Error::custom)?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom("expected 32 bytes"))
    }
}

/// A small image, stored inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Avatar {
    /// MIME type, e.g. `image/jpeg`.
    pub mime: String,
    /// The image bytes; base64 in JSON.
    #[serde(with = "b64")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub data: Vec<u8>,
}

/// A postal address, structured as vCard ADR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Address {
    pub po_box: String,
    pub extended: String,
    pub street: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl Address {
    /// An address typed as one line goes into `street`.
    pub fn from_text(text: &str) -> Self {
        Address {
            street: text.trim().to_string(),
            ..Default::default()
        }
    }

    /// All parts joined for display and search, skipping empty ones.
    pub fn to_line(&self) -> String {
        [
            &self.po_box,
            &self.extended,
            &self.street,
            &self.locality,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }

    pub fn is_empty(&self) -> bool {
        self.to_line().is_empty()
    }

    fn parts(&self) -> [&String; 7] {
        [
            &self.po_box,
            &self.extended,
            &self.street,
            &self.locality,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
    }
}

pub use crate::fields::Field;
use crate::fields::{Check, Kind, Length, Slot, FIELDS};

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Field::from_name(s).ok_or_else(|| FieldError {
            field: s.to_string(),
            message: format!(
                "unknown field {s:?}; known fields: {}",
                Field::ALL.map(Field::as_str).join(", ")
            ),
        })
    }
}

/// One refused value: which field and why, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: Field, message: impl Into<String>) -> Self {
        FieldError {
            field: field.as_str().to_string(),
            message: message.into(),
        }
    }
}

/// Every problem found in a card at once, so a form can mark all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("invalid card: {}", .errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct CardError {
    pub errors: Vec<FieldError>,
}

/// Size limits of one card. The defaults are what the server and the stores accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Characters in one text value (name, company, one address part, …).
    pub text_chars: usize,
    /// Characters of the bulletin line.
    pub bulletin_chars: usize,
    /// Values in one multi-valued field.
    pub values_per_field: usize,
    /// Bytes of the avatar image.
    pub avatar_bytes: usize,
    /// Bytes of the whole card as JSON.
    pub card_bytes: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        text_chars: 256,
        bulletin_chars: 280,
        values_per_field: 10,
        avatar_bytes: 64 * 1024,
        card_bytes: 128 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The default region for numbers typed without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(pub phonenumber::country::Id);

impl Default for Region {
    fn default() -> Self {
        Region(phonenumber::country::Id::CN)
    }
}

impl FromStr for Region {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .to_ascii_uppercase()
            .parse::<phonenumber::country::Id>()
            .map(Region)
            .map_err(|_| FieldError {
                field: "region".into(),
                message: format!("{s:?} is not a two-letter region code such as CN or US"),
            })
    }
}

/// Parse a phone number typed by a person; E.164 on success, an extension kept after it as
/// `;ext=N` (the RFC 3966 tail vCard import keeps too: E.164 itself has no extension, and
/// dropping it would lose digits the user typed).
///
/// Storage decision (issue 14 item 1, "stored as entered"): a valid number is kept in this
/// canonical form — every digit the user entered, nothing lost — because tel:/sms: actions,
/// vCard export, duplicate detection, search by digits and other clients read it; how it was
/// spaced is not kept, since [`format_phone`] shows it formatted for the viewer's region
/// anyway. A number that does not parse is refused when typed and kept exactly as written
/// when read from a file ([`normalize_phone_lenient`]).
pub fn normalize_phone(field: Field, value: &str, region: Region) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "empty phone number"));
    }
    match phonenumber::parse(Some(region.0), v) {
        Ok(n) if phonenumber::is_valid(&n) => {
            let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
            Ok(match n.extension().map(ToString::to_string) {
                Some(ext) if !ext.is_empty() => format!("{e164};ext={ext}"),
                _ => e164,
            })
        }
        Ok(_) => Err(FieldError::new(
            field,
            format!("{v:?} is not a valid phone number (region {:?})", region.0),
        )),
        Err(e) => Err(FieldError::new(
            field,
            format!("{v:?} is not a phone number: {e}"),
        )),
    }
}

/// Parse a phone number from an outside file: E.164 when valid, else the trimmed original.
pub fn normalize_phone_lenient(value: &str, region: Region) -> String {
    normalize_phone(Field::Phone, value, region).unwrap_or_else(|_| value.trim().to_string())
}

/// How a person reads a stored number: a number of the viewer's region in its national
/// format ("138 0013 8000", "010 6552 9988"), any other in international format
/// ("+1 650-253-0000"), an extension after it ("… ext. 12"). A value that is not a valid
/// number in international form (kept as written from a file) is shown as stored. Only for
/// display: what is stored, dialled and exported stays the canonical value.
pub fn format_phone(stored: &str, viewer: Region) -> String {
    let v = stored.trim();
    // Only the stored form (E.164, maybe `;ext=N`): the parser would also pick a number out
    // of free text kept from a file, which must be shown as it was written.
    if !is_stored_number(v) {
        return stored.to_string();
    }
    // The parser reads an extension written as text ("… ext. 12"), not the `;ext=` tail.
    match phonenumber::parse(None, v.replacen(";ext=", " ext. ", 1)) {
        Ok(n) if phonenumber::is_valid(&n) => {
            let mode = if n.country().id() == Some(viewer.0) {
                phonenumber::Mode::National
            } else {
                phonenumber::Mode::International
            };
            n.format().mode(mode).to_string()
        }
        _ => stored.to_string(),
    }
}

/// `+` and 2 to 15 digits, maybe `;ext=` and 1 to 10 digits: what [`normalize_phone`] stores.
fn is_stored_number(v: &str) -> bool {
    let (number, ext) = match v.split_once(";ext=") {
        Some((n, e)) => (n, Some(e)),
        None => (v, None),
    };
    let digits =
        |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    number
        .strip_prefix('+')
        .is_some_and(|d| d.len() >= 2 && digits(d, 15))
        && ext.is_none_or(|e| digits(e, 10))
}

/// Check an email address typed by a person.
pub fn normalize_email(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if email_address::EmailAddress::is_valid(v) {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(
            Field::Email,
            format!("{v:?} is not an email address"),
        ))
    }
}

/// Check a website typed by a person; `example.com` becomes `https://example.com/`.
pub fn normalize_url(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let with_scheme = if v.contains("://") {
        v.to_string()
    } else {
        format!("https://{v}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        _ => Err(FieldError::new(
            Field::Website,
            format!("{v:?} is not a web address (http or https)"),
        )),
    }
}

/// Split a display name into (family, given): "John Doe" → ("Doe", "John");
/// "张三丰" → ("张", "三丰"); two-character Chinese surnames like 欧阳 are kept whole.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    if name.chars().any(is_cjk) && !name.contains(' ') {
        const COMPOUND: [&str; 12] = [
            "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
            "司徒",
        ];
        let chars: Vec<char> = name.chars().collect();
        let n = if chars.len() > 2 && COMPOUND.iter().any(|c| name.starts_with(c)) {
            2
        } else {
            1
        };
        let n = n.min(chars.len());
        return (
            chars[..n].iter().collect(),
            chars[n..].iter().collect::<String>(),
        );
    }
    match name.rsplit_once(' ') {
        Some((given, family)) => (family.trim().to_string(), given.trim().to_string()),
        None => (String::new(), name.to_string()),
    }
}

/// Han ideographs (CJK unified, extension A, compatibility).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The field table's extra [`Check`] on a trimmed single-line value (empty passes); the
/// value as stored (a Telegram name without its `@`).
pub fn check_value(field: Field, v: &str) -> Result<String, FieldError> {
    if v.is_empty() {
        return Ok(String::new());
    }
    match field.spec().check {
        Check::None => Ok(v.to_string()),
        Check::Digits { min, max } => {
            if (min..=max).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit()) {
                Ok(v.to_string())
            } else {
                Err(FieldError::new(
                    field,
                    format!(
                        "{v:?} is not a {} number ({min} to {max} digits)",
                        field.spec().label_en
                    ),
                ))
            }
        }
        Check::Username { min, max } => {
            let name = v.strip_prefix('@').unwrap_or(v);
            if (min..=max).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                Ok(name.to_string())
            } else {
                Err(FieldError::new(
                    field,
                    format!(
                        "{v:?} is not a {} user name ({min} to {max} letters, digits or _)",
                        field.spec().label_en
                    ),
                ))
            }
        }
    }
}

fn check_single_line(field: Field, v: &str, max: usize) -> Result<String, FieldError> {
    let v = v.trim();
    if v.contains(['\n', '\r']) {
        return Err(FieldError::new(field, "must be a single line"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            format!("too long: {n} characters, at most {max}"),
        ));
    }
    Ok(v.to_string())
}

impl Card {
    /// The name to show: `name`, else given + family, else the company, else the first
    /// number or email.
    pub fn display_name(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.trim().to_string();
        }
        let joined = if self.family.chars().any(is_cjk) {
            format!("{}{}", self.family, self.given)
        } else {
            format!("{} {}", self.given, self.family)
        };
        let joined = joined.trim().to_string();
        if !joined.is_empty() {
            return joined;
        }
        [&self.company]
            .into_iter()
            .chain(self.mobile.iter())
            .chain(self.phone.iter())
            .chain(self.email.iter())
            .find(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_default()
    }

    /// The temporary number while it is valid at `now`.
    pub fn active_temp_number(&self, now: DateTime<Utc>) -> Option<&str> {
        match self.temp_until {
            Some(until) if until > now && !self.temp_number.is_empty() => Some(&self.temp_number),
            _ => None,
        }
    }

    /// The value of a single-valued text field ([`Slot::Text`] or [`Slot::Extra`]); `None`
    /// for lists, the address, the avatar and the expiry.
    pub fn text(&self, field: Field) -> Option<&str> {
        match field.spec().slot {
            Slot::Text(get, _) => Some(get(self).as_str()),
            Slot::Extra => Some(self.extra.get(field.as_str()).map_or("", String::as_str)),
            _ => None,
        }
    }

    /// Store `value` as it is in a single-valued text field (an empty value removes it);
    /// false for other fields. No normalisation: [`Card::set`] is for typed values.
    pub fn put_text(&mut self, field: Field, value: String) -> bool {
        match field.spec().slot {
            Slot::Text(_, get) => *get(self) = value,
            Slot::Extra if value.is_empty() => {
                self.extra.remove(field.as_str());
            }
            Slot::Extra => {
                self.extra.insert(field.as_str().to_string(), value);
            }
            _ => return false,
        }
        true
    }

    /// The values of a list field of strings (mobile, phone, fax, email, website).
    pub fn list(&self, field: Field) -> Option<&Vec<String>> {
        match field.spec().slot {
            Slot::List(get, _) => Some(get(self)),
            _ => None,
        }
    }

    /// The values of a list field of strings, to change them.
    pub fn list_mut(&mut self, field: Field) -> Option<&mut Vec<String>> {
        match field.spec().slot {
            Slot::List(_, get) => Some(get(self)),
            _ => None,
        }
    }

    /// Every value of `field` as shown in one line each (addresses joined, the avatar as its
    /// type and size, the expiry in RFC 3339); empty values left out.
    pub fn values(&self, field: Field) -> Vec<String> {
        let mut out: Vec<String> = match field.spec().slot {
            Slot::Text(..) | Slot::Extra => {
                self.text(field).map(str::to_string).into_iter().collect()
            }
            Slot::List(get, _) => get(self).clone(),
            Slot::Address => self.address.iter().map(Address::to_line).collect(),
            Slot::Avatar => self
                .avatar
                .iter()
                .map(|a| format!("{}, {} bytes", a.mime, a.data.len()))
                .collect(),
            Slot::Time => self.temp_until.iter().map(|t| t.to_rfc3339()).collect(),
        };
        out.retain(|v| !v.trim().is_empty());
        out
    }

    /// Every phone-kind field of the table that has a value, as [`format_phone`] shows it in
    /// `viewer`'s region, by key: `{"mobile": ["138 0013 8000"], "temp_number": [...]}`.
    /// Lists keep their indexes (`phones_shown["mobile"][i]` is `mobile[i]` formatted).
    pub fn phones_shown(&self, viewer: Region) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for spec in FIELDS.iter().filter(|s| s.kind == Kind::Phone) {
            let values: Vec<String> = match spec.slot {
                Slot::List(get, _) => get(self).iter().map(|v| format_phone(v, viewer)).collect(),
                _ => self
                    .text(spec.field)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| format_phone(v, viewer))
                    .into_iter()
                    .collect(),
            };
            if !values.is_empty() {
                out.insert(spec.key().to_string(), values);
            }
        }
        out
    }

    /// Replace a field with one value typed by a person (an empty value clears it).
    pub fn set(&mut self, field: Field, value: &str, region: Region) -> Result<(), FieldError> {
        if field.is_multi() {
            // Build on a copy so a refused value leaves the card as it was.
            let mut next = self.clone();
            match next.list_mut(field) {
                Some(list) => list.clear(),
                None => next.address.clear(),
            }
            if !value.trim().is_empty() {
                next.add(field, value, region)?;
            }
            *self = next;
            return Ok(());
        }
        self.set_single(field, value, region)
    }

    /// Append a value to a multi-valued field (on a single-valued field this is `set`).
    pub fn add(&mut self, field: Field, value: &str, region: Region) -> Result<(), FieldError> {
        if !field.is_multi() {
            return self.set_single(field, value, region);
        }
        let limits = Limits::DEFAULT;
        if value.trim().is_empty() {
            return Err(FieldError::new(field, "empty value"));
        }
        let v = match field.kind() {
            Kind::Address => {
                let v = check_single_line(field, value, limits.text_chars)?;
                if self.address.len() >= limits.values_per_field {
                    return Err(too_many(field, limits));
                }
                self.address.push(Address::from_text(&v));
                return Ok(());
            }
            Kind::Phone => normalize_phone(field, value, region)?,
            Kind::Email => normalize_email(&check_single_line(field, value, limits.text_chars)?)?,
            Kind::Url => normalize_url(&check_single_line(field, value, limits.text_chars)?)?,
            _ => check_single_line(field, value, limits.text_chars)?,
        };
        match self.list_mut(field) {
            Some(list) => push_unique(list, v, field, limits),
            None => Err(FieldError::new(field, "not a list of values")),
        }
    }

    fn set_single(&mut self, field: Field, value: &str, region: Region) -> Result<(), FieldError> {
        let spec = field.spec();
        let limits = Limits::DEFAULT;
        let max = match spec.length {
            Length::Bulletin => limits.bulletin_chars,
            Length::Text => limits.text_chars,
        };
        let v = match spec.kind {
            Kind::Image => {
                return Err(FieldError::new(
                    field,
                    "set the avatar from an image file, not from text",
                ))
            }
            Kind::Datetime => {
                let v = value.trim();
                if v.is_empty() {
                    self.temp_until = None;
                    return Ok(());
                }
                let t = DateTime::parse_from_rfc3339(v).map_err(|e| {
                    FieldError::new(
                        field,
                        format!(
                            "{v:?} is not an RFC 3339 time like 2026-11-25T18:00:00+08:00: {e}"
                        ),
                    )
                })?;
                self.temp_until = Some(t.with_timezone(&Utc));
                return Ok(());
            }
            Kind::Phone if value.trim().is_empty() => String::new(),
            Kind::Phone => normalize_phone(field, value, region)?,
            _ => check_value(field, &check_single_line(field, value, max)?)?,
        };
        if field == Field::Name {
            let (family, given) = split_name(&v);
            self.family = family;
            self.given = given;
        }
        if self.put_text(field, v) {
            Ok(())
        } else {
            Err(FieldError::new(field, "cannot be set from text"))
        }
    }

    /// Set the avatar from image bytes (checked for size and a known image type).
    pub fn set_avatar(&mut self, data: Vec<u8>) -> Result<(), FieldError> {
        let limits = Limits::DEFAULT;
        if data.len() > limits.avatar_bytes {
            return Err(FieldError::new(
                Field::Avatar,
                format!(
                    "image is {} KiB, at most {} KiB; crop or shrink it",
                    data.len() / 1024,
                    limits.avatar_bytes / 1024
                ),
            ));
        }
        let mime = sniff_image(&data)
            .ok_or_else(|| FieldError::new(Field::Avatar, "not a JPEG, PNG, GIF or WebP image"))?;
        self.avatar = Some(Avatar {
            mime: mime.to_string(),
            data,
        });
        Ok(())
    }

    /// Check the whole card against `limits`; every problem is reported.
    pub fn validate(&self, limits: &Limits) -> Result<(), CardError> {
        let mut errors = Vec::new();
        let text = |errors: &mut Vec<FieldError>, field: Field, v: &str, max: usize| {
            let n = v.chars().count();
            if n > max {
                errors.push(FieldError::new(
                    field,
                    format!("too long: {n} characters, at most {max}"),
                ));
            }
        };
        for spec in &crate::fields::FIELDS {
            let field = spec.field;
            let max = match spec.length {
                Length::Bulletin => limits.bulletin_chars,
                Length::Text => limits.text_chars,
            };
            match spec.slot {
                Slot::Text(..) | Slot::Extra => {
                    text(&mut errors, field, self.text(field).unwrap_or(""), max)
                }
                Slot::List(get, _) => {
                    let list = get(self);
                    if list.len() > limits.values_per_field {
                        errors.push(too_many(field, *limits));
                    }
                    for v in list {
                        text(&mut errors, field, v, max);
                    }
                }
                Slot::Address => {
                    if self.address.len() > limits.values_per_field {
                        errors.push(too_many(field, *limits));
                    }
                    for a in &self.address {
                        for p in a.parts() {
                            text(&mut errors, field, p, max);
                        }
                    }
                }
                Slot::Avatar | Slot::Time => {}
            }
        }
        for key in self.extra.keys() {
            let known = Field::from_name(key)
                .is_some_and(|f| f.as_str() == key && matches!(f.spec().slot, Slot::Extra));
            if !known {
                errors.push(FieldError {
                    field: key.to_string(),
                    message: format!("{key:?} is not a field of this card format"),
                });
            }
        }
        if let Some(a) = &self.avatar {
            if a.data.len() > limits.avatar_bytes {
                errors.push(FieldError::new(
                    Field::Avatar,
                    format!(
                        "image is {} KiB, at most {} KiB",
                        a.data.len() / 1024,
                        limits.avatar_bytes / 1024
                    ),
                ));
            }
            // The sealed plaintext (crypto::card_plaintext) leaves empty strings out, and an
            // avatar without its type or bytes would then not read back: a recipient could
            // not open the card at all (found by the sync_json fuzz target, docs/FUZZING.md).
            if a.mime.is_empty() || a.data.is_empty() {
                errors.push(FieldError::new(
                    Field::Avatar,
                    "an avatar needs its image bytes and their type (mime)",
                ));
            }
        }
        if !self.temp_number.is_empty() && self.temp_until.is_none() {
            errors.push(FieldError::new(
                Field::TempUntil,
                "a temporary number needs an expiry (temp_until)",
            ));
        }
        if errors.is_empty() {
            let size = serde_json::to_vec(self).map(|v| v.len()).unwrap_or(0);
            if size > limits.card_bytes {
                errors.push(FieldError {
                    field: "card".into(),
                    message: format!(
                        "card is {} KiB, at most {} KiB",
                        size / 1024,
                        limits.card_bytes / 1024
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CardError { errors })
        }
    }

    /// A new own card seeded from someone's card (patent claim 2): colleagues share the
    /// company, its address, website, fax and industry; everything personal is left out.
    pub fn seed_from(other: &Card) -> Card {
        Card {
            company: other.company.clone(),
            industry: other.industry.clone(),
            address: other.address.clone(),
            website: other.website.clone(),
            fax: other.fax.clone(),
            ..Default::default()
        }
    }

    /// All text of the card that search should see (names, company, title, numbers, emails).
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![
            &self.name,
            &self.family,
            &self.given,
            &self.company,
            &self.title,
            &self.industry,
            &self.qq,
            &self.wechat,
        ];
        parts.extend(self.mobile.iter().map(String::as_str));
        parts.extend(self.phone.iter().map(String::as_str));
        parts.extend(self.email.iter().map(String::as_str));
        parts.retain(|s| !s.is_empty());
        parts.join(" ")
    }
}

fn too_many(field: Field, limits: Limits) -> FieldError {
    FieldError::new(field, format!("at most {} values", limits.values_per_field))
}

fn push_unique(
    list: &mut Vec<String>,
    v: String,
    field: Field,
    limits: Limits,
) -> Result<(), FieldError> {
    if list.contains(&v) {
        return Ok(());
    }
    if list.len() >= limits.values_per_field {
        return Err(too_many(field, limits));
    }
    list.push(v);
    Ok(())
}

/// The MIME type of an image from its first bytes.
pub fn sniff_image(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `Card::extra` as top-level JSON members: written when not empty, read for the table's
/// [`Slot::Extra`] keys with string values only (anything else is ignored, as unknown
/// members always were).
mod extra_serde {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Field, Slot};

    pub fn serialize<S: Serializer>(v: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().filter(|(_, v)| !v.is_empty()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        let all = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        Ok(all
            .into_iter()
            .filter_map(|(k, v)| {
                let f = Field::ALL.into_iter().find(|f| f.as_str() == k)?;
                match (f.spec().slot, v) {
                    (Slot::Extra, serde_json::Value::String(s)) if !s.is_empty() => Some((k, s)),
                    _ => None,
                }
            })
            .collect())
    }
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> Region {
        Region::default()
    }

    #[test]
    fn mobile_is_normalised_to_e164_with_default_region() {
        let mut c = Card::default();
        c.set(Field::Mobile, "138 0013 8000", cn()).unwrap();
        assert_eq!(c.mobile, vec!["+8613800138000"]);
        c.add(Field::Mobile, "+1 650 253 0000", cn()).unwrap();
        assert_eq!(c.mobile.len(), 2);
        c.set(Field::Mobile, "13900139000", cn()).unwrap();
        assert_eq!(c.mobile, vec!["+8613900139000"]);
    }

    #[test]
    fn numbers_show_national_in_their_region_and_international_elsewhere() {
        let us: Region = "US".parse().unwrap();
        let hk: Region = "HK".parse().unwrap();
        let de: Region = "DE".parse().unwrap();
        // CN mobile and Beijing landline, seen from CN and from elsewhere.
        assert_eq!(format_phone("+8613800138000", cn()), "138 0013 8000");
        assert_eq!(format_phone("+861065529988", cn()), "010 6552 9988");
        assert_eq!(format_phone("+8613800138000", us), "+86 138 0013 8000");
        assert_eq!(format_phone("+861065529988", de), "+86 10 6552 9988");
        // Hong Kong, the US and Germany, at home and from CN.
        assert_eq!(format_phone("+85221234567", hk), "2123 4567");
        assert_eq!(format_phone("+85221234567", cn()), "+852 2123 4567");
        assert_eq!(format_phone("+16502530000", us), "(650) 253-0000");
        assert_eq!(format_phone("+16502530000", cn()), "+1 650-253-0000");
        assert_eq!(format_phone("+4930123456", de), "030 123456");
        assert_eq!(format_phone("+4930123456", cn()), "+49 30 123456");
        // What a user typed in either form reads back the same once stored.
        let typed = normalize_phone(Field::Mobile, "138-0013-8000", cn()).unwrap();
        assert_eq!(format_phone(&typed, cn()), "138 0013 8000");
    }

    #[test]
    fn an_extension_is_stored_and_shown() {
        let us: Region = "US".parse().unwrap();
        let stored = normalize_phone(Field::Phone, "+1 650 253 0000 ext. 123", cn()).unwrap();
        assert_eq!(
            stored, "+16502530000;ext=123",
            "the extension's digits are kept"
        );
        assert_eq!(format_phone(&stored, cn()), "+1 650-253-0000 ext. 123");
        assert_eq!(format_phone(&stored, us), "(650) 253-0000 ext. 123");
        // Stored again from what is shown: the same value.
        assert_eq!(
            normalize_phone(Field::Phone, &format_phone(&stored, cn()), cn()).unwrap(),
            stored
        );
    }

    #[test]
    fn a_number_that_does_not_parse_is_shown_as_stored() {
        for stored in [
            "12345",
            "call the front desk",
            "+86 12",
            "+",
            "",
            "  ",
            "138 0013 8000",
            "+86 138 0013 8000 <b>",
            "+8613800138000;ext=",
        ] {
            assert_eq!(format_phone(stored, cn()), stored);
        }
        // Kept as written from a file, shown as written.
        let kept = normalize_phone_lenient("ask for Li: 8000", cn());
        assert_eq!(format_phone(&kept, cn()), "ask for Li: 8000");
    }

    #[test]
    fn phones_shown_keeps_indexes_and_covers_every_phone_field() {
        let mut c = Card::default();
        c.set(Field::Mobile, "13800138000", cn()).unwrap();
        c.add(Field::Mobile, "+1 650 253 0000", cn()).unwrap();
        c.mobile.push("not a number".into());
        c.set(Field::Fax, "010 6552 9988", cn()).unwrap();
        c.set(Field::TempNumber, "13700137000", cn()).unwrap();
        c.set(Field::Email, "a@b.example", cn()).unwrap();
        let shown = c.phones_shown(cn());
        assert_eq!(
            shown["mobile"],
            ["138 0013 8000", "+1 650-253-0000", "not a number"]
        );
        assert_eq!(shown["fax"], ["010 6552 9988"]);
        assert_eq!(shown["temp_number"], ["137 0013 7000"]);
        assert!(!shown.contains_key("phone") && !shown.contains_key("email"));
        // Stored values are untouched.
        assert_eq!(c.mobile[0], "+8613800138000");
    }

    #[test]
    fn region_is_configurable() {
        let us: Region = "us".parse().unwrap();
        assert_eq!(
            normalize_phone(Field::Phone, "(650) 253-0000", us).unwrap(),
            "+16502530000"
        );
        assert!("zz".parse::<Region>().is_err());
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut c = Card::default();
        let e = c.set(Field::Mobile, "12", cn()).unwrap_err();
        assert_eq!(e.field, "mobile");
        let e = c.set(Field::Email, "not-an-email", cn()).unwrap_err();
        assert_eq!(e.field, "email");
        let e = c.set(Field::Website, "ftp://x.example", cn()).unwrap_err();
        assert_eq!(e.field, "website");
        let e = c.set(Field::Qq, "12ab", cn()).unwrap_err();
        assert_eq!(e.field, "qq");
        let e = c.set(Field::TempUntil, "tomorrow", cn()).unwrap_err();
        assert_eq!(e.field, "temp_until");
        let e = c.set(Field::Company, &"x".repeat(300), cn()).unwrap_err();
        assert!(e.message.contains("too long"), "{e}");
        assert_eq!(c, Card::default(), "a refused value changes nothing");
    }

    #[test]
    fn website_gets_a_scheme() {
        assert_eq!(
            normalize_url("livecard.example").unwrap(),
            "https://livecard.example/"
        );
    }

    #[test]
    fn names_split_for_chinese_and_latin() {
        assert_eq!(split_name("张三丰"), ("张".into(), "三丰".into()));
        assert_eq!(split_name("欧阳娜娜"), ("欧阳".into(), "娜娜".into()));
        assert_eq!(split_name("John Doe"), ("Doe".into(), "John".into()));
    }

    #[test]
    fn temp_number_needs_expiry_and_expires() {
        let mut c = Card::default();
        c.set(Field::Name, "张三", cn()).unwrap();
        c.set(Field::TempNumber, "13700137000", cn()).unwrap();
        assert!(c.validate(&Limits::DEFAULT).is_err());
        c.set(Field::TempUntil, "2026-11-25T18:00:00+08:00", cn())
            .unwrap();
        c.validate(&Limits::DEFAULT).unwrap();
        let before: DateTime<Utc> = "2026-11-25T09:00:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-11-25T10:00:01Z".parse().unwrap();
        assert_eq!(c.active_temp_number(before), Some("+8613700137000"));
        assert_eq!(c.active_temp_number(after), None);
    }

    #[test]
    fn validate_reports_every_problem() {
        let c = Card {
            name: "n".repeat(300),
            mobile: vec!["1".into(); 11],
            ..Default::default()
        };
        let e = c.validate(&Limits::DEFAULT).unwrap_err();
        assert_eq!(e.errors.len(), 2, "{e}");
    }

    #[test]
    fn seed_keeps_company_fields_only() {
        let mut a = Card::default();
        a.set(Field::Name, "李四", cn()).unwrap();
        a.set(Field::Company, "华为", cn()).unwrap();
        a.set(Field::Industry, "通信", cn()).unwrap();
        a.set(Field::Fax, "010 6666 8888", cn()).unwrap();
        a.set(Field::Website, "huawei.example", cn()).unwrap();
        a.set(Field::Address, "深圳市龙岗区坂田", cn()).unwrap();
        a.set(Field::Mobile, "13800138000", cn()).unwrap();
        let s = Card::seed_from(&a);
        assert_eq!(s.company, "华为");
        assert_eq!(s.fax, a.fax);
        assert_eq!(s.address, a.address);
        assert_eq!(s.website, a.website);
        assert_eq!(s.industry, "通信");
        assert!(s.name.is_empty() && s.mobile.is_empty());
    }

    #[test]
    fn field_names_parse() {
        for f in Field::ALL {
            assert_eq!(f.as_str().parse::<Field>().unwrap(), f);
        }
        assert!("nope".parse::<Field>().is_err());
    }

    #[test]
    fn json_uses_cli_names() {
        let mut c = Card::default();
        c.set(Field::Mobile, "13800138000", cn()).unwrap();
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["mobile"][0], "+8613800138000");
        let back: Card = serde_json::from_value(j).unwrap();
        assert_eq!(back, c);
    }
}
