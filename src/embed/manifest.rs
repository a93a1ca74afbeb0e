//! The model manifest (`models/<name>/MANIFEST`) and its verification at load.
//!
//! Format: `# comment` lines, `key: value` header lines, then one line per file:
//! `<sha256 hex>  <bytes>  <relative path>`.
//!
//! Verification at every load:
//! - every listed file exists, is a regular file and has exactly the listed size (a partial
//!   download or a truncated copy fails here, at no cost);
//! - every file except `model.safetensors` is hashed in full (they are small: ~0.7 MB together);
//! - `model.safetensors` (~91 MB) is hashed in full once; the result is cached in a small JSON
//!   file keyed by the file's canonical path, size, modification time and inode, so later loads
//!   skip the hash until the file changes. The cache lives in the directory the caller names
//!   ([`VerifyOptions::cache_dir`]; the CLI's `--cache-dir`), else the system temp dir, as
//!   `model-verify.json`. A cache that cannot be read or written only costs a re-hash.

use super::EmbedError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The file whose hash is cached (the only large one).
pub const WEIGHTS_FILE: &str = "model.safetensors";
const CACHE_FILE: &str = "model-verify.json";

/// A parsed MANIFEST.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// `key: value` header lines, in file order.
    pub header: Vec<(String, String)>,
    pub files: Vec<ManifestFile>,
}

#[derive(Clone, Debug)]
pub struct ManifestFile {
    pub sha256: String,
    pub bytes: u64,
    pub path: String,
}

impl Manifest {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn file(&self, path: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn parse(text: &str, manifest_path: &Path) -> Result<Manifest, EmbedError> {
        let bad = |line_no: usize, why: &str| EmbedError::ModelCorrupt {
            file: manifest_path.to_path_buf(),
            reason: format!("line {line_no}: {why}"),
        };
        let mut header = Vec::new();
        let mut files = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let first = parts.next().unwrap_or_default();
            if first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
                let bytes = parts
                    .next()
                    .and_then(|b| b.parse::<u64>().ok())
                    .ok_or_else(|| bad(i + 1, "expected `sha256  bytes  path`"))?;
                // The path is the rest of the line after the size (it may contain spaces).
                let after_hash = line[first.len()..].trim_start();
                let path = after_hash
                    .split_once(char::is_whitespace)
                    .map(|(_, rest)| rest.trim())
                    .unwrap_or_default();
                if path.is_empty() {
                    return Err(bad(i + 1, "missing path"));
                }
                if path.starts_with('/') || path.split('/').any(|c| c == "..") {
                    return Err(bad(
                        i + 1,
                        "path must be relative and inside the model directory",
                    ));
                }
                files.push(ManifestFile {
                    sha256: first.to_ascii_lowercase(),
                    bytes,
                    path: path.to_string(),
                });
            } else if let Some((k, v)) = line.split_once(':') {
                header.push((k.trim().to_string(), v.trim().to_string()));
            } else {
                return Err(bad(i + 1, "neither `key: value` nor `sha256  bytes  path`"));
            }
        }
        if files.is_empty() {
            return Err(EmbedError::ModelCorrupt {
                file: manifest_path.to_path_buf(),
                reason: "lists no files".into(),
            });
        }
        Ok(Manifest { header, files })
    }
}

/// Options for [`verify`].
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Directory for the hash cache; `None` = [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Hash `model.safetensors` even when the cache has it.
    pub force_full_hash: bool,
}

/// What verification did.
#[derive(Clone, Debug)]
pub struct Verified {
    pub manifest: Manifest,
    /// sha256 of `model.safetensors` (as listed and, once, as computed).
    pub weights_sha256: String,
    /// Whether the weights hash came from the cache.
    pub weights_hash_cached: bool,
}

/// Where the hash cache lives when the caller names no directory: the system's temp dir. The
/// CLI passes the user's cache directory (`--cache-dir`, by default `$XDG_CACHE_HOME/newsdesk`
/// or `~/.cache/newsdesk`).
pub fn default_cache_dir() -> PathBuf {
    std::env::temp_dir().join("newsdesk")
}

/// Verify `model_dir` against its MANIFEST. See the module docs for what is checked.
pub fn verify(model_dir: &Path, opts: &VerifyOptions) -> Result<Verified, EmbedError> {
    if !model_dir.is_dir() {
        return Err(EmbedError::ModelMissing {
            dir: model_dir.to_path_buf(),
            reason: "not a directory (the model ships in the repository under models/)".into(),
        });
    }
    let manifest_path = model_dir.join("MANIFEST");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| EmbedError::ModelMissing {
        dir: model_dir.to_path_buf(),
        reason: format!("cannot read {}: {e}", manifest_path.display()),
    })?;
    let manifest = Manifest::parse(&text, &manifest_path)?;
    let weights_entry = manifest
        .file(WEIGHTS_FILE)
        .ok_or_else(|| EmbedError::ModelCorrupt {
            file: manifest_path.clone(),
            reason: format!("does not list {WEIGHTS_FILE}"),
        })?
        .clone();

    // 1. Sizes of everything (cheap), so a partial copy is named before any hashing.
    for f in &manifest.files {
        let path = model_dir.join(&f.path);
        let meta = std::fs::metadata(&path).map_err(|e| EmbedError::ModelMissing {
            dir: model_dir.to_path_buf(),
            reason: format!("{} is missing ({e})", path.display()),
        })?;
        if !meta.is_file() {
            return Err(EmbedError::ModelCorrupt {
                file: path,
                reason: "not a regular file".into(),
            });
        }
        if meta.len() != f.bytes {
            return Err(EmbedError::ModelCorrupt {
                file: path,
                reason: format!(
                    "size is {} bytes, the manifest says {} ({})",
                    meta.len(),
                    f.bytes,
                    if meta.len() < f.bytes {
                        "truncated or partial download"
                    } else {
                        "a different file"
                    }
                ),
            });
        }
    }

    // 2. Full hashes of the small files.
    for f in manifest.files.iter().filter(|f| f.path != WEIGHTS_FILE) {
        let path = model_dir.join(&f.path);
        let got = sha256_file(&path)?;
        check_hash(&path, &got, &f.sha256)?;
    }

    // 3. The weights: cached full hash.
    let path = model_dir.join(WEIGHTS_FILE);
    let cache_dir = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let key = CacheKey::of(&path)?;
    let mut cache = if opts.force_full_hash {
        HashCache::default()
    } else {
        HashCache::read(&cache_dir)
    };
    let (got, cached) = match cache.entries.get(&key.id) {
        Some(e) if e.size == key.size && e.mtime_ns == key.mtime_ns && e.inode == key.inode => {
            (e.sha256.clone(), true)
        }
        _ => {
            let got = sha256_file(&path)?;
            // Only a hash that matches is worth remembering.
            if got == weights_entry.sha256 {
                let mut fresh = HashCache::read(&cache_dir);
                fresh.entries.insert(
                    key.id.clone(),
                    CacheEntry {
                        size: key.size,
                        mtime_ns: key.mtime_ns,
                        inode: key.inode,
                        sha256: got.clone(),
                    },
                );
                cache = fresh;
                cache.write(&cache_dir);
            }
            (got, false)
        }
    };
    check_hash(&path, &got, &weights_entry.sha256)?;
    Ok(Verified {
        manifest,
        weights_sha256: got,
        weights_hash_cached: cached,
    })
}

fn check_hash(path: &Path, got: &str, want: &str) -> Result<(), EmbedError> {
    if got != want {
        return Err(EmbedError::ModelCorrupt {
            file: path.to_path_buf(),
            reason: format!("sha256 is {got}, the manifest says {want} (altered or wrong file)"),
        });
    }
    Ok(())
}

/// Lower-case hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    let io = |e: std::io::Error| EmbedError::ModelCorrupt {
        file: path.to_path_buf(),
        reason: format!("cannot read: {e}"),
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

struct CacheKey {
    id: String,
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

impl CacheKey {
    fn of(path: &Path) -> Result<CacheKey, EmbedError> {
        let meta = std::fs::metadata(path).map_err(|e| EmbedError::ModelCorrupt {
            file: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(-1);
        #[cfg(unix)]
        let inode = {
            use std::os::unix::fs::MetadataExt;
            meta.ino()
        };
        #[cfg(not(unix))]
        let inode = 0;
        Ok(CacheKey {
            id: canon.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ns,
            inode,
        })
    }
}

#[derive(Default, Serialize, Deserialize)]
struct HashCache {
    entries: BTreeMap<String, CacheEntry>,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    size: u64,
    mtime_ns: i128,
    inode: u64,
    sha256: String,
}

impl HashCache {
    fn read(dir: &Path) -> HashCache {
        std::fs::read(dir.join(CACHE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Best effort, atomic (write to a temp file, then rename).
    fn write(&self, dir: &Path) {
        let _ = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!("{CACHE_FILE}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, serde_json::to_vec_pretty(self).unwrap_or_default())?;
            std::fs::rename(&tmp, dir.join(CACHE_FILE))
        })();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_files() {
        let text = "# c\nname: x\nlicence: Apache-2.0: yes\n\
            4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23  190  1_Pooling/config.json\n";
        let m = Manifest::parse(text, Path::new("M")).unwrap();
        assert_eq!(m.get("name"), Some("x"));
        assert_eq!(m.get("licence"), Some("Apache-2.0: yes"));
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].bytes, 190);
        assert_eq!(m.files[0].path, "1_Pooling/config.json");
    }

    #[test]
    fn rejects_escaping_paths_and_garbage() {
        let h = "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23";
        assert!(Manifest::parse(&format!("{h}  1  ../x\n"), Path::new("M")).is_err());
        assert!(Manifest::parse(&format!("{h}  1  /etc/x\n"), Path::new("M")).is_err());
        assert!(Manifest::parse(&format!("{h}  big  x\n"), Path::new("M")).is_err());
        assert!(Manifest::parse("just words\n", Path::new("M")).is_err());
        assert!(Manifest::parse("name: only a header\n", Path::new("M")).is_err());
    }
}
