//! The booking flow: addresses, parcels, service, review, confirmation. Everything typed lives in
//! signals above the steps, so going back and forth keeps it; the server checks each step.

use leptos::prelude::*;
use leptos_meta::Title;

use super::pages::{money, PriceBreakdown};
use super::{
    book_shipment, check_booking, BookingDraft, DraftStage, ParcelDraft, QuoteResponse,
    ServiceLevel, Shipment, NEW_RECIPIENT,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::addresses::{list_addresses, Address, AddressInput, FORM_COUNTRIES};
use crate::error::AppError;
use crate::i18n::{country_name, fill, use_i18n, Texts};
use crate::slots::pages::{window_text, SlotPicker};
use crate::slots::{Slot, SlotList, SlotPurpose};
use crate::ui::{error_for, invalid, FormError, Input, Loaded};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Addresses = 1,
    Parcels = 2,
    Service = 3,
    Review = 4,
    Done = 5,
}

#[derive(Clone, Copy)]
struct AddressFields {
    name: RwSignal<String>,
    company: RwSignal<String>,
    phone: RwSignal<String>,
    line1: RwSignal<String>,
    line2: RwSignal<String>,
    city: RwSignal<String>,
    postcode: RwSignal<String>,
    country: RwSignal<String>,
}

impl AddressFields {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Self {
            name: s(),
            company: s(),
            phone: s(),
            line1: s(),
            line2: s(),
            city: s(),
            postcode: s(),
            country: RwSignal::new("CN".into()),
        }
    }

    fn input(&self) -> AddressInput {
        AddressInput {
            name: self.name.get_untracked(),
            company: self.company.get_untracked(),
            phone: self.phone.get_untracked(),
            line1: self.line1.get_untracked(),
            line2: self.line2.get_untracked(),
            city: self.city.get_untracked(),
            postcode: self.postcode.get_untracked(),
            country: self.country.get_untracked(),
        }
    }
}

#[derive(Clone, Copy)]
struct ParcelFields {
    key: usize,
    weight_kg: RwSignal<String>,
    length_cm: RwSignal<String>,
    width_cm: RwSignal<String>,
    height_cm: RwSignal<String>,
    declared_value: RwSignal<String>,
    contents: RwSignal<String>,
}

impl ParcelFields {
    fn new(key: usize) -> Self {
        let s = || RwSignal::new(String::new());
        Self {
            key,
            weight_kg: s(),
            length_cm: s(),
            width_cm: s(),
            height_cm: s(),
            declared_value: s(),
            contents: s(),
        }
    }

    fn draft(&self) -> ParcelDraft {
        ParcelDraft {
            weight_kg: self.weight_kg.get_untracked(),
            length_cm: self.length_cm.get_untracked(),
            width_cm: self.width_cm.get_untracked(),
            height_cm: self.height_cm.get_untracked(),
            declared_value: self.declared_value.get_untracked(),
            contents: self.contents.get_untracked(),
        }
    }
}

/// All of the flow's state.
#[derive(Clone, Copy)]
struct Flow {
    step: RwSignal<Step>,
    sender_id: RwSignal<String>,
    recipient_id: RwSignal<String>,
    recipient: AddressFields,
    parcels: RwSignal<Vec<ParcelFields>>,
    next_parcel_key: StoredValue<usize>,
    service: RwSignal<Option<ServiceLevel>>,
    insure: RwSignal<bool>,
    reference: RwSignal<String>,
    quote: RwSignal<Option<QuoteResponse>>,
    /// Windows chosen (scheduled delivery; optional pickup) and the lists offered.
    delivery_slot: RwSignal<Option<i64>>,
    pickup_slot: RwSignal<Option<i64>>,
    delivery_slots: RwSignal<Option<SlotList>>,
    pickup_slots: RwSignal<Option<SlotList>>,
    errors: RwSignal<Option<AppError>>,
    booked: RwSignal<Option<Shipment>>,
    /// The flow's owner: parcel fields added later must live as long as the flow, not as long
    /// as the step (or click handler) that added them.
    owner: StoredValue<Owner>,
    /// The stage of the check in flight: the reply moves the flow on from there.
    checking: StoredValue<Option<DraftStage>>,
    /// One key per booking attempt: kept across a resend of the same draft, so a lost answer
    /// never books twice; dropped when the draft changes or a booking succeeds.
    idempotency_key: StoredValue<Option<String>>,
}

impl Flow {
    fn new(addresses: &[Address]) -> Self {
        let first = addresses
            .first()
            .map(|a| a.id.to_string())
            .unwrap_or_default();
        let second = addresses
            .get(1)
            .map(|a| a.id.to_string())
            .unwrap_or_else(|| NEW_RECIPIENT.to_string());
        Self {
            step: RwSignal::new(Step::Addresses),
            sender_id: RwSignal::new(first),
            recipient_id: RwSignal::new(second),
            recipient: AddressFields::new(),
            parcels: RwSignal::new(vec![ParcelFields::new(0)]),
            next_parcel_key: StoredValue::new(1),
            service: RwSignal::new(None),
            insure: RwSignal::new(false),
            reference: RwSignal::new(String::new()),
            quote: RwSignal::new(None),
            delivery_slot: RwSignal::new(None),
            pickup_slot: RwSignal::new(None),
            delivery_slots: RwSignal::new(None),
            pickup_slots: RwSignal::new(None),
            errors: RwSignal::new(None),
            booked: RwSignal::new(None),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            checking: StoredValue::new(None),
            idempotency_key: StoredValue::new(None),
        }
    }

    /// Subscribes to every typed value, so an effect reruns on any change to the draft.
    fn track_draft(&self) {
        self.sender_id.track();
        self.recipient_id.track();
        let r = self.recipient;
        for field in [
            r.name, r.company, r.phone, r.line1, r.line2, r.city, r.postcode, r.country,
        ] {
            field.track();
        }
        self.parcels.with(|parcels| {
            for p in parcels {
                for field in [
                    p.weight_kg,
                    p.length_cm,
                    p.width_cm,
                    p.height_cm,
                    p.declared_value,
                    p.contents,
                ] {
                    field.track();
                }
            }
        });
        self.service.track();
        self.delivery_slot.track();
        self.pickup_slot.track();
        self.insure.track();
        self.reference.track();
    }

    fn draft(&self) -> BookingDraft {
        BookingDraft {
            sender_id: self.sender_id.get_untracked(),
            recipient_id: self.recipient_id.get_untracked(),
            recipient: self.recipient.input(),
            parcels: self
                .parcels
                .get_untracked()
                .iter()
                .map(ParcelFields::draft)
                .collect(),
            service: self.service.get_untracked(),
            insure: self.insure.get_untracked(),
            reference: self.reference.get_untracked(),
            delivery_slot_id: self
                .delivery_slot
                .get_untracked()
                .filter(|_| self.service.get_untracked() == Some(ServiceLevel::Scheduled)),
            pickup_slot_id: self.pickup_slot.get_untracked(),
        }
    }

    fn error(&self, field: impl Into<String>) -> Signal<Option<String>> {
        error_for(self.errors, field.into())
    }

    /// Where the first refused field is: the flow goes back there.
    fn step_of_errors(&self) -> Option<Step> {
        self.errors.with_untracked(|e| {
            let fields = e.as_ref()?.fields()?;
            let step = |k: &String| {
                if k.starts_with("parcels") {
                    Step::Parcels
                } else if k == "service" || k.ends_with("slot_id") {
                    Step::Service
                } else if k == "reference" {
                    Step::Review
                } else {
                    Step::Addresses
                }
            };
            fields.keys().map(step).min()
        })
    }

    fn add_parcel(&self) {
        let key = self.next_parcel_key.get_value();
        self.next_parcel_key.set_value(key + 1);
        let parcel = self.owner.with_value(|o| o.with(|| ParcelFields::new(key)));
        self.parcels.update(|p| p.push(parcel));
    }

    fn reset_for_another(&self) {
        self.recipient_id.set(NEW_RECIPIENT.to_string());
        self.recipient.name.set(String::new());
        self.recipient.company.set(String::new());
        self.recipient.phone.set(String::new());
        self.recipient.line1.set(String::new());
        self.recipient.line2.set(String::new());
        self.recipient.city.set(String::new());
        self.recipient.postcode.set(String::new());
        let parcel = self.owner.with_value(|o| o.with(|| ParcelFields::new(0)));
        self.parcels.set(vec![parcel]);
        self.next_parcel_key.set_value(1);
        self.service.set(None);
        self.delivery_slot.set(None);
        self.pickup_slot.set(None);
        self.insure.set(false);
        self.reference.set(String::new());
        self.quote.set(None);
        self.errors.set(None);
        self.booked.set(None);
        self.step.set(Step::Addresses);
    }
}

#[component]
pub fn BookingPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().book_title.to_string()) />
        <h1>{t!(i18n, book_title)}</h1>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <BookingLoader /> } />
    }
}

#[component]
fn BookingLoader() -> impl IntoView {
    let i18n = use_i18n();
    let addresses = Resource::new(|| (), |_| list_addresses());
    view! {
        <Loaded resource=addresses let:list>
            {if list.is_empty() {
                view! {
                    <p class="card" data-testid="book-needs-addresses">
                        {t!(i18n, book_need_sender)} " "
                        <a href="/addresses">{t!(i18n, nav_addresses)}</a>
                    </p>
                }.into_any()
            } else {
                view! { <BookingFlow addresses=list /> }.into_any()
            }}
        </Loaded>
    }
}

#[component]
fn BookingFlow(addresses: Vec<Address>) -> impl IntoView {
    let flow = Flow::new(&addresses);
    let addresses = StoredValue::new(addresses);
    let check = Action::new(move |(draft, stage): &(BookingDraft, DraftStage)| {
        check_booking(draft.clone(), *stage)
    });
    let book = Action::new(move |(draft, key): &(BookingDraft, String)| {
        book_shipment(draft.clone(), key.clone())
    });
    // A changed draft is a new request: it must not reuse the key of an earlier attempt.
    Effect::new(move |_| {
        flow.track_draft();
        flow.idempotency_key.set_value(None);
    });
    Effect::new(move |_| {
        let Some(result) = check.value().get() else {
            return;
        };
        match result {
            Ok(Ok(quote)) => {
                flow.errors.set(None);
                let from = flow.checking.get_value();
                if let Some(q) = quote {
                    // Keep the chosen service when it is still offered.
                    flow.quote.set(Some(q));
                }
                match (from, flow.step.get_untracked()) {
                    (Some(DraftStage::Addresses), Step::Addresses) => flow.step.set(Step::Parcels),
                    (Some(DraftStage::Parcels), Step::Parcels) => flow.step.set(Step::Service),
                    _ => {}
                }
            }
            Ok(Err(e)) | Err(e) => {
                flow.errors.set(Some(e));
                if let Some(step) = flow.step_of_errors() {
                    if step < flow.step.get_untracked() {
                        flow.step.set(step);
                    }
                }
            }
        }
    });
    Effect::new(move |_| {
        let Some(result) = book.value().get() else {
            return;
        };
        match result {
            Ok(Ok(shipment)) => {
                flow.errors.set(None);
                flow.booked.set(Some(shipment));
                flow.idempotency_key.set_value(None);
                flow.step.set(Step::Done);
            }
            Ok(Err(e)) | Err(e) => {
                flow.errors.set(Some(e));
                if let Some(step) = flow.step_of_errors() {
                    flow.step.set(step);
                }
            }
        }
    });
    let run_check = move |stage: DraftStage| {
        flow.checking.set_value(Some(stage));
        check.dispatch((flow.draft(), stage));
    };
    let submit = move || {
        let key = flow.idempotency_key.get_value().unwrap_or_else(new_key);
        flow.idempotency_key.set_value(Some(key.clone()));
        book.dispatch((flow.draft(), key));
    };
    let busy = Signal::derive(move || check.pending().get() || book.pending().get());
    let i18n = use_i18n();
    view! {
        <Show when=move || flow.step.get() != Step::Done>
            <Steps flow=flow />
        </Show>
        <div class="card booking" data-testid="booking" data-step=move || (flow.step.get() as u8).to_string()>
            <FormError message=Signal::derive(move || {
                let locale = i18n.locale.get();
                flow.errors.with(|e| e.as_ref().map(|e| e.message(locale)))
            }) />
            {move || match flow.step.get() {
                Step::Addresses => view! {
                    <AddressesStep flow=flow addresses=addresses busy=busy
                        next=move || run_check(DraftStage::Addresses) />
                }.into_any(),
                Step::Parcels => view! {
                    <ParcelsStep flow=flow busy=busy next=move || run_check(DraftStage::Parcels) />
                }.into_any(),
                Step::Service => view! {
                    <ServiceStep flow=flow busy=busy requote=move || run_check(DraftStage::Parcels) />
                }.into_any(),
                Step::Review => view! {
                    <ReviewStep flow=flow addresses=addresses busy=busy submit=submit />
                }.into_any(),
                Step::Done => view! { <DoneStep flow=flow /> }.into_any(),
            }}
        </div>
    }
}

/// A fresh idempotency key for one booking attempt.
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let random = || (js_sys::Math::random() * 1e15) as u64;
        format!(
            "{:x}-{:x}-{:x}",
            js_sys::Date::now() as u64,
            random(),
            random()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // Only the browser books; the server never renders a submitted flow.
        String::from("server")
    }
}

/// Picks one string out of the text table.
type TextOf = fn(&Texts) -> &'static str;

#[component]
fn Steps(flow: Flow) -> impl IntoView {
    let i18n = use_i18n();
    let steps: [(Step, TextOf); 4] = [
        (Step::Addresses, |t| t.book_step_addresses),
        (Step::Parcels, |t| t.book_step_parcels),
        (Step::Service, |t| t.book_step_service),
        (Step::Review, |t| t.book_step_review),
    ];
    view! {
        <ol class="steps" aria-label=move || i18n.get().book_progress>
            {steps.into_iter().map(|(step, label)| {
                let current = move || flow.step.get() == step;
                let done = move || flow.step.get() > step;
                view! {
                    <li class:current=current class:done=done
                        aria-current=move || current().then_some("step")>
                        <button type="button" class="step-button" disabled=move || !done()
                            on:click=move |_| flow.step.set(step)>
                            <span class="step-number">{step as u8}</span>
                            <span class="step-label">{move || label(i18n.get())}</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn Nav(
    #[prop(optional)] back: Option<Step>,
    flow: Flow,
    busy: Signal<bool>,
    #[prop(into)] label: Signal<&'static str>,
    next: impl Fn() + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="actions step-actions">
            {back.map(|step| view! {
                <button type="button" class="button button-secondary" data-testid="book-back"
                    on:click=move |_| flow.step.set(step)>
                    {t!(i18n, book_back)}
                </button>
            })}
            <button type="button" class="button button-primary" data-testid="book-next"
                disabled=move || busy.get() on:click=move |_| next()>
                {move || label.get()}
            </button>
        </div>
    }
}

fn address_label(a: &Address) -> String {
    format!("{} · {} {}", a.name, a.postcode, a.city)
}

#[component]
fn AddressesStep(
    flow: Flow,
    addresses: StoredValue<Vec<Address>>,
    busy: Signal<bool>,
    next: impl Fn() + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let options = move |selected: RwSignal<String>| {
        addresses
            .get_value()
            .into_iter()
            .map(move |a| {
                let id = a.id.to_string();
                let is = id.clone();
                view! { <option value=id selected=move || selected.get() == is>{address_label(&a)}</option> }
            })
            .collect_view()
    };
    let r = flow.recipient;
    let new_recipient = move || flow.recipient_id.get() == NEW_RECIPIENT;
    view! {
        <h2>{t!(i18n, book_step_addresses)}</h2>
        <div class="field" class:has-error=move || flow.error("sender_id").get().is_some()>
            <label for="b-sender">{t!(i18n, quote_sender)}</label>
            <select id="b-sender" on:change=move |ev| flow.sender_id.set(event_target_value(&ev))
                aria-describedby="b-sender-error" aria-invalid=invalid(flow.error("sender_id"))>
                {options(flow.sender_id)}
            </select>
            <p class="field-error" id="b-sender-error" aria-live="polite">{move || flow.error("sender_id").get()}</p>
        </div>
        <div class="field" class:has-error=move || flow.error("recipient_id").get().is_some()>
            <label for="b-recipient">{t!(i18n, quote_recipient)}</label>
            <select id="b-recipient" on:change=move |ev| flow.recipient_id.set(event_target_value(&ev))
                aria-describedby="b-recipient-error" aria-invalid=invalid(flow.error("recipient_id"))>
                <option value=NEW_RECIPIENT selected=new_recipient>{t!(i18n, book_new_recipient)}</option>
                {options(flow.recipient_id)}
            </select>
            <p class="field-error" id="b-recipient-error" aria-live="polite">{move || flow.error("recipient_id").get()}</p>
        </div>
        <Show when=new_recipient>
            <fieldset class="new-recipient">
                <legend>{t!(i18n, book_new_recipient)}</legend>
                <Input id="b-r-name" value=r.name required=true autocomplete="off"
                    label=Signal::derive(move || i18n.get().field_contact_name) error=flow.error("recipient.name") />
                <Input id="b-r-company" value=r.company autocomplete="off"
                    label=Signal::derive(move || i18n.get().field_company) error=flow.error("recipient.company") />
                <Input id="b-r-phone" value=r.phone kind="tel" required=true autocomplete="off"
                    label=Signal::derive(move || i18n.get().field_phone) error=flow.error("recipient.phone") />
                <div class="field" class:has-error=move || flow.error("recipient.country").get().is_some()>
                    <label for="b-r-country">{t!(i18n, field_country)}</label>
                    <select id="b-r-country" on:change=move |ev| r.country.set(event_target_value(&ev))
                        aria-describedby="b-r-country-error" aria-invalid=invalid(flow.error("recipient.country"))>
                        {FORM_COUNTRIES.into_iter().map(|code| view! {
                            <option value=code selected=move || r.country.get() == code>
                                {move || country_name(i18n.get(), code)}
                            </option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="b-r-country-error" aria-live="polite">{move || flow.error("recipient.country").get()}</p>
                </div>
                <Input id="b-r-line1" value=r.line1 required=true autocomplete="off"
                    label=Signal::derive(move || i18n.get().field_line1) error=flow.error("recipient.line1") />
                <Input id="b-r-line2" value=r.line2 autocomplete="off"
                    label=Signal::derive(move || i18n.get().field_line2) error=flow.error("recipient.line2") />
                <div class="grid-2 tight">
                    <Input id="b-r-city" value=r.city required=true autocomplete="off"
                        label=Signal::derive(move || i18n.get().field_city) error=flow.error("recipient.city") />
                    <Input id="b-r-postcode" value=r.postcode autocomplete="off"
                        label=Signal::derive(move || i18n.get().field_postcode) error=flow.error("recipient.postcode") />
                </div>
            </fieldset>
        </Show>
        <Nav flow=flow busy=busy label=Signal::derive(move || i18n.get().book_next) next=next />
    }
}

#[component]
fn ParcelsStep(flow: Flow, busy: Signal<bool>, next: impl Fn() + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let rows = move || {
        flow.parcels
            .get()
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
    };
    view! {
        <h2>{t!(i18n, book_step_parcels)}</h2>
        // The parcels as a whole (none, or too many): each parcel and the button that adds one
        // name it.
        <p class="field-error" id="b-parcels-error" aria-live="polite">{move || flow.error("parcels").get()}</p>
        <For each=rows
            key=|(i, p)| (*i, p.key)
            children=move |(i, p)| {
                let field = move |f: &str| flow.error(format!("parcels[{i}].{f}"));
                let id = move |f: &str| format!("b-p{}-{f}", p.key);
                view! {
                    <fieldset class="parcel" data-testid="parcel" aria-describedby="b-parcels-error">
                        <legend>{move || fill(i18n.get().book_parcel_n, &[("n", &(i + 1).to_string())])}</legend>
                        <div class="grid-4">
                            <Input id=id("weight") value=p.weight_kg inputmode="decimal" required=true
                                label=Signal::derive(move || i18n.get().field_weight_kg) error=field("weight_g") />
                            <Input id=id("length") value=p.length_cm inputmode="numeric" required=true
                                label=Signal::derive(move || i18n.get().field_length_cm) error=field("length_cm") />
                            <Input id=id("width") value=p.width_cm inputmode="numeric" required=true
                                label=Signal::derive(move || i18n.get().field_width_cm) error=field("width_cm") />
                            <Input id=id("height") value=p.height_cm inputmode="numeric" required=true
                                label=Signal::derive(move || i18n.get().field_height_cm) error=field("height_cm") />
                        </div>
                        <div class="grid-2 tight">
                            <Input id=id("contents") value=p.contents required=true maxlength=200
                                label=Signal::derive(move || i18n.get().field_contents) error=field("contents") />
                            <Input id=id("value") value=p.declared_value inputmode="decimal"
                                label=Signal::derive(move || i18n.get().field_declared_value) error=field("declared_value") />
                        </div>
                        <Show when=move || flow.parcels.with(|ps| ps.len() > 1)>
                            <button type="button" class="button button-small button-secondary"
                                on:click=move |_| flow.parcels.update(|ps| ps.retain(|x| x.key != p.key))>
                                {t!(i18n, book_remove_parcel)}
                            </button>
                        </Show>
                    </fieldset>
                }
            }
        />
        <button type="button" class="button button-secondary" data-testid="book-add-parcel"
            aria-describedby="b-parcels-error"
            disabled=move || flow.parcels.with(|p| p.len() >= 50)
            on:click=move |_| flow.add_parcel()>
            {t!(i18n, book_add_parcel)}
        </button>
        <Nav back=Step::Addresses flow=flow busy=busy
            label=Signal::derive(move || i18n.get().book_see_prices) next=next />
    }
}

#[component]
fn ServiceStep(
    flow: Flow,
    busy: Signal<bool>,
    requote: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    // Fresh lists on every visit: the addresses or parcels may have changed.
    flow.delivery_slots.set(None);
    flow.pickup_slots.set(None);
    let load = move |purpose: SlotPurpose,
                     into: RwSignal<Option<SlotList>>,
                     chosen: RwSignal<Option<i64>>| {
        let draft = flow.draft();
        leptos::task::spawn_local(async move {
            let list = match super::draft_slots(draft, purpose).await {
                Ok(Ok(list)) => list,
                _ => SlotList {
                    area: None,
                    area_name: None,
                    slots: Vec::new(),
                },
            };
            // A choice no longer offered (other address, later transit) is dropped.
            if !list
                .slots
                .iter()
                .any(|s| Some(s.id) == chosen.get_untracked() && s.bookable)
            {
                chosen.set(None);
            }
            into.set(Some(list));
        });
    };
    Effect::new(move |_| {
        if flow.service.get() == Some(ServiceLevel::Scheduled)
            && flow.delivery_slots.get_untracked().is_none()
        {
            load(
                SlotPurpose::Delivery,
                flow.delivery_slots,
                flow.delivery_slot,
            );
        }
    });
    Effect::new(move |_| load(SlotPurpose::Pickup, flow.pickup_slots, flow.pickup_slot));
    let next = move || {
        let scheduled = flow.service.get_untracked() == Some(ServiceLevel::Scheduled);
        if scheduled && flow.delivery_slot.get_untracked().is_none() {
            flow.errors.set(Some(AppError::field(
                "delivery_slot_id",
                crate::error::FieldError::Required,
            )));
        } else if flow.service.get_untracked().is_some() {
            flow.step.set(Step::Review);
        } else {
            flow.errors.set(Some(AppError::field(
                "service",
                crate::error::FieldError::Required,
            )));
        }
    };
    view! {
        <h2>{t!(i18n, book_step_service)}</h2>
        // A radio group rather than the fieldset's plain group: it may carry `aria-invalid`.
        <fieldset class="services" role="radiogroup" aria-busy=move || busy.get().to_string()
            aria-describedby="b-service-error" aria-invalid=invalid(flow.error("service"))>
            <legend class="visually-hidden">{t!(i18n, book_step_service)}</legend>
            {move || flow.quote.get().map(|q| q.options.into_iter().map(|o| {
                let service = o.service;
                let id = format!("b-service-{}", service.as_str());
                let label_for = id.clone();
                let (from, to) = (o.earliest_delivery.clone(), o.latest_delivery.clone());
                view! {
                    <label class="option-choice" for=label_for data-testid="service-option" data-service=service.as_str()>
                        <input type="radio" name="service" id=id
                            checked=move || flow.service.get() == Some(service)
                            on:change=move |_| { flow.service.set(Some(service)); flow.errors.set(None); } />
                        <span class="option-body">
                            <span class="option-head">
                                <strong>{move || service.label(i18n.get())}</strong>
                                <span class="price">{money(o.total, &o.currency)}</span>
                            </span>
                            <span class="muted">{move || fill(i18n.get().quote_arrives, &[("from", &from), ("to", &to)])}</span>
                        </span>
                    </label>
                }
            }).collect_view())}
        </fieldset>
        <p class="field-error" id="b-service-error" aria-live="polite">{move || flow.error("service").get()}</p>
        <Show when=move || flow.service.get() == Some(ServiceLevel::Scheduled)>
            <section class="slot-section" data-testid="delivery-window">
                <h3>{t!(i18n, slot_delivery_window)}</h3>
                <p class="muted">{t!(i18n, slot_choose_delivery)}</p>
                {move || match flow.delivery_slots.get() {
                    None => view! { <p class="muted">{t!(i18n, slot_loading)}</p> }.into_any(),
                    Some(list) => view! {
                        <SlotPicker list=list selected=flow.delivery_slot name="delivery"
                            described_by="b-delivery-slot-error" error=flow.error("delivery_slot_id") />
                    }.into_any(),
                }}
                <p class="field-error" id="b-delivery-slot-error" role="alert">{move || flow.error("delivery_slot_id").get()}</p>
            </section>
        </Show>
        <details class="slot-section" data-testid="pickup-window">
            <summary>{t!(i18n, slot_pickup_window)}</summary>
            <label class="check">
                <input type="radio" name="no-pickup" prop:checked=move || flow.pickup_slot.get().is_none()
                    on:change=move |_| flow.pickup_slot.set(None) />
                {t!(i18n, slot_no_pickup)}
            </label>
            {move || flow.pickup_slots.get().map(|list| view! {
                <SlotPicker list=list selected=flow.pickup_slot name="pickup"
                    described_by="b-pickup-slot-error" error=flow.error("pickup_slot_id") />
            })}
            <p class="field-error" id="b-pickup-slot-error" role="alert">{move || flow.error("pickup_slot_id").get()}</p>
        </details>
        <label class="check">
            <input type="checkbox" prop:checked=move || flow.insure.get()
                on:change=move |ev| { flow.insure.set(event_target_checked(&ev)); requote(); } />
            {t!(i18n, field_insure)}
        </label>
        <Nav back=Step::Parcels flow=flow busy=busy
            label=Signal::derive(move || i18n.get().book_next) next=next />
    }
}

#[component]
fn ReviewStep(
    flow: Flow,
    addresses: StoredValue<Vec<Address>>,
    busy: Signal<bool>,
    submit: impl Fn() + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let saved = move |id: String| {
        addresses
            .get_value()
            .into_iter()
            .find(|a| a.id.to_string() == id)
            .map(|a| a.to_input())
    };
    let sender = saved(flow.sender_id.get_untracked()).unwrap_or_default();
    let recipient = if flow.recipient_id.get_untracked() == NEW_RECIPIENT {
        flow.recipient.input()
    } else {
        saved(flow.recipient_id.get_untracked()).unwrap_or_default()
    };
    let chosen = flow.service.get_untracked();
    let option = flow
        .quote
        .get_untracked()
        .and_then(|q| q.options.into_iter().find(|o| Some(o.service) == chosen));
    let parcels = flow.parcels.get_untracked();
    view! {
        <h2>{t!(i18n, book_step_review)}</h2>
        <div class="grid-2 tight review">
            <section>
                <h3>{t!(i18n, quote_sender)}</h3>
                <AddressLines address=sender />
                <button type="button" class="link-button" on:click=move |_| flow.step.set(Step::Addresses)>{t!(i18n, book_change)}</button>
            </section>
            <section>
                <h3>{t!(i18n, quote_recipient)}</h3>
                <AddressLines address=recipient />
                <button type="button" class="link-button" on:click=move |_| flow.step.set(Step::Addresses)>{t!(i18n, book_change)}</button>
            </section>
        </div>
        <section>
            <h3>{t!(i18n, book_step_parcels)}</h3>
            <ul class="plain">
                {parcels.iter().enumerate().map(|(i, p)| {
                    let d = p.draft();
                    view! { <li>{format!("{}. {} kg · {}×{}×{} cm · {}", i + 1, d.weight_kg, d.length_cm, d.width_cm, d.height_cm, d.contents)}</li> }
                }).collect_view()}
            </ul>
            <button type="button" class="link-button" on:click=move |_| flow.step.set(Step::Parcels)>{t!(i18n, book_change)}</button>
        </section>
        {option.map(|o| {
            let (from, to) = (o.earliest_delivery.clone(), o.latest_delivery.clone());
            let service = o.service;
            view! {
                <section>
                    <h3>{move || service.label(i18n.get())}</h3>
                    {match chosen_window(flow.delivery_slots, flow.delivery_slot).filter(|_| service == ServiceLevel::Scheduled) {
                        Some(w) => view! { <p data-testid="review-window">{move || fill(i18n.get().ship_window_is, &[("window", &window_text(i18n.get(), &w))])}</p> }.into_any(),
                        None => view! { <p class="muted">{move || fill(i18n.get().quote_arrives, &[("from", &from), ("to", &to)])}</p> }.into_any(),
                    }}
                    {chosen_window(flow.pickup_slots, flow.pickup_slot).map(|w| view! {
                        <p>{move || fill(i18n.get().ship_pickup_at, &[("window", &window_text(i18n.get(), &w))])}</p>
                    })}
                    <PriceBreakdown lines=o.lines.clone() currency=o.currency.clone() total=o.total />
                </section>
            }
        })}
        <Input id="b-reference" value=flow.reference maxlength=100
            label=Signal::derive(move || i18n.get().book_reference) error=flow.error("reference") />
        <Nav back=Step::Service flow=flow busy=busy
            label=Signal::derive(move || i18n.get().book_confirm) next=submit />
    }
}

/// The window chosen from a list, if any.
fn chosen_window(list: RwSignal<Option<SlotList>>, chosen: RwSignal<Option<i64>>) -> Option<Slot> {
    let id = chosen.get_untracked()?;
    list.with_untracked(|l| l.as_ref()?.slots.iter().find(|s| s.id == id).cloned())
}

#[component]
pub fn AddressLines(address: AddressInput) -> impl IntoView {
    let i18n = use_i18n();
    let country = address.country.clone();
    view! {
        <address class="address-lines">
            <strong>{address.name}</strong>
            {(!address.company.is_empty()).then(|| view! { <span>{address.company}</span> })}
            <span>{address.line1}</span>
            {(!address.line2.is_empty()).then(|| view! { <span>{address.line2}</span> })}
            <span>{format!("{} {}", address.postcode, address.city)}</span>
            <span>{move || country_name(i18n.get(), &country).to_string()}</span>
            <span>{address.phone}</span>
        </address>
    }
}

#[component]
fn DoneStep(flow: Flow) -> impl IntoView {
    let i18n = use_i18n();
    let shipment = flow.booked.get_untracked();
    shipment.map(|s| {
        let tn = s.tracking_number.clone();
        let label = format!("/api/v1/shipments/{tn}/label.pdf");
        let detail = format!("/shipments/{tn}");
        view! {
            <div class="done" role="status">
                <h2>{t!(i18n, book_done)}</h2>
                <p class="muted">{t!(i18n, book_tracking_number)}</p>
                <p class="tracking-number" data-testid="booked-tracking-number">{tn}</p>
                <p>{move || fill(i18n.get().book_done_total, &[("total", &money(s.total, &s.currency))])}</p>
                <div class="actions">
                    <a class="button button-primary" href=label target="_blank" rel="noopener" data-testid="print-label">
                        {t!(i18n, book_print_label)}
                    </a>
                    <a class="button button-secondary" href=detail>{t!(i18n, book_view_shipment)}</a>
                    <button type="button" class="button button-secondary" data-testid="book-another"
                        on:click=move |_| flow.reset_for_another()>
                        {t!(i18n, book_another)}
                    </button>
                </div>
            </div>
        }
    })
}
