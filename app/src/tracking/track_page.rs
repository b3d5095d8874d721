//! The track box (the tracking-number form of the home page, the dashboard and this page) and
//! several parcels at once from it. The page is rendered on the server only: it ships no wasm
//! (see `page_scripts`), its box is a plain GET form.

use leptos::prelude::*;

use crate::i18n::use_i18n;

#[cfg(feature = "ssr")]
pub use served::TrackPage;

/// The track box: a GET form, so it works before the wasm loads and the URL can be shared.
#[component]
pub fn TrackBox(#[prop(optional, into)] initial: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form class="track-box" method="get" action="/track" role="search">
            <label for="track-q">{t!(i18n, track_label)}</label>
            <div class="track-row">
                <input
                    id="track-q"
                    name="q"
                    type="search"
                    inputmode="text"
                    autocapitalize="characters"
                    autocomplete="off"
                    spellcheck="false"
                    required
                    value=initial
                    placeholder=t!(i18n, track_placeholder)
                    aria-describedby="track-hint"
                />
                <button type="submit" class="button button-primary">{t!(i18n, track_button)}</button>
            </div>
            <p class="hint" id="track-hint">{t!(i18n, track_hint)}</p>
        </form>
    }
}

/// Splits what was typed into candidate numbers: spaces (and `+`, a space in a form-encoded
/// URL), commas, semicolons or new lines, ASCII or full-width.
#[cfg(feature = "ssr")]
pub fn split_numbers(input: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for part in input.split(|c: char| c.is_whitespace() || ",;+，；".contains(c)) {
        let part = part.trim().to_ascii_uppercase();
        if !part.is_empty() && !seen.contains(&part) {
            seen.push(part);
        }
    }
    seen.truncate(crate::tracking::MAX_NUMBERS);
    seen
}

#[cfg(feature = "ssr")]
mod served {
    use leptos::prelude::*;
    use leptos_meta::Title;
    use leptos_router::hooks::use_query_map;

    use super::{split_numbers, TrackBox};
    use crate::domain::TrackingNumber;
    use crate::i18n::{fill, use_i18n};
    use crate::tracking::{pages::promised_text, track_many};

    #[component]
    pub fn TrackPage() -> impl IntoView {
        let i18n = use_i18n();
        let query = use_query_map();
        let raw = move || query.with(|q| q.get("q").unwrap_or_default());
        view! {
            <Title text=crate::ui::page_title(move || i18n.get().track_title.to_string()) />
            <section class="hero hero-compact">
                <h1>{t!(i18n, track_title)}</h1>
                {move || view! { <TrackBox initial=raw() /> }}
            </section>
            <section aria-live="polite">
                {move || {
                    let numbers = split_numbers(&raw());
                    if numbers.is_empty() {
                        return view! { <p class="muted">{t!(i18n, track_none_given)}</p> }.into_any();
                    }
                    view! {
                        <h2>{t!(i18n, track_results)}</h2>
                        <TrackResults numbers=numbers />
                    }
                        .into_any()
                }}
            </section>
        }
    }

    /// Each number's status, route and expected delivery, with a link to its page; invalid and
    /// unknown numbers say so.
    #[component]
    fn TrackResults(numbers: Vec<String>) -> impl IntoView {
        let i18n = use_i18n();
        let valid: Vec<String> = numbers
            .iter()
            .filter(|n| TrackingNumber::parse(n).is_ok())
            .cloned()
            .collect();
        // Rendered on the server only (the page ships no wasm): nothing to serialise.
        let found = AsyncDerived::new(move || track_many(valid.clone()));
        let numbers = StoredValue::new(numbers);
        view! {
            <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    // A failed look-up is the page its error calls for, not "unknown" for
                    // every number.
                    let results = match found.await {
                        Ok(results) => results,
                        Err(e) => return crate::ui::errors::error_page(e, None),
                    };
                    let mut results = results.into_iter();
                    view! {
                        <ul class="result-list">
                            {numbers.get_value().into_iter().map(|n| {
                                let body = if TrackingNumber::parse(&n).is_err() {
                                    view! { <p class="field-error">{t!(i18n, track_invalid)}</p> }.into_any()
                                } else {
                                    match results.next().flatten() {
                                        None => view! { <p>{t!(i18n, track_not_found)}</p> }.into_any(),
                                        Some(s) => {
                                            let href = format!("/track/{}", s.tracking_number);
                                            let route = (s.origin_city.clone(), s.destination_city.clone());
                                            view! {
                                                <p><strong>{move || s.status.label(i18n.get())}</strong> " · "
                                                    {move || fill(i18n.get().trk_route, &[("from", &route.0), ("to", &route.1)])}</p>
                                                <p class="muted">{move || format!("{}: {}", i18n.get().trk_expected, promised_text(
                                                    i18n.get(), s.delivery_slot.as_ref(), s.pickup_point.as_deref(), &s.promised_from, &s.promised_to))}</p>
                                                <p><a href=href>{t!(i18n, track_details)}</a></p>
                                            }.into_any()
                                        }
                                    }
                                };
                                view! {
                                    <li class="card result" data-testid="track-result">
                                        <p class="mono">{n}</p>
                                        {body}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })}
            </Suspense>
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn splits_on_any_separator_and_drops_duplicates() {
        assert_eq!(
            split_numbers(" rr473124829fr, RR473124829FR;\nAB1；CD2，EF3+RR473124829FR"),
            vec!["RR473124829FR", "AB1", "CD2", "EF3"]
        );
        assert_eq!(split_numbers(&"X ".repeat(5)), vec!["X"]);
        let many: String = (0..30).map(|i| format!("N{i} ")).collect();
        assert_eq!(split_numbers(&many).len(), crate::tracking::MAX_NUMBERS);
    }
}
