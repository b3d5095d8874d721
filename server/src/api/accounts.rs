use app::accounts::callers::SignedIn;
use app::accounts::{
    service, ApiTokenInfo, Credentials, ProfileUpdate, SessionInfo, SignUpRequest, User,
};
use app::platform::request::{cookie, SESSION_COOKIE};
use app::platform::{now_ms, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiPath, ClientIp, ErrorBody};

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
pub async fn me(SignedIn(user): SignedIn) -> Result<Json<User>, ApiError> {
    Ok(Json(user))
}

/// The caller's unexpired API tokens (without the tokens), newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ApiTokenInfo>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    Ok(Json(
        service::api_tokens_of(&state.db, user.id, now_ms()).await?,
    ))
}

/// Revokes one of the caller's API tokens, named by its `handle` from the list.
#[utoipa::path(delete, path = "/api/v1/tokens/{handle}", tag = "accounts",
    params(("handle" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiPath(handle): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    service::revoke_api_token(&state.db, &user, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's name, and for a customer the company and industry (`manufacturing`,
/// `retail`, `ecommerce` or `other`); without a company the person names the account.
#[utoipa::path(put, path = "/api/v1/me", tag = "accounts", request_body = ProfileUpdate,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = User),
        (status = 422, description = "Fields named (`name`, `company`, `industry`)", body = ErrorBody)))]
pub async fn update_profile(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiJson(update): ApiJson<ProfileUpdate>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        service::update_profile(&state.db, &user, update).await?,
    ))
}

/// `PUT /api/v1/me/password`
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The caller's password now (422 naming `current_password` when wrong).
    pub current_password: String,
    #[schema(value_type = app::domain::Password)]
    pub new_password: String,
}

/// Changes the caller's password after checking the current one. Every other session ends, and
/// every API token, the one this request came with included: sign in again with the new one.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChange,
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "Changed"),
        (status = 422, description = "`current_password` wrong, or `new_password` too short or common", body = ErrorBody),
        (status = 429, description = "Too many attempts for this user", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    // A browser's own session stays signed in, as on the account page.
    let keep = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    service::change_password(
        &state.db,
        &state.settings,
        &user,
        &change.current_password,
        &change.new_password,
        keep,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's signed-in browsers, the most recently used first; `current` marks the session
/// this request came with. API tokens are listed at `GET /api/v1/tokens`.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "accounts",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<SessionInfo>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    headers: HeaderMap,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let current = cookie(&headers, SESSION_COOKIE);
    Ok(Json(
        service::sessions_of(&state.db, user.id, current, now_ms()).await?,
    ))
}

/// Signs one of the caller's browsers out, named by its `handle` from the list (another user's:
/// 404).
#[utoipa::path(delete, path = "/api/v1/sessions/{handle}", tag = "accounts",
    params(("handle" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn end_session(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    ApiPath(handle): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    service::end_session(&state.db, &user, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}
