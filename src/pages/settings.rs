//! `/settings`: theme, language, notifications.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::form::{FormMessage, FormState},
    context::use_locale,
    context::CurrentPreferences,
    model::{Language, Msg, Theme},
    server_fns::{auth::take_form_feedback, preferences::SavePreferences},
    title, tr,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    let i18n = use_locale();
    let save = ServerAction::<SavePreferences>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("settings".into()));
    let state = FormState::new(save, feedback, Some(Msg::PreferencesSaved));
    // With JavaScript the page re-renders in place in the new theme and language.
    Effect::new(move |_| {
        if let Some(Ok(prefs)) = save.value().get() {
            current.0.set(prefs);
        }
    });
    let prefs = move || current.0.get();
    view! {
        <Title text=title!(i18n, settings.title)/>
        <h1>{tr!(i18n, settings.title)}</h1>
        <Transition fallback=|| ()>
            <FormMessage state/>
        </Transition>
        <ActionForm action=save attr:class="stack">
            <fieldset class="choices">
                <legend>{tr!(i18n, theme.label)}</legend>
                {Theme::ALL
                    .into_iter()
                    .map(|theme| {
                        let id = format!("theme-{}", theme.as_str());
                        let label_for = id.clone();
                        view! {
                            <label for=label_for class="choice">
                                <input
                                    type="radio"
                                    id=id
                                    name="theme"
                                    value=theme.as_str()
                                    checked=move || prefs().theme == theme
                                />
                                {move || theme.label(prefs().language)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="field">
                <label for="language">{tr!(i18n, settings.language)}</label>
                <select id="language" name="language">
                    {Language::ALL
                        .into_iter()
                        .map(|language| {
                            view! {
                                <option
                                    value=language.as_str()
                                    lang=language.as_str()
                                    selected=move || prefs().language == language
                                >
                                    {language.native_name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field checkbox">
                <input
                    type="checkbox"
                    id="notifications"
                    name="notifications"
                    checked=move || prefs().notifications
                    aria-describedby="notifications-hint"
                />
                <label for="notifications">{tr!(i18n, settings.notifications)}</label>
                <p class="hint" id="notifications-hint">{tr!(i18n, settings.notifications_hint)}</p>
            </div>
            <button type="submit" class="button">{tr!(i18n, settings.save)}</button>
        </ActionForm>
    }
}
