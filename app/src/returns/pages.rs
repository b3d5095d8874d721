//! Return pages: the customer's list, the request form (the shipper signed in, or the recipient
//! by the tracking page's signed link), and one return's page with its steps, label, photos and,
//! for agents, the decision and the refund.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    add_return_photo, decide_return, get_return, load_return_options, my_returns, refund_return,
    request_return, RefundInput, Return, ReturnDecision, ReturnItem, ReturnLink, ReturnMethod,
    ReturnOptions, ReturnReason, ReturnRequest, ReturnStatus, ReturnSummary,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::use_auth;
use crate::accounts::Role;
use crate::domain::money;
use crate::error::{AppError, Reply};
use crate::i18n::{fill, use_i18n};
use crate::slots::pages::{window_text, SlotPicker};
use crate::slots::SlotList;
use crate::ui::{error_for, format_date, format_time, invalid, FormError, Loaded, TextArea};

/// Input id of the photo picker.
const PHOTO_INPUT: &str = "return-photos";
/// The photos' hint and error, which the file input's `aria-describedby` names.
const PHOTO_HINT: &str = "return-photos-hint";
const PHOTO_ERROR: &str = "return-photos-error";

fn link_query(link: &ReturnLink) -> String {
    match (link.exp, &link.sig) {
        (Some(exp), Some(sig)) => format!("?exp={exp}&sig={sig}"),
        _ => String::new(),
    }
}

fn link_from_query() -> Memo<ReturnLink> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| ReturnLink {
            exp: q.get("exp").and_then(|e| e.parse().ok()),
            sig: q.get("sig"),
        })
    })
}

#[component]
pub fn ReturnsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().returns_title.to_string()) />
        <h1>{t!(i18n, returns_title)}</h1>
        <p class="lead">{t!(i18n, returns_lead)}</p>
        <RequireRole roles=&[Role::Customer] children=move |_| {
            let list = Resource::new(|| (), |_| my_returns());
            view! {
                <Loaded resource=list let:rows>
                    <ReturnList rows=rows />
                </Loaded>
            }
        } />
    }
}

#[component]
pub fn ReturnList(
    rows: Vec<ReturnSummary>,
    /// In the agents' queue: the time to tell overdue from due.
    #[prop(optional)]
    queue_now: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="returns-empty">{t!(i18n, returns_none)}</p> }
            .into_any();
    }
    let queue = queue_now.is_some();
    let now = queue_now.unwrap_or_default();
    view! {
        <ul class="cards" data-testid="returns-list">
            {rows.into_iter().map(|r| {
                let overdue = queue && r.due_at < now;
                let tier = r.tier.clone();
                view! {
                    <li class="card row-card" class:overdue=overdue>
                        <a href=format!("/returns/{}", r.id) data-testid="return-link">
                            <strong>{move || fill(i18n.get().return_number, &[("id", &r.id.to_string())])}</strong>
                        </a>
                        <span class="badge">{move || r.status.label(i18n.get())}</span>
                        <span class="muted">{r.tracking_number.clone()} " · " {move || r.reason.label(i18n.get())}</span>
                        {queue.then(|| view! {
                            <span class="muted">{r.customer_name.clone()} " · " {move || tier.as_deref().map(|t| crate::domain::tier_label(i18n.get(), t))}</span>
                            <span class:due-overdue=overdue>
                                {move || if overdue { i18n.get().queue_overdue } else { i18n.get().queue_due }}
                                " " {format_time(r.due_at)}
                            </span>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Why a return cannot be requested or seen, in the reader's words: the link's own reason
/// where the link is at fault (expired, another shipment's).
fn refusal(e: AppError) -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="banner banner-error" data-testid="return-error">
            {move || e.field_error("link").map(|f| f.message(i18n.locale.get())).unwrap_or_else(|| e.message(i18n.locale.get()))}
        </p>
    }
    .into_any()
}

#[component]
pub fn NewReturnPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let tn =
        Memo::new(move |_| query.with(|q| q.get("tn").unwrap_or_default().to_ascii_uppercase()));
    let link = link_from_query();
    let options = Resource::new(
        move || (tn.get(), link.get()),
        |(tn, link)| load_return_options(tn, link),
    );
    // The form's own refusal (a link that expired) is the banner, as is a refused request.
    let form = move |reply: Reply<ReturnOptions>| match reply {
        Ok(o) => view! { <ReturnForm options=o link=link.get_untracked() /> }.into_any(),
        Err(e) => refusal(e),
    };
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().return_new_title.to_string()) />
        <h1>{t!(i18n, return_new_title)}</h1>
        <Loaded resource=options refused=refusal children=form />
    }
}

#[component]
fn ReturnForm(options: ReturnOptions, link: ReturnLink) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let chosen = RwSignal::new(
        options
            .items
            .iter()
            .filter(|i| !i.in_return)
            .map(|i| i.index)
            .collect::<Vec<u32>>(),
    );
    let reason = RwSignal::new(ReturnReason::Damaged);
    let note = RwSignal::new(String::new());
    let method = RwSignal::new(if options.slots.slots.is_empty() {
        ReturnMethod::DropOff
    } else {
        ReturnMethod::Pickup
    });
    let slot = RwSignal::new(None::<i64>);
    let point = RwSignal::new(options.drop_off_points.first().cloned().unwrap_or_default());
    let errors = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let tn = options.tracking_number.clone();
    let all_returned = options.items.iter().all(|i| i.in_return);
    let currency = options.currency.clone();
    let submit = {
        let link = link.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = ReturnRequest {
                items: chosen.get_untracked(),
                reason: reason.get_untracked(),
                note: Some(note.get_untracked()),
                method: method.get_untracked(),
                pickup_slot_id: slot.get_untracked(),
                drop_off_point: Some(point.get_untracked()),
            };
            let (tn, link, navigate) = (tn.clone(), link.clone(), navigate.clone());
            busy.set(true);
            errors.set(None);
            leptos::task::spawn_local(async move {
                let photos = match crate::ui::chosen_images(PHOTO_INPUT, "photo").await {
                    Ok(p) => p,
                    Err(e) => {
                        errors.set(Some(e));
                        busy.set(false);
                        return;
                    }
                };
                if photos.len() > crate::returns::MAX_PHOTOS {
                    errors.set(Some(AppError::field(
                        "photo",
                        crate::error::FieldError::TooMany {
                            max: crate::returns::MAX_PHOTOS,
                        },
                    )));
                    busy.set(false);
                    return;
                }
                match request_return(tn, link.clone(), request).await {
                    Ok(Ok(r)) => {
                        let view_link =
                            ReturnLink::from_path(r.view_link.as_deref()).unwrap_or(link);
                        for p in photos {
                            if let Ok(Err(e)) | Err(e) =
                                add_return_photo(r.id, view_link.clone(), p).await
                            {
                                errors.set(Some(e));
                            }
                        }
                        let to = r
                            .view_link
                            .clone()
                            .unwrap_or_else(|| format!("/returns/{}", r.id));
                        navigate(&to, Default::default());
                    }
                    Ok(Err(e)) | Err(e) => errors.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref().map(|e| {
                let locale = i18n.locale.get();
                match e.fields().and_then(|f| f.get("tracking_number")) {
                    Some(f) => f.message(locale),
                    None => e.message(locale),
                }
            })
        })
    });
    let items_error = error_for(errors, "items".into());
    let note_error = error_for(errors, "note".into());
    let slot_error = error_for(errors, "pickup_slot_id".into());
    let point_error = error_for(errors, "drop_off_point".into());
    let photo_error = error_for(errors, "photo".into());
    let slots = options.slots.clone();
    let points = options.drop_off_points.clone();
    view! {
        <section class="card">
            <p class="tracking-number">{options.tracking_number.clone()}</p>
            {options.window_ends_at.map(|w| view! {
                <p class="muted" data-testid="return-window">{move || fill(i18n.get().return_window_until, &[("date", &format_date(w))])}</p>
            })}
        </section>
        <form class="card" on:submit=submit novalidate data-testid="return-form">
            <FormError message=form_error />
            <ReturnItemsField items=options.items currency=currency chosen=chosen items_error=items_error />
            <div class="field">
                <label for="return-reason">{t!(i18n, return_reason)}</label>
                <select id="return-reason" on:change=move |ev| {
                    if let Some(r) = ReturnReason::parse(&event_target_value(&ev)) { reason.set(r) }
                }>
                    {ReturnReason::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=move || reason.get() == r>{move || r.label(i18n.get())}</option>
                    }).collect_view()}
                </select>
            </div>
            <TextArea id="return-note" maxlength=1000 value=note error=note_error
                label=Signal::derive(move || i18n.get().return_note) />
            <div class="field" class:has-error=move || photo_error.get().is_some()>
                <label for=PHOTO_INPUT>{t!(i18n, return_photos)}</label>
                <input id=PHOTO_INPUT type="file" multiple accept="image/jpeg,image/png,image/webp"
                    aria-describedby=format!("{PHOTO_HINT} {PHOTO_ERROR}") aria-invalid=invalid(photo_error) />
                <p class="hint" id=PHOTO_HINT>{t!(i18n, return_photos_hint)}</p>
                <p class="field-error" id=PHOTO_ERROR aria-live="polite" data-testid="photo-error">{move || photo_error.get()}</p>
            </div>
            <ReturnMethodFields method=method slots=slots pickup_slot=slot slot_error=slot_error
                points=points point=point point_error=point_error />
            <button type="submit" class="button button-primary" data-testid="return-submit"
                disabled=move || busy.get() || all_returned>
                {t!(i18n, return_submit)}
            </button>
        </form>
    }
}

/// The shipment's items, each ticked to go back unless it already is in a return.
#[component]
fn ReturnItemsField(
    items: Vec<ReturnItem>,
    currency: String,
    chosen: RwSignal<Vec<u32>>,
    items_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="field" class:has-error=move || items_error.get().is_some()
            aria-describedby="return-items-error">
            <legend>{t!(i18n, return_items)}</legend>
            {items.into_iter().map(|item| {
                let index = item.index;
                let currency = currency.clone();
                view! {
                    <label class="check-row">
                        <input type="checkbox" class="check" disabled=item.in_return
                            aria-invalid=invalid(items_error)
                            checked=move || chosen.with(|c| c.contains(&index))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| { c.retain(|x| *x != index); if on { c.push(index); } });
                            } />
                        <span>{item.contents.clone()}</span>
                        <span class="muted">{money(item.declared_value, &currency)}</span>
                        {item.in_return.then(|| view! { <span class="badge">{t!(i18n, return_item_in_return)}</span> })}
                    </label>
                }
            }).collect_view()}
            <p class="field-error" id="return-items-error" aria-live="polite">{move || items_error.get()}</p>
        </fieldset>
    }
}

/// How the parcel goes back: picked up in a window or dropped off at a point, and the one
/// chosen.
#[component]
fn ReturnMethodFields(
    method: RwSignal<ReturnMethod>,
    slots: SlotList,
    // Not `slot`: the view macro takes a `slot` attribute to mean a slot.
    pickup_slot: RwSignal<Option<i64>>,
    slot_error: Signal<Option<String>>,
    points: Vec<String>,
    point: RwSignal<String>,
    point_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let has_points = !points.is_empty();
    let has_slots = !slots.slots.is_empty();
    view! {
        <fieldset class="field">
            <legend>{t!(i18n, return_method)}</legend>
            <label class="check-row">
                <input type="radio" name="return-method" disabled=!has_slots
                    checked=move || method.get() == ReturnMethod::Pickup
                    on:change=move |_| method.set(ReturnMethod::Pickup) />
                {t!(i18n, return_method_pickup)}
            </label>
            <label class="check-row">
                <input type="radio" name="return-method" disabled=!has_points
                    checked=move || method.get() == ReturnMethod::DropOff
                    on:change=move |_| method.set(ReturnMethod::DropOff) />
                {t!(i18n, return_method_drop_off)}
            </label>
        </fieldset>
        <Show when=move || method.get() == ReturnMethod::Pickup>
            <div class="slot-field" class:has-error=move || slot_error.get().is_some()>
                <SlotPicker list=slots.clone() selected=pickup_slot name="return-slot"
                    described_by="return-slot-error" error=slot_error />
                <p class="field-error" id="return-slot-error" aria-live="polite">{move || slot_error.get()}</p>
            </div>
        </Show>
        <Show when=move || method.get() == ReturnMethod::DropOff>
            <div class="field" class:has-error=move || point_error.get().is_some()>
                <label for="return-point">{t!(i18n, return_point)}</label>
                <select id="return-point" on:change=move |ev| point.set(event_target_value(&ev))
                    aria-describedby="return-point-error" aria-invalid=invalid(point_error)>
                    {points.clone().into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                </select>
                <p class="field-error" id="return-point-error" aria-live="polite">{move || point_error.get()}</p>
            </div>
        </Show>
    }
}

#[component]
pub fn ReturnPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0))
    });
    let link = link_from_query();
    let loaded = Resource::new(
        move || (id.get(), link.get()),
        |(id, link)| get_return(id, link),
    );
    view! {
        <Title text=crate::ui::page_title(move || fill(i18n.get().return_number, &[("id", &id.get().to_string())])) />
        <Loaded resource=loaded refused=refusal let:r>
            <ReturnDetail initial=r link=link.get_untracked() />
        </Loaded>
    }
}

#[component]
fn ReturnDetail(initial: Return, link: ReturnLink) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let current = RwSignal::new(initial);
    let errors = RwSignal::new(None::<AppError>);
    let q = link_query(&link);
    let is_staff = Signal::derive(move || {
        auth.user
            .get()
            .and_then(|u| u.ok())
            .flatten()
            .is_some_and(|u| u.role.is_staff())
    });
    let add_photo = {
        let link = link.clone();
        move |_| {
            let (id, link) = (current.with_untracked(|r| r.id), link.clone());
            crate::ui::upload_chosen(PHOTO_INPUT, "photo", current, errors, move |p| {
                add_return_photo(id, link.clone(), p)
            });
        }
    };
    let photo_error = error_for(errors, "photo".into());
    let q2 = q.clone();
    view! {
        <h1>{move || fill(i18n.get().return_number, &[("id", &current.with(|r| r.id).to_string())])}</h1>
        <section class="card" data-testid="return-detail">
            <p>
                <span class="badge" data-testid="return-status">{move || current.with(|r| r.status.label(i18n.get()))}</span>
            </p>
            <dl class="facts">
                <dt>{t!(i18n, return_of)}</dt>
                <dd>{move || current.with(|r| {
                    let tn = r.tracking_number.clone();
                    view! { <a href=format!("/track/{tn}")>{tn.clone()}</a> }
                })}</dd>
                <dt>{t!(i18n, return_reason)}</dt>
                <dd>{move || current.with(|r| r.reason.label(i18n.get()))}</dd>
                {move || current.with(|r| r.note.clone()).map(|n| view! { <dt>{t!(i18n, return_note)}</dt><dd class="pre">{n}</dd> })}
                <dt>{t!(i18n, return_method)}</dt>
                <dd>{move || current.with(|r| match (&r.pickup_slot, &r.drop_off_point) {
                    (Some(s), _) => format!("{} · {}", i18n.get().return_method_pickup, window_text(i18n.get(), s)),
                    (None, Some(p)) => format!("{} · {p}", i18n.get().return_method_drop_off),
                    _ => String::new(),
                })}</dd>
                <dt>{t!(i18n, return_items)}</dt>
                <dd>{move || current.with(|r| r.items.iter().map(|i| i.contents.clone()).collect::<Vec<_>>().join(", "))}</dd>
                <dt>{t!(i18n, return_refund)}</dt>
                <dd data-testid="return-refund">{move || current.with(|r| match r.refund_amount {
                    Some(a) => money(a, &r.currency),
                    None => fill(i18n.get().return_refundable, &[("amount", &money(r.refundable, &r.currency))]),
                })}</dd>
                {move || current.with(|r| r.decision_note.clone()).map(|n| view! { <dt>{t!(i18n, return_decision_note)}</dt><dd class="pre">{n}</dd> })}
            </dl>
            {move || current.with(|r| r.return_tracking_number.clone()).map(|rtn| {
                let id = current.with_untracked(|r| r.id);
                let q = q2.clone();
                view! {
                    <p>{t!(i18n, return_tracking)} " "
                        <a href=format!("/track/{rtn}") data-testid="return-tracking-link">{rtn.clone()}</a>
                    </p>
                    <a class="button button-primary" data-testid="return-label" rel="external" download
                        href=format!("/api/v1/returns/{id}/label.pdf{q}")>{t!(i18n, return_label)}</a>
                }
            })}
        </section>
        <section class="card">
            <h2>{t!(i18n, return_photos)}</h2>
            <div class="photos" data-testid="return-photos">
                {move || {
                    let (id, photos) = current.with(|r| (r.id, r.photos.clone()));
                    let q = q.clone();
                    photos.into_iter().map(|p| view! {
                        <a href=format!("/api/v1/returns/{id}/photos/{p}{q}") rel="external" target="_blank">
                            <img src=format!("/api/v1/returns/{id}/photos/{p}{q}") alt=move || i18n.get().return_photo_alt loading="lazy" width="96" height="96" />
                        </a>
                    }).collect_view()
                }}
            </div>
            <Show when=move || current.with(|r| r.status.open() && r.photos.len() < crate::returns::MAX_PHOTOS)>
                <div class="field" class:has-error=move || photo_error.get().is_some()>
                    <label for=PHOTO_INPUT>{t!(i18n, return_add_photo)}</label>
                    <input id=PHOTO_INPUT type="file" accept="image/jpeg,image/png,image/webp" on:change=add_photo.clone()
                        aria-describedby=PHOTO_ERROR aria-invalid=invalid(photo_error) />
                    <p class="field-error" id=PHOTO_ERROR aria-live="polite" data-testid="photo-error">{move || photo_error.get()}</p>
                </div>
            </Show>
        </section>
        <section class="card">
            <h2>{t!(i18n, return_steps)}</h2>
            <ol class="timeline" data-testid="return-steps">
                {move || current.with(|r| r.steps.clone()).into_iter().map(|s| view! {
                    <li>
                        <strong>{move || s.status.label(i18n.get())}</strong>
                        {s.note.clone().map(|n| view! { <span class="event-note">{n}</span> })}
                        <span class="muted">{format_time(s.at)}</span>
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <Show when=move || is_staff.get()>
            <StaffReturnActions current=current />
        </Show>
    }
}

#[component]
fn StaffReturnActions(current: RwSignal<Return>) -> impl IntoView {
    let i18n = use_i18n();
    let note = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let decide = Action::new(move |d: &ReturnDecision| {
        let (id, d) = (current.get_untracked().id, d.clone());
        async move { decide_return(id, d).await }
    });
    let refund = Action::new(move |r: &RefundInput| {
        let (id, r) = (current.get_untracked().id, r.clone());
        async move { refund_return(id, r).await }
    });
    for value in [decide.value(), refund.value()] {
        Effect::new(move |_| {
            if let Some(result) = value.get() {
                match result.and_then(|r| r) {
                    Ok(r) => {
                        errors.set(None);
                        note.set(String::new());
                        current.set(r)
                    }
                    Err(e) => errors.set(Some(e)),
                }
            }
        });
    }
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.field_error("note").is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let note_error = error_for(errors, "note".into());
    view! {
        <section class="card" data-testid="return-staff">
            <h2>{t!(i18n, return_staff_title)}</h2>
            <p class="muted">
                {move || current.with(|r| format!("{} · {} · ", r.customer_name, r.tier.as_deref().map(|t| crate::domain::tier_label(i18n.get(), t)).unwrap_or_default()))}
                {move || fill(i18n.get().return_decision_due, &[("time", &format_time(current.with(|r| r.decision_due)))])}
            </p>
            <FormError message=form_error />
            <TextArea id="return-staff-note" rows=2 value=note error=note_error
                label=Signal::derive(move || i18n.get().return_staff_note) />
            <div class="actions">
                <Show when=move || current.with(|r| r.status == ReturnStatus::Requested)>
                    <button class="button button-primary" data-testid="return-approve"
                        on:click=move |_| { decide.dispatch(ReturnDecision { approve: true, note: Some(note.get_untracked()) }); }>
                        {t!(i18n, return_approve)}
                    </button>
                    <button class="button button-secondary" data-testid="return-reject"
                        on:click=move |_| { decide.dispatch(ReturnDecision { approve: false, note: Some(note.get_untracked()) }); }>
                        {t!(i18n, return_reject)}
                    </button>
                </Show>
                <Show when=move || current.with(|r| r.status == ReturnStatus::Received)>
                    <button class="button button-primary" data-testid="return-mark-refunded"
                        on:click=move |_| { refund.dispatch(RefundInput { refund: true, note: Some(note.get_untracked()) }); }>
                        {move || fill(i18n.get().return_mark_refunded, &[("amount", &current.with(|r| money(r.refundable, &r.currency)))])}
                    </button>
                    <button class="button button-secondary" data-testid="return-close"
                        on:click=move |_| { refund.dispatch(RefundInput { refund: false, note: Some(note.get_untracked()) }); }>
                        {t!(i18n, return_close_no_refund)}
                    </button>
                </Show>
            </div>
        </section>
    }
}
