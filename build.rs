//! Prepares `assets/` for embedding: copies each file into `$OUT_DIR/assets` and, for text formats, writes
//! gzip and brotli variants beside it, so compression costs nothing per request.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const COMPRESSIBLE: &[&str] = &[
    "css",
    "js",
    "svg",
    "html",
    "txt",
    "json",
    "xml",
    "webmanifest",
    "ico",
];

fn main() {
    println!("cargo:rerun-if-changed=assets");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("assets");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    copy_tree(Path::new("assets"), &out);
    embed_rds_bundle();
}

fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    for entry in entries.map(Result::unwrap) {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&path, &target);
            continue;
        }
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let bytes = fs::read(&path).unwrap();
        fs::write(&target, &bytes).unwrap();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if COMPRESSIBLE.contains(&ext) {
            write_if_smaller(&target, "gz", &bytes, gzip(&bytes));
            write_if_smaller(&target, "br", &bytes, brotli(&bytes));
        }
    }
}

/// A variant that saves less than 10 % is not worth the `Vary` cache split.
fn write_if_smaller(target: &Path, suffix: &str, original: &[u8], compressed: Vec<u8>) {
    if compressed.len() * 10 < original.len() * 9 {
        let mut name = target.as_os_str().to_owned();
        name.push(".");
        name.push(suffix);
        fs::write(PathBuf::from(name), compressed).unwrap();
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).unwrap();
    out
}

/// Embeds `certs/rds-global-bundle.pem` (AWS's RDS root CAs) when it is present; see certs/README.md.
fn embed_rds_bundle() {
    println!("cargo:rerun-if-changed=certs/rds-global-bundle.pem");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("rds_ca.rs");
    let bundle = Path::new("certs/rds-global-bundle.pem");
    let code = if bundle.exists() {
        let absolute = fs::canonicalize(bundle).unwrap();
        format!(
            "pub const RDS_CA_BUNDLE: Option<&[u8]> = Some(include_bytes!({:?}));\n",
            absolute
        )
    } else {
        "pub const RDS_CA_BUNDLE: Option<&[u8]> = None;\n".to_owned()
    };
    fs::write(out, code).unwrap();
}
