//! The public tracking page of one parcel: status, route, promised window and history for
//! anyone; after the recipient's proof, moving the delivery or collecting at a pickup point.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    change_delivery, open_delivery, track_shipment, CourierPosition, PublicShipment, RecipientView,
};
use crate::error::AppError;
use crate::i18n::{fill, use_i18n, Texts};
use crate::orders::ShipmentEvent;
use crate::slots::pages::{window_text, SlotPicker};
use crate::ui::{error_for, format_date, format_time, FormError, Input};

/// An event's note in the reader's language: changes to the delivery are stored as
/// `slot:<day> <from>-<to>` or `pickup_point:<name>`.
pub fn event_note(t: &Texts, note: &str) -> String {
    if let Some(w) = note.strip_prefix("slot:") {
        fill(t.event_slot_changed, &[("window", w)])
    } else if let Some(p) = note.strip_prefix("pickup_point:") {
        fill(t.event_pickup_point, &[("point", p)])
    } else {
        note.to_string()
    }
}

#[component]
pub fn Timeline(events: Vec<ShipmentEvent>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ol class="timeline" data-testid="timeline">
            {events.into_iter().map(|e| {
                let status = e.status;
                let note = e.note.clone();
                view! {
                    <li>
                        <strong>{move || status.label(i18n.get())}</strong>
                        {note.map(|n| view! { <span class="event-note">{move || event_note(i18n.get(), &n)}</span> })}
                        <span class="muted">{format_date(e.time)} {e.place.clone().map(|p| format!(" · {p}"))}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The promised delivery: the window when one is held, the pickup point, or the days.
pub fn promised_text(
    t: &Texts,
    slot: Option<&crate::slots::Slot>,
    point: Option<&str>,
    from: &str,
    to: &str,
) -> String {
    match (point, slot) {
        (Some(p), _) => fill(t.ship_pickup_point, &[("point", p)]),
        (None, Some(s)) => window_text(t, s),
        (None, None) => fill(t.shipment_window, &[("from", from), ("to", to)]),
    }
}

/// The expected arrival by day: one date, or the first and last when the window spans days.
pub fn eta_text(earliest: Option<i64>, latest: Option<i64>) -> String {
    match (earliest.map(format_date), latest.map(format_date)) {
        (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
        (_, Some(b)) => b,
        (Some(a), None) => a,
        (None, None) => String::new(),
    }
}

#[component]
pub fn TrackShipmentPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let tn = Memo::new(move |_| {
        params.with(|p| {
            p.get("tracking_number")
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
    });
    let shipment = Resource::new(move || tn.get(), track_shipment);
    view! {
        <Title text=crate::ui::page_title(move || fill(i18n.get().trk_title, &[("tn", &tn.get())])) />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match shipment.await {
                    Ok(Some(s)) => view! { <Tracked s=s /> }.into_any(),
                    Ok(None) => view! {
                        <h1 class="tracking-number">{tn.get()}</h1>
                        <p class="banner banner-error" data-testid="track-unknown">{t!(i18n, trk_unknown)}</p>
                    }.into_any(),
                    Err(e) => view! { <p class="banner banner-error">{e.message(i18n.locale.get())}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Follows the parcel's live stream: each new event refetches the public view, so status,
/// window and history update without a reload; each event and each courier position also bump
/// `pings`, which a verified recipient's panel follows. The browser reconnects by itself after
/// a network drop, and the stream replays what was missed (`Last-Event-ID`).
#[cfg(feature = "hydrate")]
fn follow_live(tracking_number: String, current: RwSignal<PublicShipment>, pings: RwSignal<u32>) {
    use wasm_bindgen::{closure::Closure, JsCast};
    let url = format!("/api/v1/track/{tracking_number}/stream");
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    let tn = tracking_number.clone();
    let on_event =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            let tn = tn.clone();
            leptos::task::spawn_local(async move {
                if let Ok(Some(s)) = track_shipment(tn).await {
                    current.set(s);
                }
                pings.update(|n| *n += 1);
            });
        });
    let on_position =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            pings.update(|n| *n += 1);
        });
    if source
        .add_event_listener_with_callback("tracking", on_event.as_ref().unchecked_ref())
        .is_err()
        || source
            .add_event_listener_with_callback("position", on_position.as_ref().unchecked_ref())
            .is_err()
    {
        return;
    }
    // The listeners live as long as the source, which the page closes when it goes away.
    on_event.forget();
    on_position.forget();
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || source.close());
}

/// The route on a map: origin, destination, the scans so far (solid) and the way left
/// (dashed), and the courier while out for delivery (recipients only). Without tiles the
/// lines and markers still draw.
#[component]
fn TrackMap(
    current: RwSignal<PublicShipment>,
    courier: Signal<Option<CourierPosition>>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Leaflet lives in the browser only: its components hold thread-bound handles that a
    // multi-threaded server render must never make or drop. The server sends the map's empty
    // frame (the same on both sides, for hydration); the map fills it once the page is live.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <section class="card map-card" aria-label=move || i18n.get().track_map>
            <Show when=move || mounted.get() fallback=|| view! { <div class="track-map"></div> }>
                {move || leaflet_map(current, courier)}
            </Show>
        </section>
    }
}

#[cfg(not(feature = "hydrate"))]
fn leaflet_map(_: RwSignal<PublicShipment>, _: Signal<Option<CourierPosition>>) -> AnyView {
    view! { <div class="track-map"></div> }.into_any()
}

#[cfg(feature = "hydrate")]
fn leaflet_map(
    current: RwSignal<PublicShipment>,
    courier: Signal<Option<CourierPosition>>,
) -> AnyView {
    use super::{map_view, GeoPoint};
    use leptos_leaflet::prelude::*;
    let i18n = use_i18n();
    let position = |p: GeoPoint| Position::new(p.lat, p.lng);
    let map = current.with_untracked(|c| c.map.clone());
    let (centre, zoom) = map_view(&[map.origin, map.destination]);
    let travelled = Signal::derive(move || {
        current.with(|c| {
            std::iter::once(c.map.origin)
                .chain(c.map.path.iter().copied())
                .map(position)
                .collect::<Vec<_>>()
        })
    });
    let remaining = Signal::derive(move || {
        current.with(|c| {
            let last = c.map.path.last().copied().unwrap_or(c.map.origin);
            vec![position(last), position(c.map.destination)]
        })
    });
    // Round pins as SVG images (Leaflet's own icon, which needs an image URL).
    let pin = |fill: &str, size: f64| {
        let r = size / 2.0 - 2.0;
        let c = size / 2.0;
        Some(format!(
            "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='{size}' \
             height='{size}'%3E%3Ccircle cx='{c}' cy='{c}' r='{r}' fill='%23{fill}' \
             stroke='white' stroke-width='3'/%3E%3C/svg%3E"
        ))
    };
    view! {
        <MapContainer class="track-map" center=position(centre) zoom=zoom scroll_wheel_zoom=false>
            {map.tile_url.map(|url| view! {
                <TileLayer url=url attribution="&copy; OpenStreetMap contributors" />
            })}
            <Polyline positions=travelled color="#0b5cad" weight=Some(4.0) />
            <Polyline positions=remaining color="#0b5cad" weight=Some(2.0) dash_array="6 8" opacity=Some(0.6) />
            <Marker position=position(map.origin) icon_url=pin("6b7a8c", 18.0)
                icon_size=Some((18.0, 18.0)) icon_anchor=Some((9.0, 9.0))
                title=Signal::derive(move || i18n.get().track_map_origin.to_string()) />
            <Marker position=position(map.destination) icon_url=pin("0b5cad", 22.0)
                icon_size=Some((22.0, 22.0)) icon_anchor=Some((11.0, 11.0))
                title=Signal::derive(move || i18n.get().track_map_destination.to_string()) />
            {move || courier.get().map(|c| view! {
                <Marker position=position(c.point) icon_url=pin("1f8a4c", 24.0)
                    icon_size=Some((24.0, 24.0)) icon_anchor=Some((12.0, 12.0))
                    title=Signal::derive(move || i18n.get().track_map_courier.to_string()) />
            })}
        </MapContainer>
    }
    .into_any()
}

#[component]
fn Tracked(s: PublicShipment) -> impl IntoView {
    let i18n = use_i18n();
    let current = RwSignal::new(s.clone());
    let pings = RwSignal::new(0_u32);
    #[cfg(feature = "hydrate")]
    follow_live(s.tracking_number.clone(), current, pings);
    let recipient = RwSignal::new(None::<RecipientView>);
    let courier = Signal::derive(move || {
        let out = current.with(|c| c.status == crate::orders::ShipmentStatus::OutForDelivery);
        recipient.with(|r| r.as_ref().and_then(|r| r.courier).filter(|_| out))
    });
    let route = (s.origin_city.clone(), s.destination_city.clone());
    view! {
        <div class="page-head">
            <div>
                <p class="muted">{move || fill(i18n.get().trk_route, &[("from", &route.0), ("to", &route.1)])}</p>
                <h1 class="tracking-number" data-testid="track-number">{s.tracking_number.clone()}</h1>
            </div>
            <span class="badge" data-testid="track-status">{move || current.with(|c| c.status.label(i18n.get()))}</span>
        </div>
        <dl class="fact-grid card">
            <div><dt>{t!(i18n, trk_expected)}</dt>
                <dd data-testid="track-promised">{move || current.with(|c| promised_text(
                    i18n.get(), c.delivery_slot.as_ref(), c.pickup_point.as_deref(), &c.promised_from, &c.promised_to))}</dd></div>
            {move || current.with(|c| c.eta_latest.map(|_| {
                let eta = eta_text(c.eta_earliest, c.eta_latest);
                let late = c.running_late;
                view! {
                    <div><dt>{t!(i18n, track_eta)}</dt>
                        <dd data-testid="track-eta">
                            {eta}
                            {late.then(|| view! {
                                " " <span class="badge badge-warning" data-testid="track-late">{t!(i18n, track_running_late)}</span>
                            })}
                        </dd></div>
                }
            }))}
            <div><dt>{t!(i18n, shipments_service)}</dt><dd>{move || current.with(|c| c.service.label(i18n.get()))}</dd></div>
        </dl>
        <TrackMap current=current courier=courier />
        {move || courier.get().map(|c| view! {
            <p class="muted small" data-testid="courier-seen">
                {move || fill(i18n.get().track_courier_seen, &[("time", &format_time(c.time))])}
            </p>
        })}
        <ManageDelivery tn=s.tracking_number.clone() current=current recipient=recipient pings=pings />
        <section class="card">
            <h2>{t!(i18n, trk_history)}</h2>
            {move || view! { <Timeline events=current.with(|c| c.events.clone()) /> }}
        </section>
    }
}

#[component]
fn ManageDelivery(
    tn: String,
    current: RwSignal<PublicShipment>,
    recipient: RwSignal<Option<RecipientView>>,
    pings: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let proof = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(None::<String>);
    let tn = StoredValue::new(tn);
    let settle = move |r: Result<Result<RecipientView, AppError>, AppError>,
                       message: Option<String>| {
        match r.and_then(|x| x) {
            Ok(v) => {
                errors.set(None);
                current.set(v.shipment.clone());
                recipient.set(Some(v));
                done.set(message);
            }
            Err(e) => {
                done.set(None);
                errors.set(Some(e));
            }
        }
    };
    let open = Action::new(move |p: &String| open_delivery(tn.get_value(), p.clone()));
    let change = Action::new(move |(slot, point): &(Option<i64>, Option<String>)| {
        change_delivery(tn.get_value(), proof.get_untracked(), *slot, point.clone())
    });
    Effect::new(move |_| {
        if let Some(r) = open.value().get() {
            settle(r, None);
        }
    });
    // Something happened to the parcel: a verified recipient's view (courier, windows) follows,
    // quietly: what the recipient was just told stays on screen.
    let refresh = Action::new(move |p: &String| open_delivery(tn.get_value(), p.clone()));
    Effect::new(move |_| {
        if let Some(Ok(Ok(v))) = refresh.value().get() {
            current.set(v.shipment.clone());
            recipient.set(Some(v));
        }
    });
    Effect::new(move |seen: Option<u32>| {
        let now = pings.get();
        if seen.is_some_and(|n| n != now) && recipient.with_untracked(Option::is_some) {
            refresh.dispatch(proof.get_untracked());
        }
        now
    });
    Effect::new(move |_| {
        if let Some(r) = change.value().get() {
            let message = r.as_ref().ok().and_then(|x| x.as_ref().ok()).map(|v| {
                let t = i18n.locale.get_untracked().texts();
                match (&v.shipment.pickup_point, &v.shipment.delivery_slot) {
                    (Some(p), _) => fill(t.trk_pickup_chosen, &[("point", p)]),
                    (None, Some(s)) => fill(t.trk_moved, &[("window", &window_text(t, s))]),
                    _ => String::new(),
                }
            });
            settle(r, message);
        }
    });
    let general = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let change_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        errors.with(|e| {
            let e = e.as_ref()?;
            ["slot_id", "pickup_point", "delivery_slot", "status"]
                .iter()
                .find_map(|f| e.field_error(f))
                .map(|f| f.message(locale))
        })
    });
    view! {
        <section class="card" data-testid="manage-delivery">
            <h2>{t!(i18n, trk_manage)}</h2>
            <FormError message=general />
            {move || match recipient.get() {
                None => view! {
                    <p class="muted">{t!(i18n, trk_manage_hint)}</p>
                    <form class="form inline-proof" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        open.dispatch(proof.get_untracked());
                    }>
                        <Input id="proof" value=proof inputmode="text" autocomplete="postal-code"
                            label=Signal::derive(move || i18n.get().trk_proof)
                            error=error_for(errors, "proof".into()) required=true maxlength=20 />
                        <button type="submit" class="button button-primary" data-testid="proof-submit" disabled=move || open.pending().get()>{t!(i18n, trk_continue)}</button>
                    </form>
                }.into_any(),
                Some(v) => view! { <RecipientPanel v=v change=change done=done change_error=change_error /> }.into_any(),
            }}
        </section>
    }
}

/// A move to a window (`slot_id`) or to a pickup point, answered with the recipient's view.
type ChangeAction =
    Action<(Option<i64>, Option<String>), Result<Result<RecipientView, AppError>, AppError>>;

#[component]
fn RecipientPanel(
    v: RecipientView,
    change: ChangeAction,
    done: RwSignal<Option<String>>,
    change_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let selected = RwSignal::new(v.shipment.delivery_slot.as_ref().map(|s| s.id));
    let current_slot = v.shipment.delivery_slot.as_ref().map(|s| s.id);
    let point = RwSignal::new(v.shipment.pickup_point.clone());
    let points = v.pickup_points.clone();
    view! {
        <p><span class="muted">{t!(i18n, trk_deliver_to)}</span> " "
            <strong data-testid="recipient-name">{v.recipient_name.clone()}</strong>", " {v.address.clone()}</p>
        {move || done.get().filter(|m| !m.is_empty()).map(|m| view! {
            <p class="banner banner-ok" role="status" data-testid="delivery-changed">{m}</p>
        })}
        <p class="field-error" role="alert" data-testid="change-error">{move || change_error.get()}</p>
        {(v.rate_link.is_some() || v.return_link.is_some()).then(|| view! {
            <div class="actions" data-testid="after-delivery">
                {v.rate_link.clone().map(|href| view! {
                    <a class="button button-primary" href=href data-testid="trk-rate">{t!(i18n, rate_title)}</a>
                })}
                {v.return_link.clone().map(|href| view! {
                    <a class="button button-secondary" href=href data-testid="trk-return">{t!(i18n, return_new_title)}</a>
                })}
            </div>
        })}
        {if !v.can_change {
            // Still on its way but nobody offers windows there: say so, not "too late".
            let no_area = v.shipment.status.reschedulable() && v.slots.area.is_none();
            view! {
                <p class="muted" data-testid="cannot-change">
                    {move || if no_area { i18n.get().slot_none_in_area } else { i18n.get().trk_cannot_change }}
                </p>
            }.into_any()
        } else {
            view! {
                <h3>{t!(i18n, slot_delivery_window)}</h3>
                <SlotPicker list=v.slots.clone() selected=selected name="reschedule" />
                <button type="button" class="button button-primary" data-testid="move-delivery"
                    disabled=move || change.pending().get() || selected.get().is_none() || selected.get() == current_slot
                    on:click=move |_| { change.dispatch((selected.get_untracked(), None)); }>
                    {t!(i18n, trk_move_here)}
                </button>
                {(!points.is_empty()).then(|| view! {
                    <h3>{t!(i18n, trk_pickup_points)}</h3>
                    <fieldset class="windows">
                        {points.iter().enumerate().map(|(i, p)| {
                            let id = format!("point-{i}");
                            let input_id = id.clone();
                            let (p1, p2) = (p.clone(), p.clone());
                            view! {
                                <label class="slot-choice" for=id.clone()>
                                    <input type="radio" name="pickup-point" id=input_id
                                        checked=move || point.get().as_deref() == Some(p1.as_str())
                                        on:change=move |_| point.set(Some(p2.clone())) />
                                    <span class="option-body">{p.clone()}</span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <button type="button" class="button button-secondary" data-testid="collect-here"
                        disabled=move || change.pending().get() || point.get().is_none()
                        on:click=move |_| { change.dispatch((None, point.get_untracked())); }>
                        {t!(i18n, trk_collect_here)}
                    </button>
                })}
            }.into_any()
        }}
    }
}
