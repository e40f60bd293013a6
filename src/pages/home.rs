use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Welcome to Porch"</h1>
            <p class="lead">
                "Accounts, sessions and preferences that work the way people expect: "
                "your theme and language from the first byte, every device you are signed in on "
                "in one list, and nothing lost when things go wrong."
            </p>
        </section>
        <section class="cards" aria-label="What you get">
            <article class="card">
                <h2>"Sessions you can see"</h2>
                <p>"Each device you use shows up with when it was last active, and you can sign it out."</p>
            </article>
            <article class="card">
                <h2>"Preferences that stick"</h2>
                <p>"Light, dark or your system's theme, in your language, kept for guests and accounts alike."</p>
            </article>
            <article class="card">
                <h2>"Works without JavaScript"</h2>
                <p>"Every page is rendered on the server; the browser makes it faster, not possible."</p>
            </article>
        </section>
    }
}
