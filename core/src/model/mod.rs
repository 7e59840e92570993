//! Serde types for every object of the Sprites API.
//!
//! Parsing is tolerant where the sources disagree or the server may grow: unknown enum
//! strings land in an `Unknown`/`Other` variant, ids are accepted as strings or numbers, and
//! every field the spec marks optional is optional.

mod signal;

pub use signal::Signal;
