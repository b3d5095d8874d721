//! "My shipments": the searchable list (its state is the URL, so a filtered page can be
//! bookmarked and shared) and one shipment's detail page with label and cancel.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use super::booking_page::AddressLines;
use super::pages::{money, promised_text, PriceBreakdown, Timeline};
use super::{
    cancel_shipment, get_shipment, list_shipments, ParcelInput, ServiceLevel, Shipment,
    ShipmentQuery, ShipmentSort, ShipmentStatus, ShipmentSummary,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::addresses::AddressInput;
use crate::error::Reply;
use crate::i18n::use_i18n;
use crate::ui::{format_date, FormError, Loaded};

fn query_from(params: &ParamsMap) -> ShipmentQuery {
    let get = |k: &str| params.get(k).filter(|v| !v.trim().is_empty());
    ShipmentQuery {
        q: get("q"),
        status: get("status"),
        service: get("service"),
        from: get("from"),
        to: get("to"),
        sort: get("sort").and_then(|s| ShipmentSort::parse(&s)),
        cursor: get("cursor"),
        limit: None,
    }
}

/// The list's URL for `query` (without the cursor unless given).
fn href(query: &ShipmentQuery, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(v)));
        }
    };
    add("q", query.q.as_deref());
    add("status", query.status.as_deref());
    add("service", query.service.as_deref());
    add("from", query.from.as_deref());
    add("to", query.to.as_deref());
    add(
        "sort",
        (query.sort == Some(ShipmentSort::Oldest)).then_some(ShipmentSort::Oldest.as_str()),
    );
    add("cursor", cursor);
    if parts.is_empty() {
        "/shipments".into()
    } else {
        format!("/shipments?{}", parts.join("&"))
    }
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[component]
pub fn ShipmentsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().shipments_title.to_string()) />
        <div class="page-head">
            <h1>{t!(i18n, shipments_title)}</h1>
            <div class="actions">
                <a class="button button-primary" href="/ship">{t!(i18n, nav_book)}</a>
                <a class="button button-secondary" href="/shipments/import">{t!(i18n, nav_import)}</a>
            </div>
        </div>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <ShipmentList /> } />
    }
}

#[component]
fn ShipmentList() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let page = Resource::new(move || query.get(), list_shipments);
    // A refused filter (a bad date) is the form's to show; any other error is `Loaded`'s page.
    // (`super::ShipmentPage` is the list's type, not this file's page component.)
    let results = move |reply: Reply<super::ShipmentPage>| {
        let q = query.get_untracked();
        match reply {
            Err(e) => view! {
                <FormError message=Signal::derive(move || Some(e.message(i18n.locale.get()))) />
            }.into_any(),
            Ok(page) if page.shipments.is_empty() => view! {
                <p class="card muted" data-testid="shipments-empty">
                    {if q == ShipmentQuery::default() { t!(i18n, shipments_none)().into_any() } else { t!(i18n, shipments_no_match)().into_any() }}
                </p>
            }.into_any(),
            Ok(page) => {
                let next = page.next_cursor.clone().map(|c| href(&q, Some(&c)));
                let first = q.cursor.is_some().then(|| href(&q, None));
                view! {
                    <ul class="shipment-list" data-testid="shipment-list">
                        {page.shipments.into_iter().map(|s| view! { <ShipmentRow s=s /> }).collect_view()}
                    </ul>
                    <nav class="pager" aria-label=move || i18n.get().shipments_pages>
                        {first.map(|h| view! { <a class="button button-secondary" href=h>{t!(i18n, shipments_first_page)}</a> })}
                        {next.map(|h| view! { <a class="button button-secondary" href=h data-testid="next-page">{t!(i18n, shipments_next_page)}</a> })}
                    </nav>
                }.into_any()
            }
        }
    };
    view! {
        <Filters query=query />
        <Loaded resource=page children=results />
    }
}

#[component]
fn Filters(query: Memo<ShipmentQuery>) -> impl IntoView {
    let i18n = use_i18n();
    let q = query.get_untracked();
    let status = q.status.clone().unwrap_or_default();
    let service = q.service.clone().unwrap_or_default();
    let oldest = q.sort == Some(ShipmentSort::Oldest);
    view! {
        <Form method="GET" action="/shipments" attr:class="card filters" attr:role="search">
            <div class="field search">
                <label for="s-q">{t!(i18n, shipments_search)}</label>
                <input id="s-q" name="q" type="search" value=q.q.clone().unwrap_or_default()
                    placeholder=move || i18n.get().shipments_search_hint />
            </div>
            <details class="more-filters" open=q.status.is_some() || q.service.is_some() || q.from.is_some() || q.to.is_some()>
                <summary>{t!(i18n, shipments_filters)}</summary>
                <div class="grid-4">
                    <div class="field">
                        <label for="s-status">{t!(i18n, shipments_status)}</label>
                        <select id="s-status" name="status">
                            <option value="">{t!(i18n, shipments_any)}</option>
                            {ShipmentStatus::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=status == s.as_str()>{move || s.label(i18n.get())}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="s-service">{t!(i18n, shipments_service)}</label>
                        <select id="s-service" name="service">
                            <option value="">{t!(i18n, shipments_any)}</option>
                            {ServiceLevel::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=service == s.as_str()>{move || s.label(i18n.get())}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="s-from">{t!(i18n, shipments_from)}</label>
                        <input id="s-from" name="from" type="date" value=q.from.clone().unwrap_or_default() />
                    </div>
                    <div class="field">
                        <label for="s-to">{t!(i18n, shipments_to)}</label>
                        <input id="s-to" name="to" type="date" value=q.to.clone().unwrap_or_default() />
                    </div>
                </div>
                <div class="field">
                    <label for="s-sort">{t!(i18n, shipments_sort)}</label>
                    <select id="s-sort" name="sort">
                        <option value="newest" selected=!oldest>{t!(i18n, shipments_newest)}</option>
                        <option value="oldest" selected=oldest>{t!(i18n, shipments_oldest)}</option>
                    </select>
                </div>
            </details>
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="shipments-search">{t!(i18n, shipments_apply)}</button>
                <a class="button button-secondary" href="/shipments">{t!(i18n, shipments_clear)}</a>
            </div>
        </Form>
    }
}

#[component]
fn StatusBadge(status: ShipmentStatus) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge status-{}", status.as_str()) data-status=status.as_str()>
            {move || status.label(i18n.get())}
        </span>
    }
}

#[component]
fn ShipmentRow(s: ShipmentSummary) -> impl IntoView {
    let i18n = use_i18n();
    let service = s.service;
    let href = format!("/shipments/{}", s.tracking_number);
    view! {
        <li>
            <A href=href attr:class="shipment-row" attr:data-testid="shipment-row">
                <span class="tn">{s.tracking_number.clone()}</span>
                <StatusBadge status=s.status />
                <span class="who">{format!("{} · {}", s.recipient_name, s.recipient_city)}</span>
                <span class="muted">
                    {move || service.label(i18n.get())}
                    {s.reference.clone().map(|r| format!(" · {r}"))}
                </span>
                <span class="muted when">{format_date(s.created_at)}</span>
                <span class="num">{money(s.total, &s.currency)}</span>
            </A>
        </li>
    }
}

#[component]
pub fn ShipmentPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().shipment_title.to_string()) />
        <RequireRole roles=&[Role::Customer] children=|_| view! { <ShipmentDetail /> } />
    }
}

#[component]
fn ShipmentDetail() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let tn = Memo::new(move |_| params.with(|p| p.get("tracking_number").unwrap_or_default()));
    let shipment = Resource::new(move || tn.get(), get_shipment);
    view! {
        <p><a href="/shipments">{t!(i18n, shipment_back)}</a></p>
        <Loaded resource=shipment let:s>
            <ShipmentView s=s reload=move || shipment.refetch() />
        </Loaded>
    }
}

#[component]
fn ShipmentView(s: Shipment, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let tn = s.tracking_number.clone();
    let service = s.service;
    let cancellable = s.status.cancellable();
    let cancelled = s.status == ShipmentStatus::Cancelled;
    let confirming = RwSignal::new(false);
    let cancel = Action::new(move |tn: &String| cancel_shipment(tn.clone()));
    Effect::new(move |_| {
        if let Some(Ok(Ok(_))) = cancel.value().get() {
            reload();
        }
    });
    let cancel_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        cancel.value().with(|v| match v {
            Some(Ok(Err(e)) | Err(e)) => Some(e.message(locale)),
            _ => None,
        })
    });
    let (from, to) = (s.promised_from.clone(), s.promised_to.clone());
    let (delivery_slot, pickup_slot, pickup_point) = (
        s.delivery_slot.clone(),
        s.pickup_slot.clone(),
        s.pickup_point.clone(),
    );
    let can_reschedule = s.status.reschedulable();
    let current_window = s.delivery_slot.as_ref().map(|w| w.id);
    let tn_window = tn.clone();
    let label = format!("/api/v1/shipments/{tn}/label.pdf");
    let tn_cancel = tn.clone();
    view! {
        <div class="page-head">
            <div>
                <p class="muted">{t!(i18n, book_tracking_number)}</p>
                <h1 class="tracking-number" data-testid="shipment-tracking-number">{tn.clone()}</h1>
            </div>
            <StatusBadge status=s.status />
        </div>
        <FormError message=cancel_error />
        <div class="actions">
            {(!cancelled).then(|| view! {
                <a class="button button-primary" href=label target="_blank" rel="noopener" data-testid="print-label">
                    {t!(i18n, book_print_label)}
                </a>
            })}
            {cancellable.then(|| view! {
                <Show when=move || !confirming.get()
                    fallback=move || {
                        let tn = tn_cancel.clone();
                        view! {
                            <span class="confirm">
                                {t!(i18n, shipment_cancel_confirm)} " "
                                <button type="button" class="button button-danger" data-testid="cancel-confirm"
                                    disabled=move || cancel.pending().get()
                                    on:click=move |_| { cancel.dispatch(tn.clone()); }>
                                    {t!(i18n, shipment_cancel_yes)}
                                </button>
                                <button type="button" class="button button-secondary" on:click=move |_| confirming.set(false)>
                                    {t!(i18n, shipment_cancel_no)}
                                </button>
                            </span>
                        }
                    }>
                    <button type="button" class="button button-secondary" data-testid="cancel-shipment"
                        on:click=move |_| confirming.set(true)>
                        {t!(i18n, shipment_cancel)}
                    </button>
                </Show>
            })}
            {can_reschedule.then(|| view! { <ChangeWindow tracking_number=tn_window current=current_window reload=reload /> })}
            {(s.status == ShipmentStatus::Delivered).then(|| view! {
                <a class="button button-secondary" href=format!("/rate/{tn}") data-testid="rate-delivery">{t!(i18n, rate_title)}</a>
                <a class="button button-secondary" href=format!("/returns/new?tn={tn}") data-testid="request-return">{t!(i18n, return_new_title)}</a>
            })}
            {(!cancelled).then(|| view! {
                <a class="button button-secondary" href=format!("/complaints/new?tn={tn}") data-testid="open-complaint">{t!(i18n, complaint_new_title)}</a>
            })}
        </div>
        <dl class="fact-grid card">
            <div><dt>{t!(i18n, shipments_service)}</dt><dd>{move || service.label(i18n.get())}</dd></div>
            <div><dt>{t!(i18n, shipment_booked_on)}</dt><dd>{format_date(s.created_at)}</dd></div>
            <div><dt>{t!(i18n, shipment_promised)}</dt><dd data-testid="shipment-promised">{move || promised_text(
                i18n.get(), delivery_slot.as_ref(), pickup_point.as_deref(), &from, &to)}</dd></div>
            {pickup_slot.map(|w| view! {
                <div><dt>{t!(i18n, slot_pickup_window)}</dt><dd>{move || crate::slots::pages::window_text(i18n.get(), &w)}</dd></div>
            })}
            {s.reference.clone().map(|r| view! { <div><dt>{t!(i18n, shipment_reference)}</dt><dd>{r}</dd></div> })}
        </dl>
        <ShipmentAddresses sender=s.sender.clone() recipient=s.recipient.clone() />
        <ShipmentParcels parcels=s.parcels.clone() currency=s.currency.clone() />
        <section class="card">
            <h2>{t!(i18n, shipment_price)}</h2>
            <PriceBreakdown lines=s.price_lines.clone() currency=s.currency.clone() total=s.total />
        </section>
        <section class="card">
            <h2>{t!(i18n, shipment_history)}</h2>
            <Timeline events=s.events.clone() />
        </section>
    }
}

/// Where the shipment goes from and to.
#[component]
fn ShipmentAddresses(sender: AddressInput, recipient: AddressInput) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="grid-2 tight">
            <section class="card">
                <h2>{t!(i18n, quote_sender)}</h2>
                <AddressLines address=sender />
            </section>
            <section class="card">
                <h2>{t!(i18n, quote_recipient)}</h2>
                <AddressLines address=recipient />
            </section>
        </div>
    }
}

/// The shipment's parcels: weight, size, contents and declared value.
#[component]
fn ShipmentParcels(parcels: Vec<ParcelInput>, currency: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, book_step_parcels)}</h2>
            <div class="table-wrap">
            <table class="table">
                <thead><tr>
                    <th>"#"</th>
                    <th>{t!(i18n, field_weight_kg)}</th>
                    <th>{t!(i18n, shipment_size)}</th>
                    <th>{t!(i18n, field_contents)}</th>
                    <th class="num">{t!(i18n, shipment_declared)}</th>
                </tr></thead>
                <tbody>
                    {parcels.iter().enumerate().map(|(i, p)| view! {
                        <tr>
                            <td>{i + 1}</td>
                            <td>{format!("{}.{:03}", p.weight_g / 1000, p.weight_g % 1000)}</td>
                            <td>{format!("{}×{}×{} cm", p.length_cm, p.width_cm, p.height_cm)}</td>
                            <td>{p.contents.clone()}</td>
                            <td class="num">{money(p.declared_value, &currency)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
}

/// The shipper gives the shipment a delivery window or moves it, until it is out for delivery.
#[component]
fn ChangeWindow(
    tracking_number: String,
    current: Option<i64>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let selected = RwSignal::new(current);
    let tn = StoredValue::new(tracking_number);
    // Nothing to load until the panel opens. A refusal (the shipment can no longer move) is an
    // error of the panel's as much as a failed call.
    let slots = Resource::new(
        move || open.get(),
        move |open| async move {
            if open {
                super::shipment_slots(tn.get_value())
                    .await
                    .and_then(|reply| reply)
                    .map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let save = Action::new(move |id: &i64| super::choose_delivery_slot(tn.get_value(), *id));
    Effect::new(move |_| {
        if let Some(Ok(Ok(_))) = save.value().get() {
            reload();
        }
    });
    let save_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        save.value().with(|v| match v {
            Some(Ok(Err(e)) | Err(e)) => Some(e.message(locale)),
            _ => None,
        })
    });
    // The chosen window's own refusal (full, closed, past its cut-off, another area), for the
    // picker's `aria-invalid`; the banner above shows it.
    let slot_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        save.value().with(|v| match v {
            Some(Ok(Err(e)) | Err(e)) => e.field_error("slot_id").map(|f| f.message(locale)),
            _ => None,
        })
    });
    view! {
        <Show when=move || open.get()
            fallback=move || view! {
                <button type="button" class="button button-secondary" data-testid="change-window"
                    on:click=move |_| open.set(true)>{t!(i18n, ship_change_window)}</button>
            }>
            <section class="card" data-testid="change-window-panel">
                <h2>{t!(i18n, ship_change_window)}</h2>
                <FormError message=save_error id="shipment-window-error" />
                <Loaded resource=slots inline=true let:list
                    fallback=move || view! { <p class="muted">{t!(i18n, slot_loading)}</p> }>
                    {list.map(|list| view! {
                        <crate::slots::pages::SlotPicker list=list selected=selected name="shipment-window"
                            described_by="shipment-window-error" error=slot_error />
                    })}
                </Loaded>
                <button type="button" class="button button-primary" data-testid="save-window"
                    disabled=move || save.pending().get() || selected.get().is_none() || selected.get() == current
                    on:click=move |_| { if let Some(id) = selected.get_untracked() { save.dispatch(id); } }>
                    {t!(i18n, ship_save_window)}
                </button>
            </section>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_url_round_trips_its_filters() {
        let q = ShipmentQuery {
            q: Some("李 & co".into()),
            status: Some("created".into()),
            sort: Some(ShipmentSort::Oldest),
            ..Default::default()
        };
        let url = href(&q, Some("42"));
        assert_eq!(
            url,
            "/shipments?q=%E6%9D%8E%20%26%20co&status=created&sort=oldest&cursor=42"
        );
        assert_eq!(href(&ShipmentQuery::default(), None), "/shipments");
    }
}
