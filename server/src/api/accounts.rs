use app::accounts::{service, ApiTokenInfo, Credentials, SignUpRequest, User};
use app::platform::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ClientIp, ErrorBody};

/// Creates a customer account and its first user.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = SignUpRequest,
    responses(
        (status = 201, description = "Account created", body = User),
        (status = 409, description = "Email already used", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address", body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = service::sign_up(&state.db, &state.settings, ip, req).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Serialize, ToSchema)]
pub struct Token {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    token_type: &'static str,
    /// Unix milliseconds.
    expires_at: i64,
    user: User,
}

/// Exchanges email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = Credentials,
    responses(
        (status = 201, body = Token),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Token>), ApiError> {
    let user = service::authenticate(
        &state.db,
        &state.settings,
        ip,
        &creds.email,
        &creds.password,
    )
    .await?;
    let (token, expires_at) =
        service::create_api_token(&state.db, &state.settings, user.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(Token {
            token,
            token_type: "Bearer",
            expires_at,
            user,
        }),
    ))
}

/// The caller, by bearer token or session cookie.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<User>, ApiError> {
    Ok(Json(service::require_user(&state.db, &headers).await?))
}

/// The caller's unexpired API tokens (without the tokens), newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ApiTokenInfo>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    let user = service::require_user(&state.db, &headers).await?;
    let now = app::platform::now_ms();
    Ok(Json(service::api_tokens_of(&state.db, user.id, now).await?))
}

/// Revokes one of the caller's API tokens, named by its `handle` from the list.
#[utoipa::path(delete, path = "/api/v1/tokens/{handle}", tag = "accounts",
    params(("handle" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = service::require_user(&state.db, &headers).await?;
    service::revoke_api_token(&state.db, &user, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}
