//! Streamed download bodies: a task produces the parts (reading a chunk at a time from one
//! read snapshot) and the response takes them from a small channel, so memory stays
//! constant and the first bytes leave at once however large the file. A client that takes
//! nothing for [`STALLED`] ends the task, which releases the snapshot. A failure in the
//! middle ends the response early: the client sees a broken download, never a
//! complete-looking file.
use axum::body::Bytes;

/// A client that takes no bytes for this long loses its download.
pub const STALLED: std::time::Duration = std::time::Duration::from_secs(60);

/// Where the producing task writes.
pub struct Out {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Out {
    /// Hands a part to the response; `false` once the client is gone or stalled (the task
    /// should stop then).
    pub async fn send(&self, part: Vec<u8>) -> bool {
        matches!(
            tokio::time::timeout(STALLED, self.tx.send(Ok(Bytes::from(part)))).await,
            Ok(Ok(()))
        )
    }

    /// Logs `err` and breaks the download off.
    pub async fn fail(&self, what: &str, err: &(dyn std::fmt::Display + Sync)) {
        tracing::error!(error = %err, "{what} failed while streaming");
        let _ = tokio::time::timeout(
            STALLED,
            self.tx.send(Err(std::io::Error::other("export failed"))),
        )
        .await;
    }
}

/// A body whose parts `produce` writes to its [`Out`], in a task of its own.
pub fn body<F, Fut>(produce: F) -> axum::body::Body
where
    F: FnOnce(Out) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(produce(Out { tx }));
    // Fused: a body may be polled again after its end (the compression layer does), and an
    // `unfold` panics then.
    let parts =
        futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|part| (part, rx))
        }));
    axum::body::Body::from_stream(parts)
}
