//! Exchange commands: QR codes and NFC tag bytes of the own card, and `add` of a QR image or
//! NFC bytes. Encoding/decoding is `livecard_format::exchange` and `livecard_core::qr`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use livecard_core::{AddOutcome, Core, Source};
use livecard_format::exchange::{self, CopySource, Tag};

use crate::{note_status, read, write};

fn fields(f: &[livecard_format::Field]) -> String {
    f.iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `me qr --png FILE [--svg FILE]`: the share link's QR code (stdout: terminal rendering when
/// no file is given).
pub async fn me_qr(
    core: &Core,
    card: Option<&str>,
    png: Option<PathBuf>,
    svg: Option<PathBuf>,
) -> Result<()> {
    let link = core.share_link(card).await?;
    let text = link.to_qr_text();
    if png.is_none() && svg.is_none() {
        print!("{}", livecard_core::qr::qr_terminal(&text)?);
        return Ok(());
    }
    if let Some(p) = png {
        write(&p, &livecard_core::qr::qr_png(&text, 8)?)?;
        eprintln!(
            "QR of the share link written to {} / 已生成二维码",
            p.display()
        );
    }
    if let Some(p) = svg {
        write(&p, livecard_core::qr::qr_svg(&text)?.as_bytes())?;
        eprintln!(
            "QR of the share link written to {} / 已生成二维码",
            p.display()
        );
    }
    Ok(())
}

/// `me nfc --out FILE [--tag …]`: the NDEF message to write to a tag.
pub async fn me_nfc(core: &Core, card: Option<&str>, out: &Path, tag: &str) -> Result<()> {
    let tag: Tag = tag.parse().map_err(|e| anyhow!("--tag: {e}"))?;
    let share = core.own_share(card).await?;
    let src = CopySource {
        card: &share.card,
        keys: &share.keys,
        version: share.version,
    };
    let payload = exchange::nfc_message(&share.link, Some(&src), tag)?;
    write(out, &payload.bytes)?;
    if !payload.offline_included {
        eprintln!(
            "note: the offline copy does not fit an {}: the tag holds the link only / 标签只含链接",
            tag.as_str()
        );
    } else if !payload.dropped_fields.is_empty() {
        eprintln!(
            "note: to fit an {}, the offline copy leaves out: {} (the link brings the full card) / 为适配标签省略了部分字段",
            tag.as_str(),
            fields(&payload.dropped_fields)
        );
    }
    eprintln!(
        "{} bytes of NDEF for an {} written to {} / 已生成 NFC 数据",
        payload.bytes.len(),
        tag.as_str(),
        out.display()
    );
    Ok(())
}

/// `me qr-offline --png FILE`: a QR holding the link and an offline copy.
pub async fn me_qr_offline(core: &Core, card: Option<&str>, png: &Path) -> Result<()> {
    let share = core.own_share(card).await?;
    let src = CopySource {
        card: &share.card,
        keys: &share.keys,
        version: share.version,
    };
    let Some(q) = exchange::offline_qr(&share.link, &src, exchange::OFFLINE_QR_MAX_BYTES)? else {
        bail!("the card is too large for an offline QR code even with optional fields left out");
    };
    write(png, &livecard_core::qr::qr_png(&q.text, 6)?)?;
    if !q.dropped_fields.is_empty() {
        eprintln!(
            "note: the offline QR leaves out: {} / 离线二维码省略了部分字段",
            fields(&q.dropped_fields)
        );
    }
    eprintln!("offline QR written to {} / 已生成离线二维码", png.display());
    Ok(())
}

fn is_image(path: &Path, bytes: &[u8]) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg")
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

fn is_ndef(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "ndef" | "bin" | "nfc")
}

/// `add FILE` of a QR image, NFC bytes, or a text file holding a link / offline QR text.
/// `None`: a contacts file (vCard/MeCard), handled by the caller as before.
pub async fn add_file(core: &Core, path: &Path) -> Result<Option<Vec<AddOutcome>>> {
    let bytes = read(path)?;
    let outcomes = if is_image(path, &bytes) {
        let report = core.add_qr_image(&bytes).await?;
        for s in &report.skipped {
            eprintln!("skipped a QR code / 跳过一个二维码: {s}");
        }
        report.added
    } else if is_ndef(path) {
        core.add_nfc(&bytes).await?
    } else {
        let text = String::from_utf8_lossy(&bytes);
        let head = text.trim_start().to_ascii_lowercase();
        if head.starts_with("http://") || head.starts_with("https://") || head.starts_with("lc1:") {
            core.add_scanned(text.trim(), Source::Link).await?
        } else {
            return Ok(None);
        }
    };
    for o in &outcomes {
        note_status(o);
    }
    Ok(Some(outcomes))
}
