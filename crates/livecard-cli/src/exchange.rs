//! Exchange commands: QR codes and NFC tag bytes of the own card, and `add` of a file. Each is a
//! few lines over a `Core` method (the budgets, drop order and file kinds live in the core).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use livecard_core::i18n::both;
use livecard_core::{AddOutcome, Core};
use livecard_format::exchange::Tag;

use crate::{note_status, read, write};

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
        eprintln!("{}", both("cli.qr_written", &[("path", &p.display())]));
    }
    if let Some(p) = svg {
        write(&p, livecard_core::qr::qr_svg(&text)?.as_bytes())?;
        eprintln!("{}", both("cli.qr_written", &[("path", &p.display())]));
    }
    Ok(())
}

/// `me nfc --out FILE [--tag …]`: the NDEF message to write to a tag.
pub async fn me_nfc(core: &Core, card: Option<&str>, out: &Path, tag: &str) -> Result<()> {
    let tag: Tag = tag.parse().map_err(|e| anyhow!("--tag: {e}"))?;
    let payload = core.nfc_message(card, tag).await?;
    write(out, &payload.bytes)?;
    if !payload.offline_included {
        eprintln!("{}", both("cli.nfc_link_only", &[("tag", &tag.as_str())]));
    } else if !payload.dropped_fields.is_empty() {
        let fields = payload
            .dropped_fields
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let args: [(&str, &dyn std::fmt::Display); 2] =
            [("tag", &tag.as_str()), ("fields", &fields)];
        eprintln!("{}", both("cli.nfc_dropped", &args));
    }
    let args: [(&str, &dyn std::fmt::Display); 3] = [
        ("bytes", &payload.bytes.len()),
        ("tag", &tag.as_str()),
        ("path", &out.display()),
    ];
    eprintln!("{}", both("cli.nfc_written", &args));
    Ok(())
}

/// `me qr-offline --png FILE`: a QR holding the link and an offline copy (the app's offline
/// QR is the same `Core::offline_qr`).
pub async fn me_qr_offline(core: &Core, card: Option<&str>, png: &Path) -> Result<()> {
    let q = core.offline_qr(card).await?;
    write(png, &livecard_core::qr::qr_png(&q.text, 6)?)?;
    if !q.dropped_fields.is_empty() {
        let fields = q.dropped_fields.join(", ");
        eprintln!("{}", both("cli.offline_qr_dropped", &[("fields", &fields)]));
    }
    eprintln!(
        "{}",
        both("cli.offline_qr_written", &[("path", &png.display())])
    );
    Ok(())
}

/// `add FILE`: a QR image, NFC bytes, a text file holding a link / offline QR text, or a
/// vCard/MeCard file (`Core::add_file` tells them apart).
pub async fn add_file(core: &Core, path: &Path) -> Result<Vec<AddOutcome>> {
    let bytes = read(path)?;
    let report = core.add_file(&path.to_string_lossy(), &bytes).await?;
    for s in &report.skipped {
        eprintln!("warning: skipped {s}");
    }
    for o in &report.added {
        for w in &o.warnings {
            eprintln!("warning: {w}");
        }
        note_status(o);
    }
    Ok(report.added)
}
