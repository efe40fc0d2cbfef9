//! Photos of QR codes as phones take them (committed fixtures made by scripts/qr_photos.py
//! --small from a share link's QR: rotated, tilted, blurred, JPEG quality 40–60, shadowed, all
//! at once) decode to the link; `Core::add_qr_image` adds a published card from a picture of
//! its code, and refuses a picture without a code or a file that is no picture, adding nothing.

mod common;

use std::path::PathBuf;

use livecard_core::picture::MAX_QR_IMAGE_BYTES;
use livecard_core::qr::{decode_qr_image, qr_png};
use livecard_core::{AddStatus, Sort};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qr-photos")
}

#[test]
fn phone_like_photos_decode_to_the_link() {
    let link = std::fs::read_to_string(fixtures().join("link.txt")).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jpg") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() < 100 * 1024, "{} is too big", path.display());
        let texts = decode_qr_image(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(texts, vec![link.trim().to_string()], "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} fixtures");
}

fn blank_png() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(640, 480, image::Luma([235]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_picture_of_a_published_cards_code_adds_it_and_bad_pictures_add_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(dir.path(), None).await;
    let owner = common::device(dir.path(), "owner", &server.url()).await;
    owner
        .create_own(&[livecard_core::Edit::set(
            livecard_format::Field::Name,
            "周九",
        )])
        .await
        .unwrap();
    let link = owner.publish(None).await.unwrap().link;
    let shared = owner.share_link(None).await.unwrap();
    let me = common::device(dir.path(), "me", &server.url()).await;

    // Not a picture, a picture without a code, too large: clear errors, nothing added.
    let e = me
        .add_qr_image(b"%PDF-1.4 not a picture")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "invalid_input", "{e}");
    let e = me.add_qr_image(&blank_png()).await.unwrap_err();
    assert_eq!(e.kind(), "no_qr_code", "{e}");
    assert!(e.to_string().contains("没有找到二维码"), "{e}");
    let e = me
        .add_qr_image(&vec![0u8; MAX_QR_IMAGE_BYTES + 1])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "invalid_input", "{e}");
    assert!(me.list(Sort::Name).await.unwrap().is_empty());

    // The owner's QR (upper-cased link, as the app renders it) adds the live card.
    let png = qr_png(&shared.to_qr_text(), 8).unwrap();
    let report = me.add_qr_image(&png).await.unwrap();
    assert_eq!(report.added.len(), 1, "{link}");
    assert_eq!(report.added[0].status, AddStatus::Added);
    assert_eq!(report.added[0].name, "周九");
    let cards = me.list(Sort::Name).await.unwrap();
    assert_eq!(cards.len(), 1);
    // Again: the same card, nothing new.
    let again = me.add_qr_image(&png).await.unwrap();
    assert_eq!(again.added[0].status, AddStatus::Unchanged);
    assert_eq!(me.list(Sort::Name).await.unwrap().len(), 1);
    server.stop().await;
}
