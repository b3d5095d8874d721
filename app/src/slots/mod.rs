//! Delivery and pickup slots: managers' templates per service area, the windows generated from
//! them with their capacity and cut-off, and the places taken in them. A window's capacity
//! counts courier stops, so pickups and deliveries in one area draw on the same windows. Which
//! shipment holds a window, and the windows a shipment may move to, are orders' to know.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Reply};

/// One delivery window as a shipper or recipient sees it. Times are RFC 3339 in UTC; `day`,
/// `local_start` and `local_end` are in the service area's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Slot {
    pub id: i64,
    pub area: String,
    pub time_zone: String,
    /// `YYYY-MM-DD`, local.
    pub day: String,
    /// `HH:MM`, local.
    pub local_start: String,
    pub local_end: String,
    pub starts_at: String,
    pub ends_at: String,
    pub cutoff_at: String,
    /// The cut-off, local: `YYYY-MM-DD HH:MM`.
    pub local_cutoff: String,
    pub capacity: i64,
    pub remaining: i64,
    pub closed: bool,
    /// False when full, closed or past its cut-off; `unavailable` says which.
    pub bookable: bool,
    #[serde(default)]
    pub unavailable: Option<SlotUnavailable>,
}

/// Why a window cannot be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlotUnavailable {
    Full,
    CutoffPassed,
    Closed,
}

impl SlotUnavailable {
    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            SlotUnavailable::Full => t.slot_full,
            SlotUnavailable::CutoffPassed => t.slot_cutoff_passed,
            SlotUnavailable::Closed => t.slot_closed,
        }
    }
}

/// The windows of the area an address falls in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotList {
    /// The service area's code and name; absent when no area serves the address.
    pub area: Option<String>,
    pub area_name: Option<String>,
    pub slots: Vec<Slot>,
}

/// One window of a template, local `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WindowInput {
    // service::TIME_PATTERN
    #[cfg_attr(feature = "ssr", schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// After `start` (422 naming `windows[i].end` otherwise).
    #[cfg_attr(feature = "ssr", schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end: String,
}

/// A service area and its weekly pattern, as a manager defines it. Beyond what each field
/// states: the country and the cities must be in the gazetteer, the time zone in the time zone
/// database, and an area needs at least one city or postcode prefix (422 naming the field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotTemplateInput {
    /// Short code, e.g. `shanghai`: lower-case letters, digits and `-` (upper case is lowered).
    // service::MAX_AREA_CODE_CHARS, service::AREA_CODE_PATTERN
    #[cfg_attr(feature = "ssr", schema(max_length = 40, pattern = "^[A-Za-z0-9-]+$"))]
    pub area: String,
    /// One line.
    // service::MAX_NAME_CHARS, REQUIRED_LINE_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 80,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[cfg_attr(feature = "ssr", schema(pattern = "^[A-Za-z]{2}$"))]
    pub country: String,
    /// IANA name, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Cities (as in addresses) that belong to the area.
    #[serde(default)]
    pub cities: Vec<String>,
    /// Postcode prefixes that belong to the area; the longest match wins over a city match.
    #[serde(default)]
    pub postcode_prefixes: Vec<String>,
    /// ISO weekdays with windows: 1 = Monday ... 7 = Sunday.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, minimum = 1, maximum = 7))]
    pub weekdays: Vec<u8>,
    // service::MAX_WINDOWS
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 24))]
    pub windows: Vec<WindowInput>,
    /// Parcels per window.
    // service::MAX_CAPACITY
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 10000))]
    pub capacity: i64,
    /// The cut-off is `cutoff_time` local, this many days before the window's day.
    // service::MAX_CUTOFF_DAYS_BEFORE
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 14))]
    pub cutoff_days_before: i64,
    // service::TIME_PATTERN
    #[cfg_attr(feature = "ssr", schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub cutoff_time: String,
    /// How many days ahead windows open.
    // service::MAX_DAYS_AHEAD
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 60))]
    pub days_ahead: i64,
    /// Closed days, `YYYY-MM-DD` (empty entries are skipped).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Vec<crate::domain::schema::DateOrEmpty>, inline)
    )]
    pub holidays: Vec<String>,
    /// Pickup points a recipient may choose instead of a delivery window: one line each
    /// (empty entries are skipped).
    // service::MAX_POINT_CHARS, SINGLE_LINE_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 120, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub pickup_points: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotTemplate {
    pub id: i64,
    #[serde(flatten)]
    pub template: SlotTemplateInput,
}

/// A manager's change to one window: its capacity, or closing it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotUpdate {
    // service::MAX_CAPACITY
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 10000))]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub closed: Option<bool>,
}

/// `PUT /api/v1/shipments/{tracking_number}/delivery-slot`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotChoice {
    /// A window of the destination's area (422 `slot_not_in_area` otherwise).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub slot_id: i64,
}

/// Whose address a window is for: deliveries go to the recipient's area, pickups to the
/// sender's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlotPurpose {
    Delivery,
    Pickup,
}

/// The slot-template form as typed: lists as comma- or line-separated text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateForm {
    /// Empty for a new template.
    #[serde(default)]
    pub id: String,
    pub area: String,
    pub name: String,
    pub country: String,
    pub time_zone: String,
    #[serde(default)]
    pub cities: String,
    #[serde(default)]
    pub postcode_prefixes: String,
    /// Ticked weekdays, `1`..`7`.
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// `09:00-11:00, 11:00-13:00`
    pub windows: String,
    pub capacity: String,
    pub cutoff_days_before: String,
    pub cutoff_time: String,
    pub days_ahead: String,
    #[serde(default)]
    pub holidays: String,
    #[serde(default)]
    pub pickup_points: String,
}

#[server(prefix = "/rpc", endpoint = "slots/templates", input = server_fn::codec::Json)]
pub async fn list_templates() -> Result<Vec<SlotTemplate>, AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    let (state, Manager(_)) = caller::<Manager>().await?;
    respond(service::list_templates(&state.db).await)
}

#[server(prefix = "/rpc", endpoint = "slots/templates/save", input = server_fn::codec::Json)]
pub async fn save_template(form: TemplateForm) -> Result<Reply<SlotTemplate>, AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    let (state, Manager(_)) = caller::<Manager>().await?;
    form_reply(service::save_form(&state.db, &form).await)
}

/// A template's windows from `from` (`YYYY-MM-DD`, empty for today) for `days` days.
#[server(prefix = "/rpc", endpoint = "slots/of_template", input = server_fn::codec::Json)]
pub async fn template_slots(
    template_id: i64,
    from: String,
    days: u32,
) -> Result<Reply<SlotList>, AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    let (state, Manager(_)) = caller::<Manager>().await?;
    form_reply(service::of_template(&state.db, template_id, &from, i64::from(days)).await)
}

#[server(prefix = "/rpc", endpoint = "slots/update", input = server_fn::codec::Json)]
pub async fn update_slot(slot_id: i64, update: SlotUpdate) -> Result<Reply<Slot>, AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    let (state, Manager(_)) = caller::<Manager>().await?;
    form_reply(service::update_slot(&state.db, slot_id, &update).await)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::domain::schema::{json_of, REQUIRED_LINE_PATTERN, SINGLE_LINE_PATTERN};

    /// The document's literals are the rules' constants.
    #[test]
    fn the_document_states_the_template_and_window_limits() {
        let template = json_of::<SlotTemplateInput>();
        let field = |name: &str| template["properties"][name].clone();
        assert_eq!(field("area")["maxLength"], service::MAX_AREA_CODE_CHARS);
        assert_eq!(field("area")["pattern"], service::AREA_CODE_PATTERN);
        assert_eq!(field("name")["maxLength"], service::MAX_NAME_CHARS);
        assert_eq!(field("name")["pattern"], REQUIRED_LINE_PATTERN);
        assert_eq!(field("weekdays")["items"]["minimum"], 1);
        assert_eq!(field("weekdays")["items"]["maximum"], 7);
        assert_eq!(field("windows")["maxItems"], service::MAX_WINDOWS);
        assert_eq!(field("capacity")["maximum"], service::MAX_CAPACITY);
        assert_eq!(
            field("cutoff_days_before")["maximum"],
            service::MAX_CUTOFF_DAYS_BEFORE
        );
        assert_eq!(field("cutoff_time")["pattern"], service::TIME_PATTERN);
        assert_eq!(field("days_ahead")["maximum"], service::MAX_DAYS_AHEAD);
        assert_eq!(
            field("pickup_points")["items"]["maxLength"],
            service::MAX_POINT_CHARS
        );
        assert_eq!(
            field("pickup_points")["items"]["pattern"],
            SINGLE_LINE_PATTERN
        );
        let window = json_of::<WindowInput>();
        for end in ["start", "end"] {
            assert_eq!(window["properties"][end]["pattern"], service::TIME_PATTERN);
        }
        let update = json_of::<SlotUpdate>();
        assert_eq!(
            update["properties"]["capacity"]["maximum"],
            service::MAX_CAPACITY
        );
    }
}
