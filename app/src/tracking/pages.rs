//! The public tracking page of one parcel: status, route, promised window and history for
//! anyone; after the recipient's proof, moving the delivery or collecting at a pickup point.
//!
//! Most people who open it are recipients on a phone, from a label's QR code or a message, so
//! it ships no app wasm: the server renders it whole and its forms are plain HTML forms, posted
//! to `/track/{tn}/proof` and `/track/{tn}/delivery` (see the server's `forms`). A small script
//! (`public/track.js`) then draws the map, follows the live stream and sends the forms without
//! a reload. The timeline and the promise texts are the shipper's pages' (`orders::pages`).

use crate::ui::format_date;

pub use crate::orders::pages::{promised_text, Timeline};

/// The expected arrival by day: one date, or the first and last when the window spans days.
pub fn eta_text(earliest: Option<i64>, latest: Option<i64>) -> String {
    match (earliest.map(format_date), latest.map(format_date)) {
        (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
        (_, Some(b)) => b,
        (Some(a), None) => a,
        (None, None) => String::new(),
    }
}

#[cfg(feature = "ssr")]
pub use served::TrackShipmentPage;

#[cfg(feature = "ssr")]
mod served {
    use leptos::prelude::*;
    use leptos_meta::Title;
    use leptos_router::hooks::{use_params_map, use_query_map};
    use serde::Serialize;

    use super::{eta_text, promised_text, Timeline};
    use crate::error::AppError;
    use crate::i18n::{fill, use_i18n, Texts};
    use crate::platform::request::{client_ip, cookie, server_fn_context};
    use crate::slots::pages::{window_text, SlotPicker};
    use crate::tracking::{map_view, service, GeoPoint, PublicShipment, RecipientView};
    use crate::ui::{format_time, Field, FormError};

    /// What the page shows: the parcel, and the recipient's view when this device proved it.
    #[derive(Clone)]
    struct Loaded {
        public: Option<PublicShipment>,
        recipient: Option<RecipientView>,
    }

    async fn load(tracking_number: String) -> Result<Loaded, AppError> {
        let (state, parts) = server_fn_context()?;
        let client = client_ip(&parts, state.settings.trust_proxy);
        let public = service::find_public(&state.db, &state.settings, client, &tracking_number)
            .await?
            .map(|s| s.with_tiles(&state.settings));
        let recipient = match (&public, cookie(&parts.headers, service::ACCESS_COOKIE)) {
            // An expired or foreign grant just shows the proof form again.
            (Some(_), Some(access)) => service::open_with_access(
                &state.db,
                &tracking_number,
                access,
                crate::platform::now_ms(),
            )
            .await
            .ok()
            .map(|v| v.with_tiles(&state.settings)),
            _ => None,
        };
        Ok(Loaded { public, recipient })
    }

    #[component]
    pub fn TrackShipmentPage() -> impl IntoView {
        let i18n = use_i18n();
        let params = use_params_map();
        let query = use_query_map();
        let tn = params.with_untracked(|p| {
            p.get("tracking_number")
                .unwrap_or_default()
                .to_ascii_uppercase()
        });
        // A refusal or a change, carried back from the form's post.
        let refused = query.with_untracked(|q| AppError::from_query(|k| q.get(k)));
        let changed = query.with_untracked(|q| q.get("changed").is_some());
        // Not serialised into the page: nothing in the browser reads it back.
        let loaded = AsyncDerived::new({
            let tn = tn.clone();
            move || load(tn.clone())
        });
        let title = tn.clone();
        view! {
            <Title text=crate::ui::page_title(move || fill(i18n.get().trk_title, &[("tn", &title)])) />
            <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
                {move || {
                    let tn = tn.clone();
                    let refused = refused.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok(Loaded { public: Some(s), recipient }) => view! {
                                <Tracked s=s recipient=recipient refused=refused changed=changed />
                            }.into_any(),
                            Ok(Loaded { public: None, .. }) => view! {
                                <h1 class="tracking-number">{tn}</h1>
                                <p class="banner banner-error" data-testid="track-unknown">{t!(i18n, trk_unknown)}</p>
                            }.into_any(),
                            // The error's page and status (a 503 while the database is out of
                            // reach), not a page that looks fine: the service worker keeps no
                            // copy of it, and the reader tries again.
                            Err(e) => crate::ui::errors::error_page(e, None),
                        }
                    })
                }}
            </Suspense>
        }
    }

    /// What `track.js` needs to draw the map: the view fitted to the route (fixed, so one
    /// view's tiles are all it ever loads), the points, and the pins' names.
    #[derive(Serialize)]
    struct MapData {
        tiles: Option<String>,
        centre: [f64; 2],
        zoom: f64,
        origin: [f64; 2],
        destination: [f64; 2],
        path: Vec<[f64; 2]>,
        courier: Option<[f64; 2]>,
        labels: [&'static str; 3],
    }

    fn map_data(t: &Texts, s: &PublicShipment, courier: Option<GeoPoint>) -> String {
        let at = |p: GeoPoint| [p.lat, p.lng];
        let mut fitted = vec![s.map.origin, s.map.destination];
        fitted.extend(courier);
        let (centre, zoom) = map_view(&fitted);
        serde_json::to_string(&MapData {
            tiles: s.map.tile_url.clone(),
            centre: at(centre),
            zoom,
            origin: at(s.map.origin),
            destination: at(s.map.destination),
            path: s.map.path.iter().copied().map(at).collect(),
            courier: courier.map(at),
            labels: [
                t.track_map_origin,
                t.track_map_destination,
                t.track_map_courier,
            ],
        })
        .unwrap_or_default()
    }

    /// The parcel's page. Parts marked `data-live` are what `track.js` swaps in when the live
    /// stream says something changed. The public view (no notes, window or pickup point) until
    /// this device proved it is the recipient's, then the recipient's whole shipment.
    #[component]
    fn Tracked(
        s: PublicShipment,
        recipient: Option<RecipientView>,
        refused: Option<AppError>,
        changed: bool,
    ) -> impl IntoView {
        let s = match &recipient {
            Some(r) => r.shipment.clone(),
            None => s,
        };
        let i18n = use_i18n();
        let t = i18n.locale.get_untracked().texts();
        let out = s.status == crate::orders::ShipmentStatus::OutForDelivery;
        let courier = recipient.as_ref().and_then(|r| r.courier).filter(|_| out);
        let route = fill(
            t.trk_route,
            &[("from", &s.origin_city), ("to", &s.destination_city)],
        );
        let promised = promised_text(
            t,
            s.delivery_slot.as_ref(),
            s.pickup_point.as_deref(),
            &s.promised_from,
            &s.promised_to,
        );
        let eta = s
            .eta_latest
            .map(|_| (eta_text(s.eta_earliest, s.eta_latest), s.running_late));
        let stream = format!("/api/v1/track/{}/stream", s.tracking_number);
        let map = map_data(t, &s, courier.map(|c| c.point));
        view! {
            <div class="tracked" data-stream=stream>
                <div class="page-head" id="track-head" data-live>
                    <div>
                        <p class="muted">{route}</p>
                        <h1 class="tracking-number" data-testid="track-number">{s.tracking_number.clone()}</h1>
                    </div>
                    <span class="badge" data-testid="track-status">{s.status.label(t)}</span>
                </div>
                <dl class="fact-grid card" id="track-facts" data-live>
                    <div><dt>{t.trk_expected}</dt><dd data-testid="track-promised">{promised}</dd></div>
                    {eta.map(|(eta, late)| view! {
                        <div><dt>{t.track_eta}</dt>
                            <dd data-testid="track-eta">
                                {eta}
                                {late.then(|| view! {
                                    " " <span class="badge badge-warning" data-testid="track-late">{t.track_running_late}</span>
                                })}
                            </dd></div>
                    })}
                    <div><dt>{t.shipments_service}</dt><dd>{s.service.label(t)}</dd></div>
                </dl>
                <section class="card map-card" aria-label=t.track_map>
                    <div class="track-map" id="track-map" data-live data-route=map></div>
                </section>
                <div id="track-courier" data-live>
                    {courier.map(|c| view! {
                        <p class="muted small" data-testid="courier-seen">
                            {fill(t.track_courier_seen, &[("time", &format_time(c.time))])}
                        </p>
                    })}
                </div>
                <ManageDelivery tn=s.tracking_number.clone() recipient=recipient refused=refused changed=changed />
                <section class="card" id="track-history" data-live>
                    <h2>{t.trk_history}</h2>
                    <Timeline events=s.events.clone() />
                </section>
            </div>
            // The service worker fills it in when it serves its copy of this page offline.
            <template id="offline-note">{t.trk_offline_note}</template>
        }
    }

    #[component]
    fn ManageDelivery(
        tn: String,
        recipient: Option<RecipientView>,
        refused: Option<AppError>,
        changed: bool,
    ) -> impl IntoView {
        let i18n = use_i18n();
        let locale = i18n.locale.get_untracked();
        let t = locale.texts();
        let general = refused
            .as_ref()
            .filter(|e| e.fields().is_none())
            .map(|e| e.message(locale));
        let field_message = |names: &[&str]| {
            refused.as_ref().and_then(|e| {
                names
                    .iter()
                    .find_map(|f| e.field_error(f))
                    .map(|f| f.message(locale))
            })
        };
        let proof_error = field_message(&["proof"]);
        let change_error = field_message(&["slot_id", "pickup_point", "delivery_slot", "status"]);
        // Which choice the refusal is about, for its group's `aria-invalid`.
        let slot_error = field_message(&["slot_id", "delivery_slot"]);
        let point_error = field_message(&["pickup_point"]);
        view! {
            <section class="card" data-testid="manage-delivery" id="manage-delivery" data-live="quiet">
                <h2>{t.trk_manage}</h2>
                <FormError message=Signal::stored(general) />
                {match recipient {
                    None => view! {
                        <p class="muted">{t.trk_manage_hint}</p>
                        <p class="muted small" data-testid="proof-reveals">{t.trk_proof_reveals}</p>
                        <form class="form inline-proof" method="post" action=format!("/track/{tn}/proof") data-enhance>
                            <Field name="proof" autocomplete="postal-code" required=true maxlength=20
                                label=Signal::stored(t.trk_proof) error=Signal::stored(proof_error) />
                            <button type="submit" class="button button-primary" data-testid="proof-submit">{t.trk_continue}</button>
                        </form>
                    }.into_any(),
                    Some(v) => view! {
                        <RecipientPanel tn=tn v=v changed=changed change_error=change_error
                            slot_error=slot_error point_error=point_error />
                    }.into_any(),
                }}
            </section>
        }
    }

    /// The element showing a refused move, which both choices' groups name.
    const CHANGE_ERROR: &str = "change-error";

    /// A move to a window or to a pickup point: one form, the button says which.
    #[component]
    fn RecipientPanel(
        tn: String,
        v: RecipientView,
        changed: bool,
        change_error: Option<String>,
        slot_error: Option<String>,
        point_error: Option<String>,
    ) -> impl IntoView {
        let i18n = use_i18n();
        let t = i18n.locale.get_untracked().texts();
        let done = changed
            .then(
                || match (&v.shipment.pickup_point, &v.shipment.delivery_slot) {
                    (Some(p), _) => Some(fill(t.trk_pickup_chosen, &[("point", p)])),
                    (None, Some(s)) => Some(fill(t.trk_moved, &[("window", &window_text(t, s))])),
                    _ => None,
                },
            )
            .flatten();
        let selected = RwSignal::new(v.shipment.delivery_slot.as_ref().map(|s| s.id));
        let chosen_point = v.shipment.pickup_point.clone();
        view! {
            <p><span class="muted">{t.trk_deliver_to}</span> " "
                <strong data-testid="recipient-name">{v.recipient_name.clone()}</strong>", " {v.address.clone()}</p>
            {done.map(|m| view! {
                <p class="banner banner-ok" role="status" data-testid="delivery-changed">{m}</p>
            })}
            <p class="field-error" id=CHANGE_ERROR role="alert" data-testid="change-error">{change_error}</p>
            {(v.rate_link.is_some() || v.return_link.is_some()).then(|| view! {
                <div class="actions" data-testid="after-delivery">
                    {v.rate_link.clone().map(|href| view! {
                        <a class="button button-primary" href=href data-testid="trk-rate">{t.rate_title}</a>
                    })}
                    {v.return_link.clone().map(|href| view! {
                        <a class="button button-secondary" href=href data-testid="trk-return">{t.return_new_title}</a>
                    })}
                </div>
            })}
            {if !v.can_change {
                // Still on its way but nobody offers windows there: say so, not "too late".
                let no_area = v.shipment.status.reschedulable() && v.slots.area.is_none();
                view! {
                    <p class="muted" data-testid="cannot-change">
                        {if no_area { t.slot_none_in_area } else { t.trk_cannot_change }}
                    </p>
                }.into_any()
            } else {
                view! {
                    <form class="form" method="post" action=format!("/track/{tn}/delivery") data-enhance>
                        <h3>{t.slot_delivery_window}</h3>
                        <SlotPicker list=v.slots.clone() selected=selected name="reschedule"
                            described_by=CHANGE_ERROR error=Signal::stored(slot_error) />
                        <button type="submit" name="to" value="window" class="button button-primary" data-testid="move-delivery">
                            {t.trk_move_here}
                        </button>
                        {(!v.pickup_points.is_empty()).then(|| view! {
                            <h3>{t.trk_pickup_points}</h3>
                            <fieldset class="windows" role="radiogroup" aria-describedby=CHANGE_ERROR
                                aria-invalid=if point_error.is_some() { "true" } else { "false" }>
                                {v.pickup_points.iter().enumerate().map(|(i, p)| {
                                    let id = format!("point-{i}");
                                    let input_id = id.clone();
                                    view! {
                                        <label class="slot-choice" for=id.clone()>
                                            <input type="radio" name="pickup_point" id=input_id value=p.clone()
                                                checked=chosen_point.as_deref() == Some(p.as_str()) />
                                            <span class="option-body">{p.clone()}</span>
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <button type="submit" name="to" value="pickup_point" class="button button-secondary" data-testid="collect-here">
                                {t.trk_collect_here}
                            </button>
                        })}
                    </form>
                }.into_any()
            }}
        }
    }
}
