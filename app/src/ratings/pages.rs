//! The rating page: opened from the delivered notification's signed link (no sign-in) or by the
//! shipper. Stars and send are the two taps; tags, a comment and the recommendation question
//! are optional. A low score offers a complaint with the shipment filled in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{load_rating, save_rating, Csat, LinkProof, Nps, RatingInput, RatingTag, RatingView};
use crate::error::AppError;
use crate::i18n::{fill, use_i18n};
use crate::ui::{error_for, format_date, invalid, FormError, Loaded, TextArea};

/// Why the shipment cannot be rated here, in the reader's words: the link's own reason where
/// the link is at fault (expired, another shipment's).
fn refusal(e: AppError) -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="banner banner-error" data-testid="rate-error">
            {move || match e.field_error("link") {
                Some(f) => f.message(i18n.locale.get()),
                None => e.message(i18n.locale.get()),
            }}
        </p>
    }
    .into_any()
}

#[component]
pub fn RatePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let tn = Memo::new(move |_| {
        params.with(|p| {
            p.get("tracking_number")
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
    });
    let proof = Memo::new(move |_| {
        query.with(|q| LinkProof {
            exp: q.get("exp").and_then(|e| e.parse().ok()),
            sig: q.get("sig"),
        })
    });
    let view = Resource::new(
        move || (tn.get(), proof.get()),
        |(tn, p)| load_rating(tn, p),
    );
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().rate_title.to_string()) />
        <h1>{t!(i18n, rate_title)}</h1>
        <Loaded resource=view refused=refusal let:v>
            <RatingForm initial=v proof=proof.get_untracked() />
        </Loaded>
    }
}

#[component]
fn RatingForm(initial: RatingView, proof: LinkProof) -> impl IntoView {
    let i18n = use_i18n();
    let current = RwSignal::new(initial.clone());
    let existing = initial.rating.clone();
    let csat = RwSignal::new(existing.as_ref().map(|r| r.csat.get()));
    let nps = RwSignal::new(existing.as_ref().and_then(|r| r.nps.map(|n| n.get())));
    let tags = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.tags.clone())
            .unwrap_or_default(),
    );
    let comment = RwSignal::new(
        existing
            .as_ref()
            .and_then(|r| r.comment.clone())
            .unwrap_or_default(),
    );
    let errors = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let tn = initial.tracking_number.clone();
    let save = Action::new(move |input: &RatingInput| {
        let (tn, proof, input) = (tn.clone(), proof.clone(), input.clone());
        async move { save_rating(tn, proof, input).await }
    });
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result.and_then(|r| r) {
                Ok(v) => {
                    errors.set(None);
                    saved.set(true);
                    current.set(v);
                }
                Err(e) => {
                    saved.set(false);
                    errors.set(Some(e));
                }
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(stars) = csat.get_untracked() else {
            errors.set(Some(AppError::field(
                "csat",
                crate::error::FieldError::Required,
            )));
            return;
        };
        let (Ok(c), n) = (
            Csat::parse(i64::from(stars)),
            nps.get_untracked().map(|n| Nps::parse(i64::from(n))),
        ) else {
            return;
        };
        save.dispatch(RatingInput {
            csat: c,
            nps: n.and_then(Result::ok),
            tags: tags.get_untracked(),
            comment: Some(comment.get_untracked()),
        });
    };
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| {
                    e.fields().is_none()
                        || e.field_error("rating").is_some()
                        || e.field_error("status").is_some()
                })
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let csat_error = error_for(errors, "csat".into());
    let comment_error = error_for(errors, "comment".into());
    let summary = initial.clone();
    view! {
        <section class="card" data-testid="rate-shipment">
            <p class="tracking-number">{summary.tracking_number.clone()}</p>
            <p class="muted">
                {format!("{} → {}", summary.origin_city, summary.destination_city)}
                {summary.delivered_at.map(|d| view! { " · " {move || i18n.get().rate_delivered_on} " " {format_date(d)} })}
            </p>
        </section>
        <Show when=move || current.with(|c| !c.can_rate) >
            <p class="banner" data-testid="rate-closed">
                {move || if current.with(|c| c.rating.is_some()) { i18n.get().rate_locked } else { i18n.get().rate_not_yet }}
            </p>
        </Show>
        <form class="card rate-form" on:submit=submit novalidate>
            <FormError message=form_error />
            <CsatField csat=csat current=current saved=saved csat_error=csat_error />
            <TagsField tags=tags current=current />
            <TextArea id="rate-comment" maxlength=1000 value=comment error=comment_error
                disabled=Signal::derive(move || !current.with(|c| c.can_rate))
                label=Signal::derive(move || i18n.get().rate_comment) />
            <NpsField nps=nps current=current saved=saved />
            <button type="submit" class="button button-primary" data-testid="rate-submit"
                disabled=move || save.pending().get() || !current.with(|c| c.can_rate)>
                {move || if current.with(|c| c.rating.is_some()) { i18n.get().rate_update } else { i18n.get().rate_send }}
            </button>
        </form>
        <Show when=move || saved.get()>
            <p class="banner banner-ok" role="status" data-testid="rate-thanks">{t!(i18n, rate_thanks)}</p>
        </Show>
        <Show when=move || current.with(|c| c.offers_complaint)>
            <section class="card" data-testid="rate-complaint-offer">
                <p>{t!(i18n, rate_sorry)}</p>
                <a class="button button-secondary" data-testid="rate-open-complaint"
                    href=move || format!("/complaints/new?tn={}", current.with(|c| c.tracking_number.clone()))>
                    {t!(i18n, rate_open_complaint)}
                </a>
            </section>
        </Show>
    }
}

/// The required question: one to five stars.
#[component]
fn CsatField(
    csat: RwSignal<Option<u8>>,
    current: RwSignal<RatingView>,
    saved: RwSignal<bool>,
    csat_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="field" class:has-error=move || csat_error.get().is_some()>
            <legend>{t!(i18n, rate_csat)}</legend>
            <div class="stars" role="radiogroup" aria-label=move || i18n.get().rate_csat
                aria-describedby="rate-csat-error" aria-invalid=invalid(csat_error)>
                {(1u8..=5).map(|n| view! {
                    <button type="button" class="star" role="radio"
                        aria-checked=move || if csat.get() == Some(n) { "true" } else { "false" }
                        class:on=move || csat.get().is_some_and(|c| c >= n)
                        aria-label=move || fill(i18n.get().rate_stars, &[("n", &n.to_string())])
                        data-testid=format!("star-{n}")
                        disabled=move || !current.with(|c| c.can_rate)
                        on:click=move |_| { csat.set(Some(n)); saved.set(false); }>
                        "★"
                    </button>
                }).collect_view()}
            </div>
            <p class="field-error" id="rate-csat-error" aria-live="polite">{move || csat_error.get()}</p>
        </fieldset>
    }
}

/// What went well or badly, as chips to tick.
#[component]
fn TagsField(tags: RwSignal<Vec<RatingTag>>, current: RwSignal<RatingView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="field">
            <legend>{t!(i18n, rate_tags)}</legend>
            <div class="chips">
                {RatingTag::ALL.into_iter().map(|tag| view! {
                    <label class="chip" class:on=move || tags.with(|t| t.contains(&tag))>
                        <input type="checkbox"
                            checked=move || tags.with(|t| t.contains(&tag))
                            disabled=move || !current.with(|c| c.can_rate)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                tags.update(|t| { t.retain(|x| *x != tag); if on { t.push(tag); } });
                            } />
                        {move || tag.label(i18n.get())}
                    </label>
                }).collect_view()}
            </div>
        </fieldset>
    }
}

/// The optional recommendation question: zero to ten.
#[component]
fn NpsField(
    nps: RwSignal<Option<u8>>,
    current: RwSignal<RatingView>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="field">
            <legend>{t!(i18n, rate_nps)}</legend>
            <div class="nps" role="radiogroup" aria-label=move || i18n.get().rate_nps>
                {(0u8..=10).map(|n| view! {
                    <button type="button" class="nps-score" role="radio"
                        aria-checked=move || if nps.get() == Some(n) { "true" } else { "false" }
                        class:on=move || nps.get() == Some(n)
                        data-testid=format!("nps-{n}")
                        disabled=move || !current.with(|c| c.can_rate)
                        on:click=move |_| { nps.set(Some(n)); saved.set(false); }>
                        {n}
                    </button>
                }).collect_view()}
            </div>
            <p class="hint nps-ends"><span>{t!(i18n, rate_nps_low)}</span><span>{t!(i18n, rate_nps_high)}</span></p>
        </fieldset>
    }
}
