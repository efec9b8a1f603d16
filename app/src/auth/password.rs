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
    /// Sign-ins waiting for a permit; past `max_waiting` further ones are refused at once
    /// instead of queueing behind a flood (see [`PasswordService::try_verify`]).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
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
            waiting: Default::default(),
            max_waiting: 4 * max_concurrent.max(1),
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

    /// Sign-in verification with bounded work: when more attempts wait than the machine can
    /// work off within about a second, or a permit does not come within `MAX_WAIT`, the
    /// attempt is refused at once (`Busy`), so that a flood of sign-ins cannot make real users
    /// and other requests wait for seconds.
    pub async fn try_verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Busy> {
        use std::sync::atomic::Ordering;
        const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let permit = tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Ok(Ok(permit)) = permit else {
            return Err(Busy);
        };
        Ok(self.verify_with_permit(permit, password, hash).await)
    }

    async fn verify_with_permit(
        &self,
        _permit: tokio::sync::OwnedSemaphorePermit,
        password: &str,
        hash: Option<&str>,
    ) -> bool {
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

/// Too many sign-ins are being verified right now; try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

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
        assert_eq!(
            svc.try_verify("richtig-geheim", Some(&hash)).await,
            Ok(true)
        );
        assert_eq!(
            svc.try_verify("falsch-geheim", Some(&hash)).await,
            Ok(false)
        );
        assert_eq!(svc.try_verify("richtig-geheim", None).await, Ok(false));
    }
}
