use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::{use_i18n, Texts};

/// Sets the HTTP status of the server-rendered response.
fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::from_u16(_code).unwrap_or(http::StatusCode::OK));
    }
}

type Text = fn(&'static Texts) -> &'static str;

/// One error page: its status code, localised title and explanation, and a way home.
#[component]
fn ErrorPage(code: u16, test_id: &'static str, title: Text, body: Text) -> impl IntoView {
    set_status(code);
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || title(i18n.get()).to_string()) />
        <section class="card narrow error-page" data-testid=test_id>
            <p class="error-code">{code}</p>
            <h1>{move || title(i18n.get())}</h1>
            <p>{move || body(i18n.get())}</p>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <ErrorPage code=404 test_id="not-found"
            title=|t| t.error_not_found_title body=|t| t.error_not_found_body />
    }
}

#[component]
pub fn ServerError() -> impl IntoView {
    view! {
        <ErrorPage code=500 test_id="server-error"
            title=|t| t.error_server_title body=|t| t.error_server_body />
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <ErrorPage code=403 test_id="forbidden"
            title=|t| t.error_forbidden_title body=|t| t.error_forbidden_body />
    }
}
