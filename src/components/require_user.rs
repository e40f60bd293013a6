//! Pages that need a signed-in user.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::{
    components::error_notice::ErrorNotice,
    context::{use_current_path, Auth},
    model::{with_next, User},
};

/// Renders `children` with the signed-in user; guests are sent to the sign-in page (and come
/// back here after), and a store outage shows a 503 notice instead of a wrong answer.
#[component]
pub fn RequireUser<V: IntoView + 'static>(
    children: impl Fn(User) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let here = use_current_path();
    view! {
        <Transition fallback=|| ()>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    match auth.user.get() {
                        Ok(Some(user)) => children(user).into_any(),
                        Ok(None) => {
                            let here = untrack(here);
                            view! { <Redirect path=with_next("/login", Some(&here))/> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                }
            }
        </Transition>
    }
}
