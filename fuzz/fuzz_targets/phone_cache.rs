//! Harness setting for the targets that parse phone numbers (vcard, contact_text, mecard,
//! exchange_text): a larger cache of compiled patterns in the `phonenumber` crate.
//!
//! The crate compiles each region's patterns on first use and keeps them in an LRU cache of
//! 100 (`phonenumber::metadata::Database`, `RegexCache::new(100)`). Fuzzed inputs carry
//! numbers of every region, so at 100 nearly every number recompiled patterns (41 % of the
//! time in a `perf` profile; ~490 µs per number against ~17 µs with all ~1,200 patterns
//! kept). The parse and validation code that runs is the same; only the compile is not
//! repeated. The product keeps the crate's default (100 patterns, ~35 MB RSS; all of them
//! take ~260 MB), see docs/FUZZING.md.

/// Keep every compiled pattern (the database has about 1,200).
pub fn keep_all_patterns() {
    if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
        cache.set_capacity(4096);
    }
}
