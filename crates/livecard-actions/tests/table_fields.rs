//! Fields added through the field table alone (issue 14): their actions come from the table's
//! action kind (copy, or a web link with the value encoded), their labels from its labels.

use chrono::Utc;
use livecard_actions::labels::{all, label};
use livecard_actions::{actions_for, ActionKind, Platform};
use livecard_format::{Card, Field, Region};

fn card(wecom: &str, telegram: &str) -> Card {
    let mut c = Card::default();
    c.set(Field::Name, "张三", Region::default()).unwrap();
    c.put_text(Field::Wecom, wecom.into());
    c.put_text(Field::Telegram, telegram.into());
    c
}

#[test]
fn wecom_copies_and_telegram_opens_t_me() {
    let fa = actions_for(
        &card("zs-wecom", "zhang_san"),
        Utc::now(),
        Platform::Android,
    );
    let wecom = fa
        .iter()
        .find(|f| f.field == Field::Wecom)
        .expect("wecom offered");
    assert_eq!(wecom.label_key, "field.wecom");
    assert_eq!(wecom.actions.len(), 1);
    assert_eq!(wecom.actions[0].kind, ActionKind::Copy);
    assert_eq!(wecom.actions[0].copy_text.as_deref(), Some("zs-wecom"));

    let tg = fa
        .iter()
        .find(|f| f.field == Field::Telegram)
        .expect("telegram offered");
    assert_eq!(tg.actions[0].kind, ActionKind::OpenWeb);
    assert_eq!(tg.actions[0].url.as_deref(), Some("https://t.me/zhang_san"));
    assert!(tg.refused.is_none());
    // Display order is the table's: Telegram and WeCom after DingTalk's place, before nothing
    // else here; both after the name-less fields.
    let order: Vec<Field> = fa.iter().map(|f| f.field).collect();
    assert_eq!(order, vec![Field::Telegram, Field::Wecom]);
}

#[test]
fn a_bad_telegram_name_is_copy_only_and_cannot_inject() {
    let fa = actions_for(&card("", "x/../../evil?a=1"), Utc::now(), Platform::Ios);
    let tg = fa.iter().find(|f| f.field == Field::Telegram).unwrap();
    assert_eq!(tg.refused.as_deref(), Some("refused.invalid_handle"));
    assert!(tg.actions.iter().all(|a| a.url.is_none()));
}

#[test]
fn table_fields_have_labels_in_both_languages() {
    assert_eq!(label("field.wecom", "zh-CN"), Some("企业微信"));
    assert_eq!(label("field.wecom", "en"), Some("WeCom"));
    assert_eq!(label("field.telegram", "en"), Some("Telegram"));
    assert_eq!(
        label("refused.invalid_handle", "zh"),
        Some("账号格式无效，仅可复制")
    );
    let zh = all("zh");
    assert!(zh
        .iter()
        .any(|(k, v)| k == "field.wecom" && *v == "企业微信"));
    assert!(zh.iter().any(|(k, _)| k == "action.copy"));
}
