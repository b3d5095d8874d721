//! The care team's view of customers: tiers computed from data (`tiering`, `segments`), the
//! retention queue, the customer list. Staff only.

pub mod kpi_pages;
#[cfg(feature = "ssr")]
pub mod kpi_service;
pub mod kpis;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod segments;
#[cfg(feature = "ssr")]
pub mod service;
pub mod tiering;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::Customer;
#[cfg(feature = "ssr")]
use crate::domain::schema::{BoolOrEmpty, IndustryOrEmpty, TierOrEmpty};
use crate::domain::Tier;
use crate::error::AppError;
use tiering::{Scores, TierRule, TierRules};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSummary {
    #[serde(flatten)]
    pub customer: Customer,
    pub users: i64,
    pub tier: Tier,
    pub account_manager: Option<String>,
}

/// `GET /api/v1/customers` and the staff list page: search and filters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct CustomerQuery {
    /// Part of a name, company or email, or a whole tracking number.
    // MAX_SEARCH_CHARS
    #[cfg_attr(feature = "ssr", param(max_length = 100))]
    pub q: Option<String>,
    /// Empty for every tier.
    #[cfg_attr(feature = "ssr", param(value_type = Option<TierOrEmpty>, inline))]
    pub tier: Option<String>,
    /// Empty for every industry.
    #[cfg_attr(feature = "ssr", param(value_type = Option<IndustryOrEmpty>, inline))]
    pub industry: Option<String>,
    /// `true`: only customers at risk.
    #[cfg_attr(feature = "ssr", param(value_type = Option<BoolOrEmpty>, inline))]
    pub at_risk: Option<String>,
}

/// The longest search text read.
pub const MAX_SEARCH_CHARS: usize = 100;
/// The longest note on a customer's file.
pub const MAX_NOTE_CHARS: usize = 4000;
/// The longest account of an outreach.
pub const MAX_OUTREACH_NOTE_CHARS: usize = 2000;

/// A staff member, as named on a customer's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// Who a customer's vip or key account is served by (shown to the customer: name and email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountManagerContact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerUser {
    pub name: String,
    pub email: String,
    pub created_at: i64,
}

/// An agent's note on a customer's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerNote {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub at: i64,
}

/// `POST /api/v1/customers/{id}/notes`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NoteInput {
    /// Several lines.
    // MAX_NOTE_CHARS, REQUIRED_TEXT_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub body: String,
}

/// `PUT /api/v1/customers/{id}/account-manager`: a staff user's id, or `null` for none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountManagerInput {
    /// A staff user's id (422 naming `user_id` for anyone else).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TouchpointKind {
    Shipment,
    Exception,
    Notification,
    Rating,
    Return,
    Complaint,
    Note,
    Retention,
    TierChange,
}

/// One moment of a customer's history, on the 360 timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Touchpoint {
    pub kind: TouchpointKind,
    pub at: i64,
    /// A tracking number, a complaint's category, a notification's kind, a note's author...
    pub title: String,
    /// A status or score code, a note's text.
    pub detail: String,
    /// Where to open it.
    pub link: Option<String>,
}

/// One KPI for this customer beside the whole base, over the same period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiComparison {
    pub kpi: kpis::KpiId,
    pub customer: kpis::KpiValue,
    pub base: kpis::KpiValue,
}

/// `GET /api/v1/customers/{id}`: everything the care team knows of a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer360 {
    pub customer: Customer,
    pub tier: Tier,
    pub account_manager: Option<StaffRef>,
    pub users: Vec<CustomerUser>,
    /// The latest assessment: scores and the rule that decided the tier.
    pub assessment: Option<tiering::Assessment>,
    pub history: Vec<TierChange>,
    pub retention: Vec<RetentionItem>,
    pub notes: Vec<CustomerNote>,
    pub kpi_period: kpis::ReportPeriod,
    pub kpis: Vec<KpiComparison>,
    /// Newest first.
    pub timeline: Vec<Touchpoint>,
    /// Staff who can be named account manager.
    pub staff: Vec<StaffRef>,
    /// The rules the tier was decided by, to explain it.
    pub rules: TierRules,
}

/// The care team's front page: how many customers and staff, and the newest customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CareOverview {
    pub customers: i64,
    pub new_customers_7d: i64,
    pub staff_users: i64,
    /// Customers' emails held until an SMTP relay is configured (`SMTP_URL`).
    pub emails_waiting_for_smtp: i64,
    pub latest: Vec<CustomerSummary>,
}

#[server(prefix = "/rpc", endpoint = "crm/overview")]
pub async fn staff_overview() -> Result<CareOverview, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            service::overview(&state.db).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/customers", input = server_fn::codec::Json)]
pub async fn list_customers(query: CustomerQuery) -> Result<Vec<CustomerSummary>, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            service::search_customers(&state.db, &query, 200).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/customer")]
pub async fn load_customer_360(id: i64) -> Result<Customer360, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            service::customer_360(&state.db, id, &state.settings.report_tz()).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/note")]
pub async fn add_customer_note(id: i64, body: String) -> Result<CustomerNote, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(me)) = caller::<Staff>().await?;
            service::add_note(&state.db, &me, id, &body).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/account-manager")]
pub async fn assign_account_manager(id: i64, user_id: String) -> Result<(), AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Manager(_)) = caller::<Manager>().await?;
            let user_id =
                match user_id.trim() {
                    "" => None,
                    v => Some(v.parse::<i64>().map_err(|_| {
                        AppError::field("user_id", crate::error::FieldError::Invalid)
                    })?),
                };
            service::set_account_manager(&state.db, id, user_id).await
        }
        .await,
    )
}

/// The signed-in customer's account manager, if its account has one.
#[server(prefix = "/rpc", endpoint = "crm/my-account-manager")]
pub async fn my_account_manager() -> Result<Option<AccountManagerContact>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Customer(customer)) = caller::<Customer>().await?;
            service::account_manager_contact(&state.db, customer).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/kpis", input = server_fn::codec::Json)]
pub async fn kpi_report(query: kpis::KpiQuery) -> Result<kpis::KpiReport, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            let tz = state.settings.report_tz();
            let window = kpi_service::parse_query(&query, &tz, crate::platform::now_ms())?;
            kpi_service::report(&state.db, &window, &state.settings.report_time_zone).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/kpi-items", input = server_fn::codec::Json)]
pub async fn kpi_items(
    kpi: String,
    query: kpis::KpiQuery,
    page: i64,
) -> Result<kpis::DrillPage, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            let kpi = kpis::KpiId::parse(&kpi)
                .ok_or_else(|| AppError::field("kpi", crate::error::FieldError::Invalid))?;
            let tz = state.settings.report_tz();
            let window = kpi_service::parse_query(&query, &tz, crate::platform::now_ms())?;
            kpi_service::drill(
                &state.db,
                &window,
                kpi,
                page,
                kpi_service::DEFAULT_PER_PAGE,
                &state.settings.report_time_zone,
            )
            .await
        }
        .await,
    )
}

/// How many customers a tier holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierSize {
    pub tier: Tier,
    pub customers: i64,
}

/// Customers who moved from one tier to another in the overview's period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierMove {
    pub from: Tier,
    pub to: Tier,
    pub customers: i64,
}

/// `GET /api/v1/segments`: the tiers, their sizes and movement, and the rules behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentsOverview {
    pub sizes: Vec<TierSize>,
    /// Moves of the last `move_days` days, the most frequent first.
    pub moves: Vec<TierMove>,
    pub move_days: i64,
    /// When tiers were last assessed (`None`: never).
    pub last_recomputed_at: Option<i64>,
    pub rules: TierRules,
}

/// What one recomputation did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecomputeSummary {
    pub customers: i64,
    /// Customers whose tier changed.
    pub changed: i64,
    /// Retention items opened (vip or key customers now at risk).
    pub retention_opened: i64,
    pub at: i64,
}

/// One change of a customer's tier, with the rule and scores that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierChange {
    pub from: Tier,
    pub to: Tier,
    pub rule: TierRule,
    pub scores: Scores,
    pub at: i64,
}

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum RetentionStatus {
        Open,
        Closed,
    }
}

crate::domain::vocabulary! {
    /// How an agent's outreach to a slipping customer ended.
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum RetentionOutcome {
        /// The customer stays (an issue fixed, an offer accepted).
        Retained,
        /// Reached; the customer will decide later.
        FollowUp,
        /// Not reached.
        NoAnswer,
        /// The customer is leaving.
        Lost,
    }
}

impl RetentionOutcome {
    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            RetentionOutcome::Retained => t.outcome_retained,
            RetentionOutcome::FollowUp => t.outcome_follow_up,
            RetentionOutcome::NoAnswer => t.outcome_no_answer,
            RetentionOutcome::Lost => t.outcome_lost,
        }
    }
}

/// A valuable customer slipping away, for an agent to call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionItem {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub company: Option<String>,
    /// The customer's tier now.
    pub tier: Tier,
    /// The tier it fell from.
    pub from_tier: Tier,
    /// Why it is at risk.
    pub rule: TierRule,
    pub scores: Scores,
    /// The customer's account manager, who takes it first.
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub status: RetentionStatus,
    pub outcome: Option<RetentionOutcome>,
    pub note: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// `POST /api/v1/retention/{id}/outreach`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutreachInput {
    pub outcome: RetentionOutcome,
    /// What was said and agreed.
    // MAX_OUTREACH_NOTE_CHARS, REQUIRED_TEXT_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 2000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub note: String,
}

#[server(prefix = "/rpc", endpoint = "crm/segments")]
pub async fn load_segments() -> Result<SegmentsOverview, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(_)) = caller::<Staff>().await?;
            segments::overview(&state.db, 30).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/recompute")]
pub async fn recompute_tiers() -> Result<RecomputeSummary, AppError> {
    use crate::accounts::callers::Manager;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Manager(_)) = caller::<Manager>().await?;
            segments::recompute(&state.db).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/retention")]
pub async fn retention_queue() -> Result<Vec<RetentionItem>, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(me)) = caller::<Staff>().await?;
            segments::retention_queue(&state.db, &me).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/outreach")]
pub async fn record_outreach(
    id: i64,
    outcome: String,
    note: String,
) -> Result<RetentionItem, AppError> {
    use crate::accounts::callers::Staff;
    use crate::platform::request::*;
    respond(
        async {
            let (state, Staff(me)) = caller::<Staff>().await?;
            let outcome = RetentionOutcome::parse(&outcome)
                .ok_or_else(|| AppError::field("outcome", crate::error::FieldError::Invalid))?;
            segments::record_outreach(&state.db, &me, id, &OutreachInput { outcome, note }).await
        }
        .await,
    )
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::domain::schema::{json_of, param_schema, REQUIRED_TEXT_PATTERN};

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(RetentionStatus::as_str, RetentionStatus::parse);
        crate::domain::assert_serde_names(RetentionOutcome::as_str, RetentionOutcome::parse);
    }

    /// The document's literals are the rules' constants.
    #[test]
    fn the_document_states_the_notes_and_the_search_limits() {
        let note = &json_of::<NoteInput>()["properties"]["body"];
        assert_eq!(note["maxLength"], MAX_NOTE_CHARS);
        assert_eq!(note["pattern"], REQUIRED_TEXT_PATTERN);
        let outreach = &json_of::<OutreachInput>()["properties"]["note"];
        assert_eq!(outreach["maxLength"], MAX_OUTREACH_NOTE_CHARS);
        assert_eq!(outreach["pattern"], REQUIRED_TEXT_PATTERN);
        assert_eq!(
            param_schema::<CustomerQuery>("q")["maxLength"],
            MAX_SEARCH_CHARS
        );
        assert_eq!(param_schema::<CustomerQuery>("tier")["enum"][1], "vip");
    }
}
