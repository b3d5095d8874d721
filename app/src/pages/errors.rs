use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::use_i18n;

/// Sets the HTTP status of the server-rendered response.
fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::from_u16(_code).unwrap_or(http::StatusCode::OK));
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    let i18n = use_i18n();
    view! {
        <Title text=t!(i18n, error_not_found_title) />
        <section class="card narrow error-page" data-testid="not-found">
            <p class="error-code">"404"</p>
            <h1>{t!(i18n, error_not_found_title)}</h1>
            <p>{t!(i18n, error_not_found_body)}</p>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

#[component]
pub fn ServerError() -> impl IntoView {
    set_status(500);
    let i18n = use_i18n();
    view! {
        <Title text=t!(i18n, error_server_title) />
        <section class="card narrow error-page" data-testid="server-error">
            <p class="error-code">"500"</p>
            <h1>{t!(i18n, error_server_title)}</h1>
            <p>{t!(i18n, error_server_body)}</p>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    let i18n = use_i18n();
    view! {
        <Title text=t!(i18n, error_forbidden_title) />
        <section class="card narrow error-page" data-testid="forbidden">
            <p class="error-code">"403"</p>
            <h1>{t!(i18n, error_forbidden_title)}</h1>
            <p>{t!(i18n, error_forbidden_body)}</p>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}
