//! Password hashing with argon2id, off the async runtime.
//!
//! Hashing is deliberately slow (tens of milliseconds of CPU and 19 MiB each). It runs on
//! threads of its own, as many as the machine has cores, at a lower CPU priority than the
//! threads that serve requests: a burst of sign-ins queues here and uses what the cores have
//! left, instead of doubling the latency of every page view (bench/RESULTS.md, issue 7).

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{mpsc, Arc},
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use parking_lot::Mutex;

use crate::{error::AppError, model::Password};

/// OWASP's argon2id recommendation: m=19456 KiB, t=2, p=1.
pub fn default_params() -> Params {
    Params::new(19_456, 2, 1, None).expect("valid argon2 parameters")
}

/// How much lower than the request threads the hashing threads run (`nice` steps). At 10 the
/// Linux scheduler gives them about a tenth of a busy core's time against a page-serving thread,
/// and all of it when the core is otherwise idle.
const HASHING_NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// Starts `count` hashing threads fed by the returned queue; they end when it is dropped.
fn start_hashing_threads(count: usize) -> mpsc::Sender<Job> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..count {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
            lower_this_threads_priority();
            #[cfg(all(test, target_os = "linux"))]
            // SAFETY: gettid takes no arguments and cannot fail.
            LOWERED_THREADS.lock().push(unsafe { libc::gettid() });
            loop {
                // The lock is held only while waiting; the job runs after it is released.
                let next = queue.lock().recv();
                let Ok(job) = next else { return };
                // A panicking job drops its reply (the caller gets an error); the thread lives on.
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "hashing thread not started");
        }
    }
    jobs
}

/// The hashing threads that have passed [`lower_this_threads_priority`] (thread ids), so a test
/// looks at those and not at a thread another test's pool is still starting.
#[cfg(all(test, target_os = "linux"))]
static LOWERED_THREADS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: setpriority takes no pointers; on Linux, PRIO_PROCESS with id 0 names the
    // calling thread only. Raising niceness needs no privilege; failure just leaves it as is.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS) };
    if result != 0 {
        tracing::debug!("hashing thread priority unchanged");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

#[derive(Clone)]
pub struct PasswordHasherPool {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// Verified against when the account does not exist, so that answer takes as long as a
    /// wrong password does.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasherPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasherPool")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    Match {
        /// A new hash with the current parameters, when the stored one used older ones.
        rehash: Option<String>,
    },
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(params: &Params, password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2(params.clone())
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

impl PasswordHasherPool {
    pub fn new(params: Params) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let dummy = hash_now(&params, "dummy password never matched").expect("hash the dummy password");
        Self {
            params,
            jobs: start_hashing_threads(cores),
            dummy_hash: dummy.into(),
        }
    }

    async fn run_blocking<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = reply.send(job());
            }))
            .map_err(|_| AppError::internal("hashing threads gone"))?;
        answer.await.map_err(AppError::internal)
    }

    /// A new password checked ([`Password::parse_new_for`]: length, then zxcvbn's estimate, which
    /// takes milliseconds on long input) on the hashing threads, off the async runtime and below
    /// the request threads' priority. `Err` carries why it was refused.
    pub async fn check_new(
        &self,
        input: &str,
        related: &[&str],
    ) -> Result<Result<Password, crate::model::Msg>, AppError> {
        let input = input.to_owned();
        let related: Vec<String> = related.iter().map(|r| (*r).to_owned()).collect();
        self.run_blocking(move || {
            let related: Vec<&str> = related.iter().map(String::as_str).collect();
            Password::parse_new_for(&input, &related)
        })
        .await
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        self.run_blocking(move || hash_now(&params, &password))
            .await?
            .map_err(AppError::internal)
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account,
    /// which always yields [`Verification::Mismatch`] after the same amount of work.
    ///
    /// The password's normal form is checked first; when it was typed in another form, that
    /// form too (a hash stored before passwords were normalized), and a match there asks for a
    /// rehash of the normal form. An unknown account costs as many checks as a wrong password.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<Verification, AppError> {
        let exists = stored.is_some();
        let stored = stored.map(str::to_owned).unwrap_or_else(|| self.dummy_hash.to_string());
        let candidates: Vec<String> = std::iter::once(password.expose())
            .chain(password.as_typed())
            .map(str::to_owned)
            .collect();
        let params = self.params.clone();
        self.run_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                tracing::error!("stored password hash is not a PHC string");
                return Verification::Mismatch;
            };
            // The stored hash's own parameters are used to verify it.
            let matched = candidates
                .iter()
                .position(|candidate| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok());
            let Some(matched) = matched.filter(|_| exists) else {
                return Verification::Mismatch;
            };
            let current = matched == 0
                && parsed.algorithm == argon2::ARGON2ID_IDENT
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == params.m_cost() && p.t_cost() == params.t_cost() && p.p_cost() == params.p_cost()
                });
            let rehash = if current {
                None
            } else {
                hash_now(&params, &candidates[0]).ok()
            };
            Verification::Match { rehash }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse_existing(s).unwrap()
    }

    /// A thread's niceness from its `/proc/…/stat`: `pid (comm) state …`, the 19th field;
    /// `None` once the thread is gone.
    #[cfg(target_os = "linux")]
    fn niceness(task: &std::path::Path) -> Option<i32> {
        let stat = std::fs::read_to_string(task.join("stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 1..];
        after_name.split_whitespace().nth(16)?.parse().ok()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_below_the_request_threads_priority() {
        let pool = PasswordHasherPool::new(Params::new(8, 1, 1, None).unwrap());
        pool.hash(&pw("correct horse")).await.unwrap();
        // The threads that have started (at least the one that hashed), and still run: other
        // tests' pools come and go in this process.
        let started: Vec<i32> = LOWERED_THREADS.lock().clone();
        let hashing: Vec<i32> = started
            .iter()
            .filter_map(|tid| niceness(std::path::Path::new(&format!("/proc/self/task/{tid}"))))
            .collect();
        assert!(!hashing.is_empty(), "hashing threads exist");
        assert!(hashing.iter().all(|&n| n == HASHING_NICENESS), "{hashing:?}");
        // Only they were lowered: this thread (the runtime's) keeps the process's priority.
        assert_eq!(niceness(std::path::Path::new("/proc/thread-self")), Some(0));
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let pool = PasswordHasherPool::new(default_params());
        let hash = pool.hash(&pw("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(
            pool.verify(&pw("correct horse"), Some(&hash)).await.unwrap(),
            Verification::Match { rehash: None }
        );
        assert_eq!(
            pool.verify(&pw("wrong horse"), Some(&hash)).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            pool.verify(&pw("correct horse"), None).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            pool.verify(&pw("x"), Some("not a hash")).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn hashes_with_old_parameters_are_upgraded_on_match() {
        let old = PasswordHasherPool::new(Params::new(8_192, 1, 1, None).unwrap());
        let hash = old.hash(&pw("correct horse")).await.unwrap();
        let pool = PasswordHasherPool::new(default_params());
        let Verification::Match { rehash: Some(new_hash) } =
            pool.verify(&pw("correct horse"), Some(&hash)).await.unwrap()
        else {
            panic!("expected an upgrade");
        };
        assert!(new_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(matches!(
            pool.verify(&pw("correct horse"), Some(&new_hash)).await.unwrap(),
            Verification::Match { rehash: None }
        ));
    }

    #[tokio::test]
    async fn a_password_typed_in_any_normal_form_matches_and_old_hashes_are_upgraded() {
        let pool = PasswordHasherPool::new(default_params());
        let hash = pool.hash(&pw("caf\u{e9} au lait")).await.unwrap();
        for typed in ["caf\u{e9} au lait", "cafe\u{301} au lait"] {
            assert_eq!(
                pool.verify(&pw(typed), Some(&hash)).await.unwrap(),
                Verification::Match { rehash: None },
                "{typed:?}"
            );
        }
        // A hash stored before normalization, of the decomposed text: still accepted when typed
        // that way, and replaced by a hash of the normal form.
        let legacy = hash_now(&default_params(), "cafe\u{301} au lait").unwrap();
        let Verification::Match { rehash: Some(upgraded) } =
            pool.verify(&pw("cafe\u{301} au lait"), Some(&legacy)).await.unwrap()
        else {
            panic!("expected an upgrade to the normal form");
        };
        assert_eq!(
            pool.verify(&pw("caf\u{e9} au lait"), Some(&upgraded)).await.unwrap(),
            Verification::Match { rehash: None }
        );
    }
}
