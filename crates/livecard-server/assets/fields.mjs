// Generated from crates/livecard-format/src/fields.rs by `cargo test -p livecard-format --test fields_generated` with LIVECARD_REGENERATE=1. Do not edit.
export const FIELDS = [
  {
    "action": null,
    "aliases": [],
    "drop_rank": null,
    "impp": null,
    "impp_scheme": null,
    "key": "name",
    "kind": "text",
    "label_en": "Name",
    "label_zh": "姓名",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "FN"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": null,
    "impp": null,
    "impp_scheme": null,
    "key": "family",
    "kind": "text",
    "label_en": "Family name",
    "label_zh": "姓",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "N (family)"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": null,
    "impp": null,
    "impp_scheme": null,
    "key": "given",
    "kind": "text",
    "label_en": "Given name",
    "label_zh": "名",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "N (given)"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": 10,
    "impp": null,
    "impp_scheme": null,
    "key": "avatar",
    "kind": "image",
    "label_en": "Avatar",
    "label_zh": "头像",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "PHOTO"
  },
  {
    "action": null,
    "aliases": [
      "org",
      "organization"
    ],
    "drop_rank": 65535,
    "impp": null,
    "impp_scheme": null,
    "key": "company",
    "kind": "text",
    "label_en": "Company",
    "label_zh": "公司",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "ORG"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": 170,
    "impp": null,
    "impp_scheme": null,
    "key": "title",
    "kind": "text",
    "label_en": "Title",
    "label_zh": "职位",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "TITLE"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": 50,
    "impp": null,
    "impp_scheme": null,
    "key": "industry",
    "kind": "text",
    "label_en": "Industry",
    "label_zh": "行业",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-LIVECARD-INDUSTRY"
  },
  {
    "action": "call",
    "aliases": [
      "cell"
    ],
    "drop_rank": 130,
    "impp": null,
    "impp_scheme": null,
    "key": "mobile",
    "kind": "phone",
    "label_en": "Mobile",
    "label_zh": "手机",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "TEL;TYPE=cell"
  },
  {
    "action": "call",
    "aliases": [
      "landline",
      "tel"
    ],
    "drop_rank": 110,
    "impp": null,
    "impp_scheme": null,
    "key": "phone",
    "kind": "phone",
    "label_en": "Landline",
    "label_zh": "座机",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "TEL;TYPE=\"work,voice\""
  },
  {
    "action": "call",
    "aliases": [],
    "drop_rank": 100,
    "impp": null,
    "impp_scheme": null,
    "key": "fax",
    "kind": "phone",
    "label_en": "Fax",
    "label_zh": "传真",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "TEL;TYPE=\"work,fax\""
  },
  {
    "action": "email",
    "aliases": [
      "mail"
    ],
    "drop_rank": 120,
    "impp": null,
    "impp_scheme": null,
    "key": "email",
    "kind": "email",
    "label_en": "Email",
    "label_zh": "邮箱",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "EMAIL"
  },
  {
    "action": "map",
    "aliases": [
      "adr"
    ],
    "drop_rank": 30,
    "impp": null,
    "impp_scheme": null,
    "key": "address",
    "kind": "address",
    "label_en": "Address",
    "label_zh": "地址",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "ADR"
  },
  {
    "action": "web",
    "aliases": [
      "url"
    ],
    "drop_rank": 40,
    "impp": null,
    "impp_scheme": null,
    "key": "website",
    "kind": "url",
    "label_en": "Website",
    "label_zh": "网址",
    "link": null,
    "max_chars": 256,
    "multi": true,
    "vcard": "URL"
  },
  {
    "action": "app",
    "aliases": [
      "tencent",
      "mqq",
      "tencentqq"
    ],
    "drop_rank": 140,
    "impp": "QQ",
    "impp_scheme": "x-apple",
    "key": "qq",
    "kind": "handle",
    "label_en": "QQ",
    "label_zh": "QQ",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-QQ"
  },
  {
    "action": "app",
    "aliases": [
      "weixin",
      "微信"
    ],
    "drop_rank": 150,
    "impp": "WeChat",
    "impp_scheme": "x-apple",
    "key": "wechat",
    "kind": "handle",
    "label_en": "WeChat",
    "label_zh": "微信",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-WECHAT"
  },
  {
    "action": "app",
    "aliases": [
      "wangwang",
      "aliim",
      "旺旺",
      "阿里旺旺"
    ],
    "drop_rank": 70,
    "impp": "AliWangwang",
    "impp_scheme": "x-apple",
    "key": "aliwangwang",
    "kind": "handle",
    "label_en": "Aliwangwang",
    "label_zh": "阿里旺旺",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-ALIWANGWANG"
  },
  {
    "action": "copy",
    "aliases": [
      "msnim",
      "windows live"
    ],
    "drop_rank": 60,
    "impp": "MSN",
    "impp_scheme": "msnim",
    "key": "msn",
    "kind": "handle",
    "label_en": "MSN",
    "label_zh": "MSN",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-MSN"
  },
  {
    "action": "app",
    "aliases": [
      "sinaweibo",
      "sina weibo",
      "微博"
    ],
    "drop_rank": 80,
    "impp": "Weibo",
    "impp_scheme": "x-apple",
    "key": "weibo",
    "kind": "handle",
    "label_en": "Weibo",
    "label_zh": "微博",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-WEIBO"
  },
  {
    "action": "app",
    "aliases": [
      "钉钉"
    ],
    "drop_rank": 90,
    "impp": "DingTalk",
    "impp_scheme": "x-apple",
    "key": "dingtalk",
    "kind": "handle",
    "label_en": "DingTalk",
    "label_zh": "钉钉",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-DINGTALK"
  },
  {
    "action": "link",
    "aliases": [
      "tg"
    ],
    "drop_rank": 85,
    "impp": "Telegram",
    "impp_scheme": "x-apple",
    "key": "telegram",
    "kind": "handle",
    "label_en": "Telegram",
    "label_zh": "Telegram",
    "link": "https://t.me/{}",
    "max_chars": 256,
    "multi": false,
    "vcard": "X-TELEGRAM"
  },
  {
    "action": "copy",
    "aliases": [
      "wxwork",
      "wework",
      "企业微信"
    ],
    "drop_rank": 95,
    "impp": "WeCom",
    "impp_scheme": "x-apple",
    "key": "wecom",
    "kind": "handle",
    "label_en": "WeCom",
    "label_zh": "企业微信",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-WECOM"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": 20,
    "impp": null,
    "impp_scheme": null,
    "key": "bulletin",
    "kind": "text",
    "label_en": "Bulletin",
    "label_zh": "公告",
    "link": null,
    "max_chars": 280,
    "multi": false,
    "vcard": "NOTE + X-LIVECARD-BULLETIN"
  },
  {
    "action": "call",
    "aliases": [
      "temp"
    ],
    "drop_rank": null,
    "impp": null,
    "impp_scheme": null,
    "key": "temp_number",
    "kind": "phone",
    "label_en": "Temporary number",
    "label_zh": "临时号码",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-LIVECARD-TEMP-NUMBER"
  },
  {
    "action": null,
    "aliases": [],
    "drop_rank": null,
    "impp": null,
    "impp_scheme": null,
    "key": "temp_until",
    "kind": "datetime",
    "label_en": "Valid until",
    "label_zh": "有效期至",
    "link": null,
    "max_chars": 256,
    "multi": false,
    "vcard": "X-LIVECARD-TEMP-UNTIL"
  }
];
