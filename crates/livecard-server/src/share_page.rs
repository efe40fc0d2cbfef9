//! The share page (issue 3 item 5, DESIGN.md §10): `GET /c/{id}` and `/C/{id}` answer a small
//! static HTML page whose ES modules fetch `/v1/cards/{id}`, check the id and signature, and
//! decrypt the card in the browser with the secret from the URL fragment (which browsers never
//! send here). The server only serves files: it never sees the secret or the card.
//!
//! - Files (`assets/`): `share.html` (a template with the asset prefix and the app URL),
//!   `share.mjs` (the page), `livecard.mjs` (protocol crypto + vCard writer, shared with the
//!   Node tests in `assets/tests/`), `share.css`. Embedded with `include_str!`.
//! - Assets live under `/s/<hash>/…`, where `<hash>` is an FNV-1a hash of all asset bytes
//!   computed at compile time: they are cached for a year (`immutable`), and a new build gets
//!   new URLs. The HTML itself is `no-cache`.
//! - Every response of this module carries a strict CSP (`default-src 'none'`, scripts, styles
//!   and fetches from this origin only, Trusted Types for script sinks), `Referrer-Policy:
//!   no-referrer` (the card path does not leak to sites the card links to), `nosniff`,
//!   `X-Frame-Options: DENY`.
//! - `/.well-known/assetlinks.json` (Android App Links) and
//!   `/.well-known/apple-app-site-association` (iOS Universal Links, paths `/c/*` and `/C/*`)
//!   come from [`AppLinks`] in the server configuration; unconfigured, they are 404.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use livecard_wire::CardId;
use serde_json::json;

use crate::AppState;

const SHARE_HTML: &str = include_str!("../assets/share.html");
const SHARE_MJS: &str = include_str!("../assets/share.mjs");
const LIVECARD_MJS: &str = include_str!("../assets/livecard.mjs");
const SHARE_CSS: &str = include_str!("../assets/share.css");
/// The field table, generated from `livecard-format/src/fields.rs` (a test checks it is
/// current), so the page lists and exports the same fields as the app.
const FIELDS_MJS: &str = include_str!("../assets/fields.mjs");

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'; require-trusted-types-for 'script'";

const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const ASSET_HASH: u64 = {
    let h = fnv1a(0xcbf2_9ce4_8422_2325, SHARE_MJS.as_bytes());
    let h = fnv1a(h, LIVECARD_MJS.as_bytes());
    let h = fnv1a(h, FIELDS_MJS.as_bytes());
    fnv1a(h, SHARE_CSS.as_bytes())
};

/// The path segment the current build's assets live under (`/s/<this>/share.mjs`).
pub fn asset_version() -> String {
    format!("{ASSET_HASH:016x}")
}

/// App Links / Universal Links and the "get the app" link (server configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppLinks {
    /// Android application id, e.g. `org.livecard.client`; empty = no assetlinks.json.
    pub android_package: String,
    /// SHA-256 fingerprints of the Android signing certificates, `AA:BB:…` (32 bytes each).
    pub android_cert_sha256: Vec<String>,
    /// Apple app ids, `TEAMID.bundle.id`; empty = no apple-app-site-association.
    pub apple_app_ids: Vec<String>,
    /// Where "Get the app" points (an http(s) URL). Empty: the Play Store page of
    /// `android_package` when that is set, else the link is not shown.
    pub app_url: String,
}

impl AppLinks {
    /// The URL of the page's "Get the app" link, or "" for none.
    pub fn download_url(&self) -> String {
        if !self.app_url.is_empty() {
            self.app_url.clone()
        } else if !self.android_package.is_empty() {
            format!(
                "https://play.google.com/store/apps/details?id={}",
                self.android_package
            )
        } else {
            String::new()
        }
    }
}

/// Command-line flags and environment variables of [`AppLinks`] (flattened into
/// [`crate::Cli`]).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AppLinksArgs {
    /// Android package name for App Links (/.well-known/assetlinks.json).
    #[arg(long, env = "LIVECARD_ANDROID_PACKAGE", value_parser = parse_package)]
    pub android_package: Option<String>,
    /// SHA-256 fingerprints of the Android signing certificate(s), comma-separated, hex with or
    /// without colons.
    #[arg(long, env = "LIVECARD_ANDROID_CERT_SHA256", value_delimiter = ',', value_parser = parse_fingerprint)]
    pub android_cert_sha256: Vec<String>,
    /// Apple app id(s) for Universal Links, TEAMID.bundle.id, comma-separated.
    #[arg(long, env = "LIVECARD_APPLE_APP_ID", value_delimiter = ',', value_parser = parse_apple_app_id)]
    pub apple_app_id: Vec<String>,
    /// Where the share page's "Get the app" link points (http or https URL).
    #[arg(long, env = "LIVECARD_APP_URL", value_parser = parse_app_url)]
    pub app_url: Option<String>,
}

impl AppLinksArgs {
    pub fn to_app_links(&self) -> AppLinks {
        AppLinks {
            android_package: self.android_package.clone().unwrap_or_default(),
            android_cert_sha256: self.android_cert_sha256.clone(),
            apple_app_ids: self.apple_app_id.clone(),
            app_url: self.app_url.clone().unwrap_or_default(),
        }
    }
}

/// `org.example.app`: two or more dot-separated segments of letters, digits and `_`, each
/// starting with a letter (Android's rule for application ids).
pub fn parse_package(text: &str) -> Result<String, String> {
    let ok = text.split('.').count() >= 2
        && text.split('.').all(|seg| {
            seg.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not an Android package name like org.example.app"
        ))
    }
}

/// A SHA-256 fingerprint, 64 hex digits with or without `:` → `AA:BB:…` upper case.
pub fn parse_fingerprint(text: &str) -> Result<String, String> {
    let digits: String = text.trim().chars().filter(|c| *c != ':').collect();
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not a SHA-256 certificate fingerprint (64 hex digits, colons allowed)"
        ));
    }
    let upper = digits.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32).map(|i| &upper[2 * i..2 * i + 2]).collect();
    Ok(pairs.join(":"))
}

/// `TEAMID.bundle.id`: a 10-character team id, a dot, a bundle id.
pub fn parse_apple_app_id(text: &str) -> Result<String, String> {
    let text = text.trim();
    let ok = match text.split_once('.') {
        Some((team, bundle)) => {
            team.len() == 10
                && team.chars().all(|c| c.is_ascii_alphanumeric())
                && !bundle.is_empty()
                && bundle
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }
        None => false,
    };
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not an Apple app id like ABCDE12345.org.example.app"
        ))
    }
}

/// An http(s) URL without characters that would need escaping in HTML.
pub fn parse_app_url(text: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>`".contains(c));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not an http(s) URL"))
    }
}

/// The share page's routes; merged into [`crate::app`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/c/{id}", get(page))
        .route("/C/{id}", get(page))
        .route("/s/{version}/{file}", get(asset))
        .route("/.well-known/assetlinks.json", get(assetlinks))
        .route(
            "/.well-known/apple-app-site-association",
            get(apple_app_site_association),
        )
}

fn html_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page's HTML for a configuration.
pub fn render_page(links: &AppLinks) -> String {
    SHARE_HTML
        .replace("{{ASSETS}}", &asset_version())
        .replace("{{APP_URL}}", &html_attr(&links.download_url()))
}

fn secure(mut resp: Response, content_type: &'static str, cache: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    resp
}

/// `GET /c/{id}`: the page (200), or the same page with 404 when the id is malformed (the
/// page then says the link is wrong). Whether the card exists is the page's fetch to find out.
async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let status = if CardId::parse(&id).is_ok() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let html = render_page(&state.config.app_links);
    secure(
        (status, html).into_response(),
        "text/html; charset=utf-8",
        "no-cache",
    )
}

/// `GET /s/{version}/{file}`: an embedded asset of this build.
async fn asset(Path((version, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let found = match file.as_str() {
        "share.mjs" => Some((SHARE_MJS, "text/javascript; charset=utf-8")),
        "livecard.mjs" => Some((LIVECARD_MJS, "text/javascript; charset=utf-8")),
        "fields.mjs" => Some((FIELDS_MJS, "text/javascript; charset=utf-8")),
        "share.css" => Some((SHARE_CSS, "text/css; charset=utf-8")),
        _ => None,
    };
    let Some((body, content_type)) = found.filter(|_| version == asset_version()) else {
        // No content type: the JSON error middleware answers `no_such_route`.
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset_version());
    let cache = "public, max-age=31536000, immutable";
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    secure(resp, content_type, cache)
}

fn json_file(value: serde_json::Value) -> Response {
    let mut resp = axum::Json(value).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// The Digital Asset Links statement for App Links.
pub fn assetlinks_json(links: &AppLinks) -> Option<serde_json::Value> {
    if links.android_package.is_empty() || links.android_cert_sha256.is_empty() {
        return None;
    }
    Some(json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": links.android_package,
            "sha256_cert_fingerprints": links.android_cert_sha256,
        }
    }]))
}

/// The apple-app-site-association file: the current `components` form (iOS 13+) and the
/// older `paths` form, for `/c/*` and `/C/*` (QR links are upper case, PROTOCOL.md §2).
pub fn apple_app_site_association_json(links: &AppLinks) -> Option<serde_json::Value> {
    if links.apple_app_ids.is_empty() {
        return None;
    }
    let details: Vec<serde_json::Value> = links
        .apple_app_ids
        .iter()
        .map(|app_id| {
            json!({
                "appID": app_id,
                "appIDs": [app_id],
                "paths": ["/c/*", "/C/*"],
                "components": [
                    {"/": "/c/*", "comment": "share links"},
                    {"/": "/C/*", "comment": "share links from QR codes (upper case)"}
                ]
            })
        })
        .collect();
    Some(json!({"applinks": {"apps": [], "details": details}}))
}

async fn assetlinks(State(state): State<AppState>) -> Response {
    match assetlinks_json(&state.config.app_links) {
        Some(v) => json_file(v),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn apple_app_site_association(State(state): State<AppState>) -> Response {
    match apple_app_site_association_json(&state.config.app_links) {
        Some(v) => json_file(v),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_normalised_or_refused() {
        let colons = "14:6d:e9:83:c5:73:06:50:d8:ee:b9:95:2f:34:fc:64:16:a0:83:42:e6:1d:be:a8:8a:04:96:b2:3f:cf:44:e5";
        let plain = colons.replace(':', "");
        let want = colons.to_ascii_uppercase();
        assert_eq!(parse_fingerprint(colons).as_deref(), Ok(want.as_str()));
        assert_eq!(parse_fingerprint(&plain).as_deref(), Ok(want.as_str()));
        assert!(parse_fingerprint("14:6D").is_err());
        assert!(parse_fingerprint(&"G".repeat(64)).is_err());
    }

    #[test]
    fn ids_and_urls_are_checked() {
        assert!(parse_package("org.livecard.client").is_ok());
        assert!(parse_package("livecard").is_err());
        assert!(parse_package("org.1x").is_err());
        assert!(parse_apple_app_id("ABCDE12345.org.livecard.client").is_ok());
        assert!(parse_apple_app_id("ABC.org.livecard").is_err());
        assert!(parse_app_url("https://livecard.example/app").is_ok());
        assert!(parse_app_url("javascript:alert(1)").is_err());
        assert!(parse_app_url("https://x.example/\"><script>").is_err());
    }

    #[test]
    fn the_page_names_this_builds_assets_and_escapes_the_app_url() {
        let links = AppLinks {
            app_url: "https://a.example/?x=1&y=\"2\"".into(),
            ..AppLinks::default()
        };
        let html = render_page(&links);
        assert!(html.contains(&format!("../s/{}/share.mjs", asset_version())));
        assert!(html.contains("https://a.example/?x=1&amp;y=&quot;2&quot;"));
        assert!(!html.contains("{{"));
        let play = AppLinks {
            android_package: "org.livecard.client".into(),
            ..AppLinks::default()
        };
        assert!(render_page(&play)
            .contains("https://play.google.com/store/apps/details?id=org.livecard.client"));
    }
}
