//! The account rules, used by the pages' server functions and the REST API alike.

use std::net::IpAddr;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::{ProfileUpdate, Role, SignUpRequest, User};
use crate::domain::{CompanyName, EmailAddress, Industry, Password, PersonName};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::platform::request::{cookie, SESSION_COOKIE};
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
        Some(id) => Some(crate::crm::service::customer(db, id).await?),
        None => None,
    };
    Ok(User {
        id: row.id,
        email: row.email,
        name: row.name,
        role: Role::parse(&row.role).ok_or(AppError::Internal)?,
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
    .map_err(|_| AppError::Internal)?
    .map_err(|e| {
        tracing::error!("hashing failed: {e}");
        AppError::Internal
    })
}

async fn verify_password(hash: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|_| AppError::Internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|_| AppError::Internal)?
}

/// Verified against when the email is unknown, so a wrong email costs as long as a wrong
/// password and timing does not reveal which accounts exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0l4ZvU9w9k9l8bQ2f3mZ0Jm7b2HcS8Xo3vY0qkzq8nI";

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
        _ => Err(AppError::Internal),
    }
}

fn email_taken() -> AppError {
    AppError::Conflict(FieldErrors::from([(
        "email".to_string(),
        FieldError::EmailTaken,
    )]))
}

/// Creates a customer and its first user in one transaction: never one without the other.
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
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (customer_id, email, password_hash, name, role, created_at) \
         VALUES ($1, $2, $3, $4, 'customer', $5) RETURNING id",
    )
    .bind(customer_id)
    .bind(email.as_str())
    .bind(&hash)
    .bind(name.as_str())
    .bind(now)
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
        return Err(AppError::Internal);
    };
    if email_exists(db, &email).await? {
        return Err(email_taken());
    }
    let hash = hash_password(password).await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (customer_id, email, password_hash, name, role, created_at) \
         VALUES (NULL, $1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email.as_str())
    .bind(&hash)
    .bind(name.as_str())
    .bind(role.as_str())
    .bind(now_ms())
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

pub async fn user_by_id(db: &Db, id: i64) -> Result<User, AppError> {
    let row: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    to_user(db, row).await
}

/// Checks email and password, rate limited per client address and per email.
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

/// 256 random bits, URL-safe: session and API tokens, import batch keys.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Only a hash of a session or API token is stored: a leaked database grants no sign-in.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

pub async fn create_session(
    db: &Db,
    settings: &Settings,
    user_id: i64,
) -> Result<String, AppError> {
    let token = random_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(now + settings.session_ttl.as_millis() as i64)
    .execute(&db.pool)
    .await?;
    // Housekeeping as sessions are made: expired sessions and stale counters are useless.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    rate_limit::prune(db).await?;
    Ok(token)
}

pub async fn delete_session(db: &Db, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

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

async fn user_for_token(db: &Db, table: &str, token: &str) -> Result<Option<User>, AppError> {
    let sql = format!(
        "SELECT u.id, u.customer_id, u.email, u.password_hash, u.name, u.role FROM {table} t \
         JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2"
    );
    let row: Option<UserRow> = sqlx::query_as(&sql)
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(&db.pool)
        .await?;
    match row {
        Some(r) => Ok(Some(to_user(db, r).await?)),
        None => Ok(None),
    }
}

/// The user behind a request: a bearer token (API clients) or the session cookie (browsers).
pub async fn authenticate_request(
    db: &Db,
    headers: &http::HeaderMap,
) -> Result<Option<User>, AppError> {
    if let Some(bearer) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return user_for_token(db, "api_tokens", bearer.trim()).await;
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(token) if !token.is_empty() => user_for_token(db, "sessions", token).await,
        _ => Ok(None),
    }
}

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
pub async fn require_party(db: &Db, headers: &http::HeaderMap) -> Result<Party, AppError> {
    let user = require_user(db, headers).await?;
    match (user.role.is_staff(), user.customer.as_ref()) {
        (true, _) => Ok(Party::Staff(user)),
        (false, Some(c)) => Ok(Party::Customer(c.id)),
        (false, None) => Err(AppError::Forbidden),
    }
}

/// Signed in with one of `roles`, else 401 / 403.
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
pub async fn require_customer(db: &Db, headers: &http::HeaderMap) -> Result<i64, AppError> {
    let user = require_role(db, headers, &[Role::Customer]).await?;
    user.customer.map(|c| c.id).ok_or(AppError::Forbidden)
}

/// Marks a customer the demo data made: only demo customers' parcels are moved by the traffic
/// simulator, so a real customer's are never touched, even in a database holding both.
pub async fn mark_demo_customer(db: &Db, customer_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE customers SET demo = TRUE WHERE id = $1")
        .bind(customer_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Name for the user; company and industry for the customer account (customers only).
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
    let name = name.ok_or(AppError::Internal)?;
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

/// The customer's current tier, as segmentation last set it: quotes, bookings, complaint SLAs
/// and return deadlines all read it here, so one customer gets one service everywhere.
pub async fn tier<'e, E>(exec: E, customer_id: i64) -> Result<crate::domain::Tier, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let tier: String = sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(exec)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::domain::Tier::parse(&tier).ok_or(AppError::Internal)
}

/// A care agent or manager, else 401 / 403.
pub async fn require_staff(db: &Db, headers: &http::HeaderMap) -> Result<User, AppError> {
    require_role(db, headers, &[Role::Agent, Role::Manager]).await
}

/// A manager, else 401 / 403.
pub async fn require_manager(db: &Db, headers: &http::HeaderMap) -> Result<User, AppError> {
    require_role(db, headers, &[Role::Manager]).await
}

/// The staff user a customer's account is managed by, if a manager named one.
pub async fn account_manager_id<'e, E>(exec: E, customer_id: i64) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT account_manager_id FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(exec)
            .await?
            .flatten(),
    )
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
    }
}
