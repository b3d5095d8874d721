use leptos::prelude::*;
use leptos_meta::Title;

use super::{PriceLine, QuoteFromAddressBook, QuoteResponse, ServiceQuote};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::addresses::{list_addresses, Address};
use crate::i18n::{fill, use_i18n, Texts};
use crate::ui::{field_error, form_error, invalid, Field, FormError, Loaded};

pub use crate::domain::{kg, money};

fn line_label(t: &Texts, line: &PriceLine) -> String {
    match line {
        PriceLine::Carriage {
            parcel,
            chargeable_weight_g,
            volumetric,
            ..
        } => fill(
            if *volumetric {
                t.line_carriage_volumetric
            } else {
                t.line_carriage
            },
            &[
                ("n", &parcel.to_string()),
                ("kg", &kg(*chargeable_weight_g)),
            ],
        ),
        PriceLine::RemoteArea { .. } => t.line_remote.to_string(),
        PriceLine::Oversize { parcel, .. } => fill(t.line_oversize, &[("n", &parcel.to_string())]),
        PriceLine::Insurance { parcel, .. } => {
            fill(t.line_insurance, &[("n", &parcel.to_string())])
        }
        PriceLine::TierDiscount { percent, .. } => {
            fill(t.line_discount, &[("percent", &percent.to_string())])
        }
    }
}

#[component]
pub fn QuotePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().quote_title.to_string()) />
        <h1>{t!(i18n, quote_title)}</h1>
        <p class="lead">{t!(i18n, quote_lead)} " "
            <a href="/ship">{t!(i18n, quote_several_parcels)}</a>
        </p>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <QuoteForm /> } />
    }
}

#[component]
fn AddressSelect(
    name: &'static str,
    id: &'static str,
    label: fn(&'static Texts) -> &'static str,
    addresses: Vec<Address>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{move || label(i18n.get())}</label>
            <select id=id name=name aria-describedby=error_id.clone() aria-invalid=invalid(error)>
                {addresses.into_iter().map(|a| view! {
                    <option value=a.id.to_string()>
                        {format!("{} · {} {}", a.name, a.postcode, a.city)}
                    </option>
                }).collect_view()}
            </select>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn QuoteForm() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<QuoteFromAddressBook>::new();
    let value = action.value();
    let addresses = Resource::new(|| (), |_| list_addresses());
    let num = move |name: &'static str,
                    label: fn(&'static Texts) -> &'static str,
                    error: &'static str| {
        view! {
            <Field name=name kind="text" required=true
                label=Signal::derive(move || label(i18n.get()))
                error=field_error(value, error) />
        }
    };
    let form = move |list: Vec<Address>| {
        if list.is_empty() {
            return view! {
                <p class="card" data-testid="quote-needs-addresses">
                    {t!(i18n, quote_need_addresses)} " "
                    <a href="/addresses">{t!(i18n, nav_addresses)}</a>
                </p>
            }
            .into_any();
        }
        let recipients = {
            // Preselect a different recipient than sender when there is one.
            let mut l = list.clone();
            if l.len() > 1 {
                l.rotate_left(1);
            }
            l
        };
        view! {
            <ActionForm action=action attr:novalidate="true" attr:class="card">
                <FormError message=form_error(value) />
                <div class="grid-2 tight">
                    <AddressSelect name="form[sender_id]" id="f-sender" label=|t| t.quote_sender addresses=list
                        error=field_error(value, "sender_id") />
                    <AddressSelect name="form[recipient_id]" id="f-recipient" label=|t| t.quote_recipient addresses=recipients
                        error=field_error(value, "recipient_id") />
                </div>
                <fieldset>
                    <legend>{t!(i18n, quote_parcel)}</legend>
                    <div class="grid-4">
                        {num("form[weight_kg]", |t| t.field_weight_kg, "parcels[0].weight_g")}
                        {num("form[length_cm]", |t| t.field_length_cm, "parcels[0].length_cm")}
                        {num("form[width_cm]", |t| t.field_width_cm, "parcels[0].width_cm")}
                        {num("form[height_cm]", |t| t.field_height_cm, "parcels[0].height_cm")}
                    </div>
                    <Field name="form[contents]" required=true maxlength=200
                        label=Signal::derive(move || i18n.get().field_contents)
                        error=field_error(value, "parcels[0].contents") />
                    <Field name="form[declared_value]"
                        label=Signal::derive(move || i18n.get().field_declared_value)
                        error=field_error(value, "parcels[0].declared_value") />
                    <label class="check">
                        <input type="checkbox" name="form[insure]" value="on" />
                        {t!(i18n, field_insure)}
                    </label>
                </fieldset>
                <button type="submit" class="button button-primary button-block" data-testid="quote-submit"
                    disabled=move || action.pending().get()>
                    {t!(i18n, quote_button)}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <Loaded resource=addresses children=form />
        <section aria-live="polite">
            {move || match value.get() {
                Some(Ok(Ok(q))) => view! { <QuoteOptions quote=q /> }.into_any(),
                _ => ().into_any(),
            }}
        </section>
    }
}

#[component]
fn QuoteOptions(quote: QuoteResponse) -> impl IntoView {
    let i18n = use_i18n();
    let km = format!("{:.0}", quote.distance_km);
    let remote = quote.remote_destination;
    view! {
        <p class="muted" data-testid="quote-distance">
            {move || fill(i18n.get().quote_distance, &[("km", &km)])}
            {move || remote.then(|| format!(" · {}", i18n.get().quote_remote))}
        </p>
        <div class="options">
            {quote.options.into_iter().map(|o| view! { <QuoteOption option=o /> }).collect_view()}
        </div>
    }
}

#[component]
fn QuoteOption(option: ServiceQuote) -> impl IntoView {
    let i18n = use_i18n();
    let service = option.service;
    let currency = option.currency.clone();
    let (from, to) = (
        option.earliest_delivery.clone(),
        option.latest_delivery.clone(),
    );
    view! {
        <article class="card option" data-testid="quote-option" data-service=service.as_str()>
            <header class="option-head">
                <h2>{move || service.label(i18n.get())}</h2>
                <p class="price">{money(option.total, &currency)}</p>
            </header>
            <p class="muted">{move || fill(i18n.get().quote_arrives, &[("from", &from), ("to", &to)])}</p>
            <details>
                <summary>{move || i18n.get().quote_breakdown}</summary>
                <PriceBreakdown lines=option.lines currency=option.currency.clone() total=option.total />
            </details>
        </article>
    }
}

/// A shipment's history, one line an event; the public tracking page shows it too.
#[component]
pub fn Timeline(events: Vec<super::ShipmentEvent>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ol class="timeline" data-testid="timeline">
            {events.into_iter().map(|e| {
                let status = e.status;
                let note = e.note.clone();
                view! {
                    <li>
                        <strong>{move || status.label(i18n.get())}</strong>
                        {note.map(|n| view! { <span class="event-note">{move || super::event_note(i18n.get(), &n)}</span> })}
                        <span class="muted">{crate::ui::format_date(e.time)} {e.place.clone().map(|p| format!(" · {p}"))}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The promised delivery: the window when one is held, the pickup point, or the days (one day
/// when they are the same, as with a window held but not shown: the public view).
pub fn promised_text(
    t: &Texts,
    slot: Option<&crate::slots::Slot>,
    point: Option<&str>,
    from: &str,
    to: &str,
) -> String {
    match (point, slot) {
        (Some(p), _) => fill(t.ship_pickup_point, &[("point", p)]),
        (None, Some(s)) => crate::slots::pages::window_text(t, s),
        (None, None) if from == to => from.to_string(),
        (None, None) => fill(t.shipment_window, &[("from", from), ("to", to)]),
    }
}

/// The itemised price: one row per line, the total last.
#[component]
pub fn PriceBreakdown(lines: Vec<PriceLine>, currency: String, total: i64) -> impl IntoView {
    let i18n = use_i18n();
    let total = money(total, &currency);
    view! {
        <table class="table breakdown">
            <tbody>
                {lines.into_iter().map(|l| {
                    let amount = money(l.amount(), &currency);
                    view! {
                        <tr>
                            <td>{move || line_label(i18n.get(), &l)}</td>
                            <td class="num">{amount}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <th scope="row">{t!(i18n, price_total)}</th>
                    <td class="num"><strong>{total}</strong></td>
                </tr>
            </tfoot>
        </table>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_formatted_from_minor_units() {
        assert_eq!(super::money(12_345, "CNY"), "¥123.45");
        assert_eq!(super::money(-240, "CNY"), "-¥2.40");
        assert_eq!(super::money(5, "USD"), "USD0.05");
    }
}
