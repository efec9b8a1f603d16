//! Reading one file field of a multipart upload, with a size limit (CSV imports).
use crate::error::AppError;
use crate::i18n::{Locale, Problem};
use leptos::server_fn::codec::MultipartData;

/// The bytes of the multipart field `file`; larger than `max_mb` is a field error.
pub async fn read_file(
    data: MultipartData,
    max_mb: usize,
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let mut data = data.into_inner().ok_or(AppError::Internal)?;
    let mut bytes = vec![];
    while let Ok(Some(mut field)) = data.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        while let Ok(Some(chunk)) = field.chunk().await {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > max_mb * 1024 * 1024 {
                return Err(AppError::field(
                    "file",
                    Problem::FileTooLarge(max_mb).message(locale),
                ));
            }
        }
    }
    Ok(bytes)
}
