use app::accounts::callers::Customer;
use app::addresses::{service, Address, AddressInput};
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{ApiError, ApiJson, ApiPath, ErrorBody};

/// The caller's saved addresses, by name.
#[utoipa::path(get, path = "/api/v1/addresses", tag = "addresses",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<Address>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not a customer", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<Vec<Address>>, ApiError> {
    Ok(Json(service::list(&state.db, customer).await?))
}

/// Saves an address after checking it and resolving its city.
#[utoipa::path(post, path = "/api/v1/addresses", tag = "addresses", request_body = AddressInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Address), (status = 422, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(input): ApiJson<AddressInput>,
) -> Result<(StatusCode, Json<Address>), ApiError> {
    let address = service::create(&state.db, customer, &input).await?;
    Ok((StatusCode::CREATED, Json(address)))
}

/// Replaces one of the caller's addresses (another customer's: 404).
#[utoipa::path(put, path = "/api/v1/addresses/{id}", tag = "addresses", request_body = AddressInput,
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Address), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AddressInput>,
) -> Result<Json<Address>, ApiError> {
    Ok(Json(
        service::update(&state.db, customer, id, &input).await?,
    ))
}

/// Deletes one of the caller's addresses (another customer's: 404).
#[utoipa::path(delete, path = "/api/v1/addresses/{id}", tag = "addresses",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state.db, customer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
