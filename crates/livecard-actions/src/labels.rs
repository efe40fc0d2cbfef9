//! English and Chinese texts for every i18n key this crate emits, so the UI has one source.
//! A test checks that every key [`crate::actions_for`] and [`crate::fallback_for`] can
//! produce is in [`LABELS`].

/// `(key, English, 中文)`.
pub const LABELS: &[(&str, &str, &str)] = &[
    ("action.call", "Call", "拨打"),
    ("action.sms", "Text", "发短信"),
    ("action.copy", "Copy", "复制"),
    ("action.email", "Email", "发邮件"),
    ("action.open_web", "Open", "打开网页"),
    ("action.open_qq", "Chat on QQ", "QQ 聊天"),
    ("action.open_weibo", "Open in Weibo", "在微博中打开"),
    ("action.open_weibo_web", "Weibo profile", "微博主页"),
    (
        "action.copy_open_wechat",
        "Copy ID and open WeChat",
        "复制微信号并打开微信",
    ),
    ("action.open_dingtalk", "Chat on DingTalk", "钉钉聊天"),
    (
        "action.open_aliwangwang",
        "Open Aliwangwang",
        "打开阿里旺旺",
    ),
    ("action.map", "Map", "地图"),
    ("action.map_amap", "Amap", "高德地图"),
    ("fallback.store", "Install the app", "安装应用"),
    ("fallback.web", "Open on the web", "在网页中打开"),
    (
        "refused.invalid_number",
        "Not a valid phone number; copy only",
        "号码无效，仅可复制",
    ),
    (
        "refused.invalid_qq",
        "Not a QQ number; copy only",
        "不是有效的 QQ 号，仅可复制",
    ),
    (
        "refused.invalid_email",
        "Not an email address; copy only",
        "邮箱地址无效，仅可复制",
    ),
    (
        "refused.invalid_website",
        "Not a web address; copy only",
        "网址无效，仅可复制",
    ),
    (
        "refused.invalid_handle",
        "Not a valid ID for this service; copy only",
        "账号格式无效，仅可复制",
    ),
    (
        "refused.invalid_weibo",
        "Not a Weibo ID; copy only",
        "微博账号无效，仅可复制",
    ),
    ("field.temp_number", "Temporary number", "临时号码"),
    ("field.mobile", "Mobile", "手机"),
    ("field.phone", "Phone", "电话"),
    ("field.fax", "Fax", "传真"),
    ("field.email", "Email", "邮箱"),
    ("field.address", "Address", "地址"),
    ("field.website", "Website", "网站"),
    ("field.qq", "QQ", "QQ"),
    ("field.wechat", "WeChat", "微信"),
    ("field.aliwangwang", "Aliwangwang", "阿里旺旺"),
    ("field.msn", "MSN (service closed)", "MSN（已停止服务）"),
    ("field.weibo", "Weibo", "微博"),
    ("field.dingtalk", "DingTalk", "钉钉"),
    ("gesture.lift_up", "Lift to ear", "举起到耳边"),
    ("gesture.put_down", "Put down", "放下"),
];

/// The text for `key` in `lang` (`"zh…"` → Chinese, anything else → English). `field.KEY`
/// not in [`LABELS`] comes from the field table (`livecard_format::fields`).
pub fn label(key: &str, lang: &str) -> Option<&'static str> {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| if lang.starts_with("zh") { *zh } else { *en })
        .or_else(|| {
            let f = livecard_format::Field::ALL
                .into_iter()
                .find(|f| key.strip_prefix("field.") == Some(f.as_str()))?;
            Some(f.spec().label(lang))
        })
}

/// Every label in `lang`: [`LABELS`] and the field table's `field.KEY` labels (the app's
/// `action_labels` command).
pub fn all(lang: &str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = livecard_format::fields::FIELDS
        .iter()
        .map(|s| (format!("field.{}", s.key()), s.label(lang)))
        .collect();
    for (k, _, _) in LABELS {
        if let Some(text) = label(k, lang) {
            out.retain(|(have, _)| have != k);
            out.push((k.to_string(), text));
        }
    }
    out
}
