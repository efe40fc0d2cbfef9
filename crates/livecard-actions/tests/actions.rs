//! Every action URL, the temporary-number rule, escaping and the fallbacks.

use chrono::{DateTime, Duration, TimeZone, Utc};
use livecard_actions::labels::{label, KEYS};
use livecard_actions::{
    action_for_gesture, actions_for, fallback_for, mailto_url, sms_body_url, sms_url,
    sms_url_with_body, tel_url, Action, ActionKind, FallbackKind, FieldActions, Gesture,
    GestureMapping, Platform, IOS_QUERY_SCHEMES, SCHEMES,
};
use livecard_format::{Address, Card, Field};

const ALL_PLATFORMS: [Platform; 3] = [Platform::Android, Platform::Ios, Platform::Desktop];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap()
}

fn card() -> Card {
    Card {
        name: "张三".into(),
        mobile: vec!["+8613800138000".into(), "+8613912345678".into()],
        phone: vec!["+861088888888".into()],
        fax: vec!["+861066666666".into()],
        email: vec!["zhang.san+work@example.com".into()],
        address: vec![Address {
            street: "中关村大街 1 号".into(),
            locality: "北京".into(),
            country: "中国".into(),
            ..Default::default()
        }],
        website: vec!["https://example.com/关于 我们".into()],
        qq: "10001".into(),
        wechat: "zhangsan_88".into(),
        aliwangwang: "张三小店".into(),
        msn: "zhang@hotmail.com".into(),
        weibo: "1234567890".into(),
        dingtalk: "zs-dt".into(),
        temp_number: "+8613700137000".into(),
        temp_until: Some(now() + Duration::hours(8)),
        ..Default::default()
    }
}

fn find(fields: &[FieldActions], field: Field) -> &FieldActions {
    fields
        .iter()
        .find(|f| f.field == field)
        .unwrap_or_else(|| panic!("no {field} in {fields:#?}"))
}

fn url_of(f: &FieldActions, kind: ActionKind) -> Option<&str> {
    f.actions
        .iter()
        .find(|a| a.kind == kind)
        .and_then(|a| a.url.as_deref())
}

fn kinds(f: &FieldActions) -> Vec<ActionKind> {
    f.actions.iter().map(|a| a.kind).collect()
}

#[test]
fn numbers_call_sms_copy_with_exact_urls() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let m = fa
        .iter()
        .find(|f| f.field == Field::Mobile && f.index == 1)
        .unwrap();
    assert_eq!(
        kinds(m),
        vec![ActionKind::Call, ActionKind::Sms, ActionKind::Copy]
    );
    assert_eq!(url_of(m, ActionKind::Call), Some("tel:+8613912345678"));
    assert_eq!(url_of(m, ActionKind::Sms), Some("sms:+8613912345678"));
    assert_eq!(m.actions[2].copy_text.as_deref(), Some("+8613912345678"));
    assert!(m.actions[0].primary && !m.actions[1].primary);

    // A Chinese landline takes calls, not texts; a fax is only copied.
    let p = find(&fa, Field::Phone);
    assert_eq!(kinds(p), vec![ActionKind::Call, ActionKind::Copy]);
    assert_eq!(url_of(p, ActionKind::Call), Some("tel:+861088888888"));
    assert_eq!(kinds(find(&fa, Field::Fax)), vec![ActionKind::Copy]);

    // A US number cannot be told apart (fixed line or mobile): SMS is offered.
    let us = Card {
        phone: vec!["+12015550123".into()],
        ..Default::default()
    };
    let fa = actions_for(&us, now(), Platform::Ios);
    assert_eq!(
        url_of(find(&fa, Field::Phone), ActionKind::Sms),
        Some("sms:+12015550123")
    );
}

#[test]
fn tel_carries_only_plus_and_digits() {
    assert_eq!(tel_url("+86 138-0013-8000").unwrap(), "tel:+8613800138000");
    assert_eq!(tel_url("+1 (201) 555-0123").unwrap(), "tel:+12015550123");
    for bad in [
        "13800138000",             // no country code: not E.164
        "+86 138 0013 8000;ext=1", // would smuggle parameters into tel:
        "+1-800-FLOWERS",          // letters
        "+86138",                  // too short
        "+86 12345678901234",      // too long
        "tel:+8613800138000",
        "",
    ] {
        assert!(tel_url(bad).is_err(), "{bad:?} accepted");
        assert!(sms_url(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn invalid_numbers_are_refused_copy_only() {
    let c = Card {
        mobile: vec!["138 0013 8000 (office)".into(), "+8613800138000".into()],
        ..Default::default()
    };
    let fa = actions_for(&c, now(), Platform::Android);
    let bad = &fa[0];
    assert_eq!(bad.field, Field::Mobile);
    assert_eq!(bad.refused.as_deref(), Some("refused.invalid_number"));
    assert_eq!(kinds(bad), vec![ActionKind::Copy]);
    assert!(bad.actions.iter().all(|a| a.url.is_none()));
    assert_eq!(
        bad.actions[0].copy_text.as_deref(),
        Some("138 0013 8000 (office)")
    );
    assert!(fa[1].refused.is_none());
}

#[test]
fn sms_body_syntax_per_platform() {
    let n = "+8613800138000";
    assert_eq!(
        sms_url_with_body(n, "你好 & 再见?", Platform::Android).unwrap(),
        "sms:+8613800138000?body=%E4%BD%A0%E5%A5%BD%20%26%20%E5%86%8D%E8%A7%81%3F"
    );
    assert_eq!(
        sms_url_with_body(n, "hi", Platform::Ios).unwrap(),
        "sms:+8613800138000&body=hi"
    );
    assert_eq!(
        sms_url_with_body(n, "a+b", Platform::Desktop).unwrap(),
        "sms:+8613800138000?body=a%2Bb"
    );
    assert!(sms_url_with_body("12345", "hi", Platform::Android).is_err());
    // No recipient: one's own share link as the body.
    let link = "https://livecard.example/c/ABC#S3CR&T?x=1";
    assert_eq!(
        sms_body_url(link, Platform::Android),
        "sms:?body=https%3A%2F%2Flivecard.example%2Fc%2FABC%23S3CR%26T%3Fx%3D1"
    );
    assert_eq!(
        sms_body_url("hi 你", Platform::Ios),
        "sms:&body=hi%20%E4%BD%A0"
    );
    assert_eq!(sms_body_url("hi", Platform::Desktop), "sms:?body=hi");
}

#[test]
fn temporary_number_while_valid_comes_first_and_is_dialled() {
    let c = card();
    let fa = actions_for(&c, now(), Platform::Android);
    let t = &fa[0];
    assert_eq!(t.field, Field::TempNumber);
    assert!(t.primary);
    assert_eq!(t.valid_until, c.temp_until);
    assert_eq!(url_of(t, ActionKind::Call), Some("tel:+8613700137000"));
    // Only the temporary number is primary; the normal numbers follow, one tap away.
    assert_eq!(fa.iter().filter(|f| f.primary).count(), 1);
    assert_eq!(fa[1].field, Field::Mobile);
    assert_eq!(url_of(&fa[1], ActionKind::Call), Some("tel:+8613800138000"));
    // The gesture dials the temporary number.
    let call = action_for_gesture(&fa, Gesture::LiftUp, GestureMapping::default()).unwrap();
    assert_eq!(call.url.as_deref(), Some("tel:+8613700137000"));
}

#[test]
fn temporary_number_expires_exactly_at_temp_until() {
    let c = card();
    let until = c.temp_until.unwrap();
    let just_before = actions_for(&c, until - Duration::milliseconds(1), Platform::Ios);
    assert_eq!(just_before[0].field, Field::TempNumber);
    for t in [
        until,
        until + Duration::seconds(1),
        until + Duration::days(30),
    ] {
        let fa = actions_for(&c, t, Platform::Ios);
        assert!(
            fa.iter().all(|f| f.field != Field::TempNumber),
            "temp number offered at {t}"
        );
        assert!(fa.iter().all(|f| !f.primary));
        assert!(fa
            .iter()
            .flat_map(|f| &f.actions)
            .all(|a| a.url.as_deref() != Some("tel:+8613700137000")));
        let call = action_for_gesture(&fa, Gesture::LiftUp, GestureMapping::default()).unwrap();
        assert_eq!(call.url.as_deref(), Some("tel:+8613800138000"));
    }
}

#[test]
fn invalid_temporary_number_is_not_primary_and_not_dialled() {
    let c = Card {
        temp_number: "call me".into(),
        temp_until: Some(now() + Duration::hours(1)),
        mobile: vec!["+8613800138000".into()],
        ..Default::default()
    };
    let fa = actions_for(&c, now(), Platform::Android);
    assert_eq!(fa[0].field, Field::TempNumber);
    assert!(!fa[0].primary);
    assert_eq!(kinds(&fa[0]), vec![ActionKind::Copy]);
    let call = action_for_gesture(&fa, Gesture::LiftUp, GestureMapping::default()).unwrap();
    assert_eq!(call.url.as_deref(), Some("tel:+8613800138000"));
}

#[test]
fn gesture_mapping_is_configurable_and_never_dials_nothing() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let m = GestureMapping::default();
    assert_eq!(
        action_for_gesture(&fa, Gesture::PutDown, m).unwrap().url,
        Some("sms:+8613700137000".into())
    );
    let s = m.swapped();
    assert_eq!(
        action_for_gesture(&fa, Gesture::LiftUp, s).unwrap().kind,
        ActionKind::Sms
    );
    assert_eq!(
        action_for_gesture(&fa, Gesture::PutDown, s).unwrap().kind,
        ActionKind::Call
    );
    // Only a landline: lifting calls it, putting down finds nothing to text.
    let landline = Card {
        phone: vec!["+861088888888".into()],
        fax: vec!["+861066666666".into()],
        ..Default::default()
    };
    let fa = actions_for(&landline, now(), Platform::Android);
    assert_eq!(
        action_for_gesture(&fa, Gesture::LiftUp, m).unwrap().url,
        Some("tel:+861088888888".into())
    );
    assert_eq!(action_for_gesture(&fa, Gesture::PutDown, m), None);
    let none = actions_for(
        &Card {
            mobile: vec!["12".into()],
            ..Default::default()
        },
        now(),
        Platform::Android,
    );
    assert_eq!(action_for_gesture(&none, Gesture::LiftUp, m), None);
}

#[test]
fn email_is_percent_encoded() {
    assert_eq!(
        mailto_url("zhang.san+work@example.com").unwrap(),
        "mailto:zhang.san%2Bwork@example.com"
    );
    assert_eq!(mailto_url(" a_b-c@x.cn ").unwrap(), "mailto:a_b-c@x.cn");
    assert!(mailto_url("not an email").is_err());
    // Whatever the validator thinks of it, no header can be smuggled into the URL.
    if let Ok(u) = mailto_url("a@b.com?subject=x&cc=evil@x.cn") {
        assert!(!u.contains('?') && !u.contains('&'), "{u}");
    }
    let fa = actions_for(&card(), now(), Platform::Desktop);
    let e = find(&fa, Field::Email);
    assert_eq!(kinds(e), vec![ActionKind::Email, ActionKind::Copy]);
    assert_eq!(
        url_of(e, ActionKind::Email),
        Some("mailto:zhang.san%2Bwork@example.com")
    );
    let bad = actions_for(
        &Card {
            email: vec!["zhang at example".into()],
            ..Default::default()
        },
        now(),
        Platform::Desktop,
    );
    assert_eq!(bad[0].refused.as_deref(), Some("refused.invalid_email"));
    assert_eq!(kinds(&bad[0]), vec![ActionKind::Copy]);
}

#[test]
fn websites_are_encoded_and_only_http() {
    let site = |v: &str| {
        let fa = actions_for(
            &Card {
                website: vec![v.into()],
                ..Default::default()
            },
            now(),
            Platform::Android,
        );
        url_of(&fa[0], ActionKind::OpenWeb).map(str::to_string)
    };
    assert_eq!(
        site("https://example.com/关于 我们").as_deref(),
        Some("https://example.com/%E5%85%B3%E4%BA%8E%20%E6%88%91%E4%BB%AC")
    );
    assert_eq!(site("example.com").as_deref(), Some("https://example.com/"));
    assert_eq!(
        site("http://例子.中国/").as_deref(),
        Some("http://xn--fsqu00a.xn--fiqs8s/")
    );
    for bad in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "mqqwpa://im/chat",
        "http://",
    ] {
        assert_eq!(site(bad), None, "{bad} opened");
    }
}

#[test]
fn address_map_per_platform_with_amap_for_china() {
    let c = card();
    let line = "中关村大街 1 号, 北京, 中国";
    let q = "%E4%B8%AD%E5%85%B3%E6%9D%91%E5%A4%A7%E8%A1%97%201%20%E5%8F%B7%2C%20%E5%8C%97%E4%BA%AC%2C%20%E4%B8%AD%E5%9B%BD";
    let map = |p: Platform| {
        let fa = actions_for(&c, now(), p);
        let a = find(&fa, Field::Address).clone();
        assert_eq!(a.value, line);
        a
    };
    let android = map(Platform::Android);
    assert_eq!(android.actions[0].url, Some(format!("geo:0,0?q={q}")));
    assert_eq!(
        map(Platform::Ios).actions[0].url,
        Some(format!("https://maps.apple.com/?q={q}"))
    );
    let desktop = map(Platform::Desktop);
    assert_eq!(
        desktop.actions[0].url,
        Some(format!("https://www.openstreetmap.org/search?query={q}"))
    );
    assert_eq!(
        desktop.actions[1].url,
        Some(format!(
            "https://uri.amap.com/search?keyword={q}&src=livecard&callnative=1"
        ))
    );
    assert_eq!(desktop.actions[2].copy_text.as_deref(), Some(line));
    // Outside China: no Amap; an empty address offers nothing.
    let abroad = Card {
        address: vec![
            Address {
                street: "1 Main St".into(),
                locality: "Springfield".into(),
                country: "USA".into(),
                ..Default::default()
            },
            Address::default(),
        ],
        ..Default::default()
    };
    let fa = actions_for(&abroad, now(), Platform::Android);
    assert_eq!(fa.len(), 1);
    assert_eq!(kinds(&fa[0]), vec![ActionKind::Map, ActionKind::Copy]);
    assert_eq!(
        fa[0].actions[0].url.as_deref(),
        Some("geo:0,0?q=1%20Main%20St%2C%20Springfield%2C%20USA")
    );
}

#[test]
fn qq_opens_the_app_with_fallbacks_and_refuses_letters() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let q = find(&fa, Field::Qq);
    let open = &q.actions[0];
    assert_eq!(open.kind, ActionKind::OpenApp);
    assert_eq!(
        open.url.as_deref(),
        Some("mqqwpa://im/chat?chat_type=wpa&uin=10001&version=1")
    );
    let fb = open.fallback.as_ref().unwrap();
    assert_eq!(
        fb.web_url.as_deref(),
        Some("https://wpa.qq.com/msgrd?v=3&uin=10001&site=qq&menu=yes")
    );
    assert_eq!(
        fb.store_url_android.as_deref(),
        Some("market://details?id=com.tencent.mobileqq")
    );
    assert_eq!(
        fb.store_url_ios.as_deref(),
        Some("https://apps.apple.com/cn/app/id444934666")
    );
    for bad in [
        "10001abc",
        "qq:10001",
        "1234",
        "012345",
        "123456789012",
        "10001&uin=2",
    ] {
        let fa = actions_for(
            &Card {
                qq: bad.into(),
                ..Default::default()
            },
            now(),
            Platform::Android,
        );
        assert_eq!(
            fa[0].refused.as_deref(),
            Some("refused.invalid_qq"),
            "{bad}"
        );
        assert_eq!(kinds(&fa[0]), vec![ActionKind::Copy], "{bad}");
    }
}

#[test]
fn weibo_uid_opens_app_and_names_go_to_the_web() {
    let weibo = |v: &str| {
        let fa = actions_for(
            &Card {
                weibo: v.into(),
                ..Default::default()
            },
            now(),
            Platform::Ios,
        );
        fa[0].clone()
    };
    let w = weibo("1234567890");
    assert_eq!(
        w.actions[0].url.as_deref(),
        Some("sinaweibo://userinfo?uid=1234567890")
    );
    let fb = w.actions[0].fallback.as_ref().unwrap();
    assert_eq!(
        fb.web_url.as_deref(),
        Some("https://m.weibo.cn/u/1234567890")
    );
    assert_eq!(
        fb.store_url_ios.as_deref(),
        Some("https://apps.apple.com/cn/app/id350962117")
    );
    assert_eq!(
        weibo("https://weibo.com/u/1234567890?from=x").actions[0]
            .url
            .as_deref(),
        Some("sinaweibo://userinfo?uid=1234567890")
    );
    let n = weibo("@人民日报");
    assert_eq!(n.actions[0].kind, ActionKind::OpenWeb);
    assert_eq!(
        n.actions[0].url.as_deref(),
        Some("https://weibo.com/n/%E4%BA%BA%E6%B0%91%E6%97%A5%E6%8A%A5")
    );
    assert_eq!(
        weibo("weibo.com/n/a b").refused.as_deref(),
        Some("refused.invalid_weibo")
    );
}

#[test]
fn wechat_copies_then_opens_dingtalk_and_aliwangwang_schemes() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let w = &find(&fa, Field::Wechat).actions[0];
    assert_eq!(w.kind, ActionKind::OpenApp);
    assert_eq!(w.url.as_deref(), Some("weixin://"));
    assert_eq!(w.copy_text.as_deref(), Some("zhangsan_88"));
    assert_eq!(
        w.fallback.as_ref().unwrap().store_url_android.as_deref(),
        Some("market://details?id=com.tencent.mm")
    );

    let d = &find(&fa, Field::Dingtalk).actions[0];
    assert_eq!(
        d.url.as_deref(),
        Some("dingtalk://dingtalkclient/action/sendmsg?dingtalk_id=zs-dt")
    );
    let a = find(&fa, Field::Aliwangwang);
    assert_eq!(a.actions[0].kind, ActionKind::Copy);
    assert_eq!(
        a.actions[1].url.as_deref(),
        Some("aliim:sendmsg?uid=cntaobao&siteid=cntaobao&touid=cntaobao%E5%BC%A0%E4%B8%89%E5%B0%8F%E5%BA%97")
    );
    // A DingTalk ID cannot inject parameters.
    let fa = actions_for(
        &Card {
            dingtalk: "x&dingtalk_id=y".into(),
            ..Default::default()
        },
        now(),
        Platform::Android,
    );
    assert_eq!(
        fa[0].actions[0].url.as_deref(),
        Some("dingtalk://dingtalkclient/action/sendmsg?dingtalk_id=x%26dingtalk_id%3Dy")
    );
}

#[test]
fn msn_is_copy_only() {
    let fa = actions_for(&card(), now(), Platform::Desktop);
    assert_eq!(kinds(find(&fa, Field::Msn)), vec![ActionKind::Copy]);
}

#[test]
fn display_order_follows_the_card() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let order: Vec<Field> = fa.iter().map(|f| f.field).collect();
    assert_eq!(
        order,
        vec![
            Field::TempNumber,
            Field::Mobile,
            Field::Mobile,
            Field::Phone,
            Field::Fax,
            Field::Email,
            Field::Address,
            Field::Website,
            Field::Qq,
            Field::Wechat,
            Field::Aliwangwang,
            Field::Msn,
            Field::Weibo,
            Field::Dingtalk,
        ]
    );
    assert_eq!(fa[1].index, 0);
    assert_eq!(fa[2].index, 1);
    assert!(actions_for(&Card::default(), now(), Platform::Android).is_empty());
}

fn qq_open() -> Action {
    let fa = actions_for(&card(), now(), Platform::Android);
    find(&fa, Field::Qq).actions[0].clone()
}

#[test]
fn fallbacks_store_then_web_on_phones_web_on_desktop() {
    let a = qq_open();
    let android = fallback_for(&a, Platform::Android, true);
    assert_eq!(android.len(), 2);
    assert_eq!(android[0].kind, FallbackKind::Store);
    assert_eq!(android[0].url, "market://details?id=com.tencent.mobileqq");
    assert_eq!(android[1].kind, FallbackKind::Web);
    assert_eq!(
        android[1].url,
        "https://wpa.qq.com/msgrd?v=3&uin=10001&site=qq&menu=yes"
    );
    let ios = fallback_for(&a, Platform::Ios, true);
    assert_eq!(ios[0].url, "https://apps.apple.com/cn/app/id444934666");
    assert_eq!(ios[1].kind, FallbackKind::Web);
    // App present but the URL failed: no store page.
    let present = fallback_for(&a, Platform::Android, false);
    assert_eq!(present.len(), 1);
    assert_eq!(present[0].kind, FallbackKind::Web);
    // Desktop: always the web page, never a store.
    for missing in [true, false] {
        let d = fallback_for(&a, Platform::Desktop, missing);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind, FallbackKind::Web);
    }
    // tel: has no fallback; Aliwangwang on iOS has no store page and no web page.
    let fa = actions_for(&card(), now(), Platform::Ios);
    assert!(fallback_for(&fa[0].actions[0], Platform::Ios, true).is_empty());
    let ali = find(&fa, Field::Aliwangwang).actions[1].clone();
    assert!(fallback_for(&ali, Platform::Ios, true).is_empty());
    assert_eq!(fallback_for(&ali, Platform::Android, true).len(), 1);
}

#[test]
fn every_url_uses_an_allowed_scheme_and_every_key_has_both_languages() {
    let mut keys = Vec::new();
    let mut cards = vec![card()];
    cards.push(Card {
        mobile: vec!["bad".into()],
        email: vec!["bad".into()],
        website: vec!["javascript:x".into()],
        qq: "bad".into(),
        weibo: "@some name".into(),
        ..Default::default()
    });
    cards.push(Card {
        weibo: "@名字".into(),
        ..Default::default()
    });
    for c in &cards {
        for p in ALL_PLATFORMS {
            for f in actions_for(c, now(), p) {
                keys.push(f.label_key.clone());
                keys.extend(f.refused.clone());
                for a in &f.actions {
                    keys.push(a.label_key.clone());
                    for u in a.url.iter().chain(
                        fallback_for(a, p, true)
                            .iter()
                            .map(|o| &o.url)
                            .collect::<Vec<_>>(),
                    ) {
                        let scheme = u.split(':').next().unwrap();
                        assert!(SCHEMES.contains(&scheme), "{u} not in SCHEMES");
                        assert!(!u.contains(' '), "unencoded space in {u}");
                    }
                    if a.kind == ActionKind::OpenApp {
                        let scheme = a.url.as_deref().unwrap().split(':').next().unwrap();
                        assert!(
                            IOS_QUERY_SCHEMES.contains(&scheme),
                            "{scheme} not queryable"
                        );
                    }
                    for o in fallback_for(a, p, true) {
                        keys.push(o.label_key);
                    }
                }
            }
        }
    }
    for k in keys {
        let en = label(&k, "en").unwrap_or_else(|| panic!("no label for {k}"));
        let zh = label(&k, "zh-CN").unwrap();
        assert!(!en.is_empty() && !zh.is_empty());
    }
    assert!(IOS_QUERY_SCHEMES.iter().all(|s| SCHEMES.contains(s)));
    let mut seen = std::collections::HashSet::new();
    assert!(
        KEYS.iter()
            .all(|k| seen.insert(*k) && label(k, "en") != label(k, "zh")),
        "duplicate label key, or one without words in both languages"
    );
}

#[test]
fn actions_serialise_as_json_for_the_ui() {
    let fa = actions_for(&card(), now(), Platform::Android);
    let v = serde_json::to_value(&fa).unwrap();
    assert_eq!(v[0]["field"], "temp_number");
    assert_eq!(v[0]["primary"], true);
    assert_eq!(v[0]["actions"][0]["kind"], "call");
    assert_eq!(v[0]["actions"][0]["label_key"], "action.call");
    assert_eq!(v[0]["actions"][0]["url"], "tel:+8613700137000");
    let back: Vec<FieldActions> = serde_json::from_value(v).unwrap();
    assert_eq!(back, fa);
}
