//! The session middleware.
//!
//! Unlike tower-sessions' own `SessionManagerLayer`, it
//! - loads a page view's session and records the visit in one backend round trip before the
//!   page renders (other requests load the session lazily, on first use);
//! - keeps the cookie untouched when the store is unreachable: an unknown session is not an
//!   ended one, and Redis coming back must find the visitor still signed in;
//! - never turns a store failure into a bare 500: pages render as a guest, and whatever needs
//!   the session answers 503 through [`super::SessionUnavailable`].

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
};
use tower_sessions::{session::Id, Session};

use super::{keys, AppSession, RequestStore, SignedIn};
use crate::server::page_routes::{is_seed_user_path, PageRoutes};
use crate::server::{
    auth::tokens,
    client::client_ip,
    headers::{bearer_token, cookie_values, list_elements},
    ratelimit::{ip_subject, Rule},
    state::AppState,
};

/// Longest path recorded as a page view; longer ones are cut (at a character boundary).
pub const MAX_TRACKED_PATH: usize = 2048;

/// The path to record when this request is a page view, else `None`.
fn page_view(request: &Request, routes: &PageRoutes) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let headers = request.headers();
    // Speculative loads (link prefetch, prerender) are not visits.
    let speculative = headers.contains_key("sec-purpose")
        || list_elements(headers, &header::HeaderName::from_static("purpose"))
            .iter()
            .any(|p| p.eq_ignore_ascii_case("prefetch"));
    let path = request.uri().path();
    if speculative || !routes.matches(path) {
        return None;
    }
    let mut end = path.len().min(MAX_TRACKED_PATH);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    Some(path[..end].to_owned())
}

/// The client's address as rate limits count it.
fn client_address(state: &AppState, request: &Request) -> String {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    ip_subject(client_ip(request.headers(), peer, &state.config.trusted_proxies))
}

/// The cookie in which seed 002's clients send back the `sessionId` they were given.
const SEED_SESSION_COOKIE: &str = "session-id";

/// The session an API credential stands for, if any: an `Authorization: Bearer` token, else —
/// on seed 002's own `/user` routes only — a lone `session-id` cookie holding one (the
/// `sessionId` those routes answer with). Never on pages or Porch's routes: a cookie is sent by
/// browsers on their own, and one planted by a sibling subdomain must not sign a visitor into
/// someone else's account.
async fn bearer_session(state: &AppState, headers: &header::HeaderMap, path: &str) -> Option<Id> {
    let seed_route = is_seed_user_path(path);
    let token = bearer_token(headers).or_else(|| {
        if !seed_route {
            return None;
        }
        match cookie_values(headers, SEED_SESSION_COOKIE).as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    })?;
    match tokens::session_for_token(state, &token).await {
        Ok(id) => id?.parse().ok(),
        Err(e) => {
            tracing::warn!(error = %e, "bearer token not resolved: session store unavailable");
            None
        }
    }
}

pub async fn session_middleware(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let settings = &state.sessions;
    let store = Arc::new(RequestStore::new(
        state.backend.clone(),
        state.archiver.clone(),
        settings.clone(),
        state.metrics.tally.clone(),
    ));
    let (candidates, cookie_present) = settings.cookie.read(request.headers());
    store.set_cookie_ids(candidates.clone());
    // The id the client already holds: from its cookie or, for API clients without one, from
    // its bearer token. A cookie is sent only when the id changes from this.
    // An `Authorization: Bearer` token that stands for a live session wins over any cookie:
    // it is what the client chose to send, where a cookie (say, a guest session an HTTP client
    // picked up on the way) is sent on its own.
    let explicit = if !cookie_present || bearer_token(request.headers()).is_some() {
        bearer_session(&state, request.headers(), request.uri().path()).await
    } else {
        None
    };
    let cookie_id = match (explicit, candidates.as_slice()) {
        (Some(id), _) => Some(id),
        (None, []) => None,
        (None, [only]) => Some(*only),
        // Several (an old cookie for a parent domain or path beside the live one): the live
        // one, never the first by default. While the store is down, keep them all as they are.
        (None, several) => store.choose_live(several).await.unwrap_or(several.last().copied()),
    };

    let initial_id = match page_view(&request, &state.page_routes) {
        Some(path) => {
            let address = client_address(&state, &request);
            let started = std::time::Instant::now();
            let loaded = match cookie_id {
                Some(id) => store.preload(id, Some(&path)).await,
                None => Ok(None),
            };
            state.metrics.observe_redis(started.elapsed());
            match loaded {
                Ok(Some(id)) => Some(id),
                // Sent just before a sign-in in another request renewed its id: the browser
                // holds the new id by now, so nothing starts here (and no cookie replaces it).
                Ok(None) if !candidates.is_empty() && store.cookie_was_renewed().await => None,
                // No session yet, or it ended: a new guest session starts with this view, unless
                // this address has started too many lately (the page is then served without
                // one). The limit is counted in the creation's round trip.
                Ok(None) => {
                    let limiter = &state.limiter;
                    let admission = limiter.admission(Rule::Sessions, &address);
                    match store.create_guest(Some(&path), Some(admission.as_admission())).await {
                        Ok(Some(id)) => Some(id),
                        Ok(None) => {
                            limiter.note_refused(Rule::Sessions);
                            None
                        }
                        Err(_) => None,
                    }
                }
                // Store unreachable: keep the cookie's id so nothing changes for the visitor;
                // reads through it fail fast and the page renders as a guest.
                Err(_) => cookie_id,
            }
        }
        None => cookie_id,
    };

    let session = Session::new(initial_id, store.clone(), None);
    request
        .extensions_mut()
        .insert(AppSession::new(session.clone(), store.clone()));
    request.extensions_mut().insert(session.clone());

    let mut response = next.run(request).await;

    if session.is_modified() && !session.is_empty().await && !response.status().is_server_error() {
        if let Err(e) = session.save().await {
            // The handler's answer stands; the change is lost and the log says so.
            tracing::warn!(error = %e, "session not saved");
        }
    }

    // The cookie changes only when this request changed the session: a new id is sent, an
    // ended one cleared. Never when the store's answer is unknown, and never over a cookie that
    // a renewal in another request has just replaced (this request carried the old one).
    let final_id = session.id();
    let set_cookie = match final_id {
        Some(id) if Some(id) != cookie_id => {
            let started_as_guest = matches!(session.get::<SignedIn>(keys::SIGNED_IN).await, Ok(None));
            let replaced_by_renewal = !candidates.is_empty() && started_as_guest && store.cookie_was_renewed().await;
            (!replaced_by_renewal).then(|| settings.cookie.set(id))
        }
        None if cookie_present && store.unavailable().is_none() && !store.cookie_was_renewed().await => {
            Some(settings.cookie.clear())
        }
        _ => None,
    };
    let headers = response.headers_mut();
    if let Some(cookie) = set_cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    let session_used = store.info().is_some() || store.unavailable().is_some() || final_id != cookie_id;
    if session_used {
        // Whatever was rendered depends on who asked.
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(header::HeaderValue::from_static("no-store"));
        headers.append(header::VARY, header::HeaderValue::from_static("Cookie"));
    }
    response
}
