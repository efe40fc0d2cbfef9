//! livecard client core (being written).
