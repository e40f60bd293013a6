//! The outcome of a form posted without JavaScript.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::message::Msg;
use crate::error::AppError;

/// What a form page shows after a submission without JavaScript (post, redirect, get): the
/// outcome travels in the session for exactly one page view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFeedback {
    /// Which form it is for, e.g. `login`.
    pub form: String,
    pub error: Option<AppError>,
    pub notice: Option<Msg>,
    /// Submitted values to put back in the form (never passwords).
    pub values: BTreeMap<String, String>,
}
