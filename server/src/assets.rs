//! The built browser files (`/pkg/…`: the hydrate script, the wasm and the style sheet).
//!
//! cargo-leptos gives them content-hashed names (`rundschreiben.<hash>.wasm`, `hash-files` in
//! Cargo.toml), so a hashed file never changes and browsers may keep it for a year without
//! asking again. `server precompress` (run by `make build-release`) writes a brotli and a
//! gzip copy next to each file once, at build time; the server sends the copy the browser
//! accepts, so no request compresses the 2–3 MB wasm on the fly.
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `/pkg/…` from `<site_root>/pkg`, precompressed variants preferred.
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &str) -> Router<S> {
    let files = tower_http::services::ServeDir::new(Path::new(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(axum::middleware::from_fn(cache_headers))
}

/// Whether cargo-leptos wrote the hashed names (`hash.txt`) next to this binary.
pub fn hash_file_present() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.exists())
}

/// A file name with a content hash: `name.<hash>.ext`, the hash as cargo-leptos writes it
/// (URL-safe base64 of an MD5, 22 characters).
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    matches!(parts.as_slice(), [_, hash, "js" | "wasm" | "css"]
        if hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            // An unhashed name may change its content: browsers revalidate (Last-Modified).
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// Writes `<file>.br` and `<file>.gz` next to every script, wasm and style sheet in `dir`
/// that has none or an older one. Returns the files compressed.
pub fn precompress(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut done = vec![];
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "js" | "wasm" | "css" | "svg" | "html"));
        if !path.is_file() || !compressible {
            continue;
        }
        let source = std::fs::read(&path)?;
        let modified = std::fs::metadata(&path)?.modified()?;
        let fresh = |ext: &str| {
            std::fs::metadata(with_suffix(&path, ext))
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= modified)
        };
        if !fresh("br") {
            let mut out = Vec::with_capacity(source.len() / 3);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut source.as_slice(), &mut out, &params)?;
            write_atomically(&with_suffix(&path, "br"), &out)?;
        }
        if !fresh("gz") {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&source)?;
            write_atomically(&with_suffix(&path, "gz"), &gz.finish()?)?;
        }
        done.push(path);
    }
    done.sort();
    Ok(done)
}

fn with_suffix(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// A server that starts while the build writes never sends half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = with_suffix(path, "tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_cached_for_ever() {
        assert!(is_hashed("/pkg/rundschreiben.b2Z5aGVsbG8td29ybGQ.wasm"));
        assert!(is_hashed("/pkg/rundschreiben.AbC_d-EfGhIjKlMnOp.js"));
        assert!(!is_hashed("/pkg/rundschreiben.wasm"));
        assert!(!is_hashed("/pkg/rundschreiben_bg.wasm"));
        assert!(!is_hashed("/pkg/x.short.css"));
        assert!(!is_hashed("/pkg/rundschreiben.b2Z5aGVsbG8td29ybGQ.wasm.br"));
    }
}
