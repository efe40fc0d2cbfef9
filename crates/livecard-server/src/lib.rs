//! livecard sync server (being written).
