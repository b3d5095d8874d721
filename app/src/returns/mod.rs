//! Returns: the reasons a customer may give, the return window after delivery, the status
//! machine of DESIGN.md, and the pages and server functions of the return loop. A return
//! travels as a shipment of its own (own S10 number, label, tracking page and notifications),
//! booked through the same code as any other when an agent approves it.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Reply};
use crate::i18n::Texts;
use crate::slots::{Slot, SlotList};

/// Photos one return may hold.
pub const MAX_PHOTOS: usize = 5;

/// Days after delivery a return may be requested, unless configured otherwise (a setting).
#[cfg(feature = "ssr")]
pub use crate::platform::settings::DEFAULT_RETURN_WINDOW_DAYS as DEFAULT_WINDOW_DAYS;
const DAY_MS: i64 = 86_400_000;

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ReturnReason {
        Damaged,
        WrongItem,
        NotAsDescribed,
        NoLongerNeeded,
        Other,
    }
}

impl ReturnReason {
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            ReturnReason::Damaged => t.reason_damaged,
            ReturnReason::WrongItem => t.reason_wrong_item,
            ReturnReason::NotAsDescribed => t.reason_not_as_described,
            ReturnReason::NoLongerNeeded => t.reason_no_longer_needed,
            ReturnReason::Other => t.reason_other,
        }
    }
}

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ReturnStatus {
        Requested,
        Approved,
        Rejected,
        LabelIssued,
        InTransit,
        Received,
        Refunded,
        Closed,
    }
}

impl ReturnStatus {
    /// `requested` -> `approved`/`rejected` -> `label_issued` -> `in_transit` -> `received` ->
    /// `refunded`/`closed`; rejected, refunded and closed returns are final.
    pub fn can_become(self, next: ReturnStatus) -> bool {
        use ReturnStatus as S;
        matches!(
            (self, next),
            (S::Requested, S::Approved)
                | (S::Requested, S::Rejected)
                | (S::Approved, S::LabelIssued)
                | (S::LabelIssued, S::InTransit)
                | (S::InTransit, S::Received)
                | (S::Received, S::Refunded)
                | (S::Received, S::Closed)
        )
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            ReturnStatus::Requested => t.rs_requested,
            ReturnStatus::Approved => t.rs_approved,
            ReturnStatus::Rejected => t.rs_rejected,
            ReturnStatus::LabelIssued => t.rs_label_issued,
            ReturnStatus::InTransit => t.rs_in_transit,
            ReturnStatus::Received => t.rs_received,
            ReturnStatus::Refunded => t.rs_refunded,
            ReturnStatus::Closed => t.rs_closed,
        }
    }

    /// Still open: a second return of the same items is refused while one of these exists.
    pub fn open(self) -> bool {
        !matches!(
            self,
            ReturnStatus::Rejected | ReturnStatus::Refunded | ReturnStatus::Closed
        )
    }
}

/// Whether a return may be requested at `now` for a parcel delivered at `delivered_at`: up to
/// and including the last moment of the window.
pub fn within_window(delivered_at: i64, now: i64, window_days: u32) -> bool {
    now >= delivered_at && now <= delivered_at + i64::from(window_days) * DAY_MS
}

crate::domain::vocabulary! {
    /// How the parcel goes back.
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ReturnMethod {
        /// A courier collects it in a window (the delivery slots of the recipient's area).
        Pickup,
        /// The customer drops it at one of the area's points.
        DropOff,
    }
}

/// `POST /api/v1/shipments/{tracking_number}/returns`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnRequest {
    /// Indexes (from 0) of the shipment's parcels going back.
    #[cfg_attr(feature = "ssr", schema(min_items = 1))]
    pub items: Vec<u32>,
    pub reason: ReturnReason,
    /// Several lines; empty for none.
    // service::MAX_NOTE_CHARS, FREE_TEXT_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 1000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub note: Option<String>,
    pub method: ReturnMethod,
    /// With `pickup`: a window from the return options.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub pickup_slot_id: Option<i64>,
    /// With `drop_off`: one of the area's points.
    // service::MAX_POINT_CHARS, SINGLE_LINE_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub drop_off_point: Option<String>,
}

/// One parcel of the shipment, as a return sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnItem {
    pub index: u32,
    pub contents: String,
    pub weight_g: i64,
    /// Minor units; what a refund of this item pays.
    pub declared_value: i64,
    /// Already in a return (it cannot go back twice).
    pub in_return: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnStep {
    pub status: ReturnStatus,
    /// Unix milliseconds.
    pub at: i64,
    pub note: Option<String>,
}

/// One return with everything its pages show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Return {
    pub id: i64,
    /// The delivered shipment going back.
    pub tracking_number: String,
    /// The return's own number, once the label is issued.
    pub return_tracking_number: Option<String>,
    pub status: ReturnStatus,
    pub reason: ReturnReason,
    pub note: Option<String>,
    pub method: ReturnMethod,
    pub pickup_slot: Option<Slot>,
    pub drop_off_point: Option<String>,
    pub items: Vec<ReturnItem>,
    /// Ids of the photos (`GET /api/v1/returns/{id}/photos/{photo_id}`).
    pub photos: Vec<i64>,
    /// Set when refunded (minor units).
    pub refund_amount: Option<i64>,
    /// What a refund would pay: the declared value of the items.
    pub refundable: i64,
    pub currency: String,
    /// Why it was rejected, or the agent's note.
    pub decision_note: Option<String>,
    /// `shipper` or `recipient`.
    pub requested_by: String,
    pub customer_name: String,
    /// For staff only (`null` to the customer).
    pub tier: Option<String>,
    /// When an agent should have decided (by the customer's tier).
    pub decision_due: i64,
    pub steps: Vec<ReturnStep>,
    pub created_at: i64,
    /// Path of the signed link that opens this return without signing in (for a recipient).
    pub view_link: Option<String>,
}

/// A line in a list or queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnSummary {
    pub id: i64,
    pub tracking_number: String,
    pub return_tracking_number: Option<String>,
    pub status: ReturnStatus,
    pub reason: ReturnReason,
    pub customer_name: String,
    /// For staff only (`null` to the customer).
    pub tier: Option<String>,
    /// When the next step is due from the care team (decision, or refund once received).
    pub due_at: i64,
    pub created_at: i64,
}

/// What a return of one shipment may choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnOptions {
    pub tracking_number: String,
    pub delivered_at: Option<i64>,
    /// The last moment a return may be requested.
    pub window_ends_at: Option<i64>,
    pub items: Vec<ReturnItem>,
    /// Of the items' declared values.
    pub currency: String,
    pub slots: SlotList,
    pub drop_off_points: Vec<String>,
}

/// `POST /api/v1/returns/{id}/decision` (agents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnDecision {
    pub approve: bool,
    /// Required when rejecting: the customer is told why. Several lines.
    // service::MAX_NOTE_CHARS, FREE_TEXT_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 1000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub note: Option<String>,
}

/// `POST /api/v1/returns/{id}/refund` (agents), once the parcel is received: `refund` pays the
/// items' declared value; `false` closes the return without a refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundInput {
    pub refund: bool,
    /// Several lines; empty for none.
    // service::MAX_NOTE_CHARS, FREE_TEXT_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 1000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub note: Option<String>,
}

/// How a caller reaches a return's pages: signed in, or by a signed link (a recipient).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnLink {
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub sig: Option<String>,
}

impl ReturnLink {
    /// The signature carried by a link's path (`/returns/7?exp=..&sig=..`).
    pub fn from_path(path: Option<&str>) -> Option<ReturnLink> {
        let query = path?.split_once('?')?.1;
        let mut link = ReturnLink::default();
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "exp" => link.exp = v.parse().ok(),
                "sig" => link.sig = Some(v.to_string()),
                _ => {}
            }
        }
        link.sig.is_some().then_some(link)
    }
}

#[server(prefix = "/rpc", endpoint = "returns/options", input = server_fn::codec::Json)]
pub async fn load_return_options(
    tracking_number: String,
    link: ReturnLink,
) -> Result<Reply<ReturnOptions>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let who =
        respond(service::requester(&state.db, &parts.headers, &tracking_number, &link).await)?;
    form_reply(
        service::options(
            &state.db,
            &who,
            &tracking_number,
            state.settings.return_window_days,
        )
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "returns/create", input = server_fn::codec::Json)]
pub async fn request_return(
    tracking_number: String,
    link: ReturnLink,
    request: ReturnRequest,
) -> Result<Reply<Return>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let who =
        respond(service::requester(&state.db, &parts.headers, &tracking_number, &link).await)?;
    form_reply(
        service::create(
            &state.db,
            &who,
            &tracking_number,
            &request,
            state.settings.return_window_days,
        )
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "returns/get", input = server_fn::codec::Json)]
pub async fn get_return(id: i64, link: ReturnLink) -> Result<Return, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let caller = respond(service::caller(&state.db, &parts.headers, id, &link).await)?;
    respond(service::get(&state.db, &caller, id).await)
}

#[server(prefix = "/rpc", endpoint = "returns/mine", input = server_fn::codec::Json)]
pub async fn my_returns() -> Result<Vec<ReturnSummary>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer)) = caller::<Customer>().await?;
    respond(service::list(&state.db, Some(customer)).await)
}

/// Adds one photo (base64 of the file's bytes; the type is read from the bytes).
#[server(prefix = "/rpc", endpoint = "returns/photo", input = server_fn::codec::Json)]
pub async fn add_return_photo(
    id: i64,
    link: ReturnLink,
    data_base64: String,
) -> Result<Reply<Return>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let caller = respond(service::caller(&state.db, &parts.headers, id, &link).await)?;
    let bytes = match crate::platform::uploads::decode_base64("photo", &data_base64) {
        Ok(b) => b,
        Err(e) => return form_reply(Err(e)),
    };
    form_reply(service::add_photo(&state.db, &state.settings, &caller, id, &bytes).await)
}

#[server(prefix = "/rpc", endpoint = "returns/decide", input = server_fn::codec::Json)]
pub async fn decide_return(id: i64, decision: ReturnDecision) -> Result<Reply<Return>, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    let (state, Staff(agent)) = caller::<Staff>().await?;
    form_reply(service::decide(&state.db, &agent, id, &decision).await)
}

#[server(prefix = "/rpc", endpoint = "returns/refund", input = server_fn::codec::Json)]
pub async fn refund_return(id: i64, input: RefundInput) -> Result<Reply<Return>, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    let (state, Staff(agent)) = caller::<Staff>().await?;
    form_reply(service::refund(&state.db, &agent, id, &input).await)
}

/// A return's message in the reader's language: returns words its own notifications
/// (messages.rs asks it).
pub fn notification_text(n: &crate::notifications::Notification, t: &Texts) -> String {
    use crate::i18n::fill;
    use crate::notifications::NotificationKind;
    let tn = n.tracking_number.as_deref().unwrap_or("");
    match n.kind {
        NotificationKind::ReturnUpdate => {
            let step = n
                .step
                .as_deref()
                .and_then(ReturnStatus::parse)
                .map(|s| s.label(t))
                .unwrap_or_default();
            fill(
                t.note_return_update,
                &[("tn", tn), ("id", &n.subject_text()), ("step", step)],
            )
        }
        other => unreachable!("{other:?} is not a returns message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document's literals are the rules' constants.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_document_states_the_notes_and_the_point() {
        use crate::domain::schema::{json_of, FREE_TEXT_PATTERN, SINGLE_LINE_PATTERN};
        let request = json_of::<ReturnRequest>();
        let notes = [
            request["properties"]["note"].clone(),
            json_of::<ReturnDecision>()["properties"]["note"].clone(),
            json_of::<RefundInput>()["properties"]["note"].clone(),
        ];
        for note in notes {
            assert_eq!(note["maxLength"], service::MAX_NOTE_CHARS);
            assert_eq!(note["pattern"], FREE_TEXT_PATTERN);
        }
        let point = &request["properties"]["drop_off_point"];
        assert_eq!(point["maxLength"], service::MAX_POINT_CHARS);
        assert_eq!(point["pattern"], SINGLE_LINE_PATTERN);
        assert_eq!(request["properties"]["items"]["minItems"], 1);
    }

    #[test]
    fn a_links_signature_is_read_back_from_its_path() {
        let link = ReturnLink::from_path(Some("/returns/7?exp=1795000000000&sig=ab12")).unwrap();
        assert_eq!(link.exp, Some(1_795_000_000_000));
        assert_eq!(link.sig.as_deref(), Some("ab12"));
        assert_eq!(ReturnLink::from_path(Some("/returns/7")), None);
        assert_eq!(ReturnLink::from_path(None), None);
    }

    #[test]
    fn return_and_complaint_messages_read_in_both_languages() {
        use crate::notifications::{MessageText, Notification, NotificationKind};
        let note = |kind, step: &str, id| Notification {
            id: 1,
            kind,
            tracking_number: Some("CP123456785CN".into()),
            status: None,
            change: None,
            cause: None,
            eta: None,
            subject_id: Some(id),
            step: Some(step.into()),
            created_at: 0,
            read: false,
        };
        let r = note(NotificationKind::ReturnUpdate, "label_issued", 7);
        assert_eq!(
            r.text(&crate::i18n::EN),
            "Return #7 of CP123456785CN: Label issued."
        );
        assert!(r.text(&crate::i18n::ZH_CN).contains("已出退货面单"));
        assert_eq!(r.page().as_deref(), Some("/returns/7"));
        let c = note(NotificationKind::ComplaintUpdate, "auto_closed", 3);
        assert_eq!(
            c.text(&crate::i18n::EN),
            "Complaint #3: closed after 7 days without an answer."
        );
        assert!(c.text(&crate::i18n::ZH_CN).contains("自动关闭"));
        assert_eq!(c.page().as_deref(), Some("/complaints/3"));
    }

    #[test]
    fn every_status_pair_follows_the_table() {
        use ReturnStatus as S;
        let legal = [
            (S::Requested, S::Approved),
            (S::Requested, S::Rejected),
            (S::Approved, S::LabelIssued),
            (S::LabelIssued, S::InTransit),
            (S::InTransit, S::Received),
            (S::Received, S::Refunded),
            (S::Received, S::Closed),
        ];
        for from in S::ALL {
            for to in S::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert!(!S::Rejected.open() && !S::Refunded.open() && !S::Closed.open());
        assert!(S::Requested.open() && S::InTransit.open());
    }

    #[test]
    fn the_window_includes_its_last_moment_only() {
        let delivered = 1_795_000_000_000;
        assert!(within_window(delivered, delivered, 30));
        assert!(within_window(delivered, delivered + 30 * DAY_MS, 30));
        assert!(!within_window(delivered, delivered + 30 * DAY_MS + 1, 30));
        assert!(
            !within_window(delivered, delivered - 1, 30),
            "not before delivery"
        );
        assert!(
            !within_window(delivered, delivered + 1, 0) && within_window(delivered, delivered, 0)
        );
    }

    #[test]
    fn reasons_round_trip() {
        for r in ReturnReason::ALL {
            assert_eq!(ReturnReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(ReturnReason::parse("changed_mind"), None);
    }

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(ReturnReason::as_str, ReturnReason::parse);
        crate::domain::assert_serde_names(ReturnStatus::as_str, ReturnStatus::parse);
        crate::domain::assert_serde_names(ReturnMethod::as_str, ReturnMethod::parse);
    }
}
