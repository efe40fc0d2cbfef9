// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // glibc (desktop Linux) only, a no-op elsewhere: at most 2 malloc arenas instead of one per
    // thread that allocates (tokio's workers, one thread per SQLite connection, WebKitGTK's),
    // each keeping the memory freed in it. Before any thread starts. Measured in
    // docs/PERFORMANCE.md ("App with 10,000 cards", the core's own memory).
    livecard_core::memory::limit_malloc_arenas(2);
    livecard_app_lib::run()
}
