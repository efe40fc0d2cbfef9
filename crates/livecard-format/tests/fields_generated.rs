//! The field table's generated files are up to date: `ui/src/lib/generated/fields.ts` (the
//! app) and `crates/livecard-server/assets/fields.mjs` (the share page). A drift fails; run
//! with `LIVECARD_REGENERATE=1` to rewrite them.

use std::path::PathBuf;

use livecard_format::fields::{share_page_module, ui_module};

fn check(rel: &str, want: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    if std::env::var_os("LIVECARD_REGENERATE").is_some() {
        std::fs::write(&path, want).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{rel} is not what the field table generates; run \
         `LIVECARD_REGENERATE=1 cargo test -p livecard-format --test fields_generated`"
    );
}

#[test]
fn app_fields_module_is_current() {
    check("ui/src/lib/generated/fields.ts", &ui_module());
}

#[test]
fn share_page_fields_module_is_current() {
    check(
        "crates/livecard-server/assets/fields.mjs",
        &share_page_module(),
    );
}
