//! Debian's headless Chromium driven over WebDriver (chromedriver + fantoccini), shared by the
//! browser tests (`share_page_browser.rs`, `vectors_chromium.rs`): find the tools or skip,
//! start chromedriver on a free port, open a session.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};

/// chromedriver as a child process; killed (by its own handle) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver and Chromium (`LIVECARD_CHROMEDRIVER`, `LIVECARD_CHROMIUM`, else Debian's
/// paths), or `None` when either is missing.
pub fn find_tools() -> Option<(PathBuf, PathBuf)> {
    let driver = std::env::var_os("LIVECARD_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })?;
    let browser = std::env::var_os("LIVECARD_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    (driver.exists() && browser.exists()).then_some((driver, browser))
}

/// [`find_tools`], or a loud, counted skip of `test` — a failure where a browser is required
/// (`CI`, `LIVECARD_REQUIRE_BROWSER`, `LIVECARD_REQUIRE_ALL=1`).
pub fn tools_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    let found = find_tools();
    if found.is_none() {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("LIVECARD_REQUIRE_BROWSER").is_some();
        assert!(
            !required,
            "{test}: chromium and chromedriver are required here: apt-get install chromium chromium-driver"
        );
        livecard_testkit::skip(
            test,
            "/usr/bin/chromium or chromedriver missing (apt-get install chromium chromium-driver)",
        );
    }
    found
}

/// Starts chromedriver on a free port and returns once it says it is listening.
pub fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start chromedriver");
    let stdout = child.stdout.take().expect("chromedriver stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                let ready = line.contains("started successfully");
                seen.push(line);
                if ready {
                    break;
                }
            }
            _ => {
                let _ = child.kill();
                panic!(
                    "chromedriver exited before it was ready:\n{}",
                    seen.join("\n")
                );
            }
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A headless Chromium session in language `lang`, with its profile and download folder.
pub async fn open_browser(
    driver: &Driver,
    chromium: &Path,
    lang: &str,
    profile: &Path,
    downloads: &Path,
) -> Client {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                format!("--lang={lang}"),
                "--window-size=480,1000",
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": lang,
            }
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    };
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session with Chromium")
}
