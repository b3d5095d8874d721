//! Complaints: categories, the status machine that closes every loop, SLAs by customer tier
//! (a table, as data), and the pages and server functions of the complaint loop: the customer
//! files and follows, an agent takes it up, answers and resolves, the customer confirms or
//! reopens, and silence closes it after seven days.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Reply};
use crate::i18n::Texts;
use crate::ratings::Csat;

/// The SLA of a tier, defined in `domain` (returns read it too): callers may name it here.
pub use crate::domain::{due_times, sla_for, tier_label, Priority, Sla, SLA_TABLE};

const HOUR_MS: i64 = 3_600_000;
/// A resolved complaint the customer neither confirms nor reopens closes by itself after this.
pub const AUTO_CLOSE_MS: i64 = 7 * 24 * HOUR_MS;

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ComplaintCategory {
        Delay,
        Damage,
        Loss,
        WrongDelivery,
        CourierConduct,
        Billing,
        Other,
    }
}

impl ComplaintCategory {
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            ComplaintCategory::Delay => t.cat_delay,
            ComplaintCategory::Damage => t.cat_damage,
            ComplaintCategory::Loss => t.cat_loss,
            ComplaintCategory::WrongDelivery => t.cat_wrong_delivery,
            ComplaintCategory::CourierConduct => t.cat_courier_conduct,
            ComplaintCategory::Billing => t.cat_billing,
            ComplaintCategory::Other => t.cat_other,
        }
    }
}

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ComplaintStatus {
        Open,
        InProgress,
        Resolved,
        Closed,
        Reopened,
    }
}

impl ComplaintStatus {
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            ComplaintStatus::Open => t.cs_open,
            ComplaintStatus::InProgress => t.cs_in_progress,
            ComplaintStatus::Resolved => t.cs_resolved,
            ComplaintStatus::Closed => t.cs_closed,
            ComplaintStatus::Reopened => t.cs_reopened,
        }
    }

    /// Waiting on the care team (in the agents' queue).
    pub fn with_agents(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Open | ComplaintStatus::InProgress | ComplaintStatus::Reopened
        )
    }

    /// An agent takes it up (`in_progress`) and resolves it; the customer confirms (`closed`)
    /// or reopens it, and a reopened one is worked again. Closed is final.
    pub fn can_become(self, next: ComplaintStatus) -> bool {
        use ComplaintStatus as S;
        matches!(
            (self, next),
            (S::Open, S::InProgress)
                | (S::InProgress, S::Resolved)
                | (S::Resolved, S::Closed)
                | (S::Resolved, S::Reopened)
                | (S::Reopened, S::InProgress)
                | (S::Reopened, S::Resolved)
        )
    }
}

/// Whether a complaint resolved at `resolved_at` closes by itself at `now`.
pub fn auto_closes(status: ComplaintStatus, resolved_at: i64, now: i64) -> bool {
    status == ComplaintStatus::Resolved && now - resolved_at >= AUTO_CLOSE_MS
}

/// A notification's step in words: a status, or `received` / `agent_reply` / `auto_closed`.
pub fn step_label(t: &Texts, step: &str) -> &'static str {
    match step {
        "received" => t.cstep_received,
        "agent_reply" => t.cstep_agent_reply,
        "auto_closed" => t.cstep_auto_closed,
        other => ComplaintStatus::parse(other)
            .map(|s| s.label(t))
            .unwrap_or_default(),
    }
}

/// The longest description or message kept.
pub const MAX_TEXT_CHARS: usize = 4000;

#[cfg(feature = "ssr")]
crate::domain::schema::schema_type!(
    /// A complaint's text (its description, a message, a reason, a resolution): several lines,
    /// more than spaces.
    pub ComplaintText = crate::domain::schema::string()
        .min_length(Some(1))
        .max_length(Some(MAX_TEXT_CHARS))
        .pattern(Some(crate::domain::schema::REQUIRED_TEXT_PATTERN))
        .into()
);

/// `POST /api/v1/complaints`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewComplaint {
    /// One of the caller's shipments (optional for billing and other matters); empty or `null`
    /// for none. Its check digit is checked too (422 naming `tracking_number`), and another
    /// customer's number is not found (404).
    // TrackingNumber::PATTERN_OR_EMPTY
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = "^([A-Z]{2}[0-9]{9}[A-Z]{2})?$"))]
    pub tracking_number: Option<String>,
    pub category: ComplaintCategory,
    #[cfg_attr(feature = "ssr", schema(value_type = ComplaintText))]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplaintMessage {
    /// `customer`, `agent` or `system`.
    pub author: String,
    pub author_name: Option<String>,
    pub body: String,
    /// The status the complaint moved to with this message.
    pub status: Option<ComplaintStatus>,
    /// Unix milliseconds.
    pub at: i64,
}

/// One complaint with its thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Complaint {
    pub id: i64,
    pub tracking_number: Option<String>,
    pub category: ComplaintCategory,
    pub description: String,
    pub status: ComplaintStatus,
    pub priority: Priority,
    /// The customer's tier when it was filed: for staff only (`null` to the customer).
    pub tier: Option<String>,
    /// Unix milliseconds: when the first answer and the resolution are due.
    pub first_response_due: i64,
    pub resolution_due: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// `customer` (confirmed) or `auto` (no answer within 7 days).
    pub closed_by: Option<String>,
    pub resolution_note: Option<String>,
    pub reopen_count: i64,
    /// The customer's satisfaction with the resolution, 1-5, asked on close.
    pub follow_up: Option<Csat>,
    pub assignee: Option<String>,
    pub customer_name: String,
    pub messages: Vec<ComplaintMessage>,
    /// Ids of the attachments (`GET /api/v1/complaints/{id}/attachments/{attachment_id}`).
    pub attachments: Vec<i64>,
    pub created_at: i64,
    /// Past a due time with the care team still to act.
    pub overdue: bool,
}

/// A line in a list or the agents' queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplaintSummary {
    pub id: i64,
    pub tracking_number: Option<String>,
    pub category: ComplaintCategory,
    pub status: ComplaintStatus,
    pub priority: Priority,
    /// For staff only (`null` to the customer).
    pub tier: Option<String>,
    pub customer_name: String,
    pub assignee: Option<String>,
    /// The next due time: the first answer until given, then the resolution.
    pub due_at: i64,
    pub overdue: bool,
    pub created_at: i64,
}

/// `POST /api/v1/complaints/{id}/messages`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageInput {
    #[cfg_attr(feature = "ssr", schema(value_type = ComplaintText))]
    pub body: String,
}

/// `POST /api/v1/complaints/{id}/confirm`: the resolution is accepted; `satisfaction` answers
/// the follow-up question (1-5), now or after an automatic close.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConfirmInput {
    #[serde(default)]
    pub satisfaction: Option<Csat>,
}

#[server(prefix = "/rpc", endpoint = "complaints/create", input = server_fn::codec::Json)]
pub async fn file_complaint(input: NewComplaint) -> Result<Reply<Complaint>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer)) = caller::<Customer>().await?;
    // The form's tracking number names no parcel of the caller's: the field is wrong.
    let filed = service::create(&state.db, &state.settings, customer, &input).await;
    form_reply(filed.map_err(|e| match e {
        AppError::NotFound => AppError::field("tracking_number", crate::error::FieldError::Unknown),
        e => e,
    }))
}

#[server(prefix = "/rpc", endpoint = "complaints/get", input = server_fn::codec::Json)]
pub async fn get_complaint(id: i64) -> Result<Complaint, AppError> {
    use crate::accounts::callers::Caller;
    use crate::platform::request::*;
    let (state, Caller(caller)) = caller::<Caller>().await?;
    respond(service::get(&state.db, &caller, id).await)
}

#[server(prefix = "/rpc", endpoint = "complaints/mine", input = server_fn::codec::Json)]
pub async fn my_complaints() -> Result<Vec<ComplaintSummary>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer)) = caller::<Customer>().await?;
    respond(service::list(&state.db, Some(customer), None).await)
}

/// What an agent's queues hold: complaints to work and returns to decide or refund, each ordered
/// by due time (overdue first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentQueues {
    pub complaints: Vec<ComplaintSummary>,
    pub returns: Vec<crate::returns::ReturnSummary>,
    /// Unix milliseconds, to tell overdue from due.
    pub now: i64,
}

#[server(prefix = "/rpc", endpoint = "care/queues", input = server_fn::codec::Json)]
pub async fn load_agent_queues() -> Result<AgentQueues, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    let (state, Staff(me)) = caller::<Staff>().await?;
    Ok(AgentQueues {
        complaints: respond(service::list(&state.db, None, Some(me.id)).await)?,
        returns: respond(crate::returns::service::list(&state.db, None).await)?,
        now: crate::platform::now_ms(),
    })
}

/// What the people on a complaint can do to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ComplaintAction {
    Reply(String),
    /// Agents: take it up.
    Assign,
    /// Agents: resolve with a note to the customer.
    Resolve(String),
    /// The customer accepts the resolution (and may answer the follow-up).
    Confirm(Option<Csat>),
    /// The customer reopens, saying why.
    Reopen(String),
}

#[server(prefix = "/rpc", endpoint = "complaints/act", input = server_fn::codec::Json)]
pub async fn act_on_complaint(
    id: i64,
    action: ComplaintAction,
) -> Result<Reply<Complaint>, AppError> {
    use crate::accounts::callers::Caller;
    use crate::platform::request::*;
    let (state, Caller(caller)) = caller::<Caller>().await?;
    let now = crate::platform::now_ms();
    form_reply(match action {
        ComplaintAction::Reply(body) => service::message(&state.db, &caller, id, &body, now).await,
        ComplaintAction::Assign => service::assign(&state.db, &caller, id, now).await,
        ComplaintAction::Resolve(note) => {
            service::resolve(&state.db, &caller, id, &note, now).await
        }
        ComplaintAction::Confirm(s) => service::confirm(&state.db, &caller, id, s, now).await,
        ComplaintAction::Reopen(reason) => {
            service::reopen(&state.db, &caller, id, &reason, now).await
        }
    })
}

/// Adds one attachment (base64 of the file's bytes; the type is read from the bytes).
#[server(prefix = "/rpc", endpoint = "complaints/attach", input = server_fn::codec::Json)]
pub async fn attach_to_complaint(
    id: i64,
    data_base64: String,
) -> Result<Reply<Complaint>, AppError> {
    use crate::accounts::callers::Caller;
    use crate::platform::request::*;
    let (state, Caller(caller)) = caller::<Caller>().await?;
    let bytes = match crate::platform::uploads::decode_base64("attachment", &data_base64) {
        Ok(b) => b,
        Err(e) => return form_reply(Err(e)),
    };
    form_reply(service::attach(&state.db, &state.settings, &caller, id, &bytes).await)
}

/// A complaint's message in the reader's language: complaints words its own notifications
/// (messages.rs asks it).
pub fn notification_text(n: &crate::notifications::Notification, t: &Texts) -> String {
    use crate::i18n::fill;
    use crate::notifications::NotificationKind;
    match n.kind {
        NotificationKind::ComplaintUpdate => {
            let step = n
                .step
                .as_deref()
                .map(|s| step_label(t, s))
                .unwrap_or_default();
            fill(
                t.note_complaint_update,
                &[("id", &n.subject_text()), ("step", step)],
            )
        }
        other => unreachable!("{other:?} is not a complaints message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document's literals are the rules' constants.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_document_states_the_complaint_rules() {
        use crate::domain::schema::{json_of, REQUIRED_TEXT_PATTERN};
        use crate::domain::TrackingNumber;
        let text = json_of::<ComplaintText>();
        assert_eq!(text["maxLength"], MAX_TEXT_CHARS);
        assert_eq!(text["pattern"], REQUIRED_TEXT_PATTERN);
        let complaint = json_of::<NewComplaint>();
        assert_eq!(
            complaint["properties"]["tracking_number"]["pattern"],
            TrackingNumber::PATTERN_OR_EMPTY
        );
        assert_eq!(
            complaint["properties"]["description"]["$ref"],
            "#/components/schemas/ComplaintText"
        );
    }

    #[test]
    fn every_status_pair_follows_the_table() {
        use ComplaintStatus as S;
        let legal = [
            (S::Open, S::InProgress),
            (S::InProgress, S::Resolved),
            (S::Resolved, S::Closed),
            (S::Resolved, S::Reopened),
            (S::Reopened, S::InProgress),
            (S::Reopened, S::Resolved),
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
        for c in ComplaintCategory::ALL {
            assert_eq!(ComplaintCategory::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(ComplaintCategory::as_str, ComplaintCategory::parse);
        crate::domain::assert_serde_names(ComplaintStatus::as_str, ComplaintStatus::parse);
    }

    #[test]
    fn sla_due_times_follow_the_tier() {
        let t = 1_795_000_000_000;
        assert_eq!(due_times("vip", t), (t + 4 * HOUR_MS, t + 24 * HOUR_MS));
        assert_eq!(
            due_times("regular", t),
            (t + 24 * HOUR_MS, t + 72 * HOUR_MS)
        );
        assert_eq!(due_times("key", t), (t + 8 * HOUR_MS, t + 48 * HOUR_MS));
        assert_eq!(due_times("unheard_of", t), due_times("regular", t));
        assert_eq!(sla_for("at_risk").priority, Priority::High);
        assert_eq!(sla_for("new").priority, Priority::Normal);
    }

    #[test]
    fn resolved_complaints_close_themselves_after_seven_days() {
        let t = 1_795_000_000_000;
        assert!(!auto_closes(
            ComplaintStatus::Resolved,
            t,
            t + AUTO_CLOSE_MS - 1
        ));
        assert!(auto_closes(ComplaintStatus::Resolved, t, t + AUTO_CLOSE_MS));
        assert!(!auto_closes(
            ComplaintStatus::Reopened,
            t,
            t + 2 * AUTO_CLOSE_MS
        ));
    }
}
