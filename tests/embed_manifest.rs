//! The model directory is verified against its MANIFEST at load: a partial, altered or missing
//! file is refused with an error that names it; the big weights file is hashed once and cached.

use newsdesk::embed::manifest::{self, VerifyOptions};
use newsdesk::embed::{default_model_dir, EmbedError, Embedder, EmbedderOptions};
use std::path::{Path, PathBuf};

/// Copy the model directory into `dst`; `model.safetensors` is hard-linked when `link_weights`
/// (cheap, for tests that leave it alone) and copied otherwise.
fn copy_model(dst: &Path, link_weights: bool) {
    let src = default_model_dir();
    let m = std::fs::read_to_string(src.join("MANIFEST")).unwrap();
    std::fs::write(dst.join("MANIFEST"), &m).unwrap();
    let parsed = manifest::Manifest::parse(&m, &src.join("MANIFEST")).unwrap();
    for f in &parsed.files {
        let to = dst.join(&f.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if f.path == manifest::WEIGHTS_FILE
            && link_weights
            && std::fs::hard_link(src.join(&f.path), &to).is_ok()
        {
            continue;
        }
        std::fs::copy(src.join(&f.path), &to).unwrap();
    }
}

fn opts(cache: &Path) -> VerifyOptions {
    VerifyOptions {
        cache_dir: Some(cache.to_path_buf()),
        force_full_hash: false,
    }
}

fn load(dir: &Path, cache: &Path) -> Result<Embedder, EmbedError> {
    Embedder::load_with(
        dir,
        EmbedderOptions {
            verify: opts(cache),
            threads: Some(1),
            ..Default::default()
        },
    )
}

fn corrupt_file(err: EmbedError) -> (PathBuf, String) {
    match err {
        EmbedError::ModelCorrupt { file, reason } => (file, reason),
        other => panic!("expected ModelCorrupt, got {other:?}"),
    }
}

#[test]
fn the_shipped_model_verifies_and_the_hash_is_cached() {
    let cache = tempfile::tempdir().unwrap();
    let first = manifest::verify(&default_model_dir(), &opts(cache.path())).unwrap();
    assert!(!first.weights_hash_cached);
    assert_eq!(
        first.weights_sha256,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
    assert!(cache.path().join("model-verify.json").exists());
    let second = manifest::verify(&default_model_dir(), &opts(cache.path())).unwrap();
    assert!(second.weights_hash_cached);
    assert_eq!(second.weights_sha256, first.weights_sha256);
    assert_eq!(first.manifest.get("name"), Some("all-MiniLM-L6-v2"));
}

#[test]
fn truncated_weights_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_model(dir.path(), false);
    let w = dir.path().join("model.safetensors");
    let len = std::fs::metadata(&w).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&w).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    let (file, reason) = corrupt_file(load(dir.path(), cache.path()).err().unwrap());
    assert_eq!(file, w);
    assert!(reason.contains("truncated"), "{reason}");
    let msg = format!(
        "{}",
        EmbedError::ModelCorrupt {
            file: file.clone(),
            reason
        }
    );
    assert!(msg.contains("model.safetensors"), "{msg}");
}

#[test]
fn altered_weights_of_the_right_size_are_refused_even_after_a_cached_good_hash() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_model(dir.path(), false);
    let w = dir.path().join("model.safetensors");
    // A good load caches the hash for this path.
    assert!(load(dir.path(), cache.path()).is_ok());
    assert!(
        manifest::verify(dir.path(), &opts(cache.path()))
            .unwrap()
            .weights_hash_cached
    );
    // Flip one byte deep inside a weight tensor: same size, different content, new mtime.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut bytes = std::fs::read(&w).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x40;
    std::fs::write(&w, &bytes).unwrap();
    let (file, reason) = corrupt_file(load(dir.path(), cache.path()).err().unwrap());
    assert_eq!(file, w);
    assert!(reason.contains("sha256"), "{reason}");
}

#[test]
fn altered_tokenizer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_model(dir.path(), true);
    let t = dir.path().join("tokenizer.json");
    let text = std::fs::read_to_string(&t).unwrap();
    // Same length, different content.
    let changed = text.replacen("\"max_length\":128", "\"max_length\":512", 1);
    assert_ne!(changed, text);
    assert_eq!(changed.len(), text.len());
    std::fs::write(&t, changed).unwrap();
    let (file, reason) = corrupt_file(load(dir.path(), cache.path()).err().unwrap());
    assert_eq!(file, t);
    assert!(reason.contains("sha256"), "{reason}");
}

#[test]
fn missing_file_or_manifest_or_dir_is_model_missing() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path(), true);
    std::fs::remove_file(dir.path().join("vocab.txt")).unwrap();
    match load(dir.path(), cache.path()).err().unwrap() {
        EmbedError::ModelMissing { reason, .. } => {
            assert!(reason.contains("vocab.txt"), "{reason}")
        }
        other => panic!("{other:?}"),
    }

    let dir2 = tempfile::tempdir().unwrap();
    copy_model(dir2.path(), true);
    std::fs::remove_file(dir2.path().join("MANIFEST")).unwrap();
    match load(dir2.path(), cache.path()).err().unwrap() {
        EmbedError::ModelMissing { reason, .. } => assert!(reason.contains("MANIFEST"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let nowhere = dir.path().join("no-such-model");
    assert!(matches!(
        load(&nowhere, cache.path()).err().unwrap(),
        EmbedError::ModelMissing { .. }
    ));
}

#[test]
fn a_manifest_that_does_not_list_the_weights_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_model(dir.path(), true);
    let m = dir.path().join("MANIFEST");
    let text: String = std::fs::read_to_string(&m)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with("model.safetensors"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&m, text).unwrap();
    let (file, reason) = corrupt_file(load(dir.path(), cache.path()).err().unwrap());
    assert_eq!(file, m);
    assert!(reason.contains("model.safetensors"), "{reason}");
}
