//! The care team's view of customers: tiers computed from data (`tiering`, `segments`), the
//! retention queue, the customer list. Staff only.

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
use crate::domain::Tier;
use crate::error::AppError;
use tiering::{Scores, TierRule, TierRules};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSummary {
    #[serde(flatten)]
    pub customer: Customer,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareOverview {
    pub customers: i64,
    pub new_customers_7d: i64,
    pub staff_users: i64,
    pub latest: Vec<CustomerSummary>,
}

#[server(prefix = "/rpc", endpoint = "crm/overview")]
pub async fn staff_overview() -> Result<CareOverview, AppError> {
    use crate::accounts::{service::require_role, Role};
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            require_role(&state.db, &parts.headers, &[Role::Agent, Role::Manager]).await?;
            service::overview(&state.db).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/customers")]
pub async fn list_customers() -> Result<Vec<CustomerSummary>, AppError> {
    use crate::accounts::{service::require_role, Role};
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            require_role(&state.db, &parts.headers, &[Role::Agent, Role::Manager]).await?;
            service::list_customers(&state.db, 200).await
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetentionStatus {
    Open,
    Closed,
}

impl RetentionStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// How an agent's outreach to a slipping customer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
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

impl RetentionOutcome {
    pub const ALL: [RetentionOutcome; 4] = [
        RetentionOutcome::Retained,
        RetentionOutcome::FollowUp,
        RetentionOutcome::NoAnswer,
        RetentionOutcome::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RetentionOutcome::Retained => "retained",
            RetentionOutcome::FollowUp => "follow_up",
            RetentionOutcome::NoAnswer => "no_answer",
            RetentionOutcome::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

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
    pub note: String,
}

#[server(prefix = "/rpc", endpoint = "crm/segments")]
pub async fn load_segments() -> Result<SegmentsOverview, AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            crate::accounts::service::require_staff(&state.db, &parts.headers).await?;
            segments::overview(&state.db, 30).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/recompute")]
pub async fn recompute_tiers() -> Result<RecomputeSummary, AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            crate::accounts::service::require_manager(&state.db, &parts.headers).await?;
            segments::recompute(&state.db).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "crm/retention")]
pub async fn retention_queue() -> Result<Vec<RetentionItem>, AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            let me = crate::accounts::service::require_staff(&state.db, &parts.headers).await?;
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
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            let me = crate::accounts::service::require_staff(&state.db, &parts.headers).await?;
            let outcome = RetentionOutcome::parse(&outcome)
                .ok_or_else(|| AppError::field("outcome", crate::error::FieldError::Invalid))?;
            segments::record_outreach(&state.db, &me, id, &OutreachInput { outcome, note }).await
        }
        .await,
    )
}
