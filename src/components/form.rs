//! Form building blocks: messages for the whole form and for each field, filled from either
//! the action's result (JavaScript on) or the one-time feedback (JavaScript off).

use leptos::prelude::*;

use crate::{
    context::CurrentPreferences,
    error::AppError,
    model::{FormFeedback, Msg},
};

/// A form's current state, for the views below.
#[derive(Clone, Copy)]
pub struct FormState {
    pub error: Signal<Option<AppError>>,
    pub notice: Signal<Option<Msg>>,
    pub values: Signal<std::collections::BTreeMap<String, String>>,
}

impl FormState {
    /// Joins a server action's result with the feedback of a plain form post.
    pub fn new<I, O>(
        action: ServerAction<I>,
        feedback: Resource<Result<Option<FormFeedback>, AppError>>,
        success_notice: Option<Msg>,
    ) -> Self
    where
        I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
        O: Clone + Send + Sync + 'static,
        ServerAction<I>: Copy,
    {
        let feedback_value = move || feedback.get().and_then(Result::ok).flatten();
        let error = Signal::derive(move || match action.value().get() {
            Some(Err(e)) => Some(e),
            Some(Ok(_)) => None,
            None => feedback_value().and_then(|f| f.error),
        });
        let notice = Signal::derive(move || match action.value().get() {
            Some(Ok(_)) => success_notice,
            Some(Err(_)) => None,
            None => feedback_value().and_then(|f| f.notice),
        });
        let values = Signal::derive(move || feedback_value().map(|f| f.values).unwrap_or_default());
        // A sensitive action asked to confirm who the user is: the server kept the action, and
        // the confirm page completes it (a plain form post is sent there by a redirect).
        Effect::new(move |_| {
            if let Some(Err(e)) = action.value().get() {
                if e.code == crate::error::ErrorCode::ReauthRequired {
                    crate::context::full_page_load(crate::model::security::CONFIRM_PATH);
                }
            }
        });
        Self { error, notice, values }
    }

    /// The field's problem, in the page's language.
    pub fn field_error(&self, field: &'static str) -> Signal<Option<&'static str>> {
        let error = self.error;
        let current = expect_context::<CurrentPreferences>();
        Signal::derive(move || {
            let msg = error.with(|e| e.as_ref().and_then(|e| e.fields.get(field).copied()))?;
            Some(msg.text(current.0.get().language))
        })
    }

    pub fn value(&self, field: &'static str) -> Signal<String> {
        let values = self.values;
        Signal::derive(move || values.get().get(field).cloned().unwrap_or_default())
    }
}

/// The form-wide message: an error (role=alert) or a success notice (role=status).
#[component]
pub fn FormMessage(state: FormState) -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    let language = move || current.0.get().language;
    view! {
        {move || {
            state
                .error
                .get()
                .map(|e| view! { <p class="message error" role="alert">{e.message.text(language())}</p> })
        }}
        {move || {
            state
                .notice
                .get()
                .map(|n| view! { <p class="message notice" role="status">{n.text(language())}</p> })
        }}
    }
}

/// A labelled input with its own error message, linked for assistive technology.
#[component]
pub fn Field(
    #[prop(into)] label: Signal<&'static str>,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<Signal<String>>,
    #[prop(optional, into)] error: Option<Signal<Option<&'static str>>>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
    /// The input's id when `field-<name>` would not be unique on the page.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.map_or_else(|| format!("field-{name}"), str::to_owned);
    let error_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let described = error_id.clone();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                required=true
                autocomplete=autocomplete
                minlength=minlength
                maxlength=maxlength
                value=move || value.map(|v| v.get())
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=move || error.get().map(|_| described.clone())
            />
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}
