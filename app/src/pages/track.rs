use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::TrackingNumber;
use crate::i18n::use_i18n;
use crate::pages::home::TrackBox;

/// At most this many numbers per look-up, as with the big carriers' multi-track boxes.
const MAX_NUMBERS: usize = 20;

/// Splits what was typed into candidate numbers: spaces (and `+`, a space in a form-encoded
/// URL), commas, semicolons or new lines, ASCII or full-width.
pub fn split_numbers(input: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for part in input.split(|c: char| c.is_whitespace() || ",;+，；".contains(c)) {
        let part = part.trim().to_ascii_uppercase();
        if !part.is_empty() && !seen.contains(&part) {
            seen.push(part);
        }
    }
    seen.truncate(MAX_NUMBERS);
    seen
}

#[component]
pub fn TrackPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let raw = move || query.with(|q| q.get("q").unwrap_or_default());
    view! {
        <Title text=t!(i18n, track_title) />
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
                    <ul class="result-list">
                        {numbers
                            .into_iter()
                            .map(|n| {
                                let valid = TrackingNumber::parse(&n).is_ok();
                                view! {
                                    <li class="card result" data-testid="track-result">
                                        <p class="mono">{n}</p>
                                        {if valid {
                                            view! { <p>{t!(i18n, track_not_found)}</p> }.into_any()
                                        } else {
                                            view! {
                                                <p class="field-error">{t!(i18n, track_invalid)}</p>
                                            }
                                                .into_any()
                                        }}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
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
        assert_eq!(split_numbers(&many).len(), MAX_NUMBERS);
    }
}
