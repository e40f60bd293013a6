//! The post/redirect/get flow of forms submitted without JavaScript, and the refusal pages
//! such a form gets when it cannot be shown one.
//!
//! With JavaScript, a form's server function answers the client directly (an error carries its
//! 4xx status). Without it, the browser posted a plain form and expects a page: the outcome is
//! kept in the session for one view ([`FormFeedback`]) and the browser is redirected.

use http::{header, request::Parts, HeaderMap};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::{
    headers::{single, wants_html, Origin},
    session::AppSession,
    state::AppState,
};
use crate::{
    error::AppError,
    model::{is_same_site_path, location, FormFeedback, Msg},
};

pub use super::session::keys::flash as flash_key;

/// True for a plain HTML form post (JavaScript off): the browser wants a page back.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|p| wants_page(&p.headers))
}

/// Whether a request comes from a plain HTML form (the browser wants a page back).
pub fn wants_page(headers: &HeaderMap) -> bool {
    wants_html(headers)
}

/// Keeps a form's outcome in the session for the next page to show once.
pub async fn keep_feedback(session: &AppSession, feedback: FormFeedback) {
    let _ = session.inner().insert(&flash_key(&feedback.form), feedback).await;
}

/// Where a form's outcome leads.
pub struct Outcome<'a> {
    pub form: &'a str,
    /// Page to show after success (`None`: stay, i.e. back to `back`).
    pub success_to: Option<&'a str>,
    /// A message to show after success.
    pub notice: Option<Msg>,
    /// The form's page, shown again with the error (with whatever it carried, such as its
    /// `next`). Any same-site path; it is percent-encoded for the `Location` header.
    pub back: &'a str,
    /// Submitted values to refill (never passwords).
    pub values: Vec<(&'a str, String)>,
}

/// Turns a form's result into the right response for both kinds of client.
pub async fn finish<T>(
    session: Option<&AppSession>,
    result: Result<T, AppError>,
    outcome: Outcome<'_>,
) -> Result<T, AppError> {
    let plain = is_plain_form_post();
    match &result {
        Ok(_) => {
            // With JavaScript the page decides what follows (it may reload fully after a
            // sign-in, or update in place); a plain form post gets the next page.
            if plain {
                if let (Some(notice), Some(session)) = (outcome.notice, session) {
                    let feedback = FormFeedback {
                        form: outcome.form.into(),
                        notice: Some(notice),
                        ..Default::default()
                    };
                    let _ = session.inner().insert(&flash_key(&feedback.form), feedback).await;
                }
                redirect_browser(outcome.success_to.unwrap_or(outcome.back));
            }
        }
        Err(error) => {
            super::fn_context::set_error_status(error);
            // A refused attempt or an outage is answered on the spot (429 or 503, with a page
            // for the browser: see `ratelimit`), not by a form page that could not show why.
            let answered_here = matches!(
                error.code,
                crate::error::ErrorCode::RateLimited | crate::error::ErrorCode::Unavailable
            );
            if plain && error.code == crate::error::ErrorCode::ReauthRequired {
                // The action waits in the session (`auth::reauth`); the confirm page completes it.
                redirect_browser(crate::model::security::CONFIRM_PATH);
            } else if plain && !answered_here {
                if let Some(session) = session {
                    let feedback = FormFeedback {
                        form: outcome.form.into(),
                        error: Some(error.clone()),
                        notice: None,
                        values: outcome.values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    };
                    let _ = session.inner().insert(&flash_key(&feedback.form), feedback).await;
                }
                redirect_browser(outcome.back);
            }
        }
    }
    result
}

/// Sends the browser of a plain form post to `path` (post/redirect/get): `302 Found` with the
/// path as an ASCII `Location`. Set here rather than by `leptos_axum::redirect`, which decides
/// by its own reading of `Accept` (the first line, containing `text/html`) whether to send a
/// 3xx at all, and so could disagree with [`is_plain_form_post`].
fn redirect_browser(path: &str) {
    if let (Some(options), Ok(target)) = (
        use_context::<ResponseOptions>(),
        http::HeaderValue::from_str(&location(path)),
    ) {
        options.insert_header(header::LOCATION, target);
        options.set_status(http::StatusCode::FOUND);
    }
}

/// The pending feedback for `form`, removed so it shows once.
pub async fn take_feedback(session: &AppSession, form: &str) -> Option<FormFeedback> {
    // No session yet: nothing pending, and no store round trip.
    session.id()?;
    let key = flash_key(form);
    let feedback: FormFeedback = session.inner().get(&key).await.ok().flatten()?;
    let _ = session.inner().remove_value(&key).await;
    Some(feedback)
}

/// A browser without JavaScript posted a form and the answer is a refusal it cannot show (429
/// from a rate limit, 503 from an outage, both sent as JSON by the server function): it gets a
/// short page in its language instead, saying so, with the way back to the form. Any other
/// answer passes untouched.
pub async fn refusal_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let plain = request.method() == http::Method::POST && wants_page(request.headers());
    // Read up front what the page needs (the request is gone once handled), only for such posts.
    let page = plain.then(|| {
        (
            back_path(request.headers()),
            super::preferences::guest(&state, request.headers()).prefs,
        )
    });
    let mut response = next.run(request).await;
    let message = match response.status() {
        http::StatusCode::TOO_MANY_REQUESTS => Msg::RateLimited,
        http::StatusCode::SERVICE_UNAVAILABLE => Msg::Unavailable,
        _ => return response,
    };
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if let (Some((back, prefs)), false) = (page, is_html) {
        *response.body_mut() = axum::body::Body::from(refusal_page(prefs, &back, message));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.remove(header::CONTENT_LENGTH);
    }
    response
}

/// The path of the page the form was on (from `Referer`, when it names this host), else the
/// home page.
fn back_path(headers: &HeaderMap) -> String {
    let host = single(headers, &header::HOST);
    single(headers, &header::REFERER)
        .and_then(|referer| {
            let origin = Origin::parse(&referer)?;
            if !origin.is_host(host.as_deref()?) {
                return None;
            }
            let rest = referer.split_once("://")?.1;
            let path = &rest[rest.find('/')?..];
            let path = path.split('#').next().unwrap_or_default();
            is_same_site_path(path).then(|| location(path))
        })
        .unwrap_or_else(|| "/".into())
}

fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// A small page in the visitor's language and theme: what happened, and the way back.
fn refusal_page(prefs: crate::model::Preferences, back: &str, message: Msg) -> String {
    use crate::i18n::td_string;
    let locale = prefs.language.locale();
    let title = match message {
        Msg::RateLimited => td_string!(locale, unavailable.too_many_title),
        _ => td_string!(locale, unavailable.title),
    };
    let message = message.text(prefs.language);
    let go_back = td_string!(locale, unavailable.go_back);
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\" dir=\"{dir}\" data-theme=\"{theme}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · Porch</title>\
         <link rel=\"stylesheet\" href=\"/pkg/porch.css\"></head><body><main id=\"main\" class=\"container\">\
         <section class=\"notice\" role=\"alert\"><h1>{title}</h1><p>{message}</p>\
         <p><a href=\"{back}\">{go_back}</a></p></section></main></body></html>",
        lang = prefs.language.as_str(),
        dir = prefs.language.dir(),
        theme = prefs.theme.as_str(),
        back = escape(back),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_is_a_path_on_this_site() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "app.example:3000".parse().unwrap());
        headers.insert(
            header::REFERER,
            "http://app.example:3000/login?next=/account".parse().unwrap(),
        );
        assert_eq!(back_path(&headers), "/login?next=/account");
        headers.insert(header::REFERER, "https://evil.example/login".parse().unwrap());
        assert_eq!(back_path(&headers), "/");
        assert_eq!(escape("/a\"><script>"), "/a&quot;&gt;&lt;script&gt;");
    }
}
