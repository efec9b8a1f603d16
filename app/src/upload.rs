//! Uploads: reading one file field of a multipart upload with a size limit (CSV imports,
//! attachments), and the request body limit of every endpoint (`body_limit`).
use crate::error::AppError;
use crate::i18n::Problem;
use leptos::server_fn::codec::MultipartData;

/// Largest device CSV accepted by the admin upload.
pub const DEVICE_IMPORT_MAX_MB: usize = 20;

/// Room for multipart framing and the other fields of an upload form.
const FORM_OVERHEAD: usize = 256 * 1024;
/// Bodies of every other portal request (forms, server functions): a circular's text of
/// 100,000 characters fits easily.
pub const DEFAULT_BODY_MAX: usize = 2 * 1024 * 1024;

/// The largest request body the portal accepts on `path`, following each upload's own
/// configured maximum, and the maximum in MB to name in the message.
pub fn body_limit(path: &str, settings: &crate::state::Settings) -> (usize, usize) {
    let mb = match path {
        "/fn/circulars/attach" => settings.attachment_max_bytes.div_ceil(1024 * 1024),
        "/fn/compliance/import_devices" => DEVICE_IMPORT_MAX_MB,
        "/fn/org/import" => crate::org::MAX_UPLOAD_MB,
        _ => return (DEFAULT_BODY_MAX, DEFAULT_BODY_MAX / (1024 * 1024)),
    };
    (mb * 1024 * 1024 + FORM_OVERHEAD, mb)
}

/// The bytes of the multipart field `file`; larger than `max_mb` is a field error.
pub async fn read_file(data: MultipartData, max_mb: usize) -> Result<Vec<u8>, AppError> {
    let mut data = data.into_inner().ok_or(AppError::Internal)?;
    let mut bytes = vec![];
    while let Ok(Some(mut field)) = data.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        while let Ok(Some(chunk)) = field.chunk().await {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > max_mb * 1024 * 1024 {
                return Err(AppError::field("file", Problem::FileTooLarge(max_mb)));
            }
        }
    }
    Ok(bytes)
}
