//! "The server only ever holds ciphertext": the server's sources never use the secret side of
//! livecard-format (share secrets, signing keys, seal/open, share links). The compiler enforces
//! the same when the server is built alone (`cargo check -p livecard-server --lib --bins`): it
//! depends on livecard-format without the `secret` feature, where these items do not exist.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn server_sources_never_touch_secrets() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 5, "found the server sources");
    let forbidden = [
        "ShareSecret",
        "CardKeys",
        "ShareLink",
        "livecard_format::crypto",
        "crypto::open",
        "crypto::seal",
        "derive_key",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{} mentions {word}: the server must not handle secrets",
                f.display()
            );
        }
    }
}

#[test]
fn server_manifest_turns_the_secret_feature_off() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("read Cargo.toml");
    let deps = manifest
        .split("[dev-dependencies]")
        .next()
        .expect("dependencies section");
    let line = deps
        .lines()
        .find(|l| l.starts_with("livecard-format"))
        .expect("livecard-format dependency");
    assert!(line.contains("default-features = false"), "{line}");
    assert!(!line.contains("secret"), "{line}");
}
