//! Orders: quotes, booking, shipments and labels. The shared types live here; pricing (and the
//! rate card it reads) stays on the server.

#[cfg(feature = "ssr")]
pub mod booking;
pub mod booking_page;
#[cfg(feature = "ssr")]
pub mod delivery;
#[cfg(feature = "ssr")]
pub mod idempotency;
#[cfg(feature = "ssr")]
pub mod import;
pub mod import_page;
#[cfg(feature = "ssr")]
pub mod label;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod pricing;
#[cfg(feature = "ssr")]
pub mod quote;
#[cfg(feature = "ssr")]
pub mod shipments;
pub mod shipments_page;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;

use crate::addresses::AddressInput;
#[cfg(feature = "ssr")]
use crate::domain::schema::{schema_type, DateOrEmpty, IntegerOrEmpty};
use crate::error::{AppError, Reply};

/// The shared words, defined in `domain`: callers may name them here.
pub use crate::domain::{ServiceLevel, ShipmentStatus};

use serde::{Deserialize, Serialize};

/// One line of a price breakdown, in minor units (fen, cents); discounts are negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceLine {
    /// Transport of one parcel, charged on the greater of actual and volumetric weight.
    Carriage {
        parcel: usize,
        chargeable_weight_g: u64,
        volumetric: bool,
        amount: i64,
    },
    RemoteArea {
        amount: i64,
    },
    Oversize {
        parcel: usize,
        amount: i64,
    },
    Insurance {
        parcel: usize,
        declared_value: i64,
        amount: i64,
    },
    TierDiscount {
        percent: u32,
        amount: i64,
    },
}

impl PriceLine {
    pub fn amount(&self) -> i64 {
        match self {
            PriceLine::Carriage { amount, .. }
            | PriceLine::RemoteArea { amount }
            | PriceLine::Oversize { amount, .. }
            | PriceLine::Insurance { amount, .. }
            | PriceLine::TierDiscount { amount, .. } => *amount,
        }
    }
}

/// The price of one service level for one shipment, and when it would arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceQuote {
    pub service: ServiceLevel,
    pub zone: String,
    pub currency: String,
    pub lines: Vec<PriceLine>,
    pub total: i64,
    /// Business days from pickup: earliest and latest.
    pub transit_days: (u32, u32),
    /// The promised delivery window if handed over today: first and last day, `YYYY-MM-DD`.
    pub earliest_delivery: String,
    pub latest_delivery: String,
}

/// The longest description of a parcel's contents kept.
pub const MAX_CONTENTS_CHARS: usize = 200;

/// One parcel as typed; units are in the field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ParcelInput {
    // Weight::MAX_GRAMS
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 70000))]
    pub weight_g: i64,
    // Dimensions::MAX_SIDE_CM, for each side
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 200))]
    pub length_cm: i64,
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 200))]
    pub width_cm: i64,
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 200))]
    pub height_cm: i64,
    /// Minor units (fen); 0 when not declared.
    // quote::MAX_DECLARED_VALUE
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 5000000))]
    pub declared_value: i64,
    // MAX_CONTENTS_CHARS, NOT_BLANK_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 200,
            pattern = r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub contents: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteRequest {
    pub sender: AddressInput,
    pub recipient: AddressInput,
    // quote::MAX_PARCELS
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub parcels: Vec<ParcelInput>,
    /// Insure each parcel for its declared value.
    #[serde(default)]
    pub insure: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteResponse {
    /// Great-circle distance between the two cities.
    pub distance_km: f64,
    pub remote_destination: bool,
    /// Every service level, cheapest first.
    pub options: Vec<ServiceQuote>,
}

/// The quote page's form: saved sender and recipient by id (the caller's own only) and one
/// parcel as typed, weight in kg and value in yuan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuoteForm {
    pub sender_id: String,
    pub recipient_id: String,
    pub weight_kg: String,
    pub length_cm: String,
    pub width_cm: String,
    pub height_cm: String,
    #[serde(default)]
    pub declared_value: String,
    pub contents: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub insure: Option<String>,
}

#[server(prefix = "/rpc", endpoint = "orders/quote")]
pub async fn quote_from_address_book(form: QuoteForm) -> Result<Reply<QuoteResponse>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(quote::quote_saved(&state.db, customer_id, &form).await)
}

/// A booking: what `POST /api/v1/shipments` takes. Units are in the field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingRequest {
    pub sender: AddressInput,
    pub recipient: AddressInput,
    // quote::MAX_PARCELS
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub parcels: Vec<ParcelInput>,
    pub service: ServiceLevel,
    /// Insure each parcel for its declared value.
    #[serde(default)]
    pub insure: bool,
    /// The shipper's own reference (order number), shown on the label and searchable.
    // shipments::MAX_REFERENCE_CHARS, SINGLE_LINE_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub reference: Option<String>,
    /// A delivery window in the recipient's area (`GET /api/v1/slots`), usually with the
    /// `scheduled` service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub delivery_slot_id: Option<i64>,
    /// A pickup window in the sender's area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub pickup_slot_id: Option<i64>,
}

impl BookingRequest {
    pub fn quote_request(&self) -> QuoteRequest {
        QuoteRequest {
            sender: self.sender.clone(),
            recipient: self.recipient.clone(),
            parcels: self.parcels.clone(),
            insure: self.insure,
        }
    }
}

/// A booked shipment with everything that was booked and its price breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Shipment {
    pub tracking_number: String,
    pub status: ShipmentStatus,
    pub service: ServiceLevel,
    pub reference: Option<String>,
    pub sender: AddressInput,
    pub recipient: AddressInput,
    pub parcels: Vec<ParcelInput>,
    pub insured: bool,
    pub currency: String,
    pub price_lines: Vec<PriceLine>,
    /// Minor units.
    pub total: i64,
    /// The promised delivery window, first and last day, `YYYY-MM-DD`.
    pub promised_from: String,
    pub promised_to: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The delivery window held for it; the promised window is then that slot.
    pub delivery_slot: Option<crate::slots::Slot>,
    pub pickup_slot: Option<crate::slots::Slot>,
    /// Set when the recipient chose to collect it at a pickup point instead.
    pub pickup_point: Option<String>,
    pub events: Vec<ShipmentEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentEvent {
    pub status: ShipmentStatus,
    /// Unix milliseconds.
    pub time: i64,
    pub place: Option<String>,
    pub note: Option<String>,
}

/// An event's note in the reader's language: changes to the delivery are stored as
/// `slot:<day> <from>-<to>` or `pickup_point:<name>`.
pub fn event_note(t: &crate::i18n::Texts, note: &str) -> String {
    use crate::i18n::fill;
    if let Some(w) = note.strip_prefix("slot:") {
        fill(t.event_slot_changed, &[("window", w)])
    } else if let Some(p) = note.strip_prefix("pickup_point:") {
        fill(t.event_pickup_point, &[("point", p)])
    } else {
        note.to_string()
    }
}

/// A new tracking event, as announced to open tracking pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub tracking_number: String,
    /// The event's row id: a reconnecting stream resumes after it (`Last-Event-ID`).
    pub id: i64,
    pub event: ShipmentEvent,
}

/// One row of the shipment list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentSummary {
    pub tracking_number: String,
    pub status: ShipmentStatus,
    pub service: ServiceLevel,
    pub reference: Option<String>,
    pub recipient_name: String,
    pub recipient_city: String,
    pub recipient_country: String,
    pub parcel_count: i64,
    pub weight_g: i64,
    pub total: i64,
    pub currency: String,
    pub promised_to: String,
    pub created_at: i64,
}

crate::domain::vocabulary! {
    /// Newest first (the default) or oldest first.
    #[derive(Default)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ShipmentSort {
        #[default]
        Newest,
        Oldest,
    }
}

/// The list's search, filters and page; every field optional, and an empty one is as if
/// absent. Dates are `YYYY-MM-DD` (UTC) and inclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ShipmentQuery {
    /// A tracking number, or part of the recipient's name, company, city or the reference:
    /// one line.
    // shipments::MAX_SEARCH_CHARS, SINGLE_LINE_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        param(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub q: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<ShipmentStatusOrEmpty>, inline))]
    pub status: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<ServiceLevelOrEmpty>, inline))]
    pub service: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<DateOrEmpty>, inline))]
    pub from: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<DateOrEmpty>, inline))]
    pub to: Option<String>,
    #[serde(default)]
    pub sort: Option<ShipmentSort>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<IntegerOrEmpty>, inline))]
    pub cursor: Option<String>,
    /// 25 when absent.
    // shipments::MAX_PAGE
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

#[cfg(feature = "ssr")]
schema_type!(
    /// A shipment status, or empty for all.
    pub ShipmentStatusOrEmpty = crate::domain::schema::one_of_or_empty(
        ShipmentStatus::ALL.map(ShipmentStatus::as_str)
    )
);

#[cfg(feature = "ssr")]
schema_type!(
    /// A service level, or empty for all.
    pub ServiceLevelOrEmpty = crate::domain::schema::one_of_or_empty(
        ServiceLevel::ALL.map(ServiceLevel::as_str)
    )
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentPage {
    pub shipments: Vec<ShipmentSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// One problem in an imported file, named by line (1 = the header) and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CellError {
    pub line: u64,
    /// The CSV column, e.g. `recipient_postcode`; empty when the whole line is unreadable.
    pub column: String,
    pub code: String,
    pub message: String,
}

/// One data row of an import as checked (and, when valid, priced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRow {
    pub line: u64,
    pub reference: Option<String>,
    /// Recipient name and city, to recognise the row.
    pub recipient: String,
    pub service: Option<ServiceLevel>,
    /// The price it would be booked at; absent when the row has errors.
    pub total: Option<i64>,
    pub errors: Vec<CellError>,
    /// The booking a valid row makes.
    #[serde(default)]
    pub booking: Option<BookingRequest>,
}

/// What the file holds before anything is booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportPreview {
    /// How the file was read: `utf-8`, `utf-16` or `gbk`.
    pub encoding: String,
    pub currency: String,
    pub rows: Vec<ImportRow>,
    pub valid: usize,
    pub invalid: usize,
    /// Rows booked with this key (and their line) are booked once, however often retried.
    pub batch_key: String,
}

/// One row's outcome: its tracking number, or why it was not booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportOutcome {
    pub line: u64,
    pub tracking_number: Option<String>,
    pub errors: Vec<CellError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportResult {
    pub encoding: String,
    pub booked: usize,
    pub failed: usize,
    pub rows: Vec<ImportOutcome>,
}

/// The booking flow's state as typed: saved addresses by id (the caller's own only) or a new
/// recipient, parcels in kilograms and yuan as text. The server turns it into a
/// `BookingRequest` and names fields like the API does (`recipient.city`, `parcels[1].weight_g`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BookingDraft {
    pub sender_id: String,
    /// A saved address id, or `new` for `recipient`.
    pub recipient_id: String,
    pub recipient: AddressInput,
    pub parcels: Vec<ParcelDraft>,
    pub service: Option<ServiceLevel>,
    pub insure: bool,
    pub reference: String,
    #[serde(default)]
    pub delivery_slot_id: Option<i64>,
    #[serde(default)]
    pub pickup_slot_id: Option<i64>,
}

pub const NEW_RECIPIENT: &str = "new";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParcelDraft {
    pub weight_kg: String,
    pub length_cm: String,
    pub width_cm: String,
    pub height_cm: String,
    pub declared_value: String,
    pub contents: String,
}

/// How far the booking flow has come: addresses, then parcels (which prices every service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DraftStage {
    Addresses,
    Parcels,
}

/// Checks the draft up to `stage`; from `Parcels` on, answers with every service's price.
#[server(prefix = "/rpc", endpoint = "orders/check", input = server_fn::codec::Json)]
pub async fn check_booking(
    draft: BookingDraft,
    stage: DraftStage,
) -> Result<Reply<Option<QuoteResponse>>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(quote::check_draft(&state.db, customer_id, &draft, stage).await)
}

/// Books the draft. `key` is the flow's idempotency key: a resend after a lost answer returns
/// the shipment the first attempt booked.
#[server(prefix = "/rpc", endpoint = "orders/book", input = server_fn::codec::Json)]
pub async fn book_shipment(draft: BookingDraft, key: String) -> Result<Reply<Shipment>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    let booking = match quote::resolve_draft(&state.db, customer_id, &draft).await {
        Ok(b) => b,
        Err(e) => return form_reply(Err(e)),
    };
    form_reply(
        shipments::book_once(&state.db, customer_id, &format!("ui:{key}"), &booking)
            .await
            .map(|b| b.shipment),
    )
}

#[server(prefix = "/rpc", endpoint = "orders/list", input = server_fn::codec::Json)]
pub async fn list_shipments(query: ShipmentQuery) -> Result<Reply<ShipmentPage>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(shipments::list(&state.db, customer_id, &query).await)
}

#[server(prefix = "/rpc", endpoint = "orders/get", input = server_fn::codec::Json)]
pub async fn get_shipment(tracking_number: String) -> Result<Shipment, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(shipments::get(&state.db, customer_id, &tracking_number).await)
}

#[server(prefix = "/rpc", endpoint = "orders/cancel", input = server_fn::codec::Json)]
pub async fn cancel_shipment(tracking_number: String) -> Result<Reply<Shipment>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(shipments::cancel(&state.db, customer_id, &tracking_number).await)
}

/// The windows a booking draft can choose from: the recipient's area from the first day the
/// chosen service can deliver, or the sender's area for a pickup.
#[server(prefix = "/rpc", endpoint = "slots/for_draft", input = server_fn::codec::Json)]
pub async fn draft_slots(
    draft: BookingDraft,
    purpose: crate::slots::SlotPurpose,
) -> Result<Reply<crate::slots::SlotList>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(delivery::for_draft(&state.db, customer_id, &draft, purpose).await)
}

/// The windows of the shipment's destination area, for the shipper's own shipment.
#[server(prefix = "/rpc", endpoint = "slots/for_shipment", input = server_fn::codec::Json)]
pub async fn shipment_slots(
    tracking_number: String,
) -> Result<Reply<crate::slots::SlotList>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(delivery::for_own_shipment(&state.db, customer_id, &tracking_number).await)
}

/// The shipper gives one of its shipments a delivery window (or moves it).
#[server(prefix = "/rpc", endpoint = "slots/choose", input = server_fn::codec::Json)]
pub async fn choose_delivery_slot(
    tracking_number: String,
    slot_id: i64,
) -> Result<Reply<Shipment>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(
        delivery::shipper_reschedule(&state.db, customer_id, &tracking_number, slot_id).await,
    )
}

/// The largest CSV file an import takes.
pub const IMPORT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Rows per `book_import_rows` call: small enough for a progress bar that moves.
pub const IMPORT_CHUNK: usize = 100;

/// Reads an uploaded CSV (base64 of its bytes, so any encoding survives) and checks every row.
#[server(prefix = "/rpc", endpoint = "orders/import/preview", input = server_fn::codec::Json)]
pub async fn preview_import(file_base64: String) -> Result<Reply<ImportPreview>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::accounts::service::random_token;
    use crate::platform::request::*;
    use base64::Engine;
    let (state, parts, Customer(customer_id)) = caller_and_request().await?;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(file_base64.trim()) else {
        return Ok(Err(AppError::field(
            "file",
            crate::error::FieldError::FileUnreadable,
        )));
    };
    let locale = crate::i18n::locale_from_headers(&parts.headers);
    let tier = respond(crate::accounts::store::tier(&state.db.pool, customer_id).await)?;
    form_reply(import::preview(&bytes, tier.as_str(), locale).map(|mut p| {
        p.batch_key = format!("import:{}", random_token());
        p
    }))
}

/// Books one chunk of previewed rows; resending a chunk books none of its rows twice.
#[server(prefix = "/rpc", endpoint = "orders/import/book", input = server_fn::codec::Json)]
pub async fn book_import_rows(
    batch_key: String,
    rows: Vec<(u64, BookingRequest)>,
) -> Result<Vec<ImportOutcome>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, parts, Customer(customer_id)) = caller_and_request().await?;
    if rows.len() > IMPORT_CHUNK || !batch_key.starts_with("import:") {
        return respond(Err(AppError::BadRequest("chunk".into())));
    }
    let locale = crate::i18n::locale_from_headers(&parts.headers);
    respond(import::book_rows(&state.db, customer_id, &batch_key, &rows, locale).await)
}

/// A booking or delivery-change message in the reader's language: orders words its own
/// notifications (messages.rs asks it).
pub fn notification_text(n: &crate::notifications::Notification, t: &crate::i18n::Texts) -> String {
    use crate::i18n::fill;
    use crate::notifications::NotificationKind;
    let tn = n.tracking_number.as_deref().unwrap_or("");
    match n.kind {
        NotificationKind::BookingConfirmed => fill(t.note_booking_confirmed, &[("tn", tn)]),
        NotificationKind::DeliveryChanged => fill(
            t.note_delivery_changed,
            &[
                ("tn", tn),
                ("change", &event_note(t, n.change.as_deref().unwrap_or(""))),
            ],
        ),
        other => unreachable!("{other:?} is not an orders message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_are_the_serde_names() {
        crate::domain::assert_serde_names(ShipmentSort::as_str, ShipmentSort::parse);
    }

    /// The document's literals are the rules' constants.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_document_states_the_parcel_booking_and_list_limits() {
        use crate::domain::schema::{
            json_of, param_schema, NOT_BLANK_PATTERN, SINGLE_LINE_PATTERN,
        };
        use crate::domain::{Dimensions, Weight};
        let parcel = json_of::<ParcelInput>();
        let field = |name: &str| parcel["properties"][name].clone();
        assert_eq!(field("weight_g")["maximum"], Weight::MAX_GRAMS);
        for side in ["length_cm", "width_cm", "height_cm"] {
            assert_eq!(field(side)["minimum"], 1, "{side}");
            assert_eq!(field(side)["maximum"], Dimensions::MAX_SIDE_CM, "{side}");
        }
        assert_eq!(
            field("declared_value")["maximum"],
            quote::MAX_DECLARED_VALUE
        );
        assert_eq!(field("contents")["maxLength"], MAX_CONTENTS_CHARS);
        assert_eq!(field("contents")["pattern"], NOT_BLANK_PATTERN);
        for parcels in [
            json_of::<QuoteRequest>()["properties"]["parcels"].clone(),
            json_of::<BookingRequest>()["properties"]["parcels"].clone(),
        ] {
            assert_eq!(parcels["minItems"], 1);
            assert_eq!(parcels["maxItems"], quote::MAX_PARCELS);
        }
        let reference = &json_of::<BookingRequest>()["properties"]["reference"];
        assert_eq!(reference["maxLength"], shipments::MAX_REFERENCE_CHARS);
        assert_eq!(reference["pattern"], SINGLE_LINE_PATTERN);
        let limit = param_schema::<ShipmentQuery>("limit");
        assert_eq!(limit["minimum"], 1);
        assert_eq!(limit["maximum"], shipments::MAX_PAGE);
        let q = param_schema::<ShipmentQuery>("q");
        assert_eq!(q["maxLength"], shipments::MAX_SEARCH_CHARS);
        assert_eq!(q["pattern"], SINGLE_LINE_PATTERN);
        let status = param_schema::<ShipmentQuery>("status");
        assert_eq!(status["enum"][0], "");
        assert_eq!(
            status["enum"].as_array().unwrap().len(),
            ShipmentStatus::ALL.len() + 1
        );
    }

    /// Rows: from; columns: to; both in `ShipmentStatus::ALL` order (created, picked_up,
    /// in_transit, at_hub, out_for_delivery, delivered, delayed, delivery_failed, damaged, lost,
    /// returned_to_sender, cancelled).
    const LEGAL: [&str; 12] = [
        "010000100101", // created
        "001100101110", // picked_up
        "001110101110", // in_transit
        "001110101110", // at_hub
        "000101111100", // out_for_delivery
        "000000000000", // delivered
        "001110101110", // delayed
        "000110100110", // delivery_failed
        "001111000110", // damaged
        "001100000010", // lost
        "000000000000", // returned_to_sender
        "000000000000", // cancelled
    ];

    #[test]
    fn every_pair_of_statuses_follows_the_transition_table() {
        for (i, from) in ShipmentStatus::ALL.into_iter().enumerate() {
            for (j, to) in ShipmentStatus::ALL.into_iter().enumerate() {
                let legal = LEGAL[i].as_bytes()[j] == b'1';
                assert_eq!(
                    from.can_become(to),
                    legal,
                    "{} -> {}",
                    from.as_str(),
                    to.as_str()
                );
            }
        }
        use ShipmentStatus::*;
        assert!(!Cancelled.can_become(Delivered));
        assert!(
            !Created.can_become(Delivered),
            "nothing is delivered before pickup"
        );
        assert!(
            !PickedUp.can_become(Cancelled),
            "collected parcels cannot be called off"
        );
    }
}
