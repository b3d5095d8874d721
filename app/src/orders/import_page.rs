//! Bulk import page: choose a CSV, see every row's problems by line and column, book the valid
//! rows in chunks with a progress bar; an interrupted run resumes without booking twice.

use leptos::prelude::*;
use leptos_meta::Title;

use super::pages::money;
use super::{book_import_rows, ImportOutcome, ImportPreview, ImportRow, IMPORT_CHUNK};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::error::AppError;
use crate::i18n::{fill, use_i18n};
use crate::ui::{error_for, FormError};

/// Error rows listed on the page; the rest are counted (a 10,000-row file must stay usable).
const SHOWN_ERRORS: usize = 200;
const SHOWN_VALID: usize = 20;

#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().import_title.to_string()) />
        <h1>{t!(i18n, import_title)}</h1>
        <p class="lead">{t!(i18n, import_lead)}</p>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <Importer /> } />
    }
}

#[derive(Clone, Copy)]
struct State {
    reading: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
    preview: RwSignal<Option<ImportPreview>>,
    /// Rows handed to the booking calls so far, and how many there are.
    done: RwSignal<usize>,
    total: RwSignal<usize>,
    running: RwSignal<bool>,
    outcomes: RwSignal<Vec<ImportOutcome>>,
}

#[component]
fn Importer() -> impl IntoView {
    let i18n = use_i18n();
    let state = State {
        reading: RwSignal::new(false),
        error: RwSignal::new(None),
        preview: RwSignal::new(None),
        done: RwSignal::new(0),
        total: RwSignal::new(0),
        running: RwSignal::new(false),
        outcomes: RwSignal::new(Vec::new()),
    };
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            state.preview.set(None);
            state.outcomes.set(Vec::new());
            state.done.set(0);
            state.error.set(None);
            if file.size() > super::IMPORT_MAX_BYTES as f64 {
                state.error.set(Some(AppError::field(
                    "file",
                    crate::error::FieldError::FileTooLarge {
                        max_mb: (super::IMPORT_MAX_BYTES / 1024 / 1024) as u32,
                    },
                )));
                return;
            }
            state.reading.set(true);
            leptos::task::spawn_local(async move {
                use base64::Engine;
                let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                    Err(_) => {
                        state.reading.set(false);
                        state.error.set(Some(AppError::field(
                            "file",
                            crate::error::FieldError::FileUnreadable,
                        )));
                        return;
                    }
                };
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                match super::preview_import(encoded).await {
                    Ok(Ok(p)) => {
                        state.total.set(p.valid);
                        state.preview.set(Some(p));
                    }
                    Ok(Err(e)) | Err(e) => state.error.set(Some(e)),
                }
                state.reading.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let run = move || {
        let Some(preview) = state.preview.get_untracked() else {
            return;
        };
        let rows: Vec<_> = preview
            .rows
            .iter()
            .filter_map(|r| r.booking.clone().map(|b| (r.line, b)))
            .collect();
        state.running.set(true);
        state.error.set(None);
        leptos::task::spawn_local(async move {
            // Resumes where an interrupted run stopped; the batch key keeps resends harmless.
            let mut start = state.done.get_untracked();
            while start < rows.len() {
                let end = (start + IMPORT_CHUNK).min(rows.len());
                match book_import_rows(preview.batch_key.clone(), rows[start..end].to_vec()).await {
                    Ok(mut outcomes) => {
                        state.outcomes.update(|o| o.append(&mut outcomes));
                        state.done.set(end);
                        start = end;
                    }
                    Err(e) => {
                        state.error.set(Some(e));
                        break;
                    }
                }
            }
            state.running.set(false);
        });
    };
    let file_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        state.error.with(|e| {
            e.as_ref().map(|e| match e.field_error("file") {
                Some(f) => f.message(locale),
                None => e.message(locale),
            })
        })
    });
    // The file's own refusal (too large, unreadable, not a CSV with the columns): the banner
    // and the missing columns then describe the file input.
    let file_refused = error_for(state.error, "file".into());
    let missing_columns = move || {
        state.error.with(|e| {
            e.as_ref()
                .and_then(|e| e.fields())
                .map(|f| {
                    f.keys()
                        .filter_map(|k| k.strip_prefix("columns."))
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <div class="card">
            <div class="field">
                <label for="i-file">{t!(i18n, import_choose)}</label>
                <input id="i-file" type="file" accept=".csv,text/csv" data-testid="import-file"
                    aria-describedby=move || {
                        file_refused.with(Option::is_some).then_some("i-file-error i-file-columns")
                    }
                    aria-invalid=crate::ui::invalid(file_refused)
                    disabled=move || state.running.get() on:change=on_file />
                <p class="hint">
                    {t!(i18n, import_hint)} " "
                    <a href="/api/v1/shipments/import/template.csv" download data-testid="import-template">
                        {t!(i18n, import_template)}
                    </a>
                </p>
            </div>
            <Show when=move || state.reading.get()>
                <p class="muted" role="status">{t!(i18n, import_reading)}</p>
            </Show>
            <FormError message=file_error id="i-file-error" />
            <Show when=move || !missing_columns().is_empty()>
                <p class="field-error" id="i-file-columns" data-testid="import-missing-columns">
                    {move || missing_columns().join(", ")}
                </p>
            </Show>
        </div>
        {move || state.preview.get().map(|p| view! { <Preview p=p state=state run=run /> })}
    }
}

#[component]
fn Preview(
    p: ImportPreview,
    state: State,
    run: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let (valid, invalid) = (p.valid, p.invalid);
    let currency = p.currency.clone();
    let sum: i64 = p.rows.iter().filter_map(|r| r.total).sum();
    let sum_text = money(sum, &currency);
    let error_rows: Vec<_> = p
        .rows
        .iter()
        .filter(|r| !r.errors.is_empty())
        .cloned()
        .collect();
    let more_errors = error_rows.len().saturating_sub(SHOWN_ERRORS);
    let valid_rows: Vec<_> = p
        .rows
        .iter()
        .filter(|r| r.errors.is_empty())
        .take(SHOWN_VALID)
        .cloned()
        .collect();
    let encoding = p.encoding.clone();
    let finished =
        move || state.done.get() == state.total.get() && !state.outcomes.with(Vec::is_empty);
    let booked = move || {
        state
            .outcomes
            .with(|o| o.iter().filter(|r| r.tracking_number.is_some()).count())
    };
    let failed_at_booking = move || {
        state.outcomes.with(|o| {
            o.iter()
                .filter(|r| r.tracking_number.is_none())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card" data-testid="import-preview">
            <h2>{t!(i18n, import_preview)}</h2>
            <p data-testid="import-summary">
                {move || fill(i18n.get().import_summary, &[("valid", &valid.to_string()), ("invalid", &invalid.to_string())])}
                {(encoding == "gbk").then(|| view! { " " <span class="muted">{t!(i18n, import_read_as_gbk)}</span> })}
            </p>
            {(!error_rows.is_empty()).then(|| view! {
                <ImportErrorTable error_rows=error_rows more_errors=more_errors />
            })}
            {(valid > 0).then(|| view! {
                <h3>{t!(i18n, import_ready)}</h3>
                <ul class="plain import-valid">
                    {valid_rows.into_iter().map(|r| view! {
                        <li>
                            {format!("{} · ", r.line)}
                            {r.reference.clone().map(|x| format!("{x} · "))}
                            {r.recipient.clone()}
                            {r.service.map(|s| view! { " · " {move || s.label(i18n.get())} })}
                            {r.total.map(|t| format!(" · {}", money(t, &currency)))}
                        </li>
                    }).collect_view()}
                </ul>
                <p><strong>{move || fill(i18n.get().import_total, &[("total", &sum_text)])}</strong></p>
                <Show when=move || !finished()>
                    <button type="button" class="button button-primary" data-testid="import-book"
                        disabled=move || state.running.get()
                        on:click=move |_| run()>
                        {move || if state.done.get() > 0 {
                            i18n.get().import_resume.to_string()
                        } else {
                            fill(i18n.get().import_book, &[("n", &valid.to_string())])
                        }}
                    </button>
                </Show>
            })}
            <Show when=move || state.running.get() || (state.done.get() > 0)>
                <div class="progress" role="status">
                    <progress max=move || state.total.get().to_string() value=move || state.done.get().to_string()
                        data-testid="import-progress"></progress>
                    <span>{move || fill(i18n.get().import_progress, &[("done", &state.done.get().to_string()), ("total", &state.total.get().to_string())])}</span>
                </div>
            </Show>
            <Show when=finished>
                <p class="banner banner-ok" data-testid="import-done">
                    {move || fill(i18n.get().import_done, &[("n", &booked().to_string())])} " "
                    <a href="/shipments">{t!(i18n, shipments_title)}</a>
                </p>
                {move || {
                    let failed = failed_at_booking();
                    (!failed.is_empty()).then(|| view! {
                        <ul class="plain field-error">
                            {failed.into_iter().flat_map(|o| o.errors).map(|e| view! {
                                <li>{format!("{} · {} · {}", e.line, e.column, e.message)}</li>
                            }).collect_view()}
                        </ul>
                    })
                }}
            </Show>
        </section>
    }
}

/// The rows' problems by line and column (the first [`SHOWN_ERRORS`]; the rest counted).
#[component]
fn ImportErrorTable(error_rows: Vec<ImportRow>, more_errors: usize) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h3>{t!(i18n, import_errors)}</h3>
        <div class="table-scroll">
            <table class="table" data-testid="import-errors">
                <thead><tr>
                    <th>{t!(i18n, import_line)}</th>
                    <th>{t!(i18n, import_column)}</th>
                    <th>{t!(i18n, import_problem)}</th>
                </tr></thead>
                <tbody>
                    {error_rows.iter().take(SHOWN_ERRORS).flat_map(|r| r.errors.clone()).map(|e| {
                        let column = e.column.clone();
                        view! {
                        <tr data-testid="import-error" data-line=e.line.to_string() data-column=column>
                            <td>{e.line}</td>
                            <td><code>{e.column}</code></td>
                            <td>{e.message}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
        {(more_errors > 0).then(|| view! {
            <p class="muted">{move || fill(i18n.get().import_more_errors, &[("n", &more_errors.to_string())])}</p>
        })}
        <p class="hint">{t!(i18n, import_fix_hint)}</p>
    }
}
