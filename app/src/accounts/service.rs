//! The account rules, used by the pages' server functions and the REST API alike.

use std::net::IpAddr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::{ApiTokenInfo, Customer, ProfileUpdate, Role, SessionInfo, SignUpRequest, User};
use crate::domain::{CompanyName, EmailAddress, Industry, Password, PersonName};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::insert::Insert;
use crate::platform::request::{cookie, SESSION_COOKIE};
pub use crate::platform::tokens::{random_token, token_hash};
use crate::platform::{now_ms, rate_limit, Db, Settings};

/// A user as stored. Holds the hash, so it is not `Serialize` and never leaves the server.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    customer_id: Option<i64>,
    email: String,
    password_hash: String,
    name: String,
    role: String,
}

const USER_COLUMNS: &str = "id, customer_id, email, password_hash, name, role";

async fn to_user(db: &Db, row: UserRow) -> Result<User, AppError> {
    let customer = match row.customer_id {
        Some(id) => Some(customer(db, id).await?),
        None => None,
    };
    Ok(User {
        id: row.id,
        email: row.email,
        name: row.name,
        role: Role::parse(&row.role).or_internal("users.role is not a role")?,
        customer,
    })
}

/// Collects every field's problem, so the form shows them all at once.
struct Checks(FieldErrors);

impl Checks {
    fn new() -> Self {
        Checks(FieldErrors::new())
    }
    fn check<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| {
            self.0.insert(field.to_string(), e);
        })
        .ok()
    }
    fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

async fn hash_password(password: Password) -> Result<String, AppError> {
    // Argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's recommended minimum.
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .or_internal("the password hashing task")?
    .or_internal("hash the password")
}

async fn verify_password(hash: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&hash).or_internal("users.password_hash is not a PHC string")?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .or_internal("the password check task")?
}

/// Verified against when the email is unknown, so a wrong email costs as long as a wrong
/// password and timing does not reveal which accounts exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0l4ZvU9w9k9l8bQ2f3mZ0Jm7b2HcS8Xo3vY0qkzq8nI";

#[tracing::instrument(level = "debug", skip_all)]
pub async fn sign_up(
    db: &Db,
    settings: &Settings,
    ip: IpAddr,
    req: SignUpRequest,
) -> Result<User, AppError> {
    rate_limit::hit(
        db,
        &format!("sign_up:ip:{ip}"),
        settings.sign_up_limit,
        settings.rate_limit_window,
    )
    .await?;
    register_customer(db, parse_sign_up(&req)?).await
}

/// A sign-up whose every field has been parsed.
pub struct NewCustomer {
    pub email: EmailAddress,
    pub password: Password,
    pub name: PersonName,
    pub company: Option<CompanyName>,
    pub industry: Industry,
}

/// Checks every field and reports all problems at once.
pub fn parse_sign_up(req: &SignUpRequest) -> Result<NewCustomer, AppError> {
    let mut checks = Checks::new();
    let email = checks.check("email", EmailAddress::parse(&req.email));
    let password = checks.check("password", Password::parse(&req.password));
    let name = checks.check("name", PersonName::parse(&req.name));
    let company = checks.check("company", CompanyName::parse_optional(&req.company));
    let industry = checks.check("industry", Industry::parse(&req.industry));
    checks.finish()?;
    match (email, password, name, company, industry) {
        (Some(email), Some(password), Some(name), Some(company), Some(industry)) => {
            Ok(NewCustomer {
                email,
                password,
                name,
                company,
                industry,
            })
        }
        _ => Err(AppError::internal(
            "sign-up checks passed with a field missing",
        )),
    }
}

fn email_taken() -> AppError {
    AppError::Conflict(FieldErrors::from([(
        "email".to_string(),
        FieldError::EmailTaken,
    )]))
}

/// Creates a customer and its first user in one transaction: never one without the other.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn register_customer(db: &Db, new: NewCustomer) -> Result<User, AppError> {
    let NewCustomer {
        email,
        password,
        name,
        company,
        industry,
    } = new;
    let (email, name, company) = (&email, &name, company.as_ref());
    if email_exists(db, email).await? {
        return Err(email_taken());
    }
    let hash = hash_password(password).await?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let customer_name = company.map(CompanyName::as_str).unwrap_or(name.as_str());
    let customer_id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (name, company, industry, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(customer_name)
    .bind(company.map(CompanyName::as_str))
    .bind(industry.as_str())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let (sql, arguments) = Insert::into("users")
        .value("customer_id", customer_id)
        .value("email", email.as_str())
        .value("password_hash", &hash)
        .value("name", name.as_str())
        .value("role", "customer")
        .value("created_at", now)
        .build("RETURNING id")?;
    let inserted = sqlx::query_scalar_with::<_, i64, _>(&sql, arguments)
        .fetch_one(&mut *tx)
        .await;
    let user_id = match inserted {
        Ok(id) => id,
        // Two sign-ups racing for one email: the constraint decides.
        Err(e) if Db::is_unique_violation(&e) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    user_by_id(db, user_id).await
}

/// Creates a care agent or manager (from the `create-staff` subcommand; there is no page).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_staff(
    db: &Db,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> Result<User, AppError> {
    if !role.is_staff() {
        return Err(AppError::BadRequest(
            "staff role must be agent or manager".into(),
        ));
    }
    let mut checks = Checks::new();
    let email = checks.check("email", EmailAddress::parse(email));
    let name = checks.check("name", PersonName::parse(name));
    let password = checks.check("password", Password::parse(password));
    checks.finish()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(AppError::internal(
            "staff checks passed with a field missing",
        ));
    };
    if email_exists(db, &email).await? {
        return Err(email_taken());
    }
    let hash = hash_password(password).await?;
    let (sql, arguments) = Insert::into("users")
        .value("customer_id", None::<i64>)
        .value("email", email.as_str())
        .value("password_hash", &hash)
        .value("name", name.as_str())
        .value("role", role.as_str())
        .value("created_at", now_ms())
        .build("RETURNING id")?;
    let inserted = sqlx::query_scalar_with::<_, i64, _>(&sql, arguments)
        .fetch_one(&db.pool)
        .await;
    match inserted {
        Ok(id) => user_by_id(db, id).await,
        Err(e) if Db::is_unique_violation(&e) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

async fn email_exists(db: &Db, email: &EmailAddress) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn user_by_id(db: &Db, id: i64) -> Result<User, AppError> {
    let row: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    to_user(db, row).await
}

/// Checks email and password, rate limited per client address and per email.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate(
    db: &Db,
    settings: &Settings,
    ip: IpAddr,
    email: &str,
    password: &str,
) -> Result<User, AppError> {
    let email_key = email.trim().to_lowercase();
    let email_bucket = format!("sign_in:email:{email_key}");
    rate_limit::hit(
        db,
        &format!("sign_in:ip:{ip}"),
        settings.sign_in_limit.saturating_mul(5),
        settings.rate_limit_window,
    )
    .await?;
    // Sign-up lets in no address this long or holding a control character, so it names no
    // account: refused without a bucket of its own (PostgreSQL indexes no key of any length)
    // or a look-up (nor compares a NUL).
    if email_key.chars().count() > EmailAddress::MAX_LEN || email_key.chars().any(char::is_control)
    {
        tracing::warn!(target: "security", client = %ip, "sign-in refused: not an email address");
        return Err(AppError::InvalidCredentials);
    }
    rate_limit::hit(
        db,
        &email_bucket,
        settings.sign_in_limit,
        settings.rate_limit_window,
    )
    .await?;

    let row: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(&email_key)
    .fetch_optional(&db.pool)
    .await?;
    let (hash, row) = match row {
        Some(r) => (r.password_hash.clone(), Some(r)),
        None => (DUMMY_HASH.to_string(), None),
    };
    let ok = verify_password(hash, password.to_string()).await?;
    match row {
        Some(row) if ok => {
            rate_limit::clear(db, &email_bucket).await?;
            tracing::info!(target: "security", client = %ip, user = row.id, "signed in");
            to_user(db, row).await
        }
        _ => {
            tracing::warn!(target: "security", client = %ip, email = %email_key, "sign-in refused: wrong email or password");
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Where a sign-in was made, kept with its session for its owner's list of devices.
pub struct SessionOrigin {
    pub client: IpAddr,
    pub user_agent: String,
}

/// How long a session may go without a request: shorter for staff, who see every customer.
fn idle_limit(settings: &Settings, role: Role) -> std::time::Duration {
    if role.is_staff() {
        settings.session_idle_staff
    } else {
        settings.session_idle_customer
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(user = user.id))]
pub async fn create_session(
    db: &Db,
    settings: &Settings,
    user: &User,
    origin: &SessionOrigin,
) -> Result<String, AppError> {
    let token = random_token();
    let now = now_ms();
    let user_agent: String = origin
        .user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT)
        .collect();
    let (sql, arguments) = Insert::into("sessions")
        .value("token_hash", token_hash(&token))
        .value("user_id", user.id)
        .value("created_at", now)
        .value("expires_at", now + settings.session_ttl.as_millis() as i64)
        .value("last_seen_at", now)
        .value(
            "idle_ms",
            idle_limit(settings, user.role).as_millis() as i64,
        )
        .value("user_agent", user_agent)
        .value("client", origin.client.to_string())
        .build("")?;
    sqlx::query_with(&sql, arguments).execute(&db.pool).await?;
    // Housekeeping as sessions are made: ended sessions and stale counters are useless.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at + idle_ms < $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    rate_limit::prune(db).await?;
    Ok(token)
}

/// The longest user agent kept: enough to tell browser and system apart.
const MAX_USER_AGENT: usize = 300;

/// A session's or token's last use is written at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_session(db: &Db, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
pub async fn create_api_token(
    db: &Db,
    settings: &Settings,
    user_id: i64,
) -> Result<(String, i64), AppError> {
    let token = format!("pp_{}", random_token());
    let now = now_ms();
    let expires_at = now + settings.api_token_ttl.as_millis() as i64;
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok((token, expires_at))
}

/// A user as stored, with when its session or token was last used.
#[derive(sqlx::FromRow)]
struct UsedBy {
    #[sqlx(flatten)]
    user: UserRow,
    last_used: Option<i64>,
}

/// What a request can carry to act as a user, and where each is kept.
#[derive(Clone, Copy)]
enum Credential {
    /// A browser's session cookie: also ends after its idle limit; a use moves that limit on.
    Session,
    /// An API client's bearer token: its last use is noted for the owner's list.
    ApiToken,
}

impl Credential {
    /// Table, column of the last use, and what else keeps it live.
    fn storage(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Credential::Session => (
                "sessions",
                "last_seen_at",
                "AND t.last_seen_at + t.idle_ms > $2",
            ),
            Credential::ApiToken => ("api_tokens", "last_used_at", ""),
        }
    }
}

/// The user of a live `credential` at the clock `now` (not expired; a session not idle too
/// long), noting its use at most once a minute.
async fn user_for(
    db: &Db,
    credential: Credential,
    token: &str,
    now: i64,
) -> Result<Option<User>, AppError> {
    let (table, used_column, live) = credential.storage();
    let hash = token_hash(token);
    let row: Option<UsedBy> = sqlx::query_as(&format!(
        "SELECT u.id, u.customer_id, u.email, u.password_hash, u.name, u.role, \
         t.{used_column} AS last_used FROM {table} t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2 {live}"
    ))
    .bind(&hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row
        .last_used
        .is_none_or(|used| now - used >= TOUCH_EVERY_MS)
    {
        sqlx::query(&format!(
            "UPDATE {table} SET {used_column} = $1 WHERE token_hash = $2"
        ))
        .bind(now)
        .bind(&hash)
        .execute(&db.pool)
        .await?;
    }
    Ok(Some(to_user(db, row.user).await?))
}

/// The user behind a request: a bearer token (API clients) or the session cookie (browsers).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate_request(
    db: &Db,
    headers: &http::HeaderMap,
) -> Result<Option<User>, AppError> {
    authenticate_request_at(db, headers, now_ms()).await
}

/// `authenticate_request` at the clock `now` (the idle limit is measured against it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate_request_at(
    db: &Db,
    headers: &http::HeaderMap,
    now: i64,
) -> Result<Option<User>, AppError> {
    if let Some(bearer) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return user_for(db, Credential::ApiToken, bearer.trim(), now).await;
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(token) if !token.is_empty() => user_for(db, Credential::Session, token, now).await,
        _ => Ok(None),
    }
}

/// A session or token is named to its owner by the first characters of its hash: enough to
/// pick it out, and saying nothing of the token itself.
const HANDLE_CHARS: usize = 16;
/// The same handle, computed by the database from the stored hash.
const HANDLE_SQL: &str = "substr(token_hash, 1, 16)";

fn handle_of(token: &str) -> String {
    token_hash(token)[..HANDLE_CHARS].to_string()
}

fn valid_handle(handle: &str) -> Result<&str, AppError> {
    let ok = handle.len() == HANDLE_CHARS
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(handle)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    handle: String,
    created_at: i64,
    last_seen_at: i64,
    idle_ms: i64,
    expires_at: i64,
    user_agent: String,
    client: String,
}

/// The user's live sessions, newest use first; `current` is the caller's own session token.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
pub async fn sessions_of(
    db: &Db,
    user_id: i64,
    current: Option<&str>,
    now: i64,
) -> Result<Vec<SessionInfo>, AppError> {
    let current = current.map(handle_of);
    let rows: Vec<SessionRow> = sqlx::query_as(&format!(
        "SELECT {HANDLE_SQL} AS handle, created_at, last_seen_at, idle_ms, \
         expires_at, user_agent, client FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 AND last_seen_at + idle_ms > $2 \
         ORDER BY last_seen_at DESC, created_at DESC"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (browser, system) = browser_and_system(&r.user_agent);
            SessionInfo {
                current: current.as_deref() == Some(r.handle.as_str()),
                browser: browser.map(str::to_string),
                system: system.map(str::to_string),
                handle: r.handle,
                client: r.client,
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                ends_at: r.expires_at.min(r.last_seen_at + r.idle_ms),
            }
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    handle: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
}

impl From<ApiTokenRow> for ApiTokenInfo {
    fn from(r: ApiTokenRow) -> Self {
        ApiTokenInfo {
            handle: r.handle,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// The user's unexpired API tokens, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
pub async fn api_tokens_of(db: &Db, user_id: i64, now: i64) -> Result<Vec<ApiTokenInfo>, AppError> {
    let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
        "SELECT {HANDLE_SQL} AS handle, created_at, expires_at, last_used_at \
         FROM api_tokens WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(ApiTokenInfo::from).collect())
}

/// Ends one of the user's own sessions (a handle of another user's is not found).
#[tracing::instrument(level = "debug", skip_all, fields(user = user.id))]
pub async fn end_session(db: &Db, user: &User, handle: &str) -> Result<(), AppError> {
    revoke(db, "sessions", user, handle).await
}

/// Revokes one of the user's own API tokens.
#[tracing::instrument(level = "debug", skip_all, fields(user = user.id))]
pub async fn revoke_api_token(db: &Db, user: &User, handle: &str) -> Result<(), AppError> {
    revoke(db, "api_tokens", user, handle).await
}

async fn revoke(db: &Db, table: &str, user: &User, handle: &str) -> Result<(), AppError> {
    let handle = valid_handle(handle)?;
    let done = sqlx::query(&format!(
        "DELETE FROM {table} WHERE user_id = $1 AND {HANDLE_SQL} = $2"
    ))
    .bind(user.id)
    .bind(handle)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tracing::info!(target: "security", user = user.id, table, "revoked by its owner");
    Ok(())
}

/// Browser and system named in a user agent, for a person to recognise their device.
pub fn browser_and_system(user_agent: &str) -> (Option<&'static str>, Option<&'static str>) {
    // The first mark found names it: Edge and Opera also say "Chrome", Chrome also "Safari".
    let first = |marks: &[(&str, &'static str)]| {
        marks
            .iter()
            .find(|(mark, _)| user_agent.contains(mark))
            .map(|&(_, name)| name)
    };
    let browser = first(&[
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]);
    let system = first(&[
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]);
    (browser, system)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_user(db: &Db, headers: &http::HeaderMap) -> Result<User, AppError> {
    authenticate_request(db, headers)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Who a signed-in caller is to a customer's objects: the customer (its account) or staff.
pub enum Party {
    Customer(i64),
    Staff(User),
}

/// The signed-in caller as a `Party`, else 401.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_party(db: &Db, headers: &http::HeaderMap) -> Result<Party, AppError> {
    let user = require_user(db, headers).await?;
    match (user.role.is_staff(), user.customer.as_ref()) {
        (true, _) => Ok(Party::Staff(user)),
        (false, Some(c)) => Ok(Party::Customer(c.id)),
        (false, None) => Err(AppError::Forbidden),
    }
}

/// Signed in with one of `roles`, else 401 / 403.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_role(
    db: &Db,
    headers: &http::HeaderMap,
    roles: &[Role],
) -> Result<User, AppError> {
    let user = require_user(db, headers).await?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The caller's customer account id: only customers' users have an address book, shipments...
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_customer(db: &Db, headers: &http::HeaderMap) -> Result<i64, AppError> {
    let user = require_role(db, headers, &[Role::Customer]).await?;
    user.customer.map(|c| c.id).ok_or(AppError::Forbidden)
}

/// Marks a customer the demo data made: only demo customers' parcels are moved by the traffic
/// simulator, so a real customer's are never touched, even in a database holding both.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn mark_demo_customer(db: &Db, customer_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE customers SET demo = TRUE WHERE id = $1")
        .bind(customer_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Name for the user; company and industry for the customer account (customers only).
#[tracing::instrument(level = "debug", skip_all, fields(user = user.id))]
pub async fn update_profile(db: &Db, user: &User, update: ProfileUpdate) -> Result<User, AppError> {
    let mut checks = Checks::new();
    let name = checks.check("name", PersonName::parse(&update.name));
    let (company, industry) = if user.customer.is_some() {
        (
            checks.check("company", CompanyName::parse_optional(&update.company)),
            checks.check("industry", Industry::parse(&update.industry)),
        )
    } else {
        (None, None)
    };
    checks.finish()?;
    let name = name.or_internal("profile checks passed without a name")?;
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name.as_str())
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    if let (Some(customer), Some(company), Some(industry)) = (&user.customer, company, industry) {
        let display = company
            .as_ref()
            .map(CompanyName::as_str)
            .unwrap_or(name.as_str());
        sqlx::query("UPDATE customers SET name = $1, company = $2, industry = $3 WHERE id = $4")
            .bind(display)
            .bind(company.as_ref().map(CompanyName::as_str))
            .bind(industry.as_str())
            .bind(customer.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    user_by_id(db, user.id).await
}

/// Changes the password after checking the current one, and signs out every other session.
#[tracing::instrument(level = "debug", skip_all, fields(user = user.id))]
pub async fn change_password(
    db: &Db,
    settings: &Settings,
    user: &User,
    current: &str,
    new: &str,
    keep_session_token: &str,
) -> Result<(), AppError> {
    rate_limit::hit(
        db,
        &format!("password:user:{}", user.id),
        settings.sign_in_limit,
        settings.rate_limit_window,
    )
    .await?;
    let new = Password::parse(new).map_err(|e| AppError::field("new_password", e))?;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(&db.pool)
        .await?;
    if !verify_password(hash, current.to_string()).await? {
        return Err(AppError::field(
            "current_password",
            FieldError::CurrentPasswordWrong,
        ));
    }
    let new_hash = hash_password(new).await?;
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&new_hash)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user.id)
        .bind(token_hash(keep_session_token))
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A care agent or manager, else 401 / 403.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_staff(db: &Db, headers: &http::HeaderMap) -> Result<User, AppError> {
    require_role(db, headers, &[Role::Agent, Role::Manager]).await
}

/// A manager, else 401 / 403.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_manager(db: &Db, headers: &http::HeaderMap) -> Result<User, AppError> {
    require_role(db, headers, &[Role::Manager]).await
}

#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    id: i64,
    name: String,
    company: Option<String>,
    industry: String,
    created_at: i64,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: r.id,
            name: r.name,
            company: r.company,
            industry: Industry::parse(&r.industry).unwrap_or(Industry::Other),
            created_at: r.created_at,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn customer(db: &Db, id: i64) -> Result<Customer, AppError> {
    let row: CustomerRow = sqlx::query_as(
        "SELECT id, name, company, industry, created_at FROM customers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_is_a_valid_argon2id_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(valid_handle(&handle_of(&a)).is_ok());
        assert_eq!(HANDLE_SQL, format!("substr(token_hash, 1, {HANDLE_CHARS})"));
        assert!(valid_handle("short").is_err());
        assert!(valid_handle("abc%20def0123456").is_err());
    }

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let cases = [
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", (Some("Chrome"), Some("Android"))),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", (Some("Safari"), Some("iPhone"))),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0", (Some("Edge"), Some("Windows"))),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0", (Some("Firefox"), Some("macOS"))),
            ("", (None, None)),
        ];
        for (ua, expected) in cases {
            assert_eq!(browser_and_system(ua), expected, "{ua}");
        }
    }
}
