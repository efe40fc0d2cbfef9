//! The app and the CLI make the same offline QR code (issue 14: the app used to seal the whole
//! card, so with an avatar its offline QR was oversized and failed, while the CLI fitted the
//! card into the QR budget). One published card with an avatar, one data directory: the app's
//! command function (`me_offline_qr_in`, whose SVG is drawn as a picture and read back by the
//! core's QR decoder) and the real `livecard me qr-offline` binary (its PNG read back the same
//! way) carry the same link, the same card version and the same signed card, without the
//! avatar, within `OFFLINE_QR_MAX_BYTES`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use livecard_core::keystore::InsecureFileStore;
use livecard_core::Core;
use livecard_format::exchange::{self, Received};
use livecard_format::{Avatar, Card, Region};

/// The `livecard` binary of this workspace build (built with the tests; see
/// `livecard_testkit::workspace_bins`).
fn cli_bin() -> PathBuf {
    livecard_testkit::workspace_bins(&["livecard"]).remove(0)
}

/// The modules of a `qrcode` SVG (`<path d="M{x} {y}h{w}v{h}H{x}V{y}…">` on a white
/// `width`×`height` canvas) drawn as a PNG.
fn svg_to_png(svg: &str) -> Vec<u8> {
    let attr = |name: &str| -> u32 {
        let at = svg.find(&format!(" {name}=\"")).expect("svg size") + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (w, h) = (attr("width"), attr("height"));
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    let d_at = svg.find(" d=\"").expect("path") + 4;
    let d = svg[d_at..].split('"').next().unwrap();
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        // "{x} {y}h{w}v{h}H{x}V{y}"
        let (xy, rest) = rect.split_once('h').expect("h");
        let (x, y) = xy.split_once(' ').expect("x y");
        let (rw, rest) = rest.split_once('v').expect("v");
        let rh = rest.split('H').next().unwrap();
        let [x, y, rw, rh]: [u32; 4] = [x, y, rw, rh].map(|n| n.parse().expect("number"));
        for py in y..y + rh {
            for px in x..x + rw {
                img.put_pixel(px, py, image::Luma([0]));
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn only_text(png: &[u8]) -> String {
    let mut texts = livecard_core::qr::decode_qr_image(png).expect("a readable QR code");
    assert_eq!(texts.len(), 1, "{texts:?}");
    texts.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_the_cli_make_the_same_offline_qr_for_a_card_with_an_avatar() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");

    // A real server in-process on 127.0.0.1.
    let mut config = livecard_server::Config::new(format!(
        "sqlite://{}",
        dir.path().join("server.db").display()
    ));
    config.rate_per_second = 0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(livecard_server::serve(config, listener, async move {
        let _ = stopped.await;
    }));

    // The app saves and publishes a card with an 8 KiB avatar.
    let core = Core::open(&data, Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(InsecureFileStore::new(&keys)))
        .with_server(Some(url.clone()));
    let mut avatar = b"\x89PNG\r\n\x1a\n".to_vec();
    avatar.extend((0..8192u32).map(|i| (i * 7919 % 251) as u8));
    let card = Card {
        name: "张三丰".into(),
        company: "武当山".into(),
        mobile: vec!["13800138000".into()],
        email: vec!["zhang@wudang.example".into()],
        avatar: Some(Avatar {
            mime: "image/png".into(),
            data: avatar,
        }),
        ..Default::default()
    };
    livecard_app_lib::commands::me_save_in(&core, card)
        .await
        .unwrap();
    let published = livecard_app_lib::live::publish_in(&core).await.unwrap();
    assert!(
        matches!(published, livecard_core::PublishState::Published { .. }),
        "{published:?}"
    );

    // The app's command.
    let svg = livecard_app_lib::live::me_offline_qr_in(&core)
        .await
        .expect("the app's offline QR of a card with an avatar");
    let app_text = only_text(&svg_to_png(&svg));
    core.close().await;

    // The CLI, same data directory and keys.
    let png = dir.path().join("offline.png");
    let out = Command::new(cli_bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["me", "qr-offline", "--png"])
        .arg(&png)
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", keys.display()),
        )
        .env_remove("LIVECARD_SERVER")
        .output()
        .expect("run livecard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "livecard me qr-offline failed: {stderr}"
    );
    assert!(
        stderr.contains("avatar"),
        "the CLI names what it left out: {stderr}"
    );
    let cli_text = only_text(&std::fs::read(&png).unwrap());

    let _ = stop.send(());
    server.await.unwrap().unwrap();

    // Same payload (the seal's nonce differs per call, so compare what it holds).
    let decode = |text: &str| match exchange::decode_scanned_text(text, Region::default())
        .expect("an offline QR text")
    {
        Received::LiveCard {
            link,
            offline: Some(copy),
        } => (link.to_string(), copy),
        other => panic!("not a live card with an offline copy: {other:?}"),
    };
    let (app_link, app_copy) = decode(&app_text);
    let (cli_link, cli_copy) = decode(&cli_text);
    assert_eq!(app_link, cli_link);
    assert_eq!(app_copy.record.version, cli_copy.record.version);
    assert_eq!(app_copy.partial, cli_copy.partial);
    assert_eq!(app_copy.card, cli_copy.card);
    assert!(app_copy.partial, "fields were left out to fit");
    assert!(app_copy.card.avatar.is_none(), "the avatar is left out");
    assert_eq!(app_copy.card.name, "张三丰");
    assert_eq!(app_copy.card.mobile, ["+8613800138000"]);
    for text in [&app_text, &cli_text] {
        let payload_len = text.len() - "LC1:".len();
        // base45: 3 characters per 2 bytes.
        assert!(
            payload_len * 2 / 3 <= exchange::OFFLINE_QR_MAX_BYTES,
            "{payload_len} base45 characters"
        );
    }
}
