//! Accounts: sign-up, sign-in and sign-out, sessions, API tokens, profile and password.
//! The DTOs and server functions here are shared; the rules live in `service` (server only).

#[cfg(feature = "ssr")]
pub mod callers;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::Industry;
use crate::error::{AppError, Reply};

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum Role {
        Customer,
        Agent,
        Manager,
    }
}

impl Role {
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Manager)
    }

    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            Role::Customer => t.role_customer,
            Role::Agent => t.role_agent,
            Role::Manager => t.role_manager,
        }
    }
}

/// The customer account a user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub industry: Industry,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A signed-in user as the UI and the API see it (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub customer: Option<Customer>,
}

/// Sign-up as typed: plain strings, so every field can be checked and reported at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignUpRequest {
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::EmailAddress))]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::Password))]
    pub password: String,
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::PersonName))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::CompanyName))]
    pub company: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Industry))]
    pub industry: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileUpdate {
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::PersonName))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::CompanyName))]
    pub company: String,
    /// Read for customers only.
    #[cfg_attr(feature = "ssr", schema(value_type = Industry))]
    pub industry: String,
}

/// One of a user's signed-in browsers, as its owner sees it in the account page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// Names the session to end it; not the session's token, nor enough to make one.
    pub handle: String,
    pub browser: Option<String>,
    pub system: Option<String>,
    /// The client address it was signed in from.
    pub client: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub last_seen_at: i64,
    /// When it ends unless used again (the idle limit) or at the latest (its lifetime).
    pub ends_at: i64,
    /// The session this request came with.
    pub current: bool,
}

/// One of a user's API tokens, without the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub handle: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

/// What can act as the user: signed-in browsers and API tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedIn {
    pub sessions: Vec<SessionInfo>,
    pub tokens: Vec<ApiTokenInfo>,
}

/// Where to go after signing in: a path on this site (`next`), else the dashboard. Anything
/// that could leave the site (`//host`, `https://...`, `/\\host`) is ignored.
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(crate::domain::local_path)
        .unwrap_or("/dashboard")
}

/// Sets the session cookie and sends the browser on (its dashboard unless `next` says where).
#[cfg(feature = "ssr")]
async fn start_session(
    state: &crate::platform::AppState,
    parts: &http::request::Parts,
    user: &User,
    next: Option<&str>,
) -> Reply<()> {
    use crate::platform::request::*;
    let origin = service::SessionOrigin {
        client: client_ip(parts, state.settings.trust_proxy),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    };
    let token = service::create_session(&state.db, &state.settings, user, &origin).await?;
    let settings = &state.settings;
    add_response_header(
        http::header::SET_COOKIE,
        session_cookie(
            &token,
            settings.session_ttl.as_secs(),
            settings.cookie_secure,
        ),
    );
    leptos_axum::redirect(after_sign_in(next));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "accounts/sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    name: String,
    company: String,
    industry: String,
) -> Result<Reply<()>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let ip = client_ip(&parts, state.settings.trust_proxy);
    let req = SignUpRequest {
        email,
        password,
        name,
        company,
        industry,
    };
    form_reply(
        async {
            let user = service::sign_up(&state.db, &state.settings, ip, req).await?;
            start_session(&state, &parts, &user, None).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "accounts/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    /// The page that asked the visitor to sign in.
    #[server(default)]
    next: Option<String>,
) -> Result<Reply<()>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let ip = client_ip(&parts, state.settings.trust_proxy);
    let reply = async {
        let user = service::authenticate(&state.db, &state.settings, ip, &email, &password).await?;
        start_session(&state, &parts, &user, next.as_deref()).await
    }
    .await;
    if accepts_html(&parts) {
        // Without scripts a refused form comes back as a new page: it keeps the typed email
        // for a few minutes, on this device, for the sign-in page only.
        let kept = if reply.is_err() { email.trim() } else { "" };
        add_response_header(
            http::header::SET_COOKIE,
            typed_email_cookie(kept, state.settings.cookie_secure),
        );
    }
    if accepts_html(&parts) {
        // The redirect back to the form carries every refusal, a limit too.
        return Ok(back_to_form_on_refusal(&parts, reply));
    }
    form_reply(reply)
}

/// The cookie keeping the email typed into a refused sign-in (empty: forgotten).
pub const TYPED_EMAIL_COOKIE: &str = "pp_typed_email";

#[cfg(feature = "ssr")]
fn typed_email_cookie(email: &str, secure: bool) -> http::HeaderValue {
    let max_age = if email.is_empty() { 0 } else { 300 };
    crate::platform::request::private_cookie(
        TYPED_EMAIL_COOKIE,
        &crate::domain::percent_encode(email),
        "/sign-in",
        max_age,
        secure,
    )
}

/// The email a refused sign-in kept (see `typed_email_cookie`), on the server.
#[cfg(feature = "ssr")]
pub fn typed_email() -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    let value = crate::platform::request::cookie(&parts.headers, TYPED_EMAIL_COOKIE)?;
    let decoded = url::form_urlencoded::parse(format!("e={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    (!decoded.is_empty()).then_some(decoded)
}

#[server(prefix = "/rpc", endpoint = "accounts/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
                service::delete_session(&state.db, token).await?;
            }
            add_response_header(
                http::header::SET_COOKIE,
                clear_session_cookie(state.settings.cookie_secure),
            );
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// The signed-in user, or `None` for a visitor.
#[server(prefix = "/rpc", endpoint = "accounts/current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts) = server_fn_context()?;
            service::authenticate_request(&state.db, &parts.headers).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "accounts/update_profile")]
pub async fn update_profile(
    name: String,
    company: String,
    industry: String,
) -> Result<Reply<User>, AppError> {
    use crate::accounts::callers::SignedIn;
    use crate::platform::request::*;
    let (state, SignedIn(user)) = caller::<SignedIn>().await?;
    let update = ProfileUpdate {
        name,
        company,
        industry,
    };
    form_reply(service::update_profile(&state.db, &user, update).await)
}

#[server(prefix = "/rpc", endpoint = "accounts/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<Reply<()>, AppError> {
    use crate::platform::request::*;
    let (state, parts, callers::SignedIn(user)) = caller_and_request().await?;
    let keep = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default();
    form_reply(
        service::change_password(
            &state.db,
            &state.settings,
            &user,
            &current_password,
            &new_password,
            keep,
        )
        .await,
    )
}

/// The caller's signed-in browsers and API tokens.
#[server(prefix = "/rpc", endpoint = "accounts/sign_ins")]
pub async fn my_sign_ins() -> Result<SignedIn, AppError> {
    use crate::platform::request::*;
    respond(
        async {
            let (state, parts, callers::SignedIn(user)) = caller_and_request().await?;
            let now = crate::platform::now_ms();
            let current = cookie(&parts.headers, SESSION_COOKIE);
            Ok(SignedIn {
                sessions: service::sessions_of(&state.db, user.id, current, now).await?,
                tokens: service::api_tokens_of(&state.db, user.id, now).await?,
            })
        }
        .await,
    )
}

/// Signs one of the caller's browsers out.
#[server(prefix = "/rpc", endpoint = "accounts/end_session")]
pub async fn end_session(handle: String) -> Result<(), AppError> {
    use crate::accounts::callers::SignedIn;
    use crate::platform::request::*;
    respond(
        async {
            let (state, SignedIn(user)) = caller::<SignedIn>().await?;
            service::end_session(&state.db, &user, &handle).await
        }
        .await,
    )
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/rpc", endpoint = "accounts/revoke_token")]
pub async fn revoke_token(handle: String) -> Result<(), AppError> {
    use crate::accounts::callers::SignedIn;
    use crate::platform::request::*;
    respond(
        async {
            let (state, SignedIn(user)) = caller::<SignedIn>().await?;
            service::revoke_api_token(&state.db, &user, &handle).await
        }
        .await,
    )
}

/// Who is signed in, and the actions that change it; every page reads this from context.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<User>, AppError>>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
    pub update_profile: ServerAction<UpdateProfile>,
    pub change_password: ServerAction<ChangePassword>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

#[cfg(test)]
mod tests {
    use super::{after_sign_in, Role};

    #[test]
    fn role_names_are_the_serde_names() {
        crate::domain::assert_serde_names(Role::as_str, Role::parse);
    }

    #[test]
    fn sign_in_returns_only_to_pages_of_this_site() {
        assert_eq!(
            after_sign_in(Some("/rate/CP1?exp=1&sig=ab")),
            "/rate/CP1?exp=1&sig=ab"
        );
        assert_eq!(after_sign_in(None), "/dashboard");
        for away in [
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "dashboard",
        ] {
            assert_eq!(after_sign_in(Some(away)), "/dashboard", "{away}");
        }
        assert_eq!(
            crate::domain::percent_encode("/a b?x=1&y"),
            "/a%20b%3Fx%3D1%26y"
        );
    }
}
