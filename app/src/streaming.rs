//! Streamed download bodies: a task produces the parts (reading a chunk at a time from one
//! read snapshot) and the response takes them from a small channel, so memory stays
//! constant and the first bytes leave at once however large the file. A client that takes
//! nothing for [`STALLED`], or is still downloading after [`LONGEST`], ends the task, which
//! releases the snapshot. A download that does not reach its end (a failure in the middle,
//! a stall, a panic) ends with an error: the client sees a broken download, never a
//! complete-looking file.
use axum::body::Bytes;
use tokio::time::Instant;

/// A client that takes no bytes for this long loses its download.
pub const STALLED: std::time::Duration = std::time::Duration::from_secs(60);
/// No download holds its snapshot longer than this (a whole-city export takes seconds).
pub const LONGEST: std::time::Duration = std::time::Duration::from_secs(15 * 60);

enum Part {
    Data(Bytes),
    Failed,
    End,
}

/// Where the producing task writes.
pub struct Out {
    tx: tokio::sync::mpsc::Sender<Part>,
    deadline: Instant,
}

impl Out {
    async fn put(&self, part: Part) -> bool {
        let by = (Instant::now() + STALLED).min(self.deadline);
        matches!(
            tokio::time::timeout_at(by, self.tx.send(part)).await,
            Ok(Ok(()))
        )
    }

    /// Hands a part to the response; `false` once the client is gone, stalled or out of
    /// time (the task should stop then; the download ends as broken).
    pub async fn send(&self, part: Vec<u8>) -> bool {
        self.put(Part::Data(Bytes::from(part))).await
    }

    /// The download is complete: only after this does the response end normally.
    pub async fn end(self) {
        self.put(Part::End).await;
    }

    /// Logs `err` and breaks the download off.
    pub async fn fail(&self, what: &str, err: &(dyn std::fmt::Display + Sync)) {
        tracing::error!(error = %err, "{what} failed while streaming");
        self.put(Part::Failed).await;
    }
}

/// A body whose parts `produce` writes to its [`Out`], in a task of its own; it must call
/// [`Out::end`] when the download is complete.
pub fn body<F, Fut>(produce: F) -> axum::body::Body
where
    F: FnOnce(Out) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Part>(2);
    tokio::spawn(produce(Out {
        tx,
        deadline: Instant::now() + LONGEST,
    }));
    let broken = || Err(std::io::Error::other("download broken off"));
    // Fused: a body may be polled again after its end (the compression layer does), and an
    // `unfold` panics then.
    let parts = futures_util::StreamExt::fuse(futures_util::stream::unfold(
        Some(rx),
        move |rx| async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(Part::Data(bytes)) => Some((Ok(bytes), Some(rx))),
                Some(Part::End) => None,
                // Failed, or the task ended without saying the download is complete.
                Some(Part::Failed) | None => Some((broken(), None)),
            }
        },
    ));
    axum::body::Body::from_stream(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(body: axum::body::Body) -> Result<Vec<u8>, axum::Error> {
        axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|b| b.to_vec())
    }

    #[tokio::test]
    async fn only_a_download_that_reached_its_end_ends_normally() {
        let complete = body(|out| async move {
            assert!(out.send(b"a;b\n".to_vec()).await);
            out.end().await;
        });
        assert_eq!(collect(complete).await.unwrap(), b"a;b\n");
        // The task stops early (a stall, a bug) or panics: the client sees an error, not a
        // shorter file.
        let cut_off = body(|out| async move {
            out.send(b"a;b\n".to_vec()).await;
        });
        assert!(collect(cut_off).await.is_err());
        let panicked = body(|out| async move {
            out.send(b"a;b\n".to_vec()).await;
            panic!("a bug in the middle of an export");
        });
        assert!(collect(panicked).await.is_err());
        let failed = body(|out| async move {
            out.send(b"a;b\n".to_vec()).await;
            out.fail("test export", &"database gone").await;
        });
        assert!(collect(failed).await.is_err());
    }
}
