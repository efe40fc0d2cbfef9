//! The field table's generated files are up to date: `ui/src/lib/generated/fields.ts` (the
//! app) and `crates/livecard-server/assets/fields.mjs` (the share page). A drift fails; run
//! with `LIVECARD_REGENERATE=1` to rewrite them.

use livecard_format::fields::{share_page_module, ui_module};

fn check(rel: &str, want: &str) {
    livecard_testkit::check_generated(
        rel,
        want,
        "cargo test -p livecard-format --test fields_generated",
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
