use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;
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

/// The database is out of reach for a moment (stopped, restarting): 503 with `Retry-After`, so
/// the reader (or a proxy) tries again shortly and no cache keeps this page as the answer.
#[component]
pub fn Unavailable() -> impl IntoView {
    // Inserted, not appended: a server function's 503 on the same page may have set it.
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.insert_header(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECS),
        );
    }
    view! {
        <ErrorPage code=503 test_id="unavailable"
            title=|t| t.error_unavailable_title body=|t| t.err_unavailable />
    }
}

/// The page for data a page could not load: [`Unavailable`] while the database is out of
/// reach, else [`ServerError`].
pub fn failed_page(error: &AppError) -> AnyView {
    if *error == AppError::Unavailable {
        view! { <Unavailable /> }.into_any()
    } else {
        view! { <ServerError /> }.into_any()
    }
}

/// [`failed_page`] as an `ErrorBoundary`'s fallback: unavailable when any of the errors says so.
pub fn failure_page(errors: ArcRwSignal<Errors>) -> AnyView {
    let unavailable = errors.with_untracked(|errors| {
        errors
            .iter()
            .any(|(_, e)| e.downcast_ref::<AppError>() == Some(&AppError::Unavailable))
    });
    failed_page(if unavailable {
        &AppError::Unavailable
    } else {
        &AppError::Internal
    })
}

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <ErrorPage code=403 test_id="forbidden"
            title=|t| t.error_forbidden_title body=|t| t.error_forbidden_body />
    }
}
