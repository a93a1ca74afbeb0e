//! cli
pub mod parse;
