//! Small building blocks shared by the pages: [`Loaded`], which loads a page's data and shows
//! the page its error calls for; [`QueryForm`], a filter form beside it; form fields that show their server-side error next to them;
//! the error banner; the error pages. The guard for pages that need a signed-in user is
//! `accounts::pages::RequireRole`, with the roles it reads.

pub mod errors;

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{AppError, Reply};

/// Shared with the server side, defined in `domain`.
pub use crate::domain::{format_date, format_time, parse_date, percent_encode};
use crate::i18n::{use_i18n, Locale};

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

/// The banner with a refused form's message. `id`, when given, is for the `aria-describedby`
/// of a control whose error it shows (a file input, a group of choices with no error of its
/// own underneath).
#[component]
pub fn FormError(
    message: Signal<Option<String>>,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="banner banner-error" id=id.clone() role="alert" data-testid="form-error">
                {move || message.get()}
            </p>
        </Show>
    }
}

/// Loads a page's data: the placeholder (`fallback`, "Loading…" unless given) while `resource`
/// loads, then `children` with its value, or the page its error calls for
/// ([`errors::error_page`]: not found, forbidden, a sign-in prompt, unavailable or offline with
/// a button that loads again, refused, the server's fault). A page that words a refused request
/// itself (a filter's fields) passes `refused`, which gets the errors
/// [`errors::is_refusal`] names.
///
/// With `inline`, for a part of a page that loads its own data (a dashboard's side card, a
/// panel that opens): its error is a line in its place ([`errors::error_line`]), with the same
/// button where loading again may help, and the rest of the page stays as it is.
///
/// A `Suspense`, which shows the placeholder again while the data reloads; with `transition`, a
/// `Transition`, which keeps what is shown until the new data is in.
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    children: F,
    #[prop(optional)] transition: bool,
    #[prop(optional, into)] fallback: Option<ViewFnOnce>,
    #[prop(optional)] refused: Option<fn(AppError) -> AnyView>,
    #[prop(optional)] inline: bool,
) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let fallback = fallback.unwrap_or_else(|| {
        ViewFnOnce::from(move || view! { <p class="muted">{t!(i18n, loading)}</p> })
    });
    let body = move || {
        let children = children.clone();
        Suspend::new(async move {
            match resource.await {
                Ok(data) => children(data).into_any(),
                Err(e) => match refused {
                    Some(words) if errors::is_refusal(&e) => words(e),
                    _ => {
                        let retry = view! {
                            <button type="button" class="button button-primary" data-testid="retry"
                                on:click=move |_| resource.refetch()>
                                {t!(i18n, try_again)}
                            </button>
                        }
                        .into_any();
                        if inline {
                            errors::error_line(e, Some(retry))
                        } else {
                            errors::error_page(e, Some(retry))
                        }
                    }
                },
            }
        })
    };
    if transition {
        view! { <Transition fallback=fallback>{body}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback=fallback>{body}</Suspense> }.into_any()
    }
}

/// A form that asks for the data `resource` loads (a filter, a search), whose fields show what
/// the server refused of that request: `children` gets a signal of the refusal
/// ([`errors::is_refusal`]) in the latest answer, or `None`. The form is rendered once, the same
/// on the server and at hydration, so nothing the user types is rebuilt away while new data
/// loads; the refusal reaches the fields from the browser (an effect), and until then the
/// answer's own banner ([`Loaded`]'s `refused`) names every field. The data itself, and any
/// other error, are for a [`Loaded`] beside it.
#[component]
pub fn QueryForm<T, V, F>(resource: Resource<Result<T, AppError>>, children: F) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: FnOnce(Signal<Option<AppError>>) -> V,
    V: IntoView + 'static,
{
    let refused = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(answer) = resource.get() {
            refused.set(answer.err().filter(errors::is_refusal));
        }
    });
    children(refused.into())
}

/// A labelled input with its hint and its error underneath, linked for screen readers.
#[component]
pub fn Field(
    #[prop(into)] name: String,
    #[prop(into)] label: Signal<&'static str>,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into, optional)] hint: Option<Signal<&'static str>>,
    /// An example inside the empty input (a search's), where a hint underneath would be too much.
    #[prop(into, optional)]
    placeholder: Option<Signal<&'static str>>,
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
    // Only what is there: a hint is optional.
    let described = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
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
                placeholder=placeholder.map(|p| move || p.get())
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

/// A labelled text area bound to a signal, with its error underneath (linked for screen
/// readers).
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] label: Signal<&'static str>,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = 3)] rows: usize,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{move || label.get()}</label>
            <textarea
                id=id
                rows=rows
                maxlength=maxlength
                disabled=move || disabled.is_some_and(|d| d.get())
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=invalid(error)
                aria-describedby=error_id.clone()
            ></textarea>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// `aria-invalid` of a form control whose error is `error`: for the controls that are not a
/// [`Field`], an [`Input`] or a [`TextArea`] (a select, a file input, a group of choices), whose
/// error paragraph carries the id their `aria-describedby` names.
pub fn invalid(
    error: Signal<Option<String>>,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || {
        if error.with(Option::is_some) {
            "true"
        } else {
            "false"
        }
    }
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
