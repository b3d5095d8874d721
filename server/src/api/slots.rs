use app::accounts::callers::{Customer, Manager, SignedIn};
use app::addresses::AddressInput;
use app::orders::{delivery, ParcelInput, QuoteRequest, ServiceLevel, Shipment};
use app::platform::AppState;
use app::slots::service;
use app::slots::{
    Slot, SlotChoice, SlotList, SlotPurpose, SlotTemplate, SlotTemplateInput, SlotUpdate,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

/// `postcode` or `city`: one of the two is needed (a rule across parameters, refused with 422
/// naming `postcode`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// The delivery address's postcode; `city` is used when no postcode prefix matches.
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub city: String,
    /// ISO 3166-1 alpha-2; `CN` when absent.
    #[serde(default)]
    pub country: Option<String>,
    /// First local day; today when absent or empty, or earlier.
    #[serde(default)]
    #[param(value_type = app::domain::schema::DateOrEmpty, inline)]
    pub from: String,
    /// How many days; 7 when absent. The list ends at the area's horizon.
    // slots::service::MAX_DAYS_AHEAD
    #[serde(default)]
    #[param(minimum = 1, maximum = 60)]
    pub days: Option<i64>,
}

/// The delivery windows of the service area an address falls in, with what is left of each.
#[utoipa::path(get, path = "/api/v1/slots", tag = "slots", params(SlotQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SlotList,
            description = "`area` is null and `slots` empty when no area serves the address"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`postcode` and `city` both missing, `from` malformed or `days` out of range", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _: SignedIn,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> Result<Json<SlotList>, ApiError> {
    let country = q.country.as_deref().unwrap_or("CN");
    let days = service::asked_days(q.days)?;
    Ok(Json(
        service::for_address(&state.db, country, &q.city, &q.postcode, &q.from, days).await?,
    ))
}

/// `POST /api/v1/slots/for-booking`: the shipment as it will be booked, and which windows.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BookingSlotsRequest {
    pub sender: AddressInput,
    pub recipient: AddressInput,
    // app::orders::quote::MAX_PARCELS
    #[schema(min_items = 1, max_items = 50)]
    pub parcels: Vec<ParcelInput>,
    #[serde(default)]
    pub insure: bool,
    /// The service it will be booked with; `scheduled` when absent. Sets the first delivery day.
    #[serde(default)]
    pub service: Option<ServiceLevel>,
    /// `delivery`: windows in the recipient's area; `pickup`: in the sender's.
    pub purpose: SlotPurpose,
}

/// The windows a booking may choose, as the booking page offers them: deliveries in the
/// recipient's area from the first day the service can deliver, pickups in the sender's area
/// from today. Pass one as `delivery_slot_id` or `pickup_slot_id` to `POST /api/v1/shipments`.
#[utoipa::path(post, path = "/api/v1/slots/for-booking", tag = "slots",
    request_body = BookingSlotsRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SlotList,
            description = "`area` is null and `slots` empty when no area serves the address"),
        (status = 403, description = "Not a customer", body = ErrorBody),
        (status = 422, description = "Fields named like `recipient.postcode`, `parcels[0].weight_g`", body = ErrorBody)))]
pub async fn for_booking(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(req): ApiJson<BookingSlotsRequest>,
) -> Result<Json<SlotList>, ApiError> {
    let shipment = QuoteRequest {
        sender: req.sender,
        recipient: req.recipient,
        parcels: req.parcels,
        insure: req.insure,
    };
    Ok(Json(
        delivery::for_booking(&state.db, customer, &shipment, req.service, req.purpose).await?,
    ))
}

/// The windows of one of the caller's shipments' destination area, over the area's horizon,
/// to choose from with `PUT .../delivery-slot` (another customer's: 404).
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}/delivery-slots", tag = "slots",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SlotList,
            description = "`area` is null and `slots` empty when no area serves the destination"),
        (status = 404, description = "No such shipment of the caller's", body = ErrorBody)))]
pub async fn for_shipment(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Json<SlotList>, ApiError> {
    Ok(Json(
        delivery::for_own_shipment(&state.db, customer, &tracking_number).await?,
    ))
}

/// Gives one of the caller's shipments a delivery window in its destination's area, or moves
/// it to another one; the old window is freed in the same transaction.
#[utoipa::path(put, path = "/api/v1/shipments/{tracking_number}/delivery-slot", tag = "slots",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    request_body = SlotChoice,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Shipment),
        (status = 404, description = "No such shipment of the caller's", body = ErrorBody),
        (status = 409, description = "`slot_full`, `cutoff_passed`, `slot_closed`, or the parcel is out for delivery (`not_reschedulable`)", body = ErrorBody),
        (status = 422, description = "The window does not serve the destination (`slot_not_in_area`)", body = ErrorBody)))]
pub async fn choose(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(tracking_number): ApiPath<String>,
    ApiJson(choice): ApiJson<SlotChoice>,
) -> Result<Json<Shipment>, ApiError> {
    Ok(Json(
        delivery::shipper_reschedule(&state.db, customer, &tracking_number, choice.slot_id).await?,
    ))
}

/// Slot templates, one per service area (managers only).
#[utoipa::path(get, path = "/api/v1/slot-templates", tag = "slots",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<SlotTemplate>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not a manager", body = ErrorBody)))]
pub async fn templates(
    State(state): State<AppState>,
    _: Manager,
) -> Result<Json<Vec<SlotTemplate>>, ApiError> {
    Ok(Json(service::list_templates(&state.db).await?))
}

/// Creates a service area's template; its windows are generated at once.
#[utoipa::path(post, path = "/api/v1/slot-templates", tag = "slots",
    request_body = SlotTemplateInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = SlotTemplate), (status = 403, body = ErrorBody),
        (status = 409, description = "The area code is taken (`area_taken`)", body = ErrorBody),
        (status = 422, description = "Fields named like `windows[0].start`", body = ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    _: Manager,
    ApiJson(input): ApiJson<SlotTemplateInput>,
) -> Result<(StatusCode, Json<SlotTemplate>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state.db, None, &input).await?),
    ))
}

/// Replaces a template. Future windows nobody booked follow the new pattern; booked ones and
/// days changed by hand stay.
#[utoipa::path(put, path = "/api/v1/slot-templates/{id}", tag = "slots",
    params(("id" = i64, Path, minimum = 1)), request_body = SlotTemplateInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SlotTemplate), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Another template serves the area code (`area_taken`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_template(
    State(state): State<AppState>,
    _: Manager,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SlotTemplateInput>,
) -> Result<Json<SlotTemplate>, ApiError> {
    Ok(Json(service::save(&state.db, Some(id), &input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateSlotsQuery {
    /// First local day; today when absent or empty, or earlier.
    #[serde(default)]
    #[param(value_type = app::domain::schema::DateOrEmpty, inline)]
    pub from: String,
    /// How many days; 7 when absent. The list ends at the template's horizon.
    // slots::service::MAX_DAYS_AHEAD
    #[serde(default)]
    #[param(minimum = 1, maximum = 60)]
    pub days: Option<i64>,
}

/// A template's windows with what is booked of each (managers only).
#[utoipa::path(get, path = "/api/v1/slot-templates/{id}/slots", tag = "slots",
    params(("id" = i64, Path, minimum = 1), TemplateSlotsQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SlotList),
        (status = 403, description = "Not a manager", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`from` malformed or `days` out of range", body = ErrorBody)))]
pub async fn template_slots(
    State(state): State<AppState>,
    _: Manager,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TemplateSlotsQuery>,
) -> Result<Json<SlotList>, ApiError> {
    let days = service::asked_days(q.days)?;
    Ok(Json(
        service::of_template(&state.db, id, &q.from, days).await?,
    ))
}

/// Changes one window's capacity or closes it (managers only).
#[utoipa::path(put, path = "/api/v1/slots/{id}", tag = "slots",
    params(("id" = i64, Path, minimum = 1)), request_body = SlotUpdate,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Slot), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Capacity below what is booked (`capacity_below_booked`)", body = ErrorBody)))]
pub async fn update_slot(
    State(state): State<AppState>,
    _: Manager,
    ApiPath(id): ApiPath<i64>,
    ApiJson(update): ApiJson<SlotUpdate>,
) -> Result<Json<Slot>, ApiError> {
    Ok(Json(service::update_slot(&state.db, id, &update).await?))
}
