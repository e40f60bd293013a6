//! Server functions behind the account's security pages.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    auth::security_log,
    fn_context::{request_context, with_status},
};
use crate::{error::AppError, model::SecurityLogPage};

/// Security log entries shown per page.
pub const LOG_PER_PAGE: u64 = 25;

/// One page of the signed-in user's security log, newest first, from `cursor`.
#[server(prefix = "/api/fn", endpoint = "security_log")]
pub async fn read_security_log(cursor: Option<String>) -> Result<SecurityLogPage, AppError> {
    let (state, session, _) = request_context()?;
    with_status(security_log::page(&state, &session, cursor.as_deref(), LOG_PER_PAGE).await)
}
