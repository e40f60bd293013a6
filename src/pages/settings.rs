//! `/settings`: theme, language, notifications.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{auth::take_form_feedback, preferences::SavePreferences},
    app::CurrentPreferences,
    components::form::{FormMessage, FormState},
    model::{Language, Theme},
};

fn theme_label(theme: Theme) -> &'static str {
    match theme {
        Theme::Light => "Light",
        Theme::Dark => "Dark",
        Theme::System => "System",
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    let save = ServerAction::<SavePreferences>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("settings".into()));
    let state = FormState::new(save, feedback, Some("Your preferences were saved."));
    // With JavaScript the page re-renders in place in the new theme and language.
    Effect::new(move |_| {
        if let Some(Ok(prefs)) = save.value().get() {
            current.0.set(prefs);
        }
    });
    let prefs = move || current.0.get();
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <Transition fallback=|| ()>
            <FormMessage state/>
        </Transition>
        <ActionForm action=save attr:class="stack">
            <fieldset class="choices">
                <legend>"Theme"</legend>
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
                                {theme_label(theme)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="field">
                <label for="language">"Language"</label>
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
                <input type="checkbox" id="notifications" name="notifications" checked=move || prefs().notifications/>
                <label for="notifications">"Notifications"</label>
            </div>
            <button type="submit" class="button">"Save preferences"</button>
        </ActionForm>
    }
}
