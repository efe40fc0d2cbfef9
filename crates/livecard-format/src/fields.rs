//! The field table: every user field of a card, once.
//!
//! Each row of [`FIELDS`] says a field's key (its JSON and CLI name), its [`Kind`], whether it
//! holds one value or a list, its vCard property (and the `IMPP` service for messengers), its
//! Chinese and English labels, when an offline copy that is too big for a QR code or an NFC tag
//! drops it ([`FieldSpec::drop`]), the action it offers ([`Act`], implemented in
//! livecard-actions), its code in the compact offline form (PROTOCOL.md §6) and where the
//! [`Card`] keeps it ([`Slot`]).
//!
//! Everything that lists fields reads this table: `Card::set`/`add`/`validate` (per kind),
//! vCard import/export of messengers and handles, the offline-copy drop order and compact
//! codes, the CLI's `--set KEY=VALUE` and `fields`, `show`, the action labels, the share page
//! (`crates/livecard-server/assets/fields.mjs`) and the app (`ui/src/lib/generated/fields.ts`);
//! both generated files come from [`table_json`] and a test fails when they drift.
//!
//! Adding a single-line text field (a messenger, a handle) is one variant in [`Field`] and one
//! row here with [`Slot::Extra`]: the card keeps it in [`Card::extra`] under its key, which
//! serialises as a top-level JSON member like every other field.
//!
//! Not in the table: `Card::inbox` and anything else that is not typed by the user.

use serde::{Deserialize, Serialize};

use crate::card::Card;

macro_rules! field_enum {
    ($($variant:ident = $key:literal),* $(,)?) => {
        /// The user fields, by the names the CLI and JSON use, in display order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum Field {
            $($variant),*
        }

        impl Field {
            /// Every field, in display order (= the order of [`FIELDS`]).
            pub const ALL: [Field; [$($key),*].len()] = [$(Field::$variant),*];

            /// The key: JSON member and CLI name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Field::$variant => $key),*
                }
            }
        }
    };
}

field_enum! {
    Name = "name",
    Family = "family",
    Given = "given",
    Avatar = "avatar",
    Company = "company",
    Title = "title",
    Industry = "industry",
    Mobile = "mobile",
    Phone = "phone",
    Fax = "fax",
    Email = "email",
    Address = "address",
    Website = "website",
    Qq = "qq",
    Wechat = "wechat",
    Aliwangwang = "aliwangwang",
    Msn = "msn",
    Weibo = "weibo",
    Dingtalk = "dingtalk",
    Telegram = "telegram",
    Wecom = "wecom",
    Bulletin = "bulletin",
    TempNumber = "temp_number",
    TempUntil = "temp_until",
}

/// What a field's values are; decides normalisation and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line of text.
    Text,
    /// A phone number: stored E.164 when it parses, shown formatted for the region.
    Phone,
    Email,
    /// A web address (http/https); `example.com` gets `https://`.
    Url,
    /// An ID in another service (QQ number, WeChat ID, …): one line, no spaces needed.
    Handle,
    /// A point in time (RFC 3339).
    Datetime,
    /// A postal address (vCard ADR); typed as one line.
    Address,
    /// A small image (JPEG, PNG, GIF, WebP), never set from text.
    Image,
}

/// Extra checks for a value beyond its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    None,
    /// ASCII digits only, between `min` and `max` of them (QQ numbers).
    Digits {
        min: usize,
        max: usize,
    },
    /// A user name of ASCII letters, digits and `_`, `min..=max` long; a leading `@` is
    /// dropped (Telegram).
    Username {
        min: usize,
        max: usize,
    },
}

/// Which length limit of [`crate::Limits`] applies to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Text,
    Bulletin,
}

/// The action a field offers when tapped; livecard-actions builds the URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Shown only.
    None,
    /// Dial and text (`tel:`, `sms:`).
    Call,
    /// `mailto:`.
    Email,
    /// Open in a maps app.
    Map,
    /// Open the web address.
    Web,
    /// Open the service's app by its scheme (livecard-actions has one entry per field).
    App,
    /// Copy the value (a service nothing can open by ID).
    Copy,
    /// Open this web page with the value (percent-encoded) in place of `{}`; copy when the
    /// value fails the field's [`Check`].
    Link(&'static str),
}

impl Act {
    /// The name in `fields --json`.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Act::None => None,
            Act::Call => Some("call"),
            Act::Email => Some("email"),
            Act::Map => Some("map"),
            Act::Web => Some("web"),
            Act::App => Some("app"),
            Act::Copy => Some("copy"),
            Act::Link(_) => Some("link"),
        }
    }
}

/// How much of a field one step of the drop order removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropStep {
    All,
    AllButFirst,
}

/// Where a [`Card`] keeps a field.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    /// A `String` member.
    Text(fn(&Card) -> &String, fn(&mut Card) -> &mut String),
    /// A `Vec<String>` member.
    List(fn(&Card) -> &Vec<String>, fn(&mut Card) -> &mut Vec<String>),
    /// `Card::address`.
    Address,
    /// `Card::avatar`.
    Avatar,
    /// `Card::temp_until`.
    Time,
    /// `Card::extra[key]`: single-line text fields added after the first release.
    Extra,
}

/// One row of the field table.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub field: Field,
    pub kind: Kind,
    /// A list (`--add` appends) rather than one value.
    pub multi: bool,
    /// The vCard property written on export, with its parameters (`TEL;TYPE=cell`).
    pub vcard: &'static str,
    /// For messengers: the `X-SERVICE-TYPE` of the `IMPP` line also written, and its scheme.
    pub impp: Option<(&'static str, &'static str)>,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// Other names accepted by `--set` and, for handles, as vCard service names / X- names.
    pub aliases: &'static [&'static str],
    /// When an offline copy is too big: `(rank, step)`, lower ranks dropped first. Empty:
    /// never dropped (name, first mobile, temporary number); company is dropped last of all.
    pub drop: &'static [(u16, DropStep)],
    pub act: Act,
    /// The code in the compact offline form (PROTOCOL.md §6); never reused.
    pub compact: u8,
    pub length: Length,
    pub check: Check,
    pub slot: Slot,
}

impl FieldSpec {
    pub fn key(&self) -> &'static str {
        self.field.as_str()
    }

    /// `(en, zh)` label for a UI language tag (`zh…` → Chinese).
    pub fn label(&self, lang: &str) -> &'static str {
        if lang.starts_with("zh") {
            self.label_zh
        } else {
            self.label_en
        }
    }

    /// "中文 English", for bilingual terminal output.
    pub fn label_both(&self) -> String {
        if self.label_zh == self.label_en {
            self.label_en.to_string()
        } else {
            format!("{} {}", self.label_zh, self.label_en)
        }
    }
}

const NO_DROP: &[(u16, DropStep)] = &[];

const fn row(field: Field, kind: Kind, slot: Slot) -> FieldSpec {
    FieldSpec {
        field,
        kind,
        multi: matches!(slot, Slot::List(..) | Slot::Address),
        vcard: "",
        impp: None,
        label_zh: "",
        label_en: "",
        aliases: &[],
        drop: NO_DROP,
        act: Act::None,
        compact: 0,
        length: Length::Text,
        check: Check::None,
        slot,
    }
}

macro_rules! text {
    ($m:ident) => {
        Slot::Text(|c| &c.$m, |c| &mut c.$m)
    };
}
macro_rules! list {
    ($m:ident) => {
        Slot::List(|c| &c.$m, |c| &mut c.$m)
    };
}

/// The table, in [`Field::ALL`] order (display order).
pub static FIELDS: [FieldSpec; Field::ALL.len()] = [
    FieldSpec {
        vcard: "FN",
        label_zh: "姓名",
        label_en: "Name",
        compact: 1,
        ..row(Field::Name, Kind::Text, text!(name))
    },
    FieldSpec {
        vcard: "N (family)",
        label_zh: "姓",
        label_en: "Family name",
        compact: 2,
        ..row(Field::Family, Kind::Text, text!(family))
    },
    FieldSpec {
        vcard: "N (given)",
        label_zh: "名",
        label_en: "Given name",
        compact: 3,
        ..row(Field::Given, Kind::Text, text!(given))
    },
    FieldSpec {
        vcard: "PHOTO",
        label_zh: "头像",
        label_en: "Avatar",
        drop: &[(10, DropStep::All)],
        compact: 4,
        ..row(Field::Avatar, Kind::Image, Slot::Avatar)
    },
    FieldSpec {
        vcard: "ORG",
        label_zh: "公司",
        label_en: "Company",
        aliases: &["org", "organization"],
        drop: &[(u16::MAX, DropStep::All)],
        compact: 5,
        ..row(Field::Company, Kind::Text, text!(company))
    },
    FieldSpec {
        vcard: "TITLE",
        label_zh: "职位",
        label_en: "Title",
        drop: &[(170, DropStep::All)],
        compact: 6,
        ..row(Field::Title, Kind::Text, text!(title))
    },
    FieldSpec {
        vcard: "X-LIVECARD-INDUSTRY",
        label_zh: "行业",
        label_en: "Industry",
        drop: &[(50, DropStep::All)],
        compact: 7,
        ..row(Field::Industry, Kind::Text, text!(industry))
    },
    FieldSpec {
        vcard: "TEL;TYPE=cell",
        label_zh: "手机",
        label_en: "Mobile",
        aliases: &["cell"],
        drop: &[(130, DropStep::AllButFirst)],
        act: Act::Call,
        compact: 8,
        ..row(Field::Mobile, Kind::Phone, list!(mobile))
    },
    FieldSpec {
        vcard: "TEL;TYPE=\"work,voice\"",
        label_zh: "座机",
        label_en: "Landline",
        aliases: &["landline", "tel"],
        drop: &[(110, DropStep::AllButFirst), (160, DropStep::All)],
        act: Act::Call,
        compact: 9,
        ..row(Field::Phone, Kind::Phone, list!(phone))
    },
    FieldSpec {
        vcard: "TEL;TYPE=\"work,fax\"",
        label_zh: "传真",
        label_en: "Fax",
        drop: &[(100, DropStep::All)],
        act: Act::Call,
        compact: 10,
        ..row(Field::Fax, Kind::Phone, list!(fax))
    },
    FieldSpec {
        vcard: "EMAIL",
        label_zh: "邮箱",
        label_en: "Email",
        aliases: &["mail"],
        drop: &[(120, DropStep::AllButFirst), (180, DropStep::All)],
        act: Act::Email,
        compact: 11,
        ..row(Field::Email, Kind::Email, list!(email))
    },
    FieldSpec {
        vcard: "ADR",
        label_zh: "地址",
        label_en: "Address",
        aliases: &["adr"],
        drop: &[(30, DropStep::All)],
        act: Act::Map,
        compact: 12,
        ..row(Field::Address, Kind::Address, Slot::Address)
    },
    FieldSpec {
        vcard: "URL",
        label_zh: "网址",
        label_en: "Website",
        aliases: &["url"],
        drop: &[(40, DropStep::All)],
        act: Act::Web,
        compact: 13,
        ..row(Field::Website, Kind::Url, list!(website))
    },
    FieldSpec {
        vcard: "X-QQ",
        impp: Some(("QQ", "x-apple")),
        label_zh: "QQ",
        label_en: "QQ",
        aliases: &["tencent", "mqq", "tencentqq"],
        drop: &[(140, DropStep::All)],
        act: Act::App,
        compact: 14,
        check: Check::Digits { min: 5, max: 12 },
        ..row(Field::Qq, Kind::Handle, text!(qq))
    },
    FieldSpec {
        vcard: "X-WECHAT",
        impp: Some(("WeChat", "x-apple")),
        label_zh: "微信",
        label_en: "WeChat",
        aliases: &["weixin", "微信"],
        drop: &[(150, DropStep::All)],
        act: Act::App,
        compact: 15,
        ..row(Field::Wechat, Kind::Handle, text!(wechat))
    },
    FieldSpec {
        vcard: "X-ALIWANGWANG",
        impp: Some(("AliWangwang", "x-apple")),
        label_zh: "阿里旺旺",
        label_en: "Aliwangwang",
        aliases: &["wangwang", "aliim", "旺旺", "阿里旺旺"],
        drop: &[(70, DropStep::All)],
        act: Act::App,
        compact: 16,
        ..row(Field::Aliwangwang, Kind::Handle, text!(aliwangwang))
    },
    FieldSpec {
        vcard: "X-MSN",
        impp: Some(("MSN", "msnim")),
        label_zh: "MSN",
        label_en: "MSN",
        aliases: &["msnim", "windows live"],
        drop: &[(60, DropStep::All)],
        // Windows Live Messenger was shut down in 2013; nothing can open an MSN ID any more.
        act: Act::Copy,
        compact: 17,
        ..row(Field::Msn, Kind::Handle, text!(msn))
    },
    FieldSpec {
        vcard: "X-WEIBO",
        impp: Some(("Weibo", "x-apple")),
        label_zh: "微博",
        label_en: "Weibo",
        aliases: &["sinaweibo", "sina weibo", "微博"],
        drop: &[(80, DropStep::All)],
        act: Act::App,
        compact: 18,
        ..row(Field::Weibo, Kind::Handle, text!(weibo))
    },
    FieldSpec {
        vcard: "X-DINGTALK",
        impp: Some(("DingTalk", "x-apple")),
        label_zh: "钉钉",
        label_en: "DingTalk",
        aliases: &["钉钉"],
        drop: &[(90, DropStep::All)],
        act: Act::App,
        compact: 19,
        ..row(Field::Dingtalk, Kind::Handle, text!(dingtalk))
    },
    FieldSpec {
        vcard: "X-TELEGRAM",
        impp: Some(("Telegram", "x-apple")),
        label_zh: "Telegram",
        label_en: "Telegram",
        aliases: &["tg"],
        drop: &[(85, DropStep::All)],
        act: Act::Link("https://t.me/{}"),
        compact: 23,
        check: Check::Username { min: 5, max: 32 },
        ..row(Field::Telegram, Kind::Handle, Slot::Extra)
    },
    FieldSpec {
        vcard: "X-WECOM",
        impp: Some(("WeCom", "x-apple")),
        label_zh: "企业微信",
        label_en: "WeCom",
        aliases: &["wxwork", "wework", "企业微信"],
        drop: &[(95, DropStep::All)],
        // WeCom has no public link or scheme that opens a chat by ID: copy it.
        act: Act::Copy,
        compact: 24,
        ..row(Field::Wecom, Kind::Handle, Slot::Extra)
    },
    FieldSpec {
        vcard: "NOTE + X-LIVECARD-BULLETIN",
        label_zh: "公告",
        label_en: "Bulletin",
        drop: &[(20, DropStep::All)],
        compact: 20,
        length: Length::Bulletin,
        ..row(Field::Bulletin, Kind::Text, text!(bulletin))
    },
    FieldSpec {
        vcard: "X-LIVECARD-TEMP-NUMBER",
        label_zh: "临时号码",
        label_en: "Temporary number",
        aliases: &["temp"],
        act: Act::Call,
        compact: 21,
        ..row(Field::TempNumber, Kind::Phone, text!(temp_number))
    },
    FieldSpec {
        vcard: "X-LIVECARD-TEMP-UNTIL",
        label_zh: "有效期至",
        label_en: "Valid until",
        compact: 22,
        ..row(Field::TempUntil, Kind::Datetime, Slot::Time)
    },
];

impl Field {
    /// This field's row of [`FIELDS`].
    pub fn spec(self) -> &'static FieldSpec {
        &FIELDS[self as usize]
    }

    /// Fields that hold a list (`--add` appends to them).
    pub fn is_multi(self) -> bool {
        self.spec().multi
    }

    pub fn kind(self) -> Kind {
        self.spec().kind
    }

    /// A key or alias as typed (`Mobile`, `temp-number`, `landline`) → the field.
    pub fn from_name(name: &str) -> Option<Field> {
        let key = name.trim().to_lowercase().replace('-', "_");
        FIELDS
            .iter()
            .find(|s| s.key() == key || s.aliases.contains(&key.as_str()))
            .map(|s| s.field)
    }

    /// The handle field a vCard `X-SERVICE-TYPE`, URI scheme, label or `X-` property stands
    /// for (`QQ`, `weixin`, `X-WECHAT`, `钉钉`, `msnim`).
    pub fn from_service(name: &str) -> Option<Field> {
        let n = name.trim().to_lowercase();
        let n = n.strip_prefix("x-").unwrap_or(&n);
        FIELDS
            .iter()
            .filter(|s| s.impp.is_some() || s.kind == Kind::Handle)
            .find(|s| {
                s.key() == n
                    || s.aliases.contains(&n)
                    || s.impp.is_some_and(|(svc, _)| svc.eq_ignore_ascii_case(n))
                    || s.vcard.eq_ignore_ascii_case(name.trim())
            })
            .map(|s| s.field)
    }
}

/// The offline-copy drop order: every `(field, step)` of the table by rank, lowest first.
pub fn drop_order() -> Vec<(Field, DropStep)> {
    let mut steps: Vec<(u16, Field, DropStep)> = FIELDS
        .iter()
        .flat_map(|s| {
            s.drop
                .iter()
                .map(move |(rank, step)| (*rank, s.field, *step))
        })
        .collect();
    steps.sort_by_key(|(rank, _, _)| *rank);
    steps.into_iter().map(|(_, f, s)| (f, s)).collect()
}

/// The field with this compact code.
pub fn by_compact(code: u8) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|s| s.compact == code)
}

/// The table as the JSON `livecard fields --json` prints and the app and share page read:
/// `[{"key","kind","multi","vcard","impp","impp_scheme","label_zh","label_en","aliases",
/// "drop_rank","action","link","max_chars","compact"}]`, in display order (`compact`: the
/// field's code in the compact binary card, which the share page decodes).
pub fn table_json() -> serde_json::Value {
    let limits = crate::Limits::DEFAULT;
    serde_json::Value::Array(
        FIELDS
            .iter()
            .map(|s| {
                serde_json::json!({
                    "key": s.key(),
                    "kind": s.kind,
                    "multi": s.multi,
                    "vcard": s.vcard,
                    "impp": s.impp.map(|(svc, _)| svc),
                    "impp_scheme": s.impp.map(|(_, scheme)| scheme),
                    "label_zh": s.label_zh,
                    "label_en": s.label_en,
                    "aliases": s.aliases,
                    "drop_rank": s.drop.first().map(|(r, _)| r),
                    "action": s.act.as_str(),
                    "link": match s.act { Act::Link(t) => Some(t), _ => None },
                    "max_chars": match s.length {
                        Length::Text => limits.text_chars,
                        Length::Bulletin => limits.bulletin_chars,
                    },
                    "compact": s.compact,
                })
            })
            .collect(),
    )
}

/// [`table_json`] pretty-printed with a final newline: the committed generated files.
pub fn table_json_pretty() -> String {
    let mut s = serde_json::to_string_pretty(&table_json()).unwrap_or_default();
    s.push('\n');
    s
}

/// The app's module (`ui/src/lib/generated/fields.ts`): the table `as const`, so the UI's
/// field-name types come from it.
pub fn ui_module() -> String {
    format!(
        "// Generated from crates/livecard-format/src/fields.rs by `cargo test -p livecard-format \
         --test fields_generated` with LIVECARD_REGENERATE=1. Do not edit.\nexport const FIELDS = {} as const;\n",
        serde_json::to_string_pretty(&table_json()).unwrap_or_default()
    )
}

/// The share page's module (`crates/livecard-server/assets/fields.mjs`).
pub fn share_page_module() -> String {
    format!(
        "// Generated from crates/livecard-format/src/fields.rs by `cargo test -p livecard-format \
         --test fields_generated` with LIVECARD_REGENERATE=1. Do not edit.\nexport const FIELDS = {};\n",
        serde_json::to_string_pretty(&table_json()).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order_with_unique_codes_and_names() {
        for (i, s) in FIELDS.iter().enumerate() {
            assert_eq!(s.field, Field::ALL[i], "row {i}");
            assert!(
                !s.label_zh.is_empty() && !s.label_en.is_empty(),
                "{}",
                s.key()
            );
            assert!(!s.vcard.is_empty(), "{}", s.key());
            assert!(s.compact != 0, "{}", s.key());
            // 0x7F is the inbox key's entry in the compact form (exchange::INBOX_CODE).
            assert!(s.compact != 0x7F, "{}", s.key());
            assert_eq!(
                serde_json::to_value(s.field).unwrap(),
                serde_json::json!(s.key())
            );
        }
        for (i, a) in FIELDS.iter().enumerate() {
            for b in &FIELDS[i + 1..] {
                assert_ne!(a.compact, b.compact, "{} {}", a.key(), b.key());
                for n in a.aliases.iter().chain([&a.key()]) {
                    assert!(
                        b.key() != *n && !b.aliases.contains(n),
                        "{n} names {} and {}",
                        a.key(),
                        b.key()
                    );
                }
            }
        }
    }

    #[test]
    fn names_and_services_resolve() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.as_str()), Some(f));
            assert_eq!(Field::from_name(&f.as_str().to_uppercase()), Some(f));
        }
        assert_eq!(Field::from_name("temp-number"), Some(Field::TempNumber));
        assert_eq!(Field::from_name("landline"), Some(Field::Phone));
        assert_eq!(Field::from_service("X-WEIXIN"), Some(Field::Wechat));
        assert_eq!(Field::from_service("QQ"), Some(Field::Qq));
        assert_eq!(Field::from_service("msnim"), Some(Field::Msn));
        assert_eq!(Field::from_service("x-apple"), None);
        assert_eq!(Field::from_service("mobile"), None);
    }

    /// The fields added through the table alone (issue 14): set, JSON, vCard, compact form.
    #[test]
    fn wecom_and_telegram_work_end_to_end() {
        use crate::card::{Card, Region};
        let r = Region::default();
        let mut c = Card::default();
        c.set(Field::Name, "张三", r).unwrap();
        c.set(Field::Wecom, " zhangsan-wecom ", r).unwrap();
        c.set(Field::Telegram, "@zhang_san", r).unwrap();
        assert_eq!(c.text(Field::Wecom), Some("zhangsan-wecom"));
        assert_eq!(c.text(Field::Telegram), Some("zhang_san"), "@ dropped");
        assert!(c.set(Field::Telegram, "no spaces allowed", r).is_err());
        assert!(c.set(Field::Wecom, "two\nlines", r).is_err());
        c.validate(&crate::Limits::DEFAULT).unwrap();
        // JSON: top-level members like every field; read back equal.
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["wecom"], "zhangsan-wecom");
        assert_eq!(j["telegram"], "zhang_san");
        assert_eq!(serde_json::from_value::<Card>(j).unwrap(), c);
        // vCard 4.0 export → import.
        let v = crate::vcard::to_vcard(&c);
        assert!(v.contains("X-WECOM:zhangsan-wecom\r\n"), "{v}");
        assert!(
            v.contains("IMPP;X-SERVICE-TYPE=Telegram:x-apple:zhang_san\r\n"),
            "{v}"
        );
        let back = crate::vcard::parse_vcards(v.as_bytes(), r).unwrap();
        assert_eq!(back[0].card.text(Field::Wecom), Some("zhangsan-wecom"));
        assert_eq!(back[0].card.text(Field::Telegram), Some("zhang_san"));
        // An IMPP line alone (another app's export) is read too.
        let only = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nIMPP;X-SERVICE-TYPE=WeCom:x-apple:wx%20id\r\nEND:VCARD\r\n";
        let back = crate::vcard::parse_vcards(only.as_bytes(), r).unwrap();
        assert_eq!(back[0].card.text(Field::Wecom), Some("wx id"));
        // Clearing removes the member.
        c.set(Field::Wecom, "", r).unwrap();
        assert!(!serde_json::to_string(&c).unwrap().contains("wecom"));
    }

    #[cfg(feature = "secret")]
    #[test]
    fn wecom_survives_the_compact_offline_form() {
        use crate::card::{Card, Region};
        let mut c = Card::default();
        c.set(Field::Name, "张三", Region::default()).unwrap();
        c.set(Field::Wecom, "zs", Region::default()).unwrap();
        c.set(Field::Telegram, "zhang_san", Region::default())
            .unwrap();
        let bytes = crate::exchange::compact_card(&c);
        assert_eq!(crate::exchange::parse_compact_card(&bytes).unwrap(), c);
    }

    #[test]
    fn drop_order_is_the_documented_one() {
        use DropStep::*;
        use Field::*;
        assert_eq!(
            drop_order(),
            vec![
                (Avatar, All),
                (Bulletin, All),
                (Address, All),
                (Website, All),
                (Industry, All),
                (Msn, All),
                (Aliwangwang, All),
                (Weibo, All),
                (Telegram, All),
                (Dingtalk, All),
                (Wecom, All),
                (Fax, All),
                (Phone, AllButFirst),
                (Email, AllButFirst),
                (Mobile, AllButFirst),
                (Qq, All),
                (Wechat, All),
                (Phone, All),
                (Title, All),
                (Email, All),
                (Company, All),
            ]
        );
    }
}
