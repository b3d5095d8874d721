use app::accounts::service::require_role;
use app::accounts::Role;
use app::crm::{service, CustomerSummary};
use app::platform::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::{ApiError, ErrorBody};

/// Customers, newest first (care agents and managers only).
#[utoipa::path(get, path = "/api/v1/customers", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<CustomerSummary>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<CustomerSummary>>, ApiError> {
    require_role(&state.db, &headers, &[Role::Agent, Role::Manager]).await?;
    Ok(Json(service::list_customers(&state.db, 500).await?))
}
