//! The built browser files: precompressed at build time by `server precompress` (the real
//! binary), then served with the encoding the browser accepts, content-hashed names cached
//! for a year.
mod common;
use common::*;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING};
use reqwest::StatusCode;
use std::io::Read;

const HASHED: &str = "rundschreiben.b2Z5aGVsbG8td29ybGQ.wasm";
const PLAIN: &str = "rundschreiben.css";

/// A site folder like cargo-leptos writes it, with one hashed and one plain file.
fn site() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // Compressible like wasm: long runs of similar bytes.
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8 / 3).collect();
    std::fs::write(pkg.join(HASHED), &wasm).unwrap();
    std::fs::write(pkg.join(PLAIN), "body { margin: 0 }\n".repeat(100)).unwrap();
    (dir, wasm)
}

fn precompress(pkg: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["precompress", pkg.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

#[test]
fn precompress_writes_brotli_and_gzip_copies_once() {
    let (dir, wasm) = site();
    let pkg = dir.path().join("pkg");
    let out = precompress(&pkg);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Precompressed 2 files"));

    let br = std::fs::read(pkg.join(format!("{HASHED}.br"))).unwrap();
    let mut unpacked = vec![];
    brotli::Decompressor::new(br.as_slice(), 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, wasm);
    assert!(
        br.len() < wasm.len() / 10,
        "brotli shrinks it: {}",
        br.len()
    );
    let gz = std::fs::read(pkg.join(format!("{HASHED}.gz"))).unwrap();
    let mut unpacked = vec![];
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, wasm);

    // Up-to-date copies are left alone.
    let written = std::fs::metadata(pkg.join(format!("{HASHED}.br")))
        .unwrap()
        .modified()
        .unwrap();
    assert!(precompress(&pkg).status.success());
    let again = std::fs::metadata(pkg.join(format!("{HASHED}.br")))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(written, again);
}

#[tokio::test]
async fn browser_files_come_precompressed_and_hashed_ones_are_cached_for_a_year() {
    let (dir, wasm) = site();
    assert!(precompress(&dir.path().join("pkg")).status.success());
    let mut config = test_config(&dir.path().join("site.db"), Default::default());
    config.site_root = dir.path().to_str().unwrap().to_owned();
    let db = server::open_database(&config).await.unwrap();
    let app = server::Application::build(config, db).await.unwrap();
    let base = format!("http://{}", app.addr);
    tokio::spawn(async move { app.run().await.unwrap() });
    let client = reqwest::Client::new();
    let get = |path: String, encoding: Option<&'static str>| {
        let mut req = client.get(format!("{base}{path}"));
        if let Some(e) = encoding {
            req = req.header(ACCEPT_ENCODING, e);
        }
        req.send()
    };

    let res = get(format!("/pkg/{HASHED}"), Some("gzip, br"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_ENCODING], "br");
    assert_eq!(
        res.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let body = res.bytes().await.unwrap();
    let stored = std::fs::read(dir.path().join(format!("pkg/{HASHED}.br"))).unwrap();
    assert_eq!(
        body.as_ref(),
        stored.as_slice(),
        "the stored copy, not a new one"
    );

    let res = get(format!("/pkg/{HASHED}"), Some("gzip")).await.unwrap();
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");

    let res = get(format!("/pkg/{HASHED}"), None).await.unwrap();
    assert!(res.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(res.bytes().await.unwrap().as_ref(), wasm.as_slice());

    // A name without a hash may change: the browser revalidates it.
    let res = get(format!("/pkg/{PLAIN}"), Some("br")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");

    let res = get("/pkg/missing.js".into(), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
