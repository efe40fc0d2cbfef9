//! The share page's HTTP side on a real server (127.0.0.1:0, SQLite in a tempdir): the page at
//! `/c/{id}` and `/C/{id}`, its security headers, its embedded assets, the App Links /
//! Universal Links files from configuration, and the CLI flags that configure them.
//! The page's behaviour in a browser is tested in `share_page_browser.rs`; its JavaScript in
//! `share_page_js.rs` (node --test).

use clap::Parser;
use livecard_server::share_page::{asset_version, AppLinks, CSP};
use livecard_server::{Cli, Config};
use reqwest::header;
use reqwest::StatusCode;

const FINGERPRINT: &str =
    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5";

struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), livecard_server::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(app_links: AppLinks) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::new(format!(
            "sqlite://{}",
            dir.path().join("share.db").display()
        ));
        config.app_links = app_links;
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

fn header_str(resp: &reqwest::Response, name: header::HeaderName) -> String {
    resp.headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn assert_page_headers(resp: &reqwest::Response) {
    assert_eq!(
        header_str(resp, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header_str(resp, header::CONTENT_SECURITY_POLICY), CSP);
    assert!(CSP.starts_with("default-src 'none';"));
    for directive in [
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(CSP.contains(directive), "CSP lacks {directive}");
    }
    assert_eq!(header_str(resp, header::REFERRER_POLICY), "no-referrer");
    assert_eq!(header_str(resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header_str(resp, header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(header_str(resp, header::CACHE_CONTROL), "no-cache");
}

async fn error_code(resp: reqwest::Response) -> String {
    let v: serde_json::Value = resp.json().await.expect("JSON error body");
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn page_answers_any_case_with_strict_headers() {
    let server = Server::start(AppLinks {
        app_url: "https://livecard.example/app?from=share&x=\"y\"".into(),
        ..AppLinks::default()
    })
    .await;
    let http = reqwest::Client::new();
    for path in [
        "/c/KZDVVJ2UMNDUYAUF",
        "/C/KZDVVJ2UMNDUYAUF",
        "/c/kzdvvj2umnduyauf",
    ] {
        let resp = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("GET page");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_page_headers(&resp);
        let html = resp.text().await.expect("body");
        assert!(html.contains(&format!("../s/{}/share.mjs", asset_version())));
        assert!(html.contains(&format!("../s/{}/share.css", asset_version())));
        // The app URL is escaped into an attribute, never raw.
        assert!(html.contains("https://livecard.example/app?from=share&amp;x=&quot;y&quot;"));
        assert!(
            !html.contains("{{"),
            "template placeholders left in the page"
        );
        // No inline script or style: the CSP would block them.
        assert!(!html.contains("<script>") && !html.contains("style="));
    }
    // A malformed id still gets the page (which explains), with 404 and the same headers.
    for path in ["/c/not-an-id", "/c/KZDVVJ2UMNDUYAU", "/C/KZDVVJ2UMNDUYAUF1"] {
        let resp = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("GET page");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert_page_headers(&resp);
    }
    // Methods other than GET/HEAD are the API's JSON refusal.
    let resp = http
        .post(format!("{}/c/KZDVVJ2UMNDUYAUF", server.base))
        .send()
        .await
        .expect("POST page");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(resp).await, "method_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn assets_are_this_builds_files_cached_for_good() {
    let server = Server::start(AppLinks::default()).await;
    let http = reqwest::Client::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/");
    for (file, content_type) in [
        ("share.mjs", "text/javascript; charset=utf-8"),
        ("livecard.mjs", "text/javascript; charset=utf-8"),
        ("phone.mjs", "text/javascript; charset=utf-8"),
        ("libphonenumber.mjs", "text/javascript; charset=utf-8"),
        ("share.css", "text/css; charset=utf-8"),
    ] {
        let url = format!("{}/s/{}/{file}", server.base, asset_version());
        let resp = http.get(&url).send().await.expect("GET asset");
        assert_eq!(resp.status(), StatusCode::OK, "{file}");
        assert_eq!(header_str(&resp, header::CONTENT_TYPE), content_type);
        assert_eq!(
            header_str(&resp, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header_str(&resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        let etag = header_str(&resp, header::ETAG);
        assert_eq!(etag, format!("\"{}\"", asset_version()));
        let body = resp.text().await.expect("asset body");
        let on_disk = std::fs::read_to_string(format!("{dir}{file}")).expect("asset on disk");
        assert_eq!(body, on_disk, "{file} served differs from assets/{file}");

        let again = http
            .get(&url)
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("conditional GET asset");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    // Another build's hash, an unknown file, the test folder: not served.
    for path in [
        "/s/0000000000000000/share.mjs".to_string(),
        format!("/s/{}/package.json", asset_version()),
        format!("/s/{}/tests", asset_version()),
        format!("/s/{}/share.html", asset_version()),
    ] {
        let resp = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(resp).await, "no_such_route", "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn well_known_files_come_from_configuration() {
    let unconfigured = Server::start(AppLinks::default()).await;
    let http = reqwest::Client::new();
    for path in [
        "/.well-known/assetlinks.json",
        "/.well-known/apple-app-site-association",
    ] {
        let resp = http
            .get(format!("{}{path}", unconfigured.base))
            .send()
            .await
            .expect("GET well-known");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(resp).await, "no_such_route");
    }
    unconfigured.stop().await;

    let server = Server::start(AppLinks {
        android_package: "org.livecard.client".into(),
        android_cert_sha256: vec![FINGERPRINT.into()],
        apple_app_ids: vec!["ABCDE12345.org.livecard.client".into()],
        app_url: String::new(),
    })
    .await;
    let resp = http
        .get(format!("{}/.well-known/assetlinks.json", server.base))
        .send()
        .await
        .expect("GET assetlinks");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), "application/json");
    let v: serde_json::Value = resp.json().await.expect("assetlinks JSON");
    assert_eq!(
        v,
        serde_json::json!([{
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": "org.livecard.client",
                "sha256_cert_fingerprints": [FINGERPRINT]
            }
        }])
    );

    let resp = http
        .get(format!(
            "{}/.well-known/apple-app-site-association",
            server.base
        ))
        .send()
        .await
        .expect("GET aasa");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), "application/json");
    let v: serde_json::Value = resp.json().await.expect("aasa JSON");
    let details = &v["applinks"]["details"][0];
    assert_eq!(
        details["appIDs"],
        serde_json::json!(["ABCDE12345.org.livecard.client"])
    );
    assert_eq!(details["appID"], "ABCDE12345.org.livecard.client");
    assert_eq!(details["paths"], serde_json::json!(["/c/*", "/C/*"]));
    assert_eq!(details["components"][0]["/"], "/c/*");
    assert_eq!(details["components"][1]["/"], "/C/*");

    // Without an app URL, "Get the app" goes to the package's Play Store page.
    let html = http
        .get(format!("{}/c/KZDVVJ2UMNDUYAUF", server.base))
        .send()
        .await
        .expect("GET page")
        .text()
        .await
        .expect("page body");
    assert!(html.contains("https://play.google.com/store/apps/details?id=org.livecard.client"));
    server.stop().await;
}

#[test]
fn cli_flags_configure_app_links_and_refuse_bad_values() {
    let plain = FINGERPRINT.replace(':', "").to_ascii_lowercase();
    let cli = Cli::try_parse_from([
        "livecard-server",
        "--android-package",
        "org.livecard.client",
        "--android-cert-sha256",
        &format!("{plain},{FINGERPRINT}"),
        "--apple-app-id",
        "ABCDE12345.org.livecard.client",
        "--app-url",
        "https://livecard.example/app",
    ])
    .expect("flags parse");
    let (config, _) = cli.to_config();
    assert_eq!(
        config.app_links,
        AppLinks {
            android_package: "org.livecard.client".into(),
            android_cert_sha256: vec![FINGERPRINT.into(), FINGERPRINT.into()],
            apple_app_ids: vec!["ABCDE12345.org.livecard.client".into()],
            app_url: "https://livecard.example/app".into(),
        }
    );
    for bad in [
        ["--android-cert-sha256", "14:6D"],
        ["--android-package", "livecard"],
        ["--apple-app-id", "org.livecard.client"],
        ["--app-url", "javascript:alert(1)"],
    ] {
        let err = Cli::try_parse_from(["livecard-server", bad[0], bad[1]])
            .expect_err("a bad value must be refused");
        assert!(err.to_string().contains(bad[1]), "{err}");
    }
    let (defaults, _) = Cli::try_parse_from(["livecard-server"])
        .expect("no flags")
        .to_config();
    assert_eq!(defaults.app_links, AppLinks::default());
}
