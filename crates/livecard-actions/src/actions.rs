//! What each field of a card offers when tapped (DESIGN.md point 7, patent ¶0017).
//!
//! [`actions_for`] turns a [`Card`] into a list of [`FieldActions`], one per field value in
//! display order, each with its [`Action`]s: a URL to open, text to copy, or both, and for app
//! schemes a [`Fallback`] (store pages, web page) to offer when the app is missing. Values that
//! cannot be acted on safely (a number that is not a valid E.164 number, a QQ "number" with
//! letters, a website with a `javascript:` scheme) are refused: offered only as copy.
//!
//! Every URL is built here, percent-encoded with [`percent_encoding`], so no other layer
//! concatenates user text into a URL.

use chrono::{DateTime, Utc};
use livecard_format::card::check_value;
use livecard_format::fields::{Act, FIELDS};
use livecard_format::{Address, Card, Field};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

/// Where the app runs; decides the map URL, the SMS body syntax and the fallbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Android,
    Ios,
    Desktop,
}

/// What an action does. The UI picks the icon from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ActionKind {
    /// `tel:` — dial.
    Call,
    /// `sms:` — compose a text message.
    Sms,
    /// Copy `copy_text` to the clipboard; no URL.
    Copy,
    /// `mailto:`.
    Email,
    /// Open another app by its URL scheme (QQ, Weibo, WeChat, DingTalk, Aliwangwang). When
    /// `copy_text` is set too, the UI copies it first, then opens the URL (WeChat).
    OpenApp,
    /// Open a web page (the card's website, a web profile).
    OpenWeb,
    /// Show an address in a maps app or web map.
    Map,
}

/// One tappable action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Action {
    pub kind: ActionKind,
    /// i18n key of the button label, e.g. `action.call` (see [`crate::labels`]).
    pub label_key: String,
    /// The URL to open; `None` for copy-only actions.
    pub url: Option<String>,
    /// Text to put on the clipboard (for `Copy`, and before opening for WeChat).
    pub copy_text: Option<String>,
    /// What to offer when opening `url` fails because the app is missing.
    pub fallback: Option<Fallback>,
    /// The action a plain tap on the field performs (the first button).
    pub primary: bool,
}

/// Pages to offer when an app scheme cannot be opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fallback {
    /// App store page on Android (`market://details?id=…`; vendor stores in China handle it too).
    pub store_url_android: Option<String>,
    /// App Store page on iOS (`https://apps.apple.com/…/id…`, opens the App Store app).
    pub store_url_ios: Option<String>,
    /// A web page doing the same job in a browser (also the desktop fallback).
    pub web_url: Option<String>,
}

/// All actions of one field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldActions {
    pub field: Field,
    /// Index in the card's list for multi-valued fields (mobile, email, …); 0 otherwise.
    pub index: usize,
    /// The value as shown (an address as one line).
    pub value: String,
    /// i18n key of the field label, e.g. `field.mobile`.
    pub label_key: String,
    /// The temporary number while it is valid: shown first, dialled by default.
    pub primary: bool,
    /// Expiry of the temporary number.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub valid_until: Option<DateTime<Utc>>,
    /// Why the value is offered only as copy (i18n key, e.g. `refused.invalid_number`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub refused: Option<String>,
    pub actions: Vec<Action>,
}

/// A URL could not be built from a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("{0:?} is not a valid phone number in international form (+ country code)")]
    InvalidNumber(String),
    #[error("{0:?} is not an email address")]
    InvalidEmail(String),
}

/// Every URL scheme [`actions_for`] and [`fallback_for`] can produce. The app's opener
/// capability allows exactly these (and iOS lists the app schemes in
/// LSApplicationQueriesSchemes, see docs/ACTIONS.md).
pub const SCHEMES: &[&str] = &[
    "tel",
    "sms",
    "mailto",
    "https",
    "http",
    "geo",
    "market",
    "mqqwpa",
    "sinaweibo",
    "weixin",
    "dingtalk",
    "aliim",
];

/// The app schemes an iOS app must declare in LSApplicationQueriesSchemes so that
/// `canOpenURL` can tell whether the app is installed.
pub const IOS_QUERY_SCHEMES: &[&str] = &["mqqwpa", "sinaweibo", "weixin", "dingtalk", "aliim"];

/// Characters left as they are in a URL query value or path segment: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An addr-spec inside `mailto:` (RFC 6068): unreserved plus `@`. `+` is encoded (`%2B`)
/// because some mail clients decode a literal `+` as a space.
const MAILTO_ADDR: &AsciiSet = &COMPONENT.remove(b'@');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

// Store and web pages. Ids checked against published App Store / Play links (docs/ACTIONS.md).
const QQ_ANDROID: &str = "market://details?id=com.tencent.mobileqq";
const QQ_IOS: &str = "https://apps.apple.com/cn/app/id444934666";
const WEIBO_ANDROID: &str = "market://details?id=com.sina.weibo";
const WEIBO_IOS: &str = "https://apps.apple.com/cn/app/id350962117";
const WECHAT_ANDROID: &str = "market://details?id=com.tencent.mm";
const WECHAT_IOS: &str = "https://apps.apple.com/cn/app/id414478124";
const WECHAT_WEB: &str = "https://weixin.qq.com/";
const DINGTALK_ANDROID: &str = "market://details?id=com.alibaba.android.rimet";
const DINGTALK_IOS: &str = "https://apps.apple.com/cn/app/id930368978";
const DINGTALK_WEB: &str = "https://www.dingtalk.com/download";
const QIANNIU_ANDROID: &str = "market://details?id=com.taobao.qianniu";

/// Parse a stored number and accept it only if it is a valid number in international form.
fn valid_number(number: &str) -> Option<phonenumber::PhoneNumber> {
    let t = number.trim();
    if !t.starts_with('+') {
        return None;
    }
    // Refuse anything beyond what a dialled number may contain before the parser (which is
    // lenient about letters: "+1-800-FLOWERS") sees it.
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
    {
        return None;
    }
    let n = phonenumber::parse(None, t).ok()?;
    if n.extension().is_some() || !phonenumber::is_valid(&n) {
        return None;
    }
    Some(n)
}

fn e164(n: &phonenumber::PhoneNumber) -> String {
    n.format().mode(phonenumber::Mode::E164).to_string()
}

/// `tel:+8613800138000`: only `+` and digits. Refuses numbers that are not valid E.164.
pub fn tel_url(number: &str) -> Result<String, ActionError> {
    valid_number(number)
        .map(|n| format!("tel:{}", e164(&n)))
        .ok_or_else(|| ActionError::InvalidNumber(number.to_string()))
}

/// `sms:+8613800138000` (RFC 5724 without a body).
pub fn sms_url(number: &str) -> Result<String, ActionError> {
    valid_number(number)
        .map(|n| format!("sms:{}", e164(&n)))
        .ok_or_else(|| ActionError::InvalidNumber(number.to_string()))
}

/// `sms:` with a prefilled body. Android and desktop follow RFC 5724 (`?body=`); iOS Messages
/// only reads the body after `&` (`sms:+86…&body=`), a long-standing iOS quirk.
pub fn sms_url_with_body(
    number: &str,
    body: &str,
    platform: Platform,
) -> Result<String, ActionError> {
    let base = sms_url(number)?;
    let sep = match platform {
        Platform::Ios => '&',
        Platform::Android | Platform::Desktop => '?',
    };
    Ok(format!("{base}{sep}body={}", enc(body)))
}

/// `sms:` with a prefilled body and no recipient (the user picks one), e.g. to send one's
/// own share link: `sms:?body=…` (RFC 5724: Android, desktop), `sms:&body=…` (iOS Messages).
pub fn sms_body_url(body: &str, platform: Platform) -> String {
    let sep = match platform {
        Platform::Ios => '&',
        Platform::Android | Platform::Desktop => '?',
    };
    format!("sms:{sep}body={}", enc(body))
}

/// `mailto:` with the address percent-encoded (`a+b@x.cn` → `mailto:a%2Bb@x.cn`).
pub fn mailto_url(email: &str) -> Result<String, ActionError> {
    let e = email.trim();
    if !email_address::EmailAddress::is_valid(e) {
        return Err(ActionError::InvalidEmail(email.to_string()));
    }
    Ok(format!("mailto:{}", utf8_percent_encode(e, MAILTO_ADDR)))
}

fn action(kind: ActionKind, label_key: &str, url: Option<String>) -> Action {
    Action {
        kind,
        label_key: label_key.to_string(),
        url,
        copy_text: None,
        fallback: None,
        primary: false,
    }
}

fn copy(text: &str) -> Action {
    Action {
        copy_text: Some(text.to_string()),
        ..action(ActionKind::Copy, "action.copy", None)
    }
}

fn mark_primary(mut actions: Vec<Action>) -> Vec<Action> {
    if let Some(first) = actions.first_mut() {
        first.primary = true;
    }
    actions
}

fn entry(field: Field, index: usize, value: &str, actions: Vec<Action>) -> FieldActions {
    FieldActions {
        field,
        index,
        value: value.to_string(),
        label_key: format!("field.{}", field.as_str()),
        primary: false,
        valid_until: None,
        refused: None,
        actions: mark_primary(actions),
    }
}

fn refused(field: Field, index: usize, value: &str, why: &str) -> FieldActions {
    FieldActions {
        refused: Some(why.to_string()),
        ..entry(field, index, value, vec![copy(value.trim())])
    }
}

/// Whether a number can take an SMS: mobiles, and numbers whose type cannot be told from the
/// digits (US/CA "fixed line or mobile"). Chinese landlines cannot receive SMS.
fn can_sms(n: &phonenumber::PhoneNumber) -> bool {
    use phonenumber::Type;
    matches!(
        n.number_type(&phonenumber::metadata::DATABASE),
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Voip
    )
}

fn number_entry(field: Field, index: usize, value: &str) -> FieldActions {
    let Some(n) = valid_number(value) else {
        return refused(field, index, value, "refused.invalid_number");
    };
    let e = e164(&n);
    let mut actions = Vec::new();
    if field == Field::Fax {
        // Dialling a fax machine helps nobody; the number is still one tap from the clipboard.
        return entry(field, index, value, vec![copy(&e)]);
    }
    actions.push(action(
        ActionKind::Call,
        "action.call",
        Some(format!("tel:{e}")),
    ));
    if field != Field::Phone || can_sms(&n) {
        actions.push(action(
            ActionKind::Sms,
            "action.sms",
            Some(format!("sms:{e}")),
        ));
    }
    actions.push(copy(&e));
    entry(field, index, value, actions)
}

fn app_action(label_key: &str, url: String, fallback: Fallback) -> Action {
    Action {
        fallback: Some(fallback),
        ..action(ActionKind::OpenApp, label_key, Some(url))
    }
}

/// QQ numbers are 5 to 11 digits, no leading zero.
fn qq_entry(value: &str) -> FieldActions {
    let qq = value.trim();
    let ok = (5..=11).contains(&qq.len())
        && qq.bytes().all(|b| b.is_ascii_digit())
        && !qq.starts_with('0');
    if !ok {
        return refused(Field::Qq, 0, value, "refused.invalid_qq");
    }
    let fallback = Fallback {
        store_url_android: Some(QQ_ANDROID.into()),
        store_url_ios: Some(QQ_IOS.into()),
        web_url: Some(format!(
            "https://wpa.qq.com/msgrd?v=3&uin={qq}&site=qq&menu=yes"
        )),
    };
    entry(
        Field::Qq,
        0,
        value,
        vec![
            app_action(
                "action.open_qq",
                format!("mqqwpa://im/chat?chat_type=wpa&uin={qq}&version=1"),
                fallback,
            ),
            copy(qq),
        ],
    )
}

/// Weibo: a numeric uid opens the profile in the app; a screen name only has a web page.
/// Accepts `@name`, a bare uid, and profile links (`weibo.com/u/123`, `m.weibo.cn/u/123`,
/// `weibo.com/n/name`, `weibo.com/name`).
fn weibo_entry(value: &str) -> FieldActions {
    let v = value.trim();
    let id = weibo_id(v);
    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refused(Field::Weibo, 0, value, "refused.invalid_weibo");
    }
    let mut actions = Vec::new();
    if id.bytes().all(|b| b.is_ascii_digit()) {
        let web = format!("https://m.weibo.cn/u/{id}");
        actions.push(app_action(
            "action.open_weibo",
            format!("sinaweibo://userinfo?uid={id}"),
            Fallback {
                store_url_android: Some(WEIBO_ANDROID.into()),
                store_url_ios: Some(WEIBO_IOS.into()),
                web_url: Some(web.clone()),
            },
        ));
        actions.push(action(ActionKind::OpenWeb, "action.open_web", Some(web)));
    } else {
        actions.push(action(
            ActionKind::OpenWeb,
            "action.open_weibo_web",
            Some(format!("https://weibo.com/n/{}", enc(id))),
        ));
    }
    actions.push(copy(v));
    entry(Field::Weibo, 0, value, actions)
}

fn weibo_id(v: &str) -> &str {
    let v = v.strip_prefix('@').unwrap_or(v);
    let lower = v.to_ascii_lowercase();
    if !(lower.contains("weibo.com") || lower.contains("weibo.cn")) {
        return v;
    }
    // A profile link: take what follows /u/ or /n/, else the first path segment.
    let path = v
        .split_once("://")
        .map_or(v, |(_, rest)| rest)
        .split_once('/')
        .map_or("", |(_, p)| p);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    match segs.next() {
        Some("u") | Some("n") => segs.next().unwrap_or(""),
        Some(s) => s,
        None => "",
    }
}

/// WeChat has no public "open a chat by WeChat ID" URL: copy the ID, then open WeChat so the
/// user can paste it into Add Contacts.
fn wechat_entry(value: &str) -> FieldActions {
    let id = value.trim();
    let open = Action {
        copy_text: Some(id.to_string()),
        ..app_action(
            "action.copy_open_wechat",
            "weixin://".into(),
            Fallback {
                store_url_android: Some(WECHAT_ANDROID.into()),
                store_url_ios: Some(WECHAT_IOS.into()),
                web_url: Some(WECHAT_WEB.into()),
            },
        )
    };
    entry(Field::Wechat, 0, value, vec![open, copy(id)])
}

/// DingTalk: `dingtalk://dingtalkclient/action/sendmsg?dingtalk_id=…` opens a chat with a
/// DingTalk ID (used on Alibaba's own pages; not in DingTalk's public docs — docs/ACTIONS.md).
fn dingtalk_entry(value: &str) -> FieldActions {
    let id = value.trim();
    entry(
        Field::Dingtalk,
        0,
        value,
        vec![
            app_action(
                "action.open_dingtalk",
                format!(
                    "dingtalk://dingtalkclient/action/sendmsg?dingtalk_id={}",
                    enc(id)
                ),
                Fallback {
                    store_url_android: Some(DINGTALK_ANDROID.into()),
                    store_url_ios: Some(DINGTALK_IOS.into()),
                    web_url: Some(DINGTALK_WEB.into()),
                },
            ),
            copy(id),
        ],
    )
}

/// Aliwangwang: the `aliim:` protocol of the desktop AliIM / Qianniu client (folklore from
/// Taobao shop pages; no mobile equivalent is published). Copy is the primary action.
fn aliwangwang_entry(value: &str) -> FieldActions {
    let nick = value.trim();
    let who = enc(&format!("cntaobao{nick}"));
    entry(
        Field::Aliwangwang,
        0,
        value,
        vec![
            copy(nick),
            app_action(
                "action.open_aliwangwang",
                format!("aliim:sendmsg?uid=cntaobao&siteid=cntaobao&touid={who}"),
                Fallback {
                    store_url_android: Some(QIANNIU_ANDROID.into()),
                    store_url_ios: None,
                    web_url: None,
                },
            ),
        ],
    )
}

fn email_entry(index: usize, value: &str) -> FieldActions {
    match mailto_url(value) {
        Ok(url) => entry(
            Field::Email,
            index,
            value,
            vec![
                action(ActionKind::Email, "action.email", Some(url)),
                copy(value.trim()),
            ],
        ),
        Err(_) => refused(Field::Email, index, value, "refused.invalid_email"),
    }
}

/// Websites: http(s) only (never `javascript:`, `file:` or an app scheme from someone else's
/// card). `url` normalises: spaces and Chinese in the path are percent-encoded, a Chinese host
/// becomes punycode. A value without a scheme gets `https://`.
fn website_entry(index: usize, value: &str) -> FieldActions {
    let v = value.trim();
    let candidate = if v.contains("://") {
        v.to_string()
    } else {
        format!("https://{v}")
    };
    match url::Url::parse(&candidate) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => entry(
            Field::Website,
            index,
            value,
            vec![
                action(ActionKind::OpenWeb, "action.open_web", Some(u.to_string())),
                copy(v),
            ],
        ),
        _ => refused(Field::Website, index, value, "refused.invalid_website"),
    }
}

/// An address looks Chinese when it has CJK characters or names China as its country.
fn is_chinese_address(a: &Address) -> bool {
    let country = a.country.trim().to_ascii_lowercase();
    a.to_line().chars().any(livecard_format::card::is_cjk)
        || matches!(
            country.as_str(),
            "cn" | "china" | "prc" | "people's republic of china"
        )
}

fn address_entry(index: usize, address: &Address, platform: Platform) -> Option<FieldActions> {
    let line = address.to_line();
    if line.is_empty() {
        return None;
    }
    let q = enc(&line);
    let map_url = match platform {
        Platform::Android => format!("geo:0,0?q={q}"),
        Platform::Ios => format!("https://maps.apple.com/?q={q}"),
        Platform::Desktop => format!("https://www.openstreetmap.org/search?query={q}"),
    };
    let mut actions = vec![action(ActionKind::Map, "action.map", Some(map_url))];
    if is_chinese_address(address) {
        // OpenStreetMap is thin in mainland China and Google Maps is blocked there; Amap's URI
        // API works in any browser and hands over to the Amap app when it is installed.
        actions.push(action(
            ActionKind::Map,
            "action.map_amap",
            Some(format!(
                "https://uri.amap.com/search?keyword={q}&src=livecard&callnative=1"
            )),
        ));
    }
    actions.push(copy(&line));
    Some(entry(Field::Address, index, &line, actions))
}

type EntryFn = fn(&str) -> FieldActions;

/// Every field value's actions, in display order. While the temporary number is valid at
/// `now` it comes first, marked `primary`, with the normal numbers after it; once expired
/// (at `temp_until` exactly or later) it is not offered at all.
pub fn actions_for(card: &Card, now: DateTime<Utc>, platform: Platform) -> Vec<FieldActions> {
    let mut out = Vec::new();
    if let Some(temp) = card.active_temp_number(now) {
        let mut e = number_entry(Field::TempNumber, 0, temp);
        e.primary = e.refused.is_none();
        e.valid_until = card.temp_until;
        out.push(e);
    }
    let nonempty = |v: &&String| !v.trim().is_empty();
    for (field, list) in [
        (Field::Mobile, &card.mobile),
        (Field::Phone, &card.phone),
        (Field::Fax, &card.fax),
    ] {
        for (i, v) in list.iter().enumerate().filter(|(_, v)| nonempty(v)) {
            out.push(number_entry(field, i, v));
        }
    }
    for (i, v) in card.email.iter().enumerate().filter(|(_, v)| nonempty(v)) {
        out.push(email_entry(i, v));
    }
    for (i, a) in card.address.iter().enumerate() {
        out.extend(address_entry(i, a, platform));
    }
    for (i, v) in card.website.iter().enumerate().filter(|(_, v)| nonempty(v)) {
        out.push(website_entry(i, v));
    }
    let single: [(&String, EntryFn); 5] = [
        (&card.qq, qq_entry),
        (&card.wechat, wechat_entry),
        (&card.aliwangwang, aliwangwang_entry),
        (&card.weibo, weibo_entry),
        (&card.dingtalk, dingtalk_entry),
    ];
    for (v, make) in single {
        if !v.trim().is_empty() {
            out.push(make(v));
        }
    }
    // Every other field of the table that offers copy or a web link (MSN: copy only, Windows
    // Live Messenger was shut down in 2013; fields added through the table, e.g. WeCom).
    for spec in &FIELDS {
        let Some(v) = card.text(spec.field).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match spec.act {
            Act::Copy => out.push(entry(spec.field, 0, v, vec![copy(v.trim())])),
            Act::Link(page) => out.push(link_entry(spec.field, v, page)),
            _ => {}
        }
    }
    // Keep the card's field order for single fields: msn sits between aliwangwang and weibo.
    out.sort_by_key(display_rank);
    out
}

/// A field whose table row opens a web page with the value in place of `{}` (percent-encoded),
/// plus copy; a value failing the field's check is offered as copy only.
fn link_entry(field: Field, value: &str, page: &str) -> FieldActions {
    match check_value(field, value.trim()) {
        Ok(v) if !v.is_empty() => entry(
            field,
            0,
            value,
            vec![
                action(
                    ActionKind::OpenWeb,
                    "action.open_web",
                    Some(page.replace("{}", &enc(&v))),
                ),
                copy(value.trim()),
            ],
        ),
        _ => refused(field, 0, value, "refused.invalid_handle"),
    }
}

fn display_rank(e: &FieldActions) -> usize {
    if e.field == Field::TempNumber {
        return 0;
    }
    1 + Field::ALL
        .iter()
        .position(|f| *f == e.field)
        .unwrap_or(Field::ALL.len())
}

/// Whether opening failed because the app is missing or for another reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FallbackKind {
    Store,
    Web,
}

/// One thing to offer after an app URL could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FallbackOffer {
    pub kind: FallbackKind,
    /// `fallback.store` or `fallback.web`.
    pub label_key: String,
    pub url: String,
}

/// What to offer when opening `action.url` failed, best first.
///
/// - Android / iOS, `app_missing` (the opener rejected the scheme / `canOpenURL` said no): the
///   platform's store page, then the web page.
/// - Android / iOS, not missing (the app is there but did not take the URL): the web page only.
/// - Desktop: the web page only (there are no mobile stores).
///
/// Empty when the action has no fallback (tel:, mailto:, web links).
pub fn fallback_for(action: &Action, platform: Platform, app_missing: bool) -> Vec<FallbackOffer> {
    let Some(fb) = &action.fallback else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if app_missing {
        let store = match platform {
            Platform::Android => fb.store_url_android.as_ref(),
            Platform::Ios => fb.store_url_ios.as_ref(),
            Platform::Desktop => None,
        };
        if let Some(url) = store {
            out.push(FallbackOffer {
                kind: FallbackKind::Store,
                label_key: "fallback.store".into(),
                url: url.clone(),
            });
        }
    }
    if let Some(url) = &fb.web_url {
        out.push(FallbackOffer {
            kind: FallbackKind::Web,
            label_key: "fallback.web".into(),
            url: url.clone(),
        });
    }
    out
}

/// What a recognised gesture does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GestureTarget {
    Call,
    Sms,
}

/// Which gesture calls and which texts. The patent's default: lift up calls, put down texts;
/// `swapped()` for users who want it the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GestureMapping {
    pub lift_up: GestureTarget,
    pub put_down: GestureTarget,
}

impl Default for GestureMapping {
    fn default() -> Self {
        GestureMapping {
            lift_up: GestureTarget::Call,
            put_down: GestureTarget::Sms,
        }
    }
}

impl GestureMapping {
    pub fn swapped(self) -> Self {
        GestureMapping {
            lift_up: self.put_down,
            put_down: self.lift_up,
        }
    }

    pub fn target(self, gesture: crate::Gesture) -> GestureTarget {
        match gesture {
            crate::Gesture::LiftUp => self.lift_up,
            crate::Gesture::PutDown => self.put_down,
        }
    }
}

/// The call or SMS a gesture triggers on a card: the first number that offers it (the valid
/// temporary number first, then mobiles, then landlines). `None` when no number qualifies —
/// invalid numbers are never dialled. The UI shows a countdown with cancel before opening it.
pub fn action_for_gesture(
    fields: &[FieldActions],
    gesture: crate::Gesture,
    mapping: GestureMapping,
) -> Option<Action> {
    let kind = match mapping.target(gesture) {
        GestureTarget::Call => ActionKind::Call,
        GestureTarget::Sms => ActionKind::Sms,
    };
    fields
        .iter()
        .filter(|f| matches!(f.field, Field::TempNumber | Field::Mobile | Field::Phone))
        .flat_map(|f| f.actions.iter())
        .find(|a| a.kind == kind)
        .cloned()
}
