//! Small building blocks shared by the pages: form fields that show their server-side error,
//! the error banner, and the guard for pages that need a signed-in user.

use leptos::prelude::*;

use crate::accounts::{Role, User};
use crate::error::{AppError, Reply};
use crate::i18n::{use_i18n, Locale};
use crate::use_auth;

/// Derives a localised message from the last result of a form's action.
fn from_refusal<T, S>(
    value: S,
    message: impl Fn(&AppError, Locale) -> Option<String> + Send + Sync + 'static,
) -> Signal<Option<String>>
where
    S: With<Value = Option<Result<Reply<T>, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    let i18n = use_i18n();
    Signal::derive(move || {
        let locale = i18n.locale.get();
        value.with(|v| match v {
            Some(Err(e) | Ok(Err(e))) => message(e, locale),
            _ => None,
        })
    })
}

/// The localised error for `field`, to show next to it.
pub fn field_error<T, S>(value: S, field: &'static str) -> Signal<Option<String>>
where
    S: With<Value = Option<Result<Reply<T>, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    from_refusal(value, move |e, locale| {
        e.field_error(field).map(|f| f.message(locale))
    })
}

/// The localised message of a refused form, for the banner above it.
pub fn form_error<T, S>(value: S) -> Signal<Option<String>>
where
    S: With<Value = Option<Result<Reply<T>, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    from_refusal(value, |e, locale| Some(e.message(locale)))
}

#[component]
pub fn FormError(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="banner banner-error" role="alert" data-testid="form-error">
                {move || message.get()}
            </p>
        </Show>
    }
}

/// A labelled input with its hint and its error underneath, linked for screen readers.
#[component]
pub fn Field(
    #[prop(into)] name: String,
    #[prop(into)] label: Signal<&'static str>,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into, optional)] hint: Option<Signal<&'static str>>,
    #[prop(into, optional)] value: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    // `address[city]` -> `f-address-city`: form names may nest, ids must stay plain.
    let id = format!("f-{}", name.replace('[', "-").replace(']', ""));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{move || label.get()}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                required=required
                minlength=minlength
                maxlength=maxlength
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{move || h.get()}</p> })}
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The localised error for `field` in the last refusal held by `errors`: for pages whose state
/// lives in signals rather than in a form's action.
pub fn error_for(errors: RwSignal<Option<AppError>>, field: String) -> Signal<Option<String>> {
    let i18n = use_i18n();
    Signal::derive(move || {
        let locale = i18n.locale.get();
        errors.with(|e| {
            e.as_ref()
                .and_then(|e| e.field_error(&field))
                .map(|f| f.message(locale))
        })
    })
}

/// A labelled input bound to a signal, with its error underneath (linked for screen readers).
#[component]
pub fn Input(
    #[prop(into)] id: String,
    #[prop(into)] label: Signal<&'static str>,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] inputmode: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{move || label.get()}</label>
            <input
                id=id
                type=kind
                inputmode=inputmode
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                bind:value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// Renders `children` with the signed-in user when they hold one of `roles`; otherwise asks the
/// visitor to sign in, or tells a user without the role that the page is not theirs. The
/// server functions behind each page check again: this is only the page's courtesy.
#[component]
pub fn RequireRole<F, V>(roles: &'static [Role], children: F) -> impl IntoView
where
    F: Fn(User) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let auth = use_auth();
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) if roles.contains(&user.role) => children(user).into_any(),
                            Ok(Some(_)) => view! { <crate::pages::errors::Forbidden /> }.into_any(),
                            Ok(None) => view! { <SignInPrompt /> }.into_any(),
                            Err(e) => crate::pages::errors::failed_page(&e),
                        }
                    })
                }
            }
        </Suspense>
    }
}

#[component]
pub fn SignInPrompt() -> impl IntoView {
    let i18n = use_i18n();
    // Back to this very page (with its query) after signing in.
    let location = leptos_router::hooks::use_location();
    let href = move || {
        // The router's `search` comes without its `?`.
        let search = location.search.get();
        let here = match search.trim_start_matches('?') {
            "" => location.pathname.get(),
            q => format!("{}?{q}", location.pathname.get()),
        };
        format!("/sign-in?next={}", percent_encode(&here))
    };
    view! {
        <section class="card narrow">
            <p>{t!(i18n, error_sign_in_required)}</p>
            <a class="button" href=href data-testid="sign-in-prompt">{t!(i18n, nav_sign_in)}</a>
        </section>
    }
}

/// Percent-encodes everything but unreserved characters and `/`, for a URL in a query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page title that follows the language in the browser. On the server it is read once, while
/// the page renders: leptos_meta reads titles again when it assembles the response, possibly on
/// another thread after the page's reactive owner is gone (seen under concurrent renders).
pub fn page_title(
    text: impl Fn() -> String + Send + Sync + 'static,
) -> leptos::text_prop::TextProp {
    #[cfg(feature = "ssr")]
    {
        leptos::text_prop::TextProp::from(untrack(text))
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::text_prop::TextProp::from(text)
    }
}

pub fn format_date(ms: i64) -> String {
    // Civil date from Unix days (Howard Hinnant's algorithm), UTC; no time crate in the wasm.
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix milliseconds.
pub fn format_time(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!(
        "{} {:02}:{:02} UTC",
        format_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// `YYYY-MM-DD` to Unix days (the inverse of `format_date`); `None` for anything else,
/// including impossible dates like 2026-02-30.
pub fn parse_date(input: &str) -> Option<i64> {
    let b = input.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(&b[r]).ok()?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y_adj = if m <= 2 { y - 1 } else { y };
    let era = y_adj.div_euclid(400);
    let yoe = y_adj - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Round-trip to refuse days past the month's end.
    (format_date(days * 86_400_000) == input.trim()).then_some(days)
}

/// The images chosen in the file input `input_id`, base64-encoded (none on the server, where
/// nothing is chosen); a file too large is refused under `field` before anything is sent.
pub async fn chosen_images(input_id: &str, field: &str) -> Result<Vec<String>, AppError> {
    #[cfg(feature = "hydrate")]
    {
        chosen_files_base64(input_id, field, crate::domain::upload::MAX_BYTES).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (input_id, field);
        Ok(Vec::new())
    }
}

/// Sends each image chosen in `input_id` through `send`, in order, keeping the latest answer
/// in `current` and a refusal in `errors` (shown next to the field).
pub fn upload_chosen<T, F, Fut>(
    input_id: &'static str,
    field: &'static str,
    current: RwSignal<T>,
    errors: RwSignal<Option<AppError>>,
    send: F,
) where
    T: Send + Sync + 'static,
    F: Fn(String) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<Reply<T>, AppError>> + 'static,
{
    leptos::task::spawn_local(async move {
        let files = match chosen_images(input_id, field).await {
            Ok(f) => f,
            Err(e) => return errors.set(Some(e)),
        };
        for file in files {
            match send(file).await {
                Ok(Ok(value)) => {
                    errors.set(None);
                    current.set(value);
                }
                Ok(Err(e)) | Err(e) => errors.set(Some(e)),
            }
        }
    });
}

/// Each file chosen in the file input with this id, read and base64-encoded, in order. Files
/// over `max_bytes` are refused here as a courtesy (the server checks again).
#[cfg(feature = "hydrate")]
pub async fn chosen_files_base64(
    input_id: &str,
    field: &str,
    max_bytes: usize,
) -> Result<Vec<String>, AppError> {
    use base64::Engine;
    use wasm_bindgen::JsCast;
    let Some(input) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(input_id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Ok(Vec::new());
    };
    let Some(files) = input.files() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for i in 0..files.length() {
        let Some(file) = files.get(i) else { continue };
        if file.size() > max_bytes as f64 {
            return Err(AppError::field(
                field,
                crate::error::FieldError::FileTooLarge {
                    max_mb: (max_bytes / 1024 / 1024) as u32,
                },
            ));
        }
        let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| AppError::field(field, crate::error::FieldError::FileUnreadable))?;
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        out.push(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_iso_dates_and_refuses_impossible_ones() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2026-11-25"), Some(20_782));
        assert_eq!(super::parse_date("2000-02-29"), Some(11_016));
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-11-25",
            "2026/11/25",
            "",
            "2026-1-5x",
        ] {
            assert_eq!(super::parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_unix_milliseconds_as_iso_dates() {
        assert_eq!(super::format_date(0), "1970-01-01");
        assert_eq!(super::format_date(951_782_400_000), "2000-02-29");
        assert_eq!(super::format_date(1_795_564_800_000), "2026-11-25");
    }
}
