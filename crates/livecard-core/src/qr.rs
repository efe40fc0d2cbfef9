//! QR codes: render a text (a share link, an offline copy) as PNG, SVG or terminal text, and
//! read QR codes back from PNG/JPEG images. No IO: bytes in, bytes out.
//!
//! Rendering uses the `qrcode` crate at error-correction level M with its optimal mixed-mode
//! segmentation (PROTOCOL.md §2: a share link's upper-cased text then fits version 4-M).
//! Decoding uses `rxing` (a Rust port of ZXing) with `rqrr` (a Rust port of quirc) as a second
//! opinion, on images read by the `image` crate (PNG and JPEG only).

use std::io::Cursor;

use image::{GrayImage, ImageFormat, ImageReader, Luma};
use qrcode::render::{svg, unicode};
use qrcode::{QrCode, Version};

pub use qrcode::EcLevel;

/// Error-correction level of every code we render.
pub const EC_LEVEL: EcLevel = EcLevel::M;

/// Largest image side (pixels) [`decode_qr_image`] reads.
pub const MAX_IMAGE_SIDE: u32 = 12_000;

/// Why a QR code could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("text of {0} bytes is too long for a QR code at error-correction level M")]
    TooLong(usize),
    #[error("not a PNG or JPEG image: {0}")]
    NotAnImage(String),
    #[error("no QR code found in the image")]
    NoQrCode,
    #[error("a QR code was found but could not be read: {0}")]
    Unreadable(String),
}

impl QrError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            QrError::TooLong(n) => format!("内容有 {n} 字节，太长，无法生成二维码"),
            QrError::NotAnImage(_) => "不是 PNG 或 JPEG 图片".into(),
            QrError::NoQrCode => "图片中没有找到二维码".into(),
            QrError::Unreadable(_) => "找到了二维码，但无法读取".into(),
        }
    }
}

fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL)
        .map_err(|_| QrError::TooLong(text.len()))
}

/// The QR version (1–40) and error-correction level `text` is rendered with.
pub fn qr_version(text: &str) -> Result<(i16, EcLevel), QrError> {
    let c = code(text)?;
    let v = match c.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    Ok((v, c.error_correction_level()))
}

/// A PNG of the code: black on white, `scale` pixels per module (at least 1), with the
/// standard 4-module quiet zone.
pub fn qr_png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let scale = scale.max(1);
    let img = code(text)?
        .render::<Luma<u8>>()
        .module_dimensions(scale, scale)
        .build();
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory grey image to PNG into a Vec cannot fail for valid dimensions.
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::Unreadable(e.to_string()))?;
    Ok(out.into_inner())
}

/// An SVG document of the code (at least 256×256 user units, quiet zone included).
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// The code as text for a terminal: two modules per character cell (`▀▄█ `), dark modules
/// drawn as spaces on a light background so it scans on dark and light terminals alike.
pub fn qr_terminal(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .build())
}

/// Every QR code's text found in a PNG or JPEG image, in the order found.
///
/// Photos as phones take them (a 12-megapixel frame with a small, rotated, tilted, blurred or
/// shadowed code): the picture is first read at most [`FIRST_PASS_SIDE`] pixels on its longer
/// side by ZXing's reader (`rxing`), then at full size, then by `rqrr` (quirc) on the reduced
/// picture. Measured in docs/MOBILE.md "Scanning".
pub fn decode_qr_image(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    let img = read_luma(bytes)?;
    let small = reduced(&img, FIRST_PASS_SIDE);
    let small = small.as_ref().unwrap_or(&img);
    if let Some(found) = rxing_decode(small) {
        return Ok(found);
    }
    if !std::ptr::eq(small, &img) {
        if let Some(found) = rxing_decode(&img) {
            return Ok(found);
        }
    }
    rqrr_decode(small)
}

/// Longer side (pixels) of the first, fast pass over a photo.
pub const FIRST_PASS_SIDE: u32 = 1600;

fn read_luma(bytes: &[u8]) -> Result<GrayImage, QrError> {
    let format = image::guess_format(bytes)
        .map_err(|_| QrError::NotAnImage("unrecognised file contents".into()))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(QrError::NotAnImage(format!(
            "{} images are not supported",
            format.extensions_str().first().unwrap_or(&"these")
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    Ok(reader
        .decode()
        .map_err(|e| QrError::NotAnImage(e.to_string()))?
        .to_luma8())
}

/// The picture scaled down so its longer side is `side`, or `None` when it already fits.
fn reduced(img: &GrayImage, side: u32) -> Option<GrayImage> {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= side {
        return None;
    }
    let nw = (u64::from(w) * u64::from(side) / u64::from(long)).max(1) as u32;
    let nh = (u64::from(h) * u64::from(side) / u64::from(long)).max(1) as u32;
    Some(image::imageops::resize(
        img,
        nw,
        nh,
        image::imageops::FilterType::Triangle,
    ))
}

fn rxing_decode(img: &GrayImage) -> Option<Vec<String>> {
    let (w, h) = img.dimensions();
    let mut hints = rxing::DecodeHints {
        PossibleFormats: Some(std::collections::HashSet::from([
            rxing::BarcodeFormat::QR_CODE,
        ])),
        TryHarder: Some(true),
        ..Default::default()
    };
    let found: Vec<String> =
        rxing::helpers::detect_multiple_in_luma_with_hints(img.as_raw().clone(), w, h, &mut hints)
            .ok()?
            .into_iter()
            .map(|r| r.getText().to_string())
            .filter(|t| !t.is_empty())
            .collect();
    (!found.is_empty()).then_some(found)
}

fn rqrr_decode(img: &GrayImage) -> Result<Vec<String>, QrError> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(QrError::NoQrCode);
    }
    let mut found = Vec::new();
    let mut last_error = None;
    for g in grids {
        match g.decode() {
            Ok((_, text)) => found.push(text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    match (found.is_empty(), last_error) {
        (true, Some(e)) => Err(QrError::Unreadable(e)),
        (true, None) => Err(QrError::NoQrCode),
        _ => Ok(found),
    }
}
