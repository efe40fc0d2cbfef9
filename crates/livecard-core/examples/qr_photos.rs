//! Decoder comparison on photos of share-link QR codes as phones take them
//! (docs/MOBILE.md "Scanning").
//!
//! ```text
//! cargo run --release -p livecard-core --example qr_photos -- DIR [COUNT]
//! ```
//!
//! Renders COUNT real share links' QR codes (deterministic keys) with the core's `qr_png` into
//! DIR/base, turns each into phone-like photos with `scripts/qr_photos.py` (Pillow; seeded)
//! into DIR/photos unless that folder exists, then decodes every photo with rqrr alone (the
//! decoder before), rxing alone, the core's `decode_qr_image` (what ships) and Debian's
//! `zbarimg` (the reference), and prints a Markdown table: decoded / total and mean time per
//! image for each transform.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use livecard_core::qr::{decode_qr_image, qr_png};
use livecard_format::crypto::{CardKeys, ShareLink, ShareSecret};

type Decoder = fn(&Path, &[u8]) -> Option<Vec<String>>;

fn luma(bytes: &[u8]) -> Option<image::GrayImage> {
    Some(image::load_from_memory(bytes).ok()?.to_luma8())
}

fn rqrr_only(_: &Path, bytes: &[u8]) -> Option<Vec<String>> {
    let mut prepared = rqrr::PreparedImage::prepare(luma(bytes)?);
    let found: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, t)| t))
        .collect();
    (!found.is_empty()).then_some(found)
}

fn rxing_only(_: &Path, bytes: &[u8]) -> Option<Vec<String>> {
    let img = luma(bytes)?;
    let (w, h) = img.dimensions();
    let r =
        rxing::helpers::detect_in_luma(img.into_raw(), w, h, Some(rxing::BarcodeFormat::QR_CODE))
            .ok()?;
    Some(vec![r.getText().to_string()])
}

fn core(_: &Path, bytes: &[u8]) -> Option<Vec<String>> {
    decode_qr_image(bytes).ok()
}

fn zbar(path: &Path, _: &[u8]) -> Option<Vec<String>> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let found: Vec<String> = text.lines().map(str::to_string).collect();
    (!found.is_empty()).then_some(found)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: qr_photos DIR [COUNT]")?);
    let count: u8 = args.next().map(|c| c.parse()).transpose()?.unwrap_or(10);
    let base = dir.join("base");
    let photos = dir.join("photos");
    std::fs::create_dir_all(&base)?;
    for i in 0..count {
        let keys = CardKeys::from_seed(&[i.wrapping_add(1); 32]);
        let secret = ShareSecret::from_bytes([i ^ 0xA5; 16]);
        let text = ShareLink::new("https://livecard.example", keys.id(), secret).to_qr_text();
        std::fs::write(base.join(format!("{i:02}.png")), qr_png(&text, 8)?)?;
        std::fs::write(base.join(format!("{i:02}.txt")), &text)?;
    }
    if !photos.exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/qr_photos.py");
        let ok = Command::new("python3")
            .arg(script)
            .arg(&base)
            .arg(&photos)
            .status()?
            .success();
        if !ok {
            return Err("scripts/qr_photos.py failed (pip install pillow?)".into());
        }
    }
    let decoders: [(&str, Decoder); 4] = [
        ("rqrr", rqrr_only),
        ("rxing", rxing_only),
        ("core", core),
        ("zbarimg", zbar),
    ];
    // transform -> decoder -> (ok, total, time)
    let mut table: BTreeMap<String, Vec<(u32, u32, Duration)>> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&photos)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    for path in &files {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let transform = stem.split("__").next().unwrap_or("?").to_string();
        let expected = std::fs::read_to_string(path.with_extension("txt"))?;
        let bytes = std::fs::read(path)?;
        let row = table
            .entry(transform)
            .or_insert_with(|| vec![(0, 0, Duration::ZERO); decoders.len()]);
        for (i, (name, d)) in decoders.iter().enumerate() {
            let t = Instant::now();
            let got = d(path, &bytes);
            row[i].2 += t.elapsed();
            row[i].1 += 1;
            let ok = got.is_some_and(|v| v.iter().any(|t| t.trim() == expected.trim()));
            if ok {
                row[i].0 += 1;
            } else if std::env::var_os("QR_PHOTOS_VERBOSE").is_some() {
                eprintln!("{name}: missed {}", path.display());
            }
        }
    }
    print!("| transform |");
    for (n, _) in &decoders {
        print!(" {n} ok | {n} ms |");
    }
    println!();
    print!("|---|");
    for _ in &decoders {
        print!("---:|---:|");
    }
    println!();
    let mut totals = vec![(0u32, 0u32, Duration::ZERO); decoders.len()];
    for (name, row) in &table {
        print!("| {name} |");
        for (i, (ok, n, t)) in row.iter().enumerate() {
            print!(
                " {ok}/{n} | {:.0} |",
                t.as_secs_f64() * 1000.0 / f64::from(*n)
            );
            totals[i].0 += ok;
            totals[i].1 += n;
            totals[i].2 += *t;
        }
        println!();
    }
    print!("| **all** |");
    for (ok, n, t) in &totals {
        print!(
            " **{ok}/{n}** | {:.0} |",
            t.as_secs_f64() * 1000.0 / f64::from((*n).max(1))
        );
    }
    println!();
    Ok(())
}
