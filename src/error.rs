//! Top-level error.
pub enum Error {}
