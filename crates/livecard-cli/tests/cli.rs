//! The real `livecard` binary against temp data dirs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn livecard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_livecard"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .output()
        .expect("run livecard")
}

/// Runs, asserts success, parses stdout as JSON.
fn json(dir: &Path, args: &[&str]) -> Value {
    let out = livecard(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs, asserts failure, returns stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = livecard(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: nothing on stdout on error"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const TWO_CARDS: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nN:李;四;;;\r\nORG:华为\r\nTITLE:工程师\r\nTEL;TYPE=CELL:13800138000\r\nEMAIL:lisi@huawei.example\r\nADR;TYPE=WORK:;;坂田;深圳;广东;518129;中国\r\nURL:https://huawei.example/\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:John Doe\r\nN:Doe;John;;;\r\nTEL;TYPE=CELL:+1 650 253 0000\r\nEMAIL:john@example.com\r\nEND:VCARD\r\n";

#[test]
fn me_edit_show_vcf_and_errors() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let me = json(
        dir,
        &[
            "me",
            "edit",
            "--set",
            "name=张三丰",
            "--set",
            "mobile=138 0013 8000",
            "--add",
            "mobile=13900139000",
            "--set",
            "email=zsf@wudang.example",
            "--set",
            "temp_number=13700137000",
            "--set",
            "temp_until=2030-01-01T18:00:00+08:00",
            "--set",
            "company=武当",
        ],
    );
    assert_eq!(me["name"], "张三丰");
    assert_eq!(me["family"], "张");
    assert_eq!(me["version"], 1);
    assert_eq!(me["mobile"][0], "+8613800138000");
    assert_eq!(me["mobile"][1], "+8613900139000");
    assert_eq!(me["temp_number"], "+8613700137000");
    let id = me["id"].as_str().unwrap().to_string();

    // --set on a list field makes it one value.
    let me = json(dir, &["me", "edit", "--set", "mobile=13500135000"]);
    assert_eq!(me["mobile"].as_array().unwrap().len(), 1);
    assert_eq!(me["version"], 2);

    // A bad value: non-zero exit, the field named, nothing saved.
    let err = fails(
        dir,
        &["me", "edit", "--set", "title=掌门", "--set", "email=x"],
    );
    assert_eq!(err.trim(), "error: email: \"x\" is not an email address");
    let err = fails(dir, &["me", "edit", "--set", "nope=1"]);
    assert!(err.contains("unknown field \"nope\""), "{err}");
    let err = fails(dir, &["me", "edit", "--set", "mobile"]);
    assert!(err.contains("FIELD=VALUE"), "{err}");
    let err = fails(dir, &["me", "edit", "--set", "temp_until=tomorrow"]);
    assert!(err.contains("temp_until"), "{err}");
    let err = fails(dir, &["me", "edit", "--set", "avatar=/no/such/file.png"]);
    assert!(
        err.contains("avatar") && err.contains("/no/such/file.png"),
        "{err}"
    );
    let shown = json(dir, &["me", "show", "--json"]);
    assert_eq!(shown["title"], "");
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["id"], id.as_str());

    // Avatar from a file.
    let png = dir.join("a.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nxxxx").unwrap();
    let me = json(
        dir,
        &["me", "edit", "--set", &format!("avatar={}", png.display())],
    );
    assert_eq!(me["avatar"]["mime"], "image/png");

    // Human text.
    let out = livecard(dir, &["me", "show"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("姓名 Name: 张三丰"), "{text}");
    assert!(text.contains("手机 Mobile: 135 0013 5000"), "{text}");

    // vCard out.
    let vcf = dir.join("me.vcf");
    let out = livecard(dir, &["me", "vcf", "--out", vcf.to_str().unwrap()]);
    assert!(out.status.success());
    let v = std::fs::read_to_string(&vcf).unwrap();
    assert!(v.contains("BEGIN:VCARD") && v.contains("张三丰"), "{v}");

    let list = json(dir, &["me", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["default"], true);

    let err = fails(dir, &["me", "show", "--card", "nosuchcard", "--json"]);
    assert!(err.contains("no own card with id \"nosuchcard\""), "{err}");
}

#[test]
fn me_show_without_a_card_says_so() {
    let d = tempfile::tempdir().unwrap();
    let err = fails(d.path(), &["me", "show", "--json"]);
    assert!(err.contains("no own card yet"), "{err}");
}

#[test]
fn add_list_search_open_note_tag_export_and_claim2() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let file = dir.join("two.vcf");
    std::fs::write(&file, TWO_CARDS).unwrap();
    let out = livecard(dir, &["add", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");

    // The same file again: the same ids, reported as already held.
    let again = livecard(dir, &["add", file.to_str().unwrap(), "--json"]);
    assert!(again.status.success());
    let v: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v[0]["id"], ids[0].as_str());
    assert_eq!(v[0]["status"], "unchanged");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already had"));

    let list = json(dir, &["list", "--json"]);
    let arr = list.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    // Name order: John Doe (j) before 李四 (li).
    assert_eq!(arr[0]["name"], "John Doe");
    assert_eq!(arr[1]["card"]["company"], "华为");
    assert_eq!(arr[1]["source"], "vcf");
    assert_eq!(arr[1]["live"], false);
    let by_company = json(dir, &["list", "--json", "--sort", "company"]);
    assert_eq!(by_company[0]["name"], "李四");
    let err = fails(dir, &["list", "--sort", "size"]);
    assert!(err.contains("size"), "{err}");

    for q in [
        "lisi",
        "ls",
        "李",
        "13800138000",
        "+86 138 0013 8000",
        "huawei",
        "工程师",
    ] {
        let hits = json(dir, &["search", q, "--json"]);
        assert_eq!(hits.as_array().unwrap().len(), 1, "{q}");
        assert_eq!(hits[0]["id"], ids[0].as_str(), "{q}");
        assert_eq!(hits[0]["card"]["name"], "李四", "{q}");
    }
    assert!(json(dir, &["search", "nobody", "--json"])
        .as_array()
        .unwrap()
        .is_empty());

    let n = json(dir, &["note", &ids[0], "met at the fair / 展会认识"]);
    assert_eq!(n["notes"], "met at the fair / 展会认识");
    let t = json(dir, &["tag", &ids[0], "客户", "vip"]);
    assert_eq!(t["tags"], serde_json::json!(["vip", "客户"]));
    let t = json(dir, &["tag", &ids[0], "--remove", "vip"]);
    assert_eq!(t["tags"], serde_json::json!(["客户"]));

    let opened = json(dir, &["open", &ids[0], "--json"]);
    assert_eq!(opened["id"], ids[0].as_str());
    assert_eq!(opened["notes"], "met at the fair / 展会认识");
    assert_eq!(opened["tags"], serde_json::json!(["客户"]));
    assert_eq!(opened["card"]["title"], "工程师");
    assert_eq!(opened["card"]["mobile"][0], "+8613800138000");
    assert!(opened["added_at"].is_string() && opened["last_seen_at"].is_string());

    // Claim 2: a new own card from 李四's card.
    let mine = json(dir, &["me", "from", &ids[0]]);
    assert_eq!(mine["company"], "华为");
    assert_eq!(mine["website"][0], "https://huawei.example/");
    assert_eq!(mine["name"], "");
    assert_eq!(mine["mobile"], serde_json::json!([]));

    let out_file = dir.join("all.vcf");
    let out = livecard(dir, &["export", "--vcf", out_file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(all.matches("BEGIN:VCARD").count(), 2);
    assert!(all.contains("李四") && all.contains("John Doe"));

    // The exported file imports back into a fresh data dir with the same cards.
    let d2 = tempfile::tempdir().unwrap();
    let ids2 = json(d2.path(), &["add", out_file.to_str().unwrap(), "--json"]);
    assert_eq!(ids2.as_array().unwrap().len(), 2);

    // me import: own card from the first card of a file.
    let mine = json(dir, &["me", "import", file.to_str().unwrap()]);
    assert_eq!(mine["name"], "李四");
    assert_eq!(mine["version"], 2);

    let out = livecard(dir, &["delete", &ids[1]]);
    assert!(out.status.success());
    assert_eq!(json(dir, &["list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn mecard_text_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("paper.txt");
    std::fs::write(
        &f,
        "MECARD:N:王,五;TEL:13800138000;EMAIL:wangwu@example.com;ORG:小米;;",
    )
    .unwrap();
    let v = json(d.path(), &["add", f.to_str().unwrap(), "--json"]);
    assert_eq!(v.as_array().unwrap().len(), 1);
    let id = v[0]["id"].as_str().unwrap();
    let c = json(d.path(), &["open", id, "--json"]);
    assert_eq!(c["source"], "mecard");
    assert_eq!(c["card"]["mobile"][0], "+8613800138000");
    assert_eq!(c["card"]["company"], "小米");
}

#[test]
fn errors_name_the_problem() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let err = fails(dir, &["add", "/no/such/file.vcf"]);
    assert!(err.contains("cannot read /no/such/file.vcf"), "{err}");
    let junk = dir.join("junk.vcf");
    std::fs::write(&junk, b"\x00\x01 not a card").unwrap();
    let err = fails(dir, &["add", junk.to_str().unwrap()]);
    assert!(err.contains("import failed"), "{err}");
    let err = fails(dir, &["open", "nosuchid", "--json"]);
    assert!(
        err.contains("no received card with id \"nosuchid\""),
        "{err}"
    );
    let err = fails(dir, &["me", "from", "nosuchid"]);
    assert!(err.contains("nosuchid"), "{err}");
    let err = fails(dir, &["note", "nosuchid", "x"]);
    assert!(err.contains("nosuchid"), "{err}");
    let err = fails(dir, &["--region", "XX", "list"]);
    assert!(err.contains("XX"), "{err}");
    let err = fails(dir, &["me", "import", "/no/such.vcf"]);
    assert!(err.contains("/no/such.vcf"), "{err}");
}

#[test]
fn data_dir_from_the_environment_and_region_flag() {
    let d = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_livecard"))
        .env("LIVECARD_DATA_DIR", d.path())
        .args([
            "--region",
            "US",
            "me",
            "edit",
            "--set",
            "mobile=(650) 253-0000",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mobile"][0], "+16502530000");
    assert!(d.path().join("livecard.sqlite").exists());
}
