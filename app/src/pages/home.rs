use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::use_i18n;
use crate::tracking::track_page::TrackBox;

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
