use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::use_i18n;

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

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text="" />
        <section class="hero">
            <h1>{t!(i18n, hero_title)}</h1>
            <p class="lead">{t!(i18n, hero_lead)}</p>
            <TrackBox />
        </section>
        <section class="features">
            <article class="card">
                <h2>{t!(i18n, feature_book_title)}</h2>
                <p>{t!(i18n, feature_book_body)}</p>
            </article>
            <article class="card">
                <h2>{t!(i18n, feature_track_title)}</h2>
                <p>{t!(i18n, feature_track_body)}</p>
            </article>
            <article class="card">
                <h2>{t!(i18n, feature_care_title)}</h2>
                <p>{t!(i18n, feature_care_body)}</p>
            </article>
        </section>
        <section class="card cta">
            <h2>{t!(i18n, cta_business)}</h2>
            <p>{t!(i18n, cta_business_body)}</p>
            <a class="button button-primary" href="/sign-up">{t!(i18n, nav_sign_up)}</a>
        </section>
    }
}
