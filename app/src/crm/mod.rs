//! The care team's view of customers. Staff only; later issues add tiers, KPIs and 360 views.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::Customer;
use crate::error::AppError;

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
