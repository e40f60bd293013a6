//! New sign-in notices under the header: on the page as the server rendered it, and, with
//! JavaScript, kept current by the notice stream (server-sent events), so one appears without
//! a reload. Each can be dismissed, with or without JavaScript.

use leptos::prelude::*;

use crate::{
    context::{use_current_path, use_request_view, Auth, CurrentPreferences},
    i18n::td_string,
    model::format::device_name,
    model::{format, Language, Notice},
    server_fns::notices::DismissNotice,
};

/// "New sign-in: Firefox on Linux, Nov 23, 2026, 10:42 UTC".
fn notice_text(language: Language, notice: &Notice) -> (String, String) {
    let device = device_name(language, &notice.browser, &notice.os);
    let time = format::datetime(language, &notice.at);
    let text = td_string!(language.locale(), notices.new_sign_in, device = device.as_str(), time).to_string();
    (text, device)
}

#[component]
pub fn Notices() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let current = expect_context::<CurrentPreferences>();
    let here = use_current_path();
    // Loaded with the session for this request (guests never have any); in the browser, read
    // back from the `data-notices` the server wrote.
    let rendered = use_request_view().notices.clone();
    let rendered_json = serde_json::to_string(&rendered).unwrap_or_else(|_| "[]".into());
    // What the stream last said, which replaces what the page was rendered with.
    let live = RwSignal::new(None::<Vec<Notice>>);
    let dismissed = RwSignal::new(Vec::<String>::new());
    let dismiss = ServerAction::<DismissNotice>::new();
    Effect::new(move |_| {
        // Gone from the page as soon as it is asked for.
        if let Some(input) = dismiss.input().get() {
            dismissed.update(|ids| ids.push(input.id));
        }
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let signed_in = matches!(auth.user.get(), Ok(Some(_)));
        stream::follow(signed_in && current.0.get().notifications, live);
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = auth;

    let shown = move || {
        if !current.0.get().notifications {
            return Vec::new();
        }
        let gone = dismissed.get();
        live.get()
            .unwrap_or_else(|| rendered.clone())
            .into_iter()
            .filter(|notice| !gone.contains(&notice.id))
            .collect::<Vec<_>>()
    };
    view! {
        // Always there, so assistive technology announces a notice that arrives later.
        <div class="notices" aria-live="polite" data-notices=rendered_json>
                {move || {
                    let language = current.0.get().language;
                    shown()
                        .into_iter()
                        .map(|notice| {
                            let (text, device) = notice_text(language, &notice);
                            let label = td_string!(language.locale(), notices.dismiss_label, device = device.as_str())
                                .to_string();
                            view! {
                                <div class="container notice-item" role="status" data-testid="notice">
                                    <p>{text}</p>
                                    <ActionForm action=dismiss attr:class="inline-form">
                                        <input type="hidden" name="id" value=notice.id.clone()/>
                                        <input type="hidden" name="back" value=here/>
                                        <button type="submit" class="button small secondary" aria-label=label>
                                            {td_string!(language.locale(), notices.dismiss)}
                                        </button>
                                    </ActionForm>
                                </div>
                            }
                        })
                        .collect_view()
                }}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use std::cell::RefCell;

    use leptos::prelude::{RwSignal, Set};
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    use crate::model::Notice;

    thread_local! {
        /// The page's one notice stream (the browser reconnects it by itself if it drops).
        static STREAM: RefCell<Option<EventSource>> = const { RefCell::new(None) };
    }

    /// Opens the stream when `wanted` (signed in, notifications on), closes it otherwise.
    pub fn follow(wanted: bool, live: RwSignal<Option<Vec<Notice>>>) {
        STREAM.with(|stream| {
            let mut stream = stream.borrow_mut();
            match (wanted, stream.as_ref()) {
                (true, None) => *stream = open(live),
                (false, Some(open)) => {
                    open.close();
                    *stream = None;
                }
                _ => {}
            }
        });
    }

    fn open(live: RwSignal<Option<Vec<Notice>>>) -> Option<EventSource> {
        let source = EventSource::new("/api/notices/stream").ok()?;
        let on_notices = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(list) = event
                .data()
                .as_string()
                .and_then(|data| serde_json::from_str::<Vec<Notice>>(&data).ok())
            {
                live.set(Some(list));
            }
        });
        source
            .add_event_listener_with_callback("notices", on_notices.as_ref().unchecked_ref())
            .ok()?;
        // Lives as long as the page, like the stream.
        on_notices.forget();
        Some(source)
    }
}
