//! QR rendering and decoding: the share link's code is version 4-M or smaller, PNG/JPEG round
//! trips through rqrr, and an independent decoder (Debian's zbarimg) reads our PNG to the same
//! text. Also the offline QR's version (printed for docs/PERFORMANCE.md).

use livecard_core::qr::{
    decode_qr_image, qr_png, qr_svg, qr_terminal, qr_version, EcLevel, QrError,
};
use livecard_format::card::Address;
use livecard_format::crypto::{CardKeys, ShareLink, ShareSecret};
use livecard_format::exchange::{
    decode_scanned_text, offline_qr, CopySource, Received, OFFLINE_QR_MAX_BYTES,
};
use livecard_format::{Avatar, Card, Field, Region};

fn cn() -> Region {
    Region::default()
}

fn link(seed: u8) -> (CardKeys, ShareLink) {
    let k = CardKeys::from_seed(&[seed; 32]);
    let l = ShareLink::new(
        "https://livecard.example",
        k.id(),
        ShareSecret::from_bytes([seed ^ 0x5A; 16]),
    );
    (k, l)
}

fn typical_card() -> Card {
    let mut c = Card::default();
    c.set(Field::Name, "张三丰", cn()).unwrap();
    c.set(Field::Company, "武当科技有限公司", cn()).unwrap();
    c.set(Field::Title, "销售总监", cn()).unwrap();
    c.add(Field::Mobile, "13800138000", cn()).unwrap();
    c.add(Field::Mobile, "13912345678", cn()).unwrap();
    c.add(Field::Email, "zhangsan@wudang.example", cn())
        .unwrap();
    c.address.push(Address {
        street: "科技园科苑路15号".into(),
        locality: "深圳市南山区".into(),
        region: "广东省".into(),
        ..Address::default()
    });
    c.add(Field::Website, "https://wudang.example", cn())
        .unwrap();
    c.set(Field::Qq, "12345678", cn()).unwrap();
    c.set(Field::Wechat, "zhangsanfeng", cn()).unwrap();
    c
}

#[test]
fn share_link_qr_is_version_4_m_or_smaller() {
    for seed in 0..32u8 {
        let (_, l) = link(seed);
        let (v, ec) = qr_version(&l.to_qr_text()).unwrap();
        assert_eq!(ec, EcLevel::M);
        assert!(v <= 4, "seed {seed}: version {v}");
        if seed == 0 {
            println!(
                "EXCHANGE share link QR: version {v}-M ({} modules)",
                17 + 4 * v
            );
        }
    }
    // The same link as lower-case text needs byte mode and a bigger code.
    let (_, l) = link(1);
    let (v, _) = qr_version(&l.to_string()).unwrap();
    assert_eq!(v, 5, "lower-case link in byte mode");
}

#[test]
fn png_and_jpeg_round_trip_through_rqrr() {
    let (_, l) = link(2);
    let text = l.to_qr_text();
    let png = qr_png(&text, 6).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(decode_qr_image(&png).unwrap(), vec![text.clone()]);
    // The decoded text is a share link again.
    match decode_scanned_text(&decode_qr_image(&png).unwrap()[0], cn()).unwrap() {
        Received::LiveCard { link, offline } => {
            assert_eq!(link, l);
            assert!(offline.is_none());
        }
        other => panic!("{other:?}"),
    }
    // JPEG of the same code.
    let img = image::load_from_memory(&png).unwrap();
    let mut jpg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpg, image::ImageFormat::Jpeg).unwrap();
    assert_eq!(decode_qr_image(jpg.get_ref()).unwrap(), vec![text]);
}

#[test]
fn svg_and_terminal_renderings() {
    let (_, l) = link(3);
    let svg = qr_svg(&l.to_qr_text()).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    let term = qr_terminal(&l.to_qr_text()).unwrap();
    let (v, _) = qr_version(&l.to_qr_text()).unwrap();
    let modules = (17 + 4 * v) as usize + 8; // with quiet zone
    assert_eq!(term.lines().count(), modules.div_ceil(2));
    assert!(term.lines().all(|line| line.chars().count() == modules));
}

#[test]
fn bad_images_give_clear_errors() {
    assert!(matches!(
        decode_qr_image(b"hello, not an image"),
        Err(QrError::NotAnImage(_))
    ));
    assert!(matches!(decode_qr_image(b""), Err(QrError::NotAnImage(_))));
    // A truncated PNG.
    let (_, l) = link(4);
    let png = qr_png(&l.to_qr_text(), 4).unwrap();
    assert!(matches!(
        decode_qr_image(&png[..png.len() / 2]),
        Err(QrError::NotAnImage(_))
    ));
    // A blank white PNG: no code.
    let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    blank.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let e = decode_qr_image(out.get_ref()).unwrap_err();
    assert_eq!(e, QrError::NoQrCode);
    assert_eq!(e.to_string(), "no QR code found in the image");
    assert!(e.message_zh().contains("没有找到二维码"));
    // Too long for any QR code.
    assert!(matches!(
        qr_png(&"x".repeat(5000), 4),
        Err(QrError::TooLong(5000))
    ));
}

#[test]
fn offline_qr_of_a_typical_card() {
    let (k, l) = link(5);
    let card = typical_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 9,
    };
    let q = offline_qr(&l, &src, OFFLINE_QR_MAX_BYTES).unwrap().unwrap();
    assert!(!q.partial);
    let (v, _) = qr_version(&q.text).unwrap();
    println!(
        "EXCHANGE offline QR, typical card: {} characters, version {v}-M ({} modules)",
        q.text.len(),
        17 + 4 * v
    );
    assert!(v <= 20, "version {v}");
    let png = qr_png(&q.text, 4).unwrap();
    let got = decode_qr_image(&png).unwrap();
    assert_eq!(got, vec![q.text.clone()]);
    match decode_scanned_text(&got[0], cn()).unwrap() {
        Received::LiveCard {
            link,
            offline: Some(copy),
        } => {
            assert_eq!(link, l);
            assert_eq!(copy.card, card);
        }
        other => panic!("{other:?}"),
    }
    // A card with a big avatar is reduced to the budget; the largest offline QR we make.
    let mut big = card.clone();
    big.avatar = Some(Avatar {
        mime: "image/jpeg".into(),
        data: vec![1; 5000],
    });
    big.bulletin = "新品发布：全场八折优惠，欢迎来电咨询！".repeat(6);
    let src = CopySource {
        card: &big,
        keys: &k,
        version: 9,
    };
    let q = offline_qr(&l, &src, OFFLINE_QR_MAX_BYTES).unwrap().unwrap();
    assert!(q.partial);
    let (v, _) = qr_version(&q.text).unwrap();
    let (vmax, _) =
        qr_version(&format!("LC1:{}", "A".repeat(OFFLINE_QR_MAX_BYTES / 2 * 3))).unwrap();
    println!("EXCHANGE offline QR at the {OFFLINE_QR_MAX_BYTES}-byte budget: at most version {vmax}-M (this card: {v}-M, dropped {:?})", q.dropped_fields);
    assert!(v <= vmax && vmax <= 22, "{v} {vmax}");
}

// ---------------------------------------------------------------------------------------------
// Independent decoder: zbarimg (Debian zbar-tools)

fn tool_missing(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is missing and CI=true: install it (scripts/setup.sh)");
    }
    livecard_testkit::skip(
        "an independent-decoder check",
        &format!("{what} is missing (scripts/setup.sh installs it)"),
    );
}

#[test]
fn zbarimg_reads_our_png_to_the_same_text() {
    let probe = std::process::Command::new("zbarimg")
        .arg("--version")
        .output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        return tool_missing("zbarimg (apt-get install zbar-tools)");
    }
    let dir = tempfile::tempdir().unwrap();
    let (k, l) = link(6);
    let card = typical_card();
    let src = CopySource {
        card: &card,
        keys: &k,
        version: 1,
    };
    let offline = offline_qr(&l, &src, OFFLINE_QR_MAX_BYTES).unwrap().unwrap();
    for (name, text) in [("link", l.to_qr_text()), ("offline", offline.text)] {
        let f = dir.path().join(format!("{name}.png"));
        std::fs::write(&f, qr_png(&text, 4).unwrap()).unwrap();
        let out = std::process::Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: zbarimg failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(got.trim_end_matches('\n'), text, "{name}");
    }
}
