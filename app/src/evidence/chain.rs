//! The chain format (pure): canonical record content, entry hashes, and the check of one
//! entry against its predecessor. README "Evidence chain" documents it for third parties.
use serde::Serialize;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(feature = "ssr")]
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(data))
}

/// Canonical content of an acknowledgment (keys in this order, compact JSON).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AckContent {
    pub id: i64,
    pub version_id: i64,
    pub content_sha256: String,
    pub acknowledged_at: String,
    pub locale: String,
    pub auth_method: String,
    pub on_behalf_by: Option<i64>,
    pub remark: Option<String>,
    pub person_commitment: String,
    /// (device commitment, attestation), in device-id order. The commitment is
    /// `sha256(person_salt || ':device:' || device_id)`, so the link to the device (and its
    /// owner) can be removed later without changing this content.
    pub devices: Vec<(String, String)>,
}

/// Canonical content of an audit-log entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditContent {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: String,
}

/// Canonical content of a compliance transition (device `device_id` moved under `rule`
/// from `from_state` to `to_state` at `at` because of `cause`, with these matched apps).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ComplianceContent {
    pub id: i64,
    pub device_id: i64,
    pub rule: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub cause: String,
    pub apps: String,
}

#[cfg(feature = "ssr")]
pub fn content_hash<T: Serialize>(content: &T) -> String {
    sha256_hex(
        serde_json::to_string(content)
            .expect("plain data serialises")
            .as_bytes(),
    )
}

#[cfg(feature = "ssr")]
pub fn entry_hash(
    seq: i64,
    kind: &str,
    ref_id: i64,
    content_sha256: &str,
    prev_hash: &str,
) -> String {
    sha256_hex(format!("{seq}|{kind}|{ref_id}|{content_sha256}|{prev_hash}").as_bytes())
}

/// Commitment to the person behind an acknowledgment.
#[cfg(feature = "ssr")]
pub fn person_commitment(salt: &str, user_id: i64) -> String {
    sha256_hex(format!("{salt}:{user_id}").as_bytes())
}

/// Commitment to one device of an acknowledgment.
#[cfg(feature = "ssr")]
pub fn device_commitment(salt: &str, device_id: i64) -> String {
    sha256_hex(format!("{salt}:device:{device_id}").as_bytes())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn entry_hashes_chain_and_change_with_every_field() {
        let h1 = entry_hash(1, "ack", 7, &"a".repeat(64), GENESIS);
        assert_eq!(h1.len(), 64);
        assert_ne!(h1, entry_hash(2, "ack", 7, &"a".repeat(64), GENESIS));
        assert_ne!(h1, entry_hash(1, "audit", 7, &"a".repeat(64), GENESIS));
        assert_ne!(h1, entry_hash(1, "ack", 8, &"a".repeat(64), GENESIS));
        assert_ne!(h1, entry_hash(1, "ack", 7, &"b".repeat(64), GENESIS));
        // Known vector so that third-party verifiers can check their implementation.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn commitments_hide_the_user_but_bind_to_them() {
        let c = person_commitment("salt", 42);
        assert_eq!(c, person_commitment("salt", 42));
        assert_ne!(c, person_commitment("salt", 43));
        assert_ne!(c, person_commitment("other", 42));
    }
}
