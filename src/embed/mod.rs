//! Embed: text in, L2-normalised 384-d all-MiniLM-L6-v2 vectors out, on the CPU.

use std::path::PathBuf;

/// Output dimension of all-MiniLM-L6-v2.
pub const DIM: usize = 384;

/// Name of the model directory under `models/`.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// Where the model lives by default: `<CARGO_MANIFEST_DIR>/models/all-MiniLM-L6-v2` when that
/// exists (a build from this checkout), else `./models/all-MiniLM-L6-v2` relative to the working
/// directory.
pub fn default_model_dir() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(MODEL_NAME);
    if built.is_dir() {
        built
    } else {
        PathBuf::from("models").join(MODEL_NAME)
    }
}

/// Errors of the embedding layer.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("model directory {dir} is missing or incomplete: {reason}")]
    ModelMissing { dir: PathBuf, reason: String },
    #[error("model file {file} is corrupt or not the expected one: {reason}")]
    ModelCorrupt { file: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference backend: {0}")]
    Backend(String),
    #[error("embedding service overloaded: queue full, retry later")]
    Overloaded,
    #[error("embedding service has shut down")]
    ShutDown,
}
