//! The share page in a real browser: Debian's headless Chromium driven by chromedriver over
//! WebDriver (fantoccini), against the real server on 127.0.0.1:0 with SQLite in a tempdir.
//!
//! A Chinese card sealed with `livecard_format::crypto::seal` is published; its share link opens
//! in Chromium, which must decrypt it and show the name; "Add to contacts" must download a .vcf
//! that `livecard_format::vcard::parse_vcards` reads back as the same card (and that is
//! byte-for-byte what the Rust exporter writes). Also: the upper-cased QR form of the link
//! (`/C/ID#SECRET`) in English, a wrong secret, a missing fragment, a deleted card (410) and an
//! unknown card (404) each show their message.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (and `fonts-wqy-microhei` for
//! legible Chinese in screenshots). Without them the test says SKIPPED loudly — unless `CI` or
//! `LIVECARD_REQUIRE_BROWSER` is set, where it fails. `LIVECARD_WRITE_SCREENSHOTS=1` writes
//! docs/screenshots/share-page-{zh,en}.png.

mod browser;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use browser::{open_browser, start_driver};
use fantoccini::{Client, Locator};
use livecard_format::crypto::{seal, sign_delete, CardKeys, ShareLink, ShareSecret};
use livecard_format::vcard::{parse_vcards, to_vcard};
use livecard_format::wire::{card_path, SealedRecord};
use livecard_format::{Card, Region};
use livecard_server::Config;

const WAIT: Duration = Duration::from_secs(30);

struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), livecard_server::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::new(format!(
            "sqlite://{}",
            dir.path().join("browser.db").display()
        ));
        config.app_links.app_url = "https://livecard.example/app".into();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(livecard_server::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        Server {
            base,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server ran");
        }
    }
}

fn test_card() -> Card {
    serde_json::from_value(serde_json::json!({
        "name": "张三丰",
        "family": "张",
        "given": "三丰",
        "company": "武当科技有限公司",
        "title": "总经理",
        "industry": "软件",
        "mobile": ["+8613800138000"],
        "phone": ["+862787654321"],
        "email": ["zhang@wudang.example"],
        "address": [{
            "street": "武当山路1号",
            "locality": "十堰市",
            "region": "湖北省",
            "postal_code": "442714",
            "country": "中国"
        }],
        "website": ["https://wudang.example/"],
        "qq": "10001",
        "wechat": "zhangsanfeng",
        "weibo": "wudang_zsf",
        "bulletin": "新品发布：八折优惠, 欢迎咨询; 详情见官网",
        "temp_number": "+8613900139000",
        "temp_until": "2099-01-01T10:00:00Z"
    }))
    .expect("test card JSON")
}

async fn publish(http: &reqwest::Client, base: &str, record: &SealedRecord) {
    let resp = http
        .put(format!("{base}{}", card_path(&record.id)))
        .json(record)
        .send()
        .await
        .expect("PUT card");
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED, "publish");
}

async fn wait_css(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let code = match client.find(Locator::Css("#status")).await {
                Ok(s) => s.attr("data-code").await.ok().flatten().unwrap_or_default(),
                Err(_) => String::new(),
            };
            let text = client.find(Locator::Css("#status-text")).await.ok();
            let text = match text {
                Some(t) => t.text().await.unwrap_or_default(),
                None => String::new(),
            };
            panic!("{css} did not appear: {e}; page status {code:?}: {text}");
        }
    }
}

async fn status_of(client: &Client, url: &str, code: &str) -> String {
    client.goto(url).await.expect("goto");
    let el = wait_css(client, &format!("#status.error[data-code='{code}']")).await;
    let card_hidden = client
        .find(Locator::Css("#card"))
        .await
        .expect("#card")
        .attr("hidden")
        .await
        .expect("hidden attr");
    assert!(card_hidden.is_some(), "{code}: the card must stay hidden");
    el.find(Locator::Css("#status-text"))
        .await
        .expect("status text")
        .text()
        .await
        .expect("text")
}

/// Waits until exactly one finished .vcf is in `dir` (Chromium writes `.crdownload` first).
fn wait_for_vcf(dir: &Path) -> PathBuf {
    let deadline = Instant::now() + WAIT;
    loop {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("download dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "vcf"))
            .collect();
        if let [one] = done.as_slice() {
            return one.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no .vcf downloaded into {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn save_screenshot(png: &[u8], name: &str, scratch: &Path) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "screenshot is not a PNG"
    );
    let path = if std::env::var_os("LIVECARD_WRITE_SCREENSHOTS").is_some() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        dir.join(name)
    } else {
        scratch.join(name)
    };
    std::fs::write(&path, png).expect("write screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_link_decrypts_in_chromium_and_its_vcf_reads_back() {
    let Some((driver_path, chromium)) = browser::tools_or_skip("share page browser test") else {
        return;
    };
    let server = Server::start().await;
    let http = reqwest::Client::new();
    let scratch = tempfile::tempdir().expect("tempdir");

    let card = test_card();
    let keys = CardKeys::generate();
    let secret = ShareSecret::generate();
    let record = seal(&card, &keys, &secret, 1).expect("seal");
    publish(&http, &server.base, &record).await;
    let link = ShareLink::new(&server.base, keys.id(), secret.clone());

    // A card to delete (410) and an id never published (404).
    let gone_keys = CardKeys::generate();
    let gone_secret = ShareSecret::generate();
    let gone = seal(&card, &gone_keys, &gone_secret, 1).expect("seal");
    publish(&http, &server.base, &gone).await;
    let tombstone = sign_delete(&gone_keys, 2).expect("sign delete");
    let resp = http
        .delete(format!("{}{}", server.base, card_path(&tombstone.id)))
        .json(&tombstone)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let unknown = ShareLink::new(
        &server.base,
        CardKeys::generate().id(),
        ShareSecret::generate(),
    );

    let driver = start_driver(&driver_path);

    // --- 中文 ---
    let profile = scratch.path().join("profile-zh");
    let downloads = scratch.path().join("downloads-zh");
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    let client = open_browser(&driver, &chromium, "zh-CN", &profile, &downloads).await;
    client
        .goto(&link.to_string())
        .await
        .expect("open share link");
    wait_css(&client, "#card:not([hidden])").await;
    let name = client.find(Locator::Css("#name")).await.expect("#name");
    assert_eq!(name.text().await.expect("name text"), "张三丰");
    let subtitle = client
        .find(Locator::Css("#subtitle"))
        .await
        .expect("#subtitle");
    assert_eq!(
        subtitle.text().await.expect("subtitle"),
        "总经理 · 武当科技有限公司"
    );
    let fields = client.find(Locator::Css("#fields")).await.expect("#fields");
    let fields_text = fields.text().await.expect("fields text");
    // Numbers formatted for the viewer's region (zh-CN: national, assets/phone.mjs); the
    // tel: link and the .vcf keep the stored E.164.
    for want in [
        "手机",
        "138 0013 8000",
        "临时号码",
        "139 0013 9000",
        "微信",
        "zhangsanfeng",
        "湖北省",
    ] {
        assert!(
            fields_text.contains(want),
            "{want:?} not shown in:\n{fields_text}"
        );
    }
    let tel = client
        .find(Locator::Css("#fields a[href='tel:+8613800138000']"))
        .await
        .expect("mobile as a tel: link");
    assert_eq!(tel.text().await.expect("tel text"), "138 0013 8000");
    let note = client
        .find(Locator::Css("#verify-note"))
        .await
        .expect("note");
    assert!(
        note.text().await.expect("note text").contains("签名已验证"),
        "Chromium has Ed25519 in WebCrypto: the signature must be verified"
    );
    let add = client
        .find(Locator::Css("#add-contact"))
        .await
        .expect("button");
    assert_eq!(add.text().await.expect("button text"), "添加到通讯录");
    save_screenshot(
        &client.screenshot().await.expect("screenshot"),
        "share-page-zh.png",
        scratch.path(),
    );

    add.click().await.expect("click Add to contacts");
    let vcf_path = wait_for_vcf(&downloads);
    assert_eq!(
        vcf_path.file_name().and_then(|n| n.to_str()),
        Some("张三丰.vcf")
    );
    let vcf = std::fs::read(&vcf_path).expect("read .vcf");
    let imported =
        parse_vcards(&vcf, Region::default()).expect("the Rust importer reads the page's .vcf");
    assert_eq!(imported.len(), 1);
    let back = &imported[0].card;
    assert_eq!(back.name, "张三丰");
    assert_eq!(back.mobile, vec!["+8613800138000".to_string()]);
    assert_eq!(back.email, vec!["zhang@wudang.example".to_string()]);
    assert_eq!(back.company, "武当科技有限公司");
    assert_eq!(
        back, &card,
        "the whole card survives page → .vcf → importer"
    );
    assert_eq!(
        String::from_utf8(vcf).expect("UTF-8 .vcf"),
        to_vcard(&card),
        "the page writes the same vCard as the Rust exporter"
    );

    // Wrong secret (same page, only the fragment changes: the page re-reads it).
    let wrong = ShareLink::new(&server.base, keys.id(), ShareSecret::generate());
    let text = status_of(&client, &wrong.to_string(), "wrong_secret").await;
    assert!(text.contains("无法解密"), "{text}");
    // No fragment at all.
    let bare = format!("{}/c/{}", server.base, keys.id());
    let text = status_of(&client, &bare, "missing_secret").await;
    assert!(text.contains("缺少密钥"), "{text}");
    // A damaged fragment.
    let text = status_of(&client, &format!("{bare}#ABC"), "bad_secret").await;
    assert!(text.contains("已损坏"), "{text}");
    // Deleted by its owner → 410; never published → 404.
    let gone_link = ShareLink::new(&server.base, gone_keys.id(), gone_secret);
    let text = status_of(&client, &gone_link.to_string(), "gone").await;
    assert!(text.contains("已被主人删除"), "{text}");
    let text = status_of(&client, &unknown.to_string(), "not_found").await;
    assert!(text.contains("找不到这张名片"), "{text}");
    client.close().await.expect("close zh session");

    // --- English, the upper-cased QR form of the link (/C/ID#SECRET) ---
    let profile = scratch.path().join("profile-en");
    let downloads = scratch.path().join("downloads-en");
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    let client = open_browser(&driver, &chromium, "en-US", &profile, &downloads).await;
    let qr = link.to_qr_text();
    assert!(qr.contains("/C/"));
    client.goto(&qr).await.expect("open QR link");
    wait_css(&client, "#card:not([hidden])").await;
    let name = client.find(Locator::Css("#name")).await.expect("#name");
    assert_eq!(name.text().await.expect("name text"), "张三丰");
    let add = client
        .find(Locator::Css("#add-contact"))
        .await
        .expect("button");
    assert_eq!(add.text().await.expect("button text"), "Add to contacts");
    let fields = client.find(Locator::Css("#fields")).await.expect("#fields");
    let fields_text = fields.text().await.expect("fields text");
    // en-US: a Chinese number in international format.
    for want in [
        "Mobile",
        "+86 138 0013 8000",
        "Temporary number",
        "WeChat",
        "Email",
    ] {
        assert!(
            fields_text.contains(want),
            "{want:?} not shown in:\n{fields_text}"
        );
    }
    let get_app = client
        .find(Locator::Css("#get-app"))
        .await
        .expect("#get-app");
    assert_eq!(get_app.text().await.expect("text"), "Get the livecard app");
    assert_eq!(
        get_app.attr("href").await.expect("href").as_deref(),
        Some("https://livecard.example/app")
    );
    save_screenshot(
        &client.screenshot().await.expect("screenshot"),
        "share-page-en.png",
        scratch.path(),
    );
    let text = status_of(
        &client,
        &format!("{}/c/{}", server.base, keys.id()),
        "missing_secret",
    )
    .await;
    assert!(text.contains("has no key"), "{text}");
    client.close().await.expect("close en session");

    drop(driver);
    server.stop().await;
}
