//! The error pages, and [`error_page`], the one an error met while loading a page's data calls
//! for.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;
use crate::i18n::{use_i18n, Locale, Texts};

/// Sets the HTTP status of the server-rendered response.
fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::from_u16(_code).unwrap_or(http::StatusCode::OK));
    }
}

type Text = fn(&'static Texts) -> &'static str;

/// One error page: its status code, localised title and explanation, a way to try again where
/// there is one (`action`), and a way home.
#[component]
fn ErrorPage(
    code: u16,
    test_id: &'static str,
    title: Text,
    body: Text,
    #[prop(optional_no_strip)] action: Option<AnyView>,
) -> impl IntoView {
    set_status(code);
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || title(i18n.get()).to_string()) />
        <section class="card narrow error-page" data-testid=test_id>
            <p class="error-code">{code}</p>
            <h1>{move || title(i18n.get())}</h1>
            <p>{move || body(i18n.get())}</p>
            {action.map(|a| view! { <p>{a}</p> })}
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
/// `retry` loads the data again without leaving the page.
#[component]
pub fn Unavailable(#[prop(optional_no_strip)] retry: Option<AnyView>) -> impl IntoView {
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
            title=|t| t.error_unavailable_title body=|t| t.err_unavailable action=retry />
    }
}

/// The call for the page's data never reached the server, or its answer could not be read: the
/// connection is down. Only the browser meets this (the server calls its functions in
/// process); `retry` loads the data again once the reader is back online.
#[component]
pub fn Offline(#[prop(optional_no_strip)] retry: Option<AnyView>) -> impl IntoView {
    let i18n = use_i18n();
    // The error's own status (`AppError::status`), should the server ever render this.
    set_status(500);
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().error_offline_title.to_string()) />
        <section class="card narrow error-page" data-testid="offline">
            <h1>{t!(i18n, error_offline_title)}</h1>
            <p>{t!(i18n, err_network)}</p>
            {retry.map(|r| view! { <p>{r}</p> })}
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <ErrorPage code=403 test_id="forbidden"
            title=|t| t.error_forbidden_title body=|t| t.error_forbidden_body />
    }
}

/// The page's request itself was refused (a parameter out of range, a signed link that
/// expired, too many requests): the error's status, and why in the reader's words (each
/// refused field's reason where there are some).
#[component]
pub fn Refused(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.status().as_u16();
    set_status(code);
    let why = move || reason(&error, i18n.locale.get());
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().error_refused_title.to_string()) />
        <section class="card narrow error-page" data-testid="refused">
            <p class="error-code">{code}</p>
            <h1>{t!(i18n, error_refused_title)}</h1>
            <p>{why}</p>
            <a class="button" href="/">{t!(i18n, back_home)}</a>
        </section>
    }
}

/// Why `error` happened in the reader's words: each refused field's reason where there are
/// some, else the error's message.
fn reason(error: &AppError, locale: Locale) -> String {
    let fields = error.field_messages(locale);
    if fields.is_empty() {
        error.message(locale)
    } else {
        fields.into_values().collect::<Vec<_>>().join(" ")
    }
}

/// Asks a visitor to sign in, and brings them back to this very page (with its query) after.
/// Here rather than with the accounts' pages so that [`error_page`] can show it.
#[component]
pub fn SignInPrompt() -> impl IntoView {
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let href = move || {
        // The router's `search` comes without its `?`.
        let search = location.search.get();
        let here = match search.trim_start_matches('?') {
            "" => location.pathname.get(),
            q => format!("{}?{q}", location.pathname.get()),
        };
        format!("/sign-in?next={}", crate::domain::percent_encode(&here))
    };
    view! {
        <section class="card narrow">
            <p>{t!(i18n, error_sign_in_required)}</p>
            <a class="button" href=href data-testid="sign-in-prompt">{t!(i18n, nav_sign_in)}</a>
        </section>
    }
}

/// Whether the request itself was refused (its parameters, a signed link, a limit), rather
/// than the data being missing or not the reader's, the reader signed out, or the server or
/// the connection failing: the errors a page may word itself (`ui::Loaded`'s `refused`).
pub fn is_refusal(error: &AppError) -> bool {
    !matches!(
        error,
        AppError::NotFound
            | AppError::NoSuchRoute
            | AppError::Forbidden
            | AppError::CrossOrigin
            | AppError::Unauthenticated
            | AppError::Unavailable
            | AppError::Transport(_)
            | AppError::Internal(_)
    )
}

/// The page for an error met while loading a page's data, by what went wrong: not found,
/// forbidden, a sign-in prompt, unavailable or offline (both with `retry`, a way to load
/// again, where there is one), refused, else the server's fault. Each sets the status the
/// error has (`AppError::status`), as the server function did.
pub fn error_page(error: AppError, retry: Option<AnyView>) -> AnyView {
    match error {
        AppError::NotFound | AppError::NoSuchRoute => view! { <NotFound /> }.into_any(),
        AppError::Forbidden | AppError::CrossOrigin => view! { <Forbidden /> }.into_any(),
        AppError::Unauthenticated => view! { <SignInPrompt /> }.into_any(),
        AppError::Unavailable => view! { <Unavailable retry=retry /> }.into_any(),
        AppError::Transport(_) => view! { <Offline retry=retry /> }.into_any(),
        AppError::Internal(_) => view! { <ServerError /> }.into_any(),
        refused => view! { <Refused error=refused /> }.into_any(),
    }
}

/// The compact form of [`error_page`], for a part of a page that loads its own data (a side
/// card, a panel): why in a line of its own (as [`Refused`] words it), with `retry` where
/// loading again may help (unavailable, offline), or the sign-in prompt. It sets no status and
/// no title: the page around it is fine.
pub fn error_line(error: AppError, retry: Option<AnyView>) -> AnyView {
    // Signed out meanwhile: the way back in, as the full page would offer it.
    if matches!(error, AppError::Unauthenticated) {
        return view! { <SignInPrompt /> }.into_any();
    }
    let i18n = use_i18n();
    let passing = matches!(error, AppError::Unavailable | AppError::Transport(_));
    view! {
        <p class="banner banner-error" role="alert" data-testid="load-error">
            {move || reason(&error, i18n.locale.get())} " " {retry.filter(|_| passing)}
        </p>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Cause, FieldError};

    #[test]
    fn a_refused_request_is_told_from_missing_data_a_sign_in_and_a_failure() {
        for e in [
            AppError::NotFound,
            AppError::NoSuchRoute,
            AppError::Forbidden,
            AppError::CrossOrigin,
            AppError::Unauthenticated,
            AppError::Unavailable,
            AppError::Transport("connection refused".into()),
            AppError::Internal(Cause::default()),
        ] {
            assert!(!is_refusal(&e), "{e:?}");
        }
        for e in [
            AppError::field("link", FieldError::LinkExpired),
            AppError::RateLimited {
                retry_after_secs: 30,
            },
            AppError::BadRequest("bad".into()),
        ] {
            assert!(is_refusal(&e), "{e:?}");
        }
    }

    #[test]
    fn the_reason_is_each_refused_fields_else_the_errors_message() {
        let refused = AppError::field("to", FieldError::WindowOrder);
        assert_eq!(
            reason(&refused, Locale::En),
            FieldError::WindowOrder.message(Locale::En)
        );
        assert_eq!(
            reason(&AppError::Unavailable, Locale::ZhCn),
            AppError::Unavailable.message(Locale::ZhCn)
        );
    }
}
