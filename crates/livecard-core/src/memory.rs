//! Handing memory back to the OS on glibc (desktop Linux). Android's bionic, macOS, iOS and
//! Windows have other allocators: there every function here does nothing.
//!
//! Why (docs/PERFORMANCE.md, "App with 10,000 cards"): loading the search index allocates and
//! frees many small blocks (SQLite's row copies, the JSON of every stored key); glibc keeps
//! freed memory in its arenas instead of returning it, and makes an arena per thread that
//! allocates (tokio's workers, one thread per SQLite connection), each keeping its own.

/// Caps glibc's malloc arenas at `n` (`mallopt(M_ARENA_MAX, n)`): fewer arenas keep less
/// freed memory. Call first thing in `main`, before any thread starts. Nothing elsewhere.
pub fn limit_malloc_arenas(n: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; any value is accepted or refused
    // (return value 0), never undefined.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, n);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = n;
}

/// Returns free memory at the top of the heap and whole free pages inside every arena to the
/// OS (`malloc_trim(0)`); a few milliseconds with a loaded index. Nothing elsewhere.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free; it has no
    // preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
