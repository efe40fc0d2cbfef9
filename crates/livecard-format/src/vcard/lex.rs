//! The vCard content-line layer: physical lines → cards of raw properties, and value decoding
//! (quoted-printable, base64, charsets). Knows nothing of the card model.
//!
//! Hand-written because no maintained crate reads vCard 2.1 as phones write it: `ical` and
//! `vcard_parser` read lines as UTF-8 `String`s (GBK bytes fail before any CHARSET is seen) and
//! know neither quoted-printable soft line breaks nor 2.1 base64 blocks ended by a blank line.
//! The decoders themselves are crates: `quoted_printable`, `encoding_rs`, `base64`.

use base64::Engine;

use super::VcardError;

/// Largest input accepted (bytes). Bigger files are refused before any parsing.
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;
/// Largest logical line (a property after unfolding), in bytes. A photo within the avatar
/// limit is ~88 KiB of base64; 1 MiB leaves room for big photos that are then dropped with a
/// warning, and refuses a 10 MB line at once.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One property as read: `group.NAME;PARAM=V:value`, value still encoded.
#[derive(Debug, Clone)]
pub(crate) struct RawProp {
    /// 1-based physical line where the property starts.
    pub line: usize,
    /// Group in lower case (`item1`), if any.
    pub group: Option<String>,
    /// Property name in upper case.
    pub name: String,
    /// Parameters, names upper case. 2.1 bare parameters become `TYPE` (or `ENCODING` for
    /// QUOTED-PRINTABLE/BASE64/8BIT/7BIT/B).
    pub params: Vec<(String, String)>,
    /// The value bytes: unfolded, quoted-printable soft breaks joined, not decoded.
    pub value: Vec<u8>,
    /// The value ended with a quoted-printable soft break and nothing followed.
    pub qp_dangling: bool,
}

impl RawProp {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All TYPE values, upper case, comma lists split.
    pub fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(k, _)| k == "TYPE")
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| !t.is_empty())
            .collect()
    }

    fn encoding(&self) -> Option<String> {
        self.param("ENCODING")
            .map(|e| e.trim().to_ascii_uppercase())
    }

    pub fn is_qp(&self) -> bool {
        self.encoding().as_deref() == Some("QUOTED-PRINTABLE")
    }

    pub fn is_base64(&self) -> bool {
        matches!(self.encoding().as_deref(), Some("B" | "BASE64"))
    }

    fn err(&self, message: impl Into<String>) -> VcardError {
        VcardError {
            line: self.line,
            message: format!("{}: {}", self.name, message.into()),
        }
    }

    /// The value as bytes after the transfer encoding (quoted-printable, base64) is undone.
    pub fn decoded_bytes(&self) -> Result<Vec<u8>, VcardError> {
        match self.encoding().as_deref() {
            None | Some("8BIT" | "7BIT") => Ok(self.value.clone()),
            Some("QUOTED-PRINTABLE") => {
                if self.qp_dangling {
                    return Err(self.err(
                        "broken quoted-printable: the value ends with a soft line break ('=') \
                         but the card ends there",
                    ));
                }
                decode_qp(&self.value)
                    .map_err(|m| self.err(format!("broken quoted-printable: {m}")))
            }
            Some("B" | "BASE64") => {
                decode_base64(&self.value).map_err(|m| self.err(format!("broken base64: {m}")))
            }
            Some(other) => Err(self.err(format!("unknown ENCODING={other}"))),
        }
    }

    /// The value as text: transfer encoding undone, then the CHARSET applied (UTF-8 when none
    /// is named; a value that is not UTF-8 and names no charset is read as GB18030, the
    /// superset of GB2312/GBK that old Chinese phones write, with a warning). An unknown
    /// charset is an error; bytes invalid in the charset become U+FFFD with a warning (real
    /// Android exports contain such values).
    /// Backslash escapes are *not* undone here.
    pub fn text(&self, warnings: &mut Vec<String>) -> Result<String, VcardError> {
        let bytes = self.decoded_bytes()?;
        match self.param("CHARSET") {
            Some(label) => {
                let enc = encoding_rs::Encoding::for_label_no_replacement(label.trim().as_bytes())
                    .ok_or_else(|| self.err(format!("unknown charset {label:?}")))?;
                let (text, malformed) = enc.decode_without_bom_handling(&bytes);
                if malformed {
                    warnings.push(format!(
                        "line {}: {} has bytes that are not valid {}; they were replaced by U+FFFD",
                        self.line,
                        self.name,
                        enc.name()
                    ));
                }
                Ok(text.into_owned())
            }
            None => match String::from_utf8(bytes) {
                Ok(s) => Ok(s),
                Err(e) => {
                    let bytes = e.into_bytes();
                    match encoding_rs::GB18030
                        .decode_without_bom_handling_and_without_replacement(&bytes)
                    {
                        Some(gb) => {
                            warnings.push(format!(
                                "line {}: {} is not UTF-8 and names no charset; read as GB18030",
                                self.line, self.name
                            ));
                            Ok(gb.into_owned())
                        }
                        None => {
                            warnings.push(format!(
                                "line {}: {} is not valid UTF-8; bad bytes were replaced by U+FFFD",
                                self.line, self.name
                            ));
                            Ok(String::from_utf8_lossy(&bytes).into_owned())
                        }
                    }
                }
            },
        }
    }
}

/// One `BEGIN:VCARD` … `END:VCARD`.
#[derive(Debug, Clone)]
pub(crate) struct RawCard {
    pub props: Vec<RawProp>,
}

/// Undo quoted-printable (soft breaks are already joined). Raw 8-bit bytes, which sloppy
/// writers leave in QP values, are kept; `=` must be followed by two hex digits.
fn decode_qp(value: &[u8]) -> Result<Vec<u8>, String> {
    // Normalise to what the strict decoder of `quoted_printable` accepts: raw 8-bit and
    // control bytes become =XX, lower-case hex digits after '=' become upper case.
    let mut clean = Vec::with_capacity(value.len() + 16);
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'=' {
            let h1 = value.get(i + 1).copied();
            let h2 = value.get(i + 2).copied();
            match (h1, h2) {
                (Some(a), Some(c)) if a.is_ascii_hexdigit() && c.is_ascii_hexdigit() => {
                    clean.extend_from_slice(&[
                        b'=',
                        a.to_ascii_uppercase(),
                        c.to_ascii_uppercase(),
                    ]);
                    i += 3;
                    continue;
                }
                _ => {
                    let near: String = String::from_utf8_lossy(&value[i..value.len().min(i + 3)])
                        .chars()
                        .collect();
                    return Err(format!(
                        "{near:?} at byte {}: '=' must be followed by two hex digits",
                        i + 1
                    ));
                }
            }
        }
        if b == b'\t' || (b' '..=b'~').contains(&b) {
            clean.push(b);
        } else {
            clean.extend_from_slice(format!("={b:02X}").as_bytes());
        }
        i += 1;
    }
    let options = quoted_printable::Options::default()
        .parse_mode(quoted_printable::ParseMode::Strict)
        .line_length_limit(usize::MAX);
    quoted_printable::decode_with_options(&clean, options).map_err(|e| e.to_string())
}

/// Base64 as vCard writers produce it: whitespace anywhere, padding optional.
pub(crate) fn decode_base64(value: &[u8]) -> Result<Vec<u8>, String> {
    let mut compact: Vec<u8> = value
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    // Padding is optional here, and some writers (BlackBerry) add one '=' too many.
    while compact.last() == Some(&b'=') {
        compact.pop();
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(&compact).map_err(|e| e.to_string())
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

fn trim_ascii(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

fn is_begin(line: &[u8]) -> bool {
    trim_ascii(line).eq_ignore_ascii_case(b"BEGIN:VCARD")
}

fn is_end(line: &[u8]) -> bool {
    trim_ascii(line).eq_ignore_ascii_case(b"END:VCARD")
}

fn looks_base64(line: &[u8]) -> bool {
    !line.is_empty()
        && line
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b' ' | b'\t'))
}

fn preview(line: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(&line[..line.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { '�' } else { c })
        .collect();
    if line.len() > 40 {
        format!("{s}…")
    } else {
        s
    }
}

/// Split the input into physical lines (LF, CRLF, CR CR LF, mixed), refusing over-long ones.
fn physical_lines(input: &[u8]) -> Result<Vec<&[u8]>, VcardError> {
    let mut lines = Vec::new();
    for (i, mut line) in input.split(|&b| b == b'\n').enumerate() {
        if line.len() > MAX_LINE_BYTES {
            return Err(VcardError {
                line: i + 1,
                message: format!(
                    "line is {} bytes long, at most {} (1 MiB) accepted",
                    line.len(),
                    MAX_LINE_BYTES
                ),
            });
        }
        while let [rest @ .., b'\r'] = line {
            line = rest;
        }
        lines.push(line);
    }
    // A final newline leaves one empty "line" behind; drop it so line counts match editors.
    if input.ends_with(b"\n") {
        lines.pop();
    }
    Ok(lines)
}

/// A property head: group, name, parameters.
type Head = (Option<String>, String, Vec<(String, String)>);

/// Parse the head `group.NAME;P=V;BARE` of a property.
fn parse_head(head: &[u8], line: usize) -> Result<Head, VcardError> {
    let head = String::from_utf8_lossy(head);
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in head.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    pieces.push(cur);
    let full = pieces[0].trim();
    let (group, name) = match full.rsplit_once('.') {
        Some((g, n)) => (Some(g.to_ascii_lowercase()), n),
        None => (None, full),
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !ok(name) || group.as_deref().is_some_and(|g| !ok(g)) {
        return Err(VcardError {
            line,
            message: format!(
                "{:?} is not a vCard property name",
                preview(full.as_bytes())
            ),
        });
    }
    let mut params = Vec::new();
    for p in &pieces[1..] {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        match p.split_once('=') {
            Some((k, v)) => {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                params.push((k.trim().to_ascii_uppercase(), v.to_string()));
            }
            None => {
                let up = p.to_ascii_uppercase();
                let key = match up.as_str() {
                    "QUOTED-PRINTABLE" | "BASE64" | "B" | "8BIT" | "7BIT" => "ENCODING",
                    _ => "TYPE",
                };
                params.push((key.to_string(), up));
            }
        }
    }
    Ok((group, name.to_ascii_uppercase(), params))
}

/// Where the value starts: the first ':' outside double quotes.
fn colon_at(line: &[u8]) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// The cards of a file, each either read or refused with the line that broke it. Whole-file
/// problems (too big, an over-long line) are the outer error.
pub(crate) fn split_cards(input: &[u8]) -> Result<Vec<Result<RawCard, VcardError>>, VcardError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(VcardError {
            line: 1,
            message: format!(
                "file is {:.1} MiB, at most {} MiB accepted",
                input.len() as f64 / (1024.0 * 1024.0),
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        });
    }
    let lines = physical_lines(input)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
            continue;
        }
        if !is_begin(line) {
            out.push(Err(VcardError {
                line: i + 1,
                message: format!("expected BEGIN:VCARD, found {:?}", preview(line)),
            }));
            // One error per run of junk: skip to the next BEGIN:VCARD.
            while i < lines.len() && !is_begin(lines[i]) {
                i += 1;
            }
            continue;
        }
        let (card, next) = read_card(&lines, i)?;
        out.push(card);
        i = next;
    }
    Ok(out)
}

/// Read the card whose BEGIN:VCARD is at `lines[begin]`; returns it and the index after it.
#[allow(clippy::type_complexity)]
fn read_card(
    lines: &[&[u8]],
    begin: usize,
) -> Result<(Result<RawCard, VcardError>, usize), VcardError> {
    let mut props = Vec::new();
    let mut i = begin + 1;
    let fail =
        |line: usize, message: String, next: usize| Ok((Err(VcardError { line, message }), next));
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
            continue;
        }
        if is_end(line) {
            return Ok((Ok(RawCard { props }), i + 1));
        }
        if is_begin(line) {
            return fail(
                i + 1,
                format!(
                    "BEGIN:VCARD inside the card begun at line {}: that card has no END:VCARD",
                    begin + 1
                ),
                i,
            );
        }
        let start = i;
        if line[0] == b' ' || line[0] == b'\t' {
            // A continuation with nothing to continue (e.g. after a blank line).
            let skip = skip_card(lines, i);
            return fail(
                start + 1,
                format!("{:?} continues no property", preview(line)),
                skip,
            );
        }
        let Some(colon) = colon_at(line) else {
            let skip = skip_card(lines, i);
            return fail(
                start + 1,
                format!("{:?} is not a vCard property (no ':')", preview(line)),
                skip,
            );
        };
        let (group, name, params) = match parse_head(&line[..colon], start + 1) {
            Ok(h) => h,
            Err(e) => return Ok((Err(e), skip_card(lines, i))),
        };
        let mut prop = RawProp {
            line: start + 1,
            group,
            name,
            params,
            value: line[colon + 1..].to_vec(),
            qp_dangling: false,
        };
        let qp = prop.is_qp();
        let b64 = prop.is_base64();
        i += 1;
        while i < lines.len() {
            let next = lines[i];
            if qp && prop.value.last() == Some(&b'=') {
                if is_end(next) || is_begin(next) {
                    prop.qp_dangling = true;
                    break;
                }
                prop.value.pop();
                prop.value.extend_from_slice(next);
            } else if matches!(next.first(), Some(b' ' | b'\t')) {
                prop.value.extend_from_slice(&next[1..]);
            } else if b64 && looks_base64(next) && colon_at(next).is_none() {
                prop.value.extend_from_slice(next);
            } else {
                break;
            }
            if prop.value.len() > MAX_LINE_BYTES {
                return Err(VcardError {
                    line: start + 1,
                    message: format!(
                        "{} value is over {} bytes (1 MiB) long after unfolding",
                        prop.name, MAX_LINE_BYTES
                    ),
                });
            }
            i += 1;
        }
        if qp && i >= lines.len() && prop.value.last() == Some(&b'=') {
            prop.qp_dangling = true;
        }
        props.push(prop);
    }
    fail(
        begin + 1,
        format!(
            "card has no END:VCARD (the file ends at line {})",
            lines.len()
        ),
        lines.len(),
    )
}

/// After a broken line, the index of the line after this card's END:VCARD (or the next
/// BEGIN:VCARD), so that the cards after it can still be read.
fn skip_card(lines: &[&[u8]], mut i: usize) -> usize {
    while i < lines.len() {
        if is_end(lines[i]) {
            return i + 1;
        }
        if is_begin(lines[i]) {
            return i;
        }
        i += 1;
    }
    i
}

/// Split a structured value (N, ADR, ORG) on unescaped ';' and undo escapes in each part.
pub(crate) fn split_structured(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ';' => parts.push(unescape(&std::mem::take(&mut cur))),
            _ => cur.push(c),
        }
    }
    parts.push(unescape(&cur));
    parts
}

/// Undo vCard text escapes: `\\ \, \; \: \n \N`. Unknown escapes are kept as written.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ',' | ';' | ':' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
