//! vCard export/import round trip, charsets, limits, bad input; MeCard; contact-text detection.

use chrono::{DateTime, Utc};
use livecard_format::contact_text::{
    detect, parse_contact_text, ContactTextError, ContactTextKind,
};
use livecard_format::mecard::{parse_mecard, to_mecard};
use livecard_format::vcard::{
    parse_vcards, parse_vcards_lenient, to_vcard, to_vcards, VcardError, MAX_INPUT_BYTES,
};
use livecard_format::{Address, Avatar, Card, Field, Limits, Region};

fn cn() -> Region {
    Region::default()
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A small but real-looking PNG (header + filler).
fn png(len: usize) -> Vec<u8> {
    let mut d = b"\x89PNG\r\n\x1a\n".to_vec();
    d.extend((0..len).map(|i| (i * 7 % 251) as u8));
    d
}

fn full_card() -> Card {
    Card {
        name: "欧阳三丰".into(),
        family: "欧阳".into(),
        given: "三丰".into(),
        avatar: Some(Avatar {
            mime: "image/png".into(),
            data: png(20_000),
        }),
        company: "华为技术有限公司; R&D, 北京\\研究所".into(),
        title: "高级工程师，首席架构师".into(),
        industry: "通信 / Telecom".into(),
        mobile: v(&["+8613800138000", "+8613900139000", "+16502530000"]),
        phone: v(&["+861065529988", "+861065529989;ext=12"]),
        fax: v(&["+861065529900"]),
        email: v(&["zsf@example.com", "三丰@例子.中国", "o'brien+x@example.org"]),
        address: vec![
            Address {
                po_box: "信箱 8".into(),
                extended: "A座 12层".into(),
                street: "坂田街道华为基地; Bantian, Longgang".into(),
                locality: "深圳".into(),
                region: "广东".into(),
                postal_code: "518129".into(),
                country: "中国".into(),
            },
            Address {
                street: "1600 Amphitheatre Pkwy\nBuilding 43".into(),
                locality: "Mountain View".into(),
                region: "CA".into(),
                postal_code: "94043".into(),
                country: "USA".into(),
                ..Default::default()
            },
            Address::from_text("北京市海淀区中关村大街1号"),
        ],
        website: v(&["https://zsf.example/", "https://a.example/x,y;z?q=1&r=2"]),
        qq: "12345678".into(),
        wechat: "zsf_wx-2024".into(),
        aliwangwang: "张三丰的旺旺".into(),
        msn: "zsf@hotmail.com".into(),
        weibo: "张三丰 Weibo, 官方;号".into(),
        dingtalk: "zsf-ding".into(),
        bulletin: "新品上市，欢迎咨询; call me: 10% off, \\o/".into(),
        temp_number: "+8613700137000".into(),
        temp_until: Some("2026-11-25T10:00:00.250Z".parse::<DateTime<Utc>>().unwrap()),
        // `extra` (table fields added later) and `inbox` (not a user field).
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Export and round trip

#[test]
fn full_card_round_trips_every_field() {
    let card = full_card();
    card.validate(&Limits::DEFAULT).unwrap();
    let text = to_vcard(&card);
    let back = parse_vcards(text.as_bytes(), cn()).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].card, card);
    assert!(back[0].warnings.is_empty(), "{:?}", back[0].warnings);
}

#[test]
fn export_is_folded_crlf_40_with_standard_properties_first() {
    let text = to_vcard(&full_card());
    assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:欧阳三丰\r\nN:欧阳;三丰;;;\r\n"));
    assert!(text.ends_with("END:VCARD\r\n"));
    assert!(
        !text.replace("\r\n", "").contains(['\r', '\n']),
        "only CRLF line ends"
    );
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    // Unfold and look at whole properties.
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    let pos = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {unfolded}"))
    };
    assert!(lines.contains(&"ORG:华为技术有限公司\\; R&D\\, 北京\\\\研究所"));
    assert!(lines.contains(&"TEL;TYPE=cell:+8613800138000"));
    assert!(lines.contains(&"TEL;TYPE=\"work,voice\":+861065529988"));
    assert!(lines.contains(&"TEL;TYPE=\"work,fax\":+861065529900"));
    assert!(lines.contains(&"LIVECARD-TEMP.TEL;TYPE=cell:+8613700137000"));
    assert!(
        lines.contains(&"ADR:;;1600 Amphitheatre Pkwy\\nBuilding 43;Mountain View;CA;94043;USA")
    );
    assert!(lines.contains(&"IMPP;X-SERVICE-TYPE=QQ:x-apple:12345678"));
    assert!(lines.contains(&"IMPP;X-SERVICE-TYPE=MSN:msnim:zsf@hotmail.com"));
    assert!(lines.contains(&"X-QQ:12345678"));
    assert!(lines.contains(&"X-WECHAT:zsf_wx-2024"));
    assert!(lines.contains(&"X-LIVECARD-TEMP-UNTIL:2026-11-25T10:00:00.250Z"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("PHOTO:data:image/png;base64,iVBORw0KGgo")));
    assert!(lines.contains(&"NOTE:新品上市，欢迎咨询\\; call me: 10% off\\, \\\\o/"));
    // Standard properties before our own and before the messengers.
    for std_prop in [
        "FN:", "N:", "ORG:", "TITLE:", "TEL;", "EMAIL:", "ADR:", "URL:", "PHOTO:", "NOTE:",
    ] {
        assert!(pos(std_prop) < pos("IMPP"), "{std_prop}");
        assert!(pos(std_prop) < pos("X-"), "{std_prop}");
    }
}

#[test]
fn folding_never_splits_a_utf8_sequence() {
    // 3-byte characters after an odd-length prefix force folds at every possible offset.
    for prefix in ["", "a", "ab"] {
        let card = Card {
            name: format!("{prefix}{}", "张".repeat(200)),
            ..Default::default()
        };
        let text = to_vcard(&card);
        for line in text.as_bytes().split(|&b| b == b'\n') {
            assert!(line.len() <= 76, "75 octets + CR");
            assert!(std::str::from_utf8(line).is_ok());
        }
        let back = parse_vcards(text.as_bytes(), cn()).unwrap();
        assert_eq!(back[0].card.name, card.name);
    }
}

#[test]
fn several_cards_round_trip_through_to_vcards() {
    let mut a = Card::default();
    a.set(Field::Name, "张三", cn()).unwrap();
    a.set(Field::Mobile, "13800138000", cn()).unwrap();
    let mut b = Card::default();
    b.set(Field::Name, "John Doe", cn()).unwrap();
    b.set(Field::Email, "john@example.com", cn()).unwrap();
    let text = to_vcards(&[a.clone(), b.clone()]);
    let back: Vec<Card> = parse_vcards(text.as_bytes(), cn())
        .unwrap()
        .into_iter()
        .map(|i| i.card)
        .collect();
    assert_eq!(back, vec![a, b]);
}

#[test]
fn foreign_messenger_forms_are_read() {
    let text = "BEGIN:VCARD\nVERSION:3.0\nFN:A\n\
        IMPP;X-SERVICE-TYPE=QQ:x-apple:10001\n\
        IMPP:weixin:wx_abc\n\
        item1.IMPP:x-apple:ding%20tok\nitem1.X-ABLabel:DingTalk\n\
        X-WEIBO:weibo_a\nX-ALIWANGWANG:ww\nX-MSN:m@example.com\nEND:VCARD\n";
    let c = &parse_vcards(text.as_bytes(), cn()).unwrap()[0].card;
    assert_eq!(c.qq, "10001");
    assert_eq!(c.wechat, "wx_abc");
    assert_eq!(c.dingtalk, "ding tok");
    assert_eq!(c.weibo, "weibo_a");
    assert_eq!(c.aliwangwang, "ww");
    assert_eq!(c.msn, "m@example.com");
}

// ---------------------------------------------------------------------------------------------
// Charsets and line ends

fn qp(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("={b:02X}")).collect()
}

#[test]
fn gbk_quoted_printable_with_soft_line_breaks() {
    let (name, _, _) = encoding_rs::GBK.encode("张三丰");
    let (org, _, _) = encoding_rs::GBK.encode("北京市朝阳区建国路八十八号现代城写字楼有限公司");
    let org_qp = qp(&org);
    // Break the ORG value with soft line breaks every 60 characters, on '=' boundaries.
    let mut folded = String::new();
    for (i, chunk) in org_qp.as_bytes().chunks(60).enumerate() {
        if i > 0 {
            folded.push_str("=\r\n");
        }
        folded.push_str(std::str::from_utf8(chunk).unwrap());
    }
    let (family, _, _) = encoding_rs::GBK.encode("张");
    let (given, _, _) = encoding_rs::GBK.encode("三丰");
    let text = format!(
        "BEGIN:VCARD\r\nVERSION:2.1\r\n\
         N;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:{};{};;;\r\n\
         FN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:{}\r\n\
         ORG;CHARSET=GB18030;ENCODING=QUOTED-PRINTABLE:{folded}\r\n\
         TEL;CELL:13800138000\r\nTEL;WORK;VOICE:010-65529988\r\nTEL;WORK;FAX:010-65529900\r\n\
         END:VCARD\r\n",
        qp(&family),
        qp(&given),
        qp(&name),
    );
    assert!(text.contains("=\r\n"), "has soft breaks");
    let i = &parse_vcards(text.as_bytes(), cn()).unwrap()[0];
    assert_eq!(i.card.name, "张三丰");
    assert_eq!(
        (i.card.family.as_str(), i.card.given.as_str()),
        ("张", "三丰")
    );
    assert_eq!(
        i.card.company,
        "北京市朝阳区建国路八十八号现代城写字楼有限公司"
    );
    assert_eq!(i.card.mobile, v(&["+8613800138000"]));
    assert_eq!(i.card.phone, v(&["+861065529988"]));
    assert_eq!(i.card.fax, v(&["+861065529900"]));
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn raw_gbk_bytes_with_and_without_charset() {
    let (name, _, _) = encoding_rs::GBK.encode("李四");
    let mut with = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=GBK:".to_vec();
    with.extend_from_slice(&name);
    with.extend_from_slice(b"\r\nEND:VCARD\r\n");
    let i = &parse_vcards(&with, cn()).unwrap()[0];
    assert_eq!(i.card.name, "李四");
    assert!(i.warnings.is_empty());

    let mut without = b"BEGIN:VCARD\nVERSION:2.1\nFN:".to_vec();
    without.extend_from_slice(&name);
    without.extend_from_slice(b"\nEND:VCARD\n");
    let i = &parse_vcards(&without, cn()).unwrap()[0];
    assert_eq!(i.card.name, "李四");
    assert!(
        i.warnings.iter().any(|w| w.contains("GB18030")),
        "{:?}",
        i.warnings
    );
}

#[test]
fn bom_mixed_line_ends_tab_folds_and_utf16() {
    let text = "\u{feff}BEGIN:VCARD\r\nVERSION:3.0\nFN:Wang\r\n\t Wu\r\nORG:A\r\n  Corp\nEND:VCARD";
    let c = &parse_vcards(text.as_bytes(), cn()).unwrap()[0].card;
    assert_eq!(c.name, "Wang Wu");
    assert_eq!(c.company, "A Corp");

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:王五\r\nEND:VCARD\r\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    assert_eq!(parse_vcards(&utf16, cn()).unwrap()[0].card.name, "王五");
}

#[test]
fn vcard_21_base64_photo_ended_by_blank_line_and_data_uri_photo() {
    let data = png(3000);
    let b64 = base64_encode(&data);
    let mut text =
        String::from("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:P\r\nPHOTO;ENCODING=BASE64;TYPE=PNG:\r\n");
    for chunk in b64.as_bytes().chunks(72) {
        text.push_str(std::str::from_utf8(chunk).unwrap());
        text.push_str("\r\n");
    }
    text.push_str("\r\nTEL;CELL:13800138000\r\nEND:VCARD\r\n");
    let c = &parse_vcards(text.as_bytes(), cn()).unwrap()[0].card;
    assert_eq!(
        c.avatar.as_ref().map(|a| (a.mime.as_str(), &a.data)),
        Some(("image/png", &data))
    );
    assert_eq!(c.mobile, v(&["+8613800138000"]));

    let text =
        format!("BEGIN:VCARD\nVERSION:4.0\nFN:P\nPHOTO:data:image/png;base64,{b64}\nEND:VCARD\n");
    let c = &parse_vcards(text.as_bytes(), cn()).unwrap()[0].card;
    assert_eq!(c.avatar.as_ref().map(|a| &a.data), Some(&data));
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

// ---------------------------------------------------------------------------------------------
// Limits: dropped with a warning, never a failure

#[test]
fn oversized_values_are_dropped_with_warnings_and_the_card_validates() {
    let mut text = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big\r\n");
    text.push_str(&format!("TITLE:{}\r\n", "长".repeat(300)));
    for i in 0..12 {
        text.push_str(&format!("TEL;TYPE=CELL:1380013{i:04}\r\n"));
    }
    let photo = base64_encode(&png(100 * 1024));
    text.push_str(&format!("PHOTO;ENCODING=b;TYPE=PNG:{photo}\r\n"));
    text.push_str(&format!("NOTE:{}\r\n", "n".repeat(1000)));
    text.push_str("END:VCARD\r\n");
    let i = &parse_vcards(text.as_bytes(), cn()).unwrap()[0];
    i.card.validate(&Limits::DEFAULT).unwrap();
    assert_eq!(i.card.name, "Big");
    assert_eq!(i.card.title, "");
    assert_eq!(i.card.mobile.len(), 10);
    assert!(i.card.avatar.is_none());
    let w = i.warnings.join("\n");
    assert!(w.contains("line 4: title of 300 characters dropped"), "{w}");
    assert!(
        w.contains("line 15: mobile \"+8613800130010\" dropped: at most 10 values"),
        "{w}"
    );
    assert!(w.contains("line 17: PHOTO of about 100 KiB dropped"), "{w}");
    assert!(w.contains("NOTE of 1000 characters"), "{w}");
}

#[test]
fn temp_number_without_expiry_is_dropped() {
    let text = "BEGIN:VCARD\nVERSION:4.0\nFN:T\nX-LIVECARD-TEMP-NUMBER:13700137000\nEND:VCARD\n";
    let i = &parse_vcards(text.as_bytes(), cn()).unwrap()[0];
    assert_eq!(i.card.temp_number, "");
    i.card.validate(&Limits::DEFAULT).unwrap();
    assert!(i
        .warnings
        .iter()
        .any(|w| w.contains("temporary number dropped")));
}

// ---------------------------------------------------------------------------------------------
// Bad input: an error naming the line, never a panic

fn err(input: &[u8]) -> VcardError {
    parse_vcards(input, cn()).expect_err("must fail")
}

#[test]
fn truncated_card_names_its_begin_line() {
    let e = err(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n");
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("no END:VCARD"), "{e}");
}

#[test]
fn begin_inside_a_card_names_that_line() {
    let e = err(b"BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\n");
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("begun at line 1"), "{e}");
}

#[test]
fn binary_garbage_is_refused() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let e = err(&garbage);
    assert_eq!(e.line, 1, "{e}");
    assert!(e.message.contains("expected BEGIN:VCARD"), "{e}");

    let mut inside = b"BEGIN:VCARD\r\nVERSION:3.0\r\n".to_vec();
    inside.extend_from_slice(b"\x00\x01\xfe\xff:\x02\r\nEND:VCARD\r\n");
    let e = err(&inside);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("not a vCard property name"), "{e}");

    let e = err(b"BEGIN:VCARD\nVERSION:3.0\nthis line has no colon\nEND:VCARD\n");
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("no ':'"), "{e}");
}

#[test]
fn a_10_mb_line_is_refused() {
    let mut big = b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:".to_vec();
    big.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    big.extend_from_slice(b"\r\nEND:VCARD\r\n");
    let e = err(&big);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("at most 1048576"), "{e}");

    // The same length in folded pieces is refused too, at the property's first line.
    let mut folded = b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:x".to_vec();
    for _ in 0..(2 * 1024 * 1024 / 74) {
        folded.extend_from_slice(b"\r\n ");
        folded.extend(std::iter::repeat_n(b'b', 73));
    }
    folded.extend_from_slice(b"\r\nEND:VCARD\r\n");
    let e = err(&folded);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("after unfolding"), "{e}");

    let huge = vec![b'\n'; MAX_INPUT_BYTES + 1];
    let e = err(&huge);
    assert_eq!(e.line, 1, "{e}");
    assert!(e.message.contains("at most 20 MiB"), "{e}");
}

#[test]
fn broken_quoted_printable_names_its_line() {
    let e = err(b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:A\r\nNOTE;ENCODING=QUOTED-PRINTABLE:abc=ZZdef\r\nEND:VCARD\r\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("broken quoted-printable"), "{e}");

    let e = err(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE:=4\r\nEND:VCARD\r\n");
    assert_eq!(e.line, 3, "{e}");

    // A soft line break with nothing after it before END:VCARD.
    let e =
        err(b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:A\r\nORG;QUOTED-PRINTABLE:Acme=\r\nEND:VCARD\r\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("soft line break"), "{e}");
}

#[test]
fn unknown_charset_names_its_line() {
    let e = err(b"BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=X-KLINGON:Qapla\nEND:VCARD\n");
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("unknown charset \"X-KLINGON\""), "{e}");
}

#[test]
fn empty_input_is_an_error() {
    assert_eq!(err(b"").line, 1);
    assert_eq!(err(b"\r\n\r\n  \n").line, 1);
}

#[test]
fn one_broken_card_fails_the_file_but_lenient_keeps_the_others() {
    let text = b"BEGIN:VCARD\nVERSION:3.0\nFN:Good One\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=NOPE:x\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Good Two\nEND:VCARD\n";
    let e = err(text);
    assert_eq!(e.line, 7, "{e}");
    let r = parse_vcards_lenient(text, cn()).unwrap();
    let names: Vec<&str> = r.cards.iter().map(|i| i.card.name.as_str()).collect();
    assert_eq!(names, ["Good One", "Good Two"]);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].line, 7);
}

// ---------------------------------------------------------------------------------------------
// MeCard

#[test]
fn mecard_with_escapes() {
    let c = parse_mecard(
        r"MECARD:N:张,三;TEL:13800138000;TEL:010-65529988;EMAIL:zs@example.com;ORG:张记\;贸易\:公司;TITLE:经理;ADR:北京市朝阳区\,建国路88号;URL:http\://zs.example;NOTE:路径 C\:\\tmp\, 欢迎;;",
        cn(),
    )
    .unwrap();
    assert_eq!(c.name, "张三");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("张", "三"));
    assert_eq!(c.mobile, v(&["+8613800138000"]));
    assert_eq!(c.phone, v(&["+861065529988"]));
    assert_eq!(c.email, v(&["zs@example.com"]));
    assert_eq!(c.company, "张记;贸易:公司");
    assert_eq!(c.title, "经理");
    assert_eq!(
        c.address,
        vec![Address::from_text("北京市朝阳区,建国路88号")]
    );
    assert_eq!(c.website, v(&["http://zs.example/"]));
    assert_eq!(c.bulletin, r"路径 C:\tmp, 欢迎");
    c.validate(&Limits::DEFAULT).unwrap();
}

#[test]
fn mecard_latin_name_structured_address_and_no_terminator() {
    let c = parse_mecard(
        "mecard:N:Doe,John;ADR:,,1 Main St,Springfield,IL,62701,USA;EMAIL:j@example.com",
        "US".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(c.name, "John Doe");
    assert_eq!(c.address[0].street, "1 Main St");
    assert_eq!(c.address[0].postal_code, "62701");
    assert_eq!(c.email, v(&["j@example.com"]));
}

#[test]
fn mecard_errors() {
    assert!(parse_mecard("BEGIN:VCARD", cn())
        .unwrap_err()
        .message
        .contains("MECARD:"));
    let e = parse_mecard("MECARD:N:a;garbage;;", cn()).unwrap_err();
    assert!(e.message.contains("\"garbage\""), "{e}");
}

#[test]
fn mecard_round_trip_keeps_what_mecard_can_carry() {
    let card = full_card();
    let back = parse_mecard(&to_mecard(&card), cn()).unwrap();
    assert_eq!(back.name, card.name);
    assert_eq!(
        (back.family.as_str(), back.given.as_str()),
        ("欧阳", "三丰")
    );
    assert_eq!(back.company, card.company);
    assert_eq!(back.title, card.title);
    assert_eq!(back.email, card.email);
    assert_eq!(back.website, card.website);
    assert_eq!(back.bulletin, card.bulletin);
    let mut numbers = back.mobile.clone();
    numbers.extend(back.phone.clone());
    numbers.sort();
    let mut want = card.mobile.clone();
    want.extend(card.phone.clone());
    want.sort();
    assert_eq!(numbers, want);
}

// ---------------------------------------------------------------------------------------------
// Contact text of unknown kind

#[test]
fn contact_text_detects_vcard_and_mecard() {
    let path = format!(
        "{}/tests/data/vcards/gmail-list.vcf",
        env!("CARGO_MANIFEST_DIR")
    );
    let vcf = std::fs::read(path).unwrap();
    assert_eq!(parse_contact_text(&vcf, cn()).unwrap().len(), 3);

    let me = "  MECARD:N:王,五;TEL:13900139000;;\n".as_bytes();
    assert_eq!(detect(me).map(|d| d.0), Some(ContactTextKind::Mecard));
    let cards = parse_contact_text(me, cn()).unwrap();
    assert_eq!(cards[0].card.name, "王五");

    let chat = "这是我的名片 / my card:\nBEGIN:VCARD\nVERSION:3.0\nFN:赵六\nEND:VCARD\n";
    assert_eq!(
        parse_contact_text(chat.as_bytes(), cn()).unwrap()[0]
            .card
            .name,
        "赵六"
    );

    assert_eq!(
        parse_contact_text("你好, hello".as_bytes(), cn()).unwrap_err(),
        ContactTextError::Unrecognised
    );
    let e = parse_contact_text(b"BEGIN:VCARD\nFN:x\n", cn()).unwrap_err();
    assert!(
        matches!(e, ContactTextError::Vcard(VcardError { line: 1, .. })),
        "{e}"
    );
}

/// The payload of the last (short) NDEF record of type `ty`.
fn ndef_payload<'a>(msg: &'a [u8], ty: &[u8]) -> &'a [u8] {
    let at = msg.windows(ty.len()).position(|w| w == ty).unwrap();
    &msg[at + ty.len()..]
}

#[test]
fn contact_text_reads_ndef_text_vcard_payloads() {
    let dir = format!("{}/tests/data/ndef", env!("CARGO_MANIFEST_DIR"));
    for f in ["mime-text-vcard.ndef", "uri-then-vcard.ndef"] {
        let msg = std::fs::read(format!("{dir}/{f}")).unwrap();
        let cards = parse_contact_text(ndef_payload(&msg, b"text/vcard"), cn()).unwrap();
        let c = &cards[0].card;
        assert_eq!(c.name, "陈明", "{f}");
        assert_eq!((c.family.as_str(), c.given.as_str()), ("陈", "明"));
        assert_eq!(c.company, "南京示例贸易有限公司");
        assert_eq!(c.mobile, v(&["+8613700001111"]));
        assert_eq!(c.email, v(&["chenming@example.com"]));
    }
    let text = std::fs::read(format!("{dir}/text-only.ndef")).unwrap();
    assert_eq!(
        parse_contact_text(&text, cn()).unwrap_err(),
        ContactTextError::Unrecognised
    );
}

// ---------------------------------------------------------------------------------------------
// Fuzz findings (docs/FUZZING.md), kept as regression tests

#[test]
fn fuzz_regression_multibyte_text_where_a_scheme_prefix_is_checked() {
    // Panicked: slicing "tel:"/"data:" prefixes by bytes inside a multi-byte character.
    let text = "BEGIN:VCARD\nVERSION:4.0\nFN:x\nTEL:0,龙岗\nTEL:张三\nPHOTO:龙岗龙\nEMAIL:龙岗龙岗\nEND:VCARD\n";
    let i = &parse_vcards(text.as_bytes(), cn()).unwrap()[0];
    assert_eq!(i.card.phone, v(&["0,龙岗", "张三"]));
    assert_eq!(i.card.email, v(&["龙岗龙岗"]));
    assert!(parse_mecard("MECARD:N:x;TEL:0,龙岗;;", cn()).is_ok());
    assert!(parse_mecard("龙岗MECARD:", cn()).is_err());
    let dir = format!("{}/tests/data/fuzz-regressions", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let _ = parse_vcards(&bytes, cn());
        let _ = parse_contact_text(&bytes, cn());
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = parse_mecard(text, cn());
        }
    }
}
