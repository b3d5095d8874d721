use app::accounts::callers::{Customer, Manager, Staff};
use app::crm::kpis::{DrillPage, KpiId, KpiQuery, KpiReport};
use app::crm::{
    kpi_service, segments, service, AccountManagerContact, AccountManagerInput, CareOverview,
    Customer360, CustomerNote, CustomerQuery, CustomerSummary, NoteInput, OutreachInput,
    RecomputeSummary, RetentionItem, SegmentsOverview,
};
use app::error::{AppError, FieldError};
use app::platform::{now_ms, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

/// Customers, newest first, found by part of a name, company or email or by a tracking
/// number, filtered by tier, industry or at risk (care agents and managers only).
#[utoipa::path(get, path = "/api/v1/customers", tag = "crm", params(CustomerQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<CustomerSummary>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 422, description = "A bad filter, named", body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    _: Staff,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<Json<Vec<CustomerSummary>>, ApiError> {
    Ok(Json(service::search_customers(&state.db, &q, 500).await?))
}

/// The tiers: how many customers each holds, the moves of the last 30 days, and the rules
/// (thresholds) that decide them (staff only).
#[utoipa::path(get, path = "/api/v1/segments", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = SegmentsOverview),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody)))]
pub async fn segments_overview(
    State(state): State<AppState>,
    _: Staff,
) -> Result<Json<SegmentsOverview>, ApiError> {
    Ok(Json(segments::overview(&state.db, 30).await?))
}

/// Recomputes every customer's tier now (managers only). Idempotent: running it again changes
/// nothing unless the data did.
#[utoipa::path(post, path = "/api/v1/segments/recompute", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = RecomputeSummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a manager", body = ErrorBody)))]
pub async fn recompute(
    State(state): State<AppState>,
    _: Manager,
) -> Result<Json<RecomputeSummary>, ApiError> {
    Ok(Json(segments::recompute(&state.db).await?))
}

/// Open retention items (vip and key customers now at risk): the caller's own accounts first,
/// then the oldest (staff only).
#[utoipa::path(get, path = "/api/v1/retention", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<RetentionItem>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody)))]
pub async fn retention(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<RetentionItem>>, ApiError> {
    Ok(Json(segments::retention_queue(&state.db, &me).await?))
}

/// Records the outreach to a customer at risk (what was said, how it ended) and closes the
/// item (staff only; an item already closed: 409).
#[utoipa::path(post, path = "/api/v1/retention/{id}/outreach", tag = "crm",
    params(("id" = i64, Path, minimum = 1)), request_body = OutreachInput,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = RetentionItem),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already closed", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn outreach(
    State(state): State<AppState>,
    Staff(me): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<OutreachInput>,
) -> Result<Json<RetentionItem>, ApiError> {
    Ok(Json(
        segments::record_outreach(&state.db, &me, id, &input).await?,
    ))
}

/// Every KPI over a period (`period`, or `from`-`to`) and the period of equal length before it,
/// each with value, numerator and denominator, the change and whether it is better or worse,
/// and its trend by day or week; filtered by tier, industry, service level and destination
/// (staff only).
#[utoipa::path(get, path = "/api/v1/kpis", tag = "crm", params(KpiQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = KpiReport),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 422, description = "A bad period or filter, named", body = ErrorBody)))]
pub async fn kpis(
    State(state): State<AppState>,
    _: Staff,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<KpiReport>, ApiError> {
    let window = kpi_service::parse_query(&q, &state.settings.report_tz(), now_ms())?;
    Ok(Json(
        kpi_service::report(&state.db, &window, &state.settings.report_time_zone).await?,
    ))
}

/// `GET /api/v1/kpis/{kpi}/items`: paging and format beside the report's period and filters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillParams {
    /// From 1; 1 when absent.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// 50 when absent.
    // kpi_service::MAX_PER_PAGE
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
    /// `csv` for a download of this page; `json` or empty for JSON.
    #[param(pattern = "^(|json|csv)$")]
    pub format: Option<String>,
}

/// The shipments, complaints or ratings behind a KPI's number over the period: the late
/// deliveries behind the on-time rate, the complaints over SLA, the detractors... paginated,
/// or as CSV (staff only).
#[utoipa::path(get, path = "/api/v1/kpis/{kpi}/items", tag = "crm",
    params(("kpi" = inline(KpiId), Path), KpiQuery, DrillParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The page; with `format=csv`, the page as CSV",
            content((DrillPage = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 422, description = "An unknown KPI, a bad period or filter, named", body = ErrorBody)))]
pub async fn kpi_items(
    State(state): State<AppState>,
    _: Staff,
    ApiPath(kpi): ApiPath<String>,
    ApiQuery(q): ApiQuery<KpiQuery>,
    ApiQuery(p): ApiQuery<DrillParams>,
) -> Result<Response, ApiError> {
    let kpi = KpiId::parse(&kpi).ok_or_else(|| AppError::field("kpi", FieldError::Invalid))?;
    let csv = match p.format.as_deref() {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::field("format", FieldError::Invalid).into()),
    };
    let window = kpi_service::parse_query(&q, &state.settings.report_tz(), now_ms())?;
    let (page, per_page) = kpi_service::paging(p.page, p.per_page)?;
    let page = kpi_service::drill(
        &state.db,
        &window,
        kpi,
        page,
        per_page,
        &state.settings.report_time_zone,
    )
    .await?;
    if csv {
        let name = format!(
            "{}-{}-{}-p{}.csv",
            kpi.as_str(),
            page.period.from,
            page.period.to,
            page.page
        );
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            kpi_service::drill_csv(&page),
        )
            .into_response());
    }
    Ok(Json(page).into_response())
}

/// One customer's 360: profile and users, tier with its scores and rule, tier history, its own
/// KPIs beside the whole base's (90 days), notes, retention items and one timeline of every
/// touchpoint (staff only).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "crm",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Customer360),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn customer(
    State(state): State<AppState>,
    _: Staff,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Customer360>, ApiError> {
    Ok(Json(
        service::customer_360(&state.db, id, &state.settings.report_tz()).await?,
    ))
}

/// Adds a note to a customer's file (staff only).
#[utoipa::path(post, path = "/api/v1/customers/{id}/notes", tag = "crm",
    params(("id" = i64, Path, minimum = 1)), request_body = NoteInput,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, body = CustomerNote),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    Staff(me): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> Result<(StatusCode, Json<CustomerNote>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::add_note(&state.db, &me, id, &input.body).await?),
    ))
}

/// Names the agent who serves a customer first (managers only); `null` removes it.
#[utoipa::path(put, path = "/api/v1/customers/{id}/account-manager", tag = "crm",
    params(("id" = i64, Path, minimum = 1)), request_body = AccountManagerInput,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Set"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a manager", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not a staff user", body = ErrorBody)))]
pub async fn set_account_manager(
    State(state): State<AppState>,
    _: Manager,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AccountManagerInput>,
) -> Result<StatusCode, ApiError> {
    service::set_account_manager(&state.db, id, input.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The care team's front page: customers, those new in the last 7 days, staff users, and the
/// newest customers (staff only).
#[utoipa::path(get, path = "/api/v1/care/overview", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = CareOverview),
        (status = 403, description = "Not staff", body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    _: Staff,
) -> Result<Json<CareOverview>, ApiError> {
    Ok(Json(service::overview(&state.db).await?))
}

/// `GET /api/v1/me/account-manager`
#[derive(Serialize, ToSchema)]
pub struct MyAccountManager {
    /// `null` while the account has none.
    pub account_manager: Option<AccountManagerContact>,
}

/// Who serves the caller's account first, if a manager named someone (customers only).
#[utoipa::path(get, path = "/api/v1/me/account-manager", tag = "crm",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = MyAccountManager),
        (status = 403, description = "Not a customer", body = ErrorBody)))]
pub async fn my_account_manager(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<MyAccountManager>, ApiError> {
    Ok(Json(MyAccountManager {
        account_manager: service::account_manager_contact(&state.db, customer).await?,
    }))
}
