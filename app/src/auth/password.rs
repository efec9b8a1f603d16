//! Argon2id hashing off the async executor. Hashing costs ~19 MiB and tens of milliseconds
//! of CPU, so it runs in `spawn_blocking`, and a semaphore bounds how many run at once so a
//! burst of sign-ins cannot exhaust memory or starve the blocking pool.
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordService {
    permits: Arc<Semaphore>,
    /// Hash of a random password: verifying against it makes an unknown user cost the
    /// same time as a wrong password, so response times do not reveal which emails exist.
    dummy_hash: Arc<str>,
}

impl PasswordService {
    pub fn new(max_concurrent: usize) -> Self {
        let random: [u8; 16] = rand::random();
        let dummy = hash_blocking(&format!("{random:?}"));
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy.into(),
        }
    }

    pub async fn hash(&self, password: &str) -> String {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .expect("hash task panicked")
    }

    /// Verifies `password` against `hash`, or against the dummy hash when the user has none.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        let known = hash.is_some();
        let hash = hash
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
            .await
            .unwrap_or(false);
        known && ok
    }
}

/// Argon2id with the crate defaults (m = 19 MiB, t = 2, p = 1: the OWASP minimum).
pub fn hash_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default params cannot fail")
        .to_string()
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let svc = PasswordService::new(2);
        let hash = svc.hash("richtig-geheim").await;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(svc.verify("richtig-geheim", Some(&hash)).await);
        assert!(!svc.verify("falsch-geheim", Some(&hash)).await);
        assert!(!svc.verify("richtig-geheim", None).await);
    }
}
