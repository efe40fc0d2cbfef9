//! End-to-end tests of the real desktop app: the debug binary built by
//! `cargo build -p livecard-app` (with ui/dist embedded), driven through tauri-driver and
//! WebKitWebDriver under a display (Xvfb), with the real core and a real SQLite file in a
//! fresh data directory per test. Run them with `scripts/e2e.sh`, which builds everything,
//! starts Xvfb when DISPLAY is unset, and runs `cargo test -p livecard-tests --features e2e
//! --test e2e_app`.
//!
//! Each test starts its own tauri-driver on free ports and stops it with SIGTERM (SIGKILL
//! would leave WebKitWebDriver holding its port). Tests take a lock so only one app runs at a
//! time. Waits poll a condition up to a generous limit; nothing sleeps for a fixed time.
//!
//! The tour tests also write screenshots of every screen (360×740, light and dark) into
//! docs/screenshots/.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The upper bound of every wait: a debug build under Xvfb on 2 busy cores can be slow.
const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The app binary: LIVECARD_APP_BIN, else `livecard-app` next to this test's target dir.
fn app_binary() -> PathBuf {
    if let Ok(p) = std::env::var("LIVECARD_APP_BIN") {
        return PathBuf::from(p);
    }
    // This test runs as target/debug/deps/e2e_app-<hash>.
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("livecard-app");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p livecard-app` (scripts/e2e.sh does)",
        bin.display()
    );
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A tauri-driver process, stopped with SIGTERM when dropped.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    fn start(log_dir: &Path) -> Driver {
        let port = free_port();
        let native_port = loop {
            let p = free_port();
            if p != port {
                break p;
            }
        };
        let log = log_dir.join("tauri-driver.log");
        let out = std::fs::File::create(&log).expect("create driver log");
        let err = out.try_clone().expect("clone log handle");
        let program = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
        let child = Command::new(&program)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program}: {e} (cargo install tauri-driver --locked)")
            });
        let mut d = Driver { child, port, log };
        d.wait_until_listening();
        d
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + WAIT;
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {} within {WAIT:?}",
                self.port
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
}

/// One running app with its own data directory.
struct App {
    client: Client,
    data: tempfile::TempDir,
    // Declared last: dropped after the client, so the session closes first.
    _driver: Driver,
    _lock: tokio::sync::MutexGuard<'static, ()>,
}

impl App {
    /// Start the app on a fresh data directory; `settings` (if any) is written there first.
    async fn launch(settings: Option<serde_json::Value>) -> App {
        let lock = ONE_APP_AT_A_TIME.lock().await;
        let data = tempfile::tempdir().expect("tempdir");
        let app_dir = data.path().join("app");
        std::fs::create_dir_all(&app_dir).expect("mkdir app data dir");
        if let Some(s) = settings {
            std::fs::write(app_dir.join("settings.json"), s.to_string()).expect("write settings");
        }
        let driver = Driver::start(data.path());
        let caps = json!({
            "browserName": "wry",
            "tauri:options": {
                "application": app_binary(),
                "args": ["--data-dir", app_dir],
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("a JSON object literal"),
        };
        let client = ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no WebDriver session: {e}; tauri-driver log:\n{}",
                    std::fs::read_to_string(&driver.log).unwrap_or_default()
                )
            });
        let app = App {
            client,
            data,
            _driver: driver,
            _lock: lock,
        };
        app.wait_for("the window title", |c| async move {
            Ok(c.title().await? == "livecard")
        })
        .await;
        app
    }

    async fn close(self) {
        let App { client, data, .. } = self;
        let _ = client.close().await;
        drop(data);
    }

    /// Poll `check` until it returns true; panic naming `what` after [`WAIT`].
    async fn wait_for<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn(Client) -> Fut,
        Fut: std::future::Future<Output = Result<bool, fantoccini::error::CmdError>>,
    {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            match check(self.client.clone()).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => last = e.to_string(),
            }
            if Instant::now() >= deadline {
                let body = self.body_text().await;
                panic!("waited {WAIT:?} for {what}; last error: {last}; page text:\n{body}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(e) => format!("<no body: {e}>"),
        }
    }

    /// The element with `data-testid=id`, once it is there.
    async fn by_id(&self, id: &str) -> Element {
        let css = format!("[data-testid='{id}']");
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| {
                panic!("no element {css}: {e}");
            })
    }

    async fn click(&self, id: &str) {
        self.by_id(id).await.click().await.expect("click");
    }

    async fn type_into(&self, id: &str, text: &str) {
        let el = self.by_id(id).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("send_keys");
    }

    /// Wait until the element `id` shows text containing `want`.
    async fn wait_text(&self, id: &str, want: &str) {
        let css = format!("[data-testid='{id}']");
        let want_owned = want.to_string();
        self.wait_for(&format!("{css} to contain {want:?}"), move |c| {
            let css = css.clone();
            let want = want_owned.clone();
            async move {
                match c.find(Locator::Css(&css)).await {
                    Ok(el) => Ok(el.text().await?.contains(&want)),
                    Err(_) => Ok(false),
                }
            }
        })
        .await;
    }

    async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Choose `value` in the <select> `id` (as a person would: the option, then change).
    async fn select(&self, id: &str, value: &str) {
        let el = self.by_id(id).await;
        el.select_by_value(value).await.expect("select option");
    }

    /// Save a screenshot of the viewport to docs/screenshots/NAME.png after the page has
    /// painted twice (the first frame after a change can be stale).
    async fn screenshot(&self, name: &str) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .expect("two animation frames");
        let png = self.client.screenshot().await.expect("screenshot");
        let (w, h) = png_size(&png).expect("a PNG from the driver");
        assert_eq!((w, h), (360, 740), "screenshot {name} is {w}×{h}");
        let dir = repo_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("mkdir docs/screenshots");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}

/// A .vcf as a phone would export it: two people, one with a Chinese name.
const CONTACTS_VCF: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:张;三丰;;;\r\n\
FN:张三丰\r\n\
ORG:武当派\r\n\
TITLE:掌门\r\n\
TEL;TYPE=CELL:+86 138 0013 8000\r\n\
EMAIL:zsf@wudang.example\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Doe;John;;;\r\n\
FN:John Doe\r\n\
ORG:Example Corp\r\n\
TEL;TYPE=WORK:+1 650 253 0000\r\n\
END:VCARD\r\n";

fn write_vcf(app: &App) -> PathBuf {
    let path = app.data.path().join("contacts.vcf");
    std::fs::write(&path, CONTACTS_VCF).expect("write vcf");
    path
}

/// The whole first-run tour in one theme, with a screenshot of every screen:
/// onboarding → create my card → my card → empty list → import a .vcf → list → search by
/// pinyin initials → card detail with a note and a tag → settings.
async fn tour(theme: &str) {
    let app = App::launch(Some(json!({"language": "en", "theme": theme}))).await;

    // Onboarding on a fresh data directory.
    app.by_id("onboarding").await;
    app.screenshot(&format!("01-onboarding-{theme}")).await;

    // Create my card: a bad email is marked in place, then fixed.
    app.click("onboarding-create").await;
    app.type_into("field-name", "张三丰").await;
    app.type_into("field-mobile-0", "138 0013 8000").await;
    app.type_into("field-company", "武当派").await;
    app.type_into("field-title", "掌门").await;
    app.type_into("field-email-0", "zsf@").await;
    app.click("editor-save").await;
    app.wait_text("error-email", "email").await;
    app.screenshot(&format!("02-editor-{theme}")).await;
    app.type_into("field-email-0", "zsf@wudang.example").await;
    app.click("editor-save").await;

    // My card shows it, the number normalised by the core.
    app.wait_text("me-name", "张三丰").await;
    app.wait_text("me-card", "+8613800138000").await;
    app.wait_text("me-work", "武当派").await;
    app.screenshot(&format!("03-my-card-{theme}")).await;

    // The received list starts empty and says how to add cards.
    app.click("tab-cards").await;
    app.wait_text("cards-empty", ".vcf").await;
    app.screenshot(&format!("04-cards-empty-{theme}")).await;

    // Add: the file picker gets a real .vcf path.
    app.click("cards-empty-add").await;
    let vcf = write_vcf(&app);
    let input = app.by_id("vcf-file").await;
    input
        .send_keys(vcf.to_str().expect("utf-8 temp path"))
        .await
        .expect("send a file path to the file input");
    app.wait_text("add-results", "Added 张三丰").await;
    app.wait_text("add-results", "Added John Doe").await;
    app.screenshot(&format!("05-add-{theme}")).await;

    // The list shows both; "zsf" finds 张三丰 alone.
    app.click("tab-cards").await;
    app.wait_text("card-list", "John Doe").await;
    app.wait_text("card-list", "张三丰").await;
    assert_eq!(app.count("[data-testid='card-row']").await, 2);
    app.screenshot(&format!("06-cards-{theme}")).await;
    app.type_into("search", "zsf").await;
    app.wait_for("search for zsf to leave one card", |c| async move {
        let rows = c.find_all(Locator::Css("[data-testid='card-row']")).await?;
        Ok(rows.len() == 1 && rows[0].text().await?.contains("张三丰"))
    })
    .await;
    app.screenshot(&format!("07-search-{theme}")).await;

    // Detail: every field, my own note and tag.
    app.click("card-row").await;
    app.wait_text("detail-name", "张三丰").await;
    app.wait_text("detail", "zsf@wudang.example").await;
    app.wait_text("detail", "+8613800138000").await;
    app.type_into("notes", "Met at the tea expo").await;
    app.type_into("new-tag", "expo").await;
    app.click("add-tag").await;
    app.wait_for("the tag chip", |c| async move {
        match c.find(Locator::Css(".chip")).await {
            Ok(chip) => Ok(chip.text().await?.contains("expo")),
            Err(_) => Ok(false),
        }
    })
    .await;
    app.screenshot(&format!("08-detail-{theme}")).await;

    app.click("tab-settings").await;
    app.by_id("version").await;
    app.screenshot(&format!("09-settings-{theme}")).await;
    app.close().await;
}

#[tokio::test]
async fn tour_light_creates_my_card_imports_searches_and_screenshots() {
    tour("light").await;
}

#[tokio::test]
async fn tour_dark_creates_my_card_imports_searches_and_screenshots() {
    tour("dark").await;
}

#[tokio::test]
async fn imported_cards_land_in_the_sqlite_store_of_the_given_data_dir() -> TestResult {
    let app = App::launch(Some(json!({"language": "en", "onboarded": true}))).await;
    app.click("tab-add").await;
    let vcf = write_vcf(&app);
    app.by_id("vcf-file")
        .await
        .send_keys(vcf.to_str().ok_or("temp path is not UTF-8")?)
        .await?;
    app.wait_text("add-results", "Added 张三丰").await;
    let db_dir = app.data.path().join("app");
    let entries: Vec<String> = std::fs::read_dir(&db_dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.iter().any(|n| n == "livecard.sqlite"),
        "the app keeps its store in its --data-dir; found {entries:?}"
    );
    app.close().await;
    Ok(())
}

#[tokio::test]
async fn switching_language_changes_the_labels() {
    let app = App::launch(Some(json!({"language": "en", "onboarded": true}))).await;
    app.wait_text("tab-cards", "Cards").await;
    app.click("tab-settings").await;
    app.select("language", "zh").await;
    app.wait_text("tab-cards", "名片夹").await;
    app.wait_text("tab-settings", "设置").await;
    app.screenshot("10-settings-zh-light").await;
    app.click("tab-cards").await;
    app.wait_text("cards-empty", "还没有名片").await;
    app.screenshot("11-cards-empty-zh-light").await;

    // The choice is stored: it is in the data directory's settings file.
    let saved = std::fs::read_to_string(app.data.path().join("app/settings.json"))
        .expect("settings saved in the data dir");
    assert!(saved.contains("\"zh\""), "{saved}");

    app.click("tab-settings").await;
    app.select("language", "en").await;
    app.wait_text("tab-cards", "Cards").await;
    app.close().await;
}
