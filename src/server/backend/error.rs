//! The one error of the stores, and what a client is told of it.

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Redis did not answer in time, or is not connected. Callers degrade or answer 503.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a reply of the wrong shape, a script error). Logged, never shown.
    #[error("session store error: {0}")]
    Other(String),
}

impl From<BackendError> for crate::error::AppError {
    /// The store failing is "try again" to the client (503); the cause is logged, not shown.
    fn from(e: BackendError) -> Self {
        tracing::warn!(error = %e, "session store unavailable");
        crate::error::AppError::unavailable()
    }
}

/// [`BackendError`] as the client sees it (for `map_err`): see the `From` conversion.
pub fn unavailable(e: BackendError) -> crate::error::AppError {
    e.into()
}
