//! The application's error type, shared by server and browser: server functions return it
//! typed, the REST API renders it as `{"error": {code, message, fields}}`, and the UI localises it.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::{fill, Locale};

#[cfg(feature = "ssr")]
mod response;
#[cfg(feature = "ssr")]
pub use response::{error_response, ErrorBody, ErrorDetail};

/// Why one field was refused. Carries only data; the words come from the locale. Its `code` is
/// the serde tag, derived by strum from the same variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "snake_case", tag = "code")]
#[strum(serialize_all = "snake_case")]
pub enum FieldError {
    Required,
    TooLong {
        max: usize,
    },
    EmailInvalid,
    EmailTaken,
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    IndustryInvalid,
    CurrentPasswordWrong,
    /// On the list of passwords attackers try first, or a listed word padded or repeated.
    PasswordCommon,
    /// A customer's uploads for today are used up (files or megabytes).
    DailyUploadLimit {
        files: u32,
        mb: u64,
    },
    ControlCharacters,
    PostcodeInvalid,
    PhoneInvalid,
    CountryInvalid,
    CityUnknown,
    MustBePositive,
    NotANumber,
    TooLarge {
        max: usize,
    },
    TooHeavy {
        max_g: u32,
    },
    Invalid,
    /// The same Idempotency-Key came with a different request body.
    IdempotencyKeyReused,
    /// A request with this Idempotency-Key is still being processed.
    RequestInProgress,
    /// The shipment has been picked up (or ended) and can no longer be cancelled.
    NotCancellable,
    DateInvalid,
    /// The shipment was cancelled: no label, no changes.
    Cancelled,
    FileTooLarge {
        max_mb: u32,
    },
    FileEncoding,
    FileUnreadable,
    FileEmpty,
    ColumnsMissing,
    RowUnreadable,
    TooManyRows {
        max: usize,
    },
    YesOrNo,
    ServiceUnknown,
    AreaCode,
    AreaEmpty,
    AreaTaken,
    TimeZoneUnknown,
    TimeInvalid,
    WindowOrder,
    SlotFull,
    CutoffPassed,
    SlotClosed,
    SlotNotInArea,
    SlotTooEarly,
    NotReschedulable,
    ChangedMeanwhile,
    ProofWrong,
    TransitionIllegal,
    InFuture,
    DateTimeInvalid,
    /// No such object (inside a batch, where the whole request is not a 404).
    Unknown,
    StatusUnknown,
    NotForCarriers,
    /// Capacity below what is already booked.
    CapacityBelowBooked {
        booked: usize,
    },
    /// Not an absolute `http`/`https` URL.
    UrlInvalid,
    /// A loopback, private or link-local address: the portal does not call into networks
    /// behind it.
    UrlNotPublic,
    TooMany {
        max: usize,
    },
    LocaleUnknown,
    KindUnknown,
    NotOutForDelivery,
    LinkExpired,
    NotDelivered,
    RatingLocked,
    ReturnWindowClosed,
    AlreadyReturned,
    NothingChosen,
    FileType,
}

impl FieldError {
    pub fn code(&self) -> &'static str {
        self.into()
    }

    pub fn message(&self, locale: Locale) -> String {
        let t = locale.texts();
        match self {
            FieldError::Required => t.fe_required.into(),
            FieldError::TooLong { max } => fill(t.fe_too_long, &[("max", &max.to_string())]),
            FieldError::EmailInvalid => t.fe_email_invalid.into(),
            FieldError::EmailTaken => t.fe_email_taken.into(),
            FieldError::PasswordTooShort { min } => {
                fill(t.fe_password_too_short, &[("min", &min.to_string())])
            }
            FieldError::PasswordTooLong { max } => {
                fill(t.fe_password_too_long, &[("max", &max.to_string())])
            }
            FieldError::IndustryInvalid => t.fe_industry_invalid.into(),
            FieldError::CurrentPasswordWrong => t.fe_current_password_wrong.into(),
            FieldError::PasswordCommon => t.fe_password_common.into(),
            FieldError::DailyUploadLimit { files, mb } => fill(
                t.fe_daily_upload_limit,
                &[("files", &files.to_string()), ("mb", &mb.to_string())],
            ),
            FieldError::ControlCharacters => t.fe_control_characters.into(),
            FieldError::PostcodeInvalid => t.fe_postcode_invalid.into(),
            FieldError::PhoneInvalid => t.fe_phone_invalid.into(),
            FieldError::CountryInvalid => t.fe_country_invalid.into(),
            FieldError::CityUnknown => t.fe_city_unknown.into(),
            FieldError::MustBePositive => t.fe_must_be_positive.into(),
            FieldError::NotANumber => t.fe_not_a_number.into(),
            FieldError::TooLarge { max } => fill(t.fe_too_large, &[("max", &max.to_string())]),
            FieldError::TooHeavy { max_g } => {
                fill(t.fe_too_heavy, &[("max", &(max_g / 1000).to_string())])
            }
            FieldError::Invalid => t.fe_invalid.into(),
            FieldError::IdempotencyKeyReused => t.fe_idempotency_key_reused.into(),
            FieldError::RequestInProgress => t.fe_request_in_progress.into(),
            FieldError::NotCancellable => t.fe_not_cancellable.into(),
            FieldError::DateInvalid => t.fe_date_invalid.into(),
            FieldError::Cancelled => t.fe_cancelled.into(),
            FieldError::FileTooLarge { max_mb } => {
                fill(t.fe_file_too_large, &[("max", &max_mb.to_string())])
            }
            FieldError::FileEncoding => t.fe_file_encoding.into(),
            FieldError::FileUnreadable => t.fe_file_unreadable.into(),
            FieldError::FileEmpty => t.fe_file_empty.into(),
            FieldError::ColumnsMissing => t.fe_columns_missing.into(),
            FieldError::RowUnreadable => t.fe_row_unreadable.into(),
            FieldError::TooManyRows { max } => {
                fill(t.fe_too_many_rows, &[("max", &max.to_string())])
            }
            FieldError::YesOrNo => t.fe_yes_or_no.into(),
            FieldError::ServiceUnknown => t.fe_service_unknown.into(),
            FieldError::AreaCode => t.fe_area_code.into(),
            FieldError::AreaEmpty => t.fe_area_empty.into(),
            FieldError::AreaTaken => t.fe_area_taken.into(),
            FieldError::TimeZoneUnknown => t.fe_time_zone_unknown.into(),
            FieldError::TimeInvalid => t.fe_time_invalid.into(),
            FieldError::WindowOrder => t.fe_window_order.into(),
            FieldError::SlotFull => t.fe_slot_full.into(),
            FieldError::CutoffPassed => t.fe_cutoff_passed.into(),
            FieldError::SlotClosed => t.fe_slot_closed.into(),
            FieldError::SlotNotInArea => t.fe_slot_not_in_area.into(),
            FieldError::SlotTooEarly => t.fe_slot_too_early.into(),
            FieldError::NotReschedulable => t.fe_not_reschedulable.into(),
            FieldError::ChangedMeanwhile => t.fe_changed_meanwhile.into(),
            FieldError::ProofWrong => t.fe_proof_wrong.into(),
            FieldError::TransitionIllegal => t.fe_transition_illegal.into(),
            FieldError::InFuture => t.fe_in_future.into(),
            FieldError::DateTimeInvalid => t.fe_date_time_invalid.into(),
            FieldError::Unknown => t.fe_unknown.into(),
            FieldError::StatusUnknown => t.fe_status_unknown.into(),
            FieldError::NotForCarriers => t.fe_not_for_carriers.into(),
            FieldError::CapacityBelowBooked { booked } => fill(
                t.fe_capacity_below_booked,
                &[("booked", &booked.to_string())],
            ),
            FieldError::UrlInvalid => t.fe_url_invalid.into(),
            FieldError::UrlNotPublic => t.fe_url_not_public.into(),
            FieldError::TooMany { max } => fill(t.fe_too_many, &[("max", &max.to_string())]),
            FieldError::LocaleUnknown => t.fe_locale_unknown.into(),
            FieldError::KindUnknown => t.fe_kind_unknown.into(),
            FieldError::NotOutForDelivery => t.fe_not_out_for_delivery.into(),
            FieldError::LinkExpired => t.fe_link_expired.into(),
            FieldError::NotDelivered => t.fe_not_delivered.into(),
            FieldError::RatingLocked => t.fe_rating_locked.into(),
            FieldError::ReturnWindowClosed => t.fe_return_window_closed.into(),
            FieldError::AlreadyReturned => t.fe_already_returned.into(),
            FieldError::NothingChosen => t.fe_nothing_chosen.into(),
            FieldError::FileType => t.fe_file_type.into(),
        }
    }
}

/// The code, for the server's log (`or_internal` on a refused stored value); people read
/// `message`.
impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The outcome of a form's server function: a mistake the user mends in the form (a field, a
/// taken value, wrong credentials: `AppError::is_for_the_form`) travels as a successful HTTP
/// answer (`Ok(Err(..))`), so the browser does not log an expected refusal as a failed request.
/// Everything else (not found, forbidden, rate limited, unavailable, the server's fault) is the
/// outer `Err`, with its HTTP status (`platform::request::form_reply`).
pub type Reply<T> = Result<T, AppError>;

/// Field name -> why it was refused. Ordered so responses are stable.
pub type FieldErrors = BTreeMap<String, FieldError>;

/// Its `code` (the API's `error.code`) is the variant's name in snake_case, derived by strum;
/// serde keeps the variant names as they are.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum AppError {
    #[error("validation failed")]
    #[strum(serialize = "validation_failed")]
    Validation(FieldErrors),
    /// A uniqueness conflict that belongs to a field (for example a taken email).
    #[error("conflict")]
    Conflict(FieldErrors),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The API has no route at that path: told apart from a route's own `NotFound`.
    #[error("no such route")]
    NoSuchRoute,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("cross-origin request refused")]
    CrossOrigin,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A body over the route's limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Well-formed JSON of the wrong shape; names the offending fields where it can.
    #[error("invalid body: {detail}")]
    InvalidBody { detail: String, fields: FieldErrors },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The server's fault. Its cause is logged on the server and never sent: serde skips it,
    /// so the wire form stays the bare `"Internal"` and a deserialised error has none.
    #[error("internal error")]
    Internal(#[serde(skip)] Cause),
    /// The request timed out or the database cannot be reached: worth retrying in a moment.
    #[error("unavailable")]
    Unavailable,
    /// The call did not reach the server or its answer could not be read.
    #[error("transport: {0}")]
    #[strum(serialize = "network")]
    Transport(String),
}

/// What went wrong behind an [`AppError::Internal`], for the server's log: the variant's field
/// is `serde(skip)`, so it never leaves the server, and in the browser it is always empty. Any
/// two compare equal: to callers and tests an internal error is one error, whatever its cause.
#[derive(Clone, Default)]
pub struct Cause(Option<Arc<str>>);

impl Cause {
    /// What went wrong and where, when it was recorded here on the server.
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl PartialEq for Cause {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text() {
            Some(text) => std::fmt::Debug::fmt(text, f),
            None => f.write_str("no cause"),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text().unwrap_or("no cause recorded"))
    }
}

/// `.or_internal("what was expected")` on a missing value or a failed call: the server's
/// fault, keeping what happened (a failed call's own error follows `what`) and where.
pub trait OrInternal<T> {
    #[track_caller]
    fn or_internal(self, what: &str) -> Result<T, AppError>;
}

// No closures inside: `track_caller` would then name this file instead of the caller's.
impl<T> OrInternal<T> for Option<T> {
    #[track_caller]
    fn or_internal(self, what: &str) -> Result<T, AppError> {
        match self {
            Some(value) => Ok(value),
            None => Err(AppError::internal(what)),
        }
    }
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    #[track_caller]
    fn or_internal(self, what: &str) -> Result<T, AppError> {
        match self {
            Ok(value) => Ok(value),
            Err(e) => Err(AppError::internal(format_args!("{what}: {e}"))),
        }
    }
}

impl AppError {
    pub fn field(name: &str, error: FieldError) -> Self {
        AppError::Validation(FieldErrors::from([(name.to_string(), error)]))
    }

    /// The server's fault, with what went wrong and the caller's file and line. On the server
    /// it is logged here, inside the current tracing span, so the log line names the request
    /// and the ids the service was working on; the answer says only "internal error".
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let at = std::panic::Location::caller();
        let text = format!("{cause} (at {}:{})", at.file(), at.line());
        #[cfg(feature = "ssr")]
        tracing::error!(cause = %text, "internal error");
        AppError::Internal(Cause(Some(text.into())))
    }

    /// A refusal the user mends in the form itself, shown next to a field or above the form.
    pub fn is_for_the_form(&self) -> bool {
        matches!(
            self,
            AppError::Validation(_) | AppError::Conflict(_) | AppError::InvalidCredentials
        )
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Validation(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::Unauthenticated | AppError::InvalidCredentials => S::UNAUTHORIZED,
            AppError::Forbidden | AppError::CrossOrigin => S::FORBIDDEN,
            AppError::NotFound | AppError::NoSuchRoute => S::NOT_FOUND,
            AppError::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => S::BAD_REQUEST,
            AppError::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
            AppError::InvalidBody { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => S::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            // The reason itself when there is one (`slot_full`, `email_taken`, ...).
            AppError::Conflict(f) if f.len() == 1 => {
                f.values().next().map_or("conflict", |e| e.code())
            }
            other => other.into(),
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let t = locale.texts();
        match self {
            AppError::Validation(_) => t.err_validation.into(),
            AppError::Conflict(fields) => fields
                .values()
                .next()
                .map(|f| f.message(locale))
                .unwrap_or_else(|| t.err_conflict.into()),
            AppError::Unauthenticated => t.err_unauthenticated.into(),
            AppError::InvalidCredentials => t.err_invalid_credentials.into(),
            AppError::Forbidden => t.err_forbidden.into(),
            AppError::CrossOrigin => t.err_cross_origin.into(),
            AppError::NotFound => t.err_not_found.into(),
            AppError::NoSuchRoute => t.err_no_such_route.into(),
            // A daily quota waits for midnight (UTC): hours of seconds would say nothing.
            AppError::RateLimited { retry_after_secs } if *retry_after_secs > 3600 => fill(
                t.err_daily_limit,
                &[("hours", &retry_after_secs.div_ceil(3600).to_string())],
            ),
            AppError::RateLimited { retry_after_secs } if *retry_after_secs > 120 => fill(
                t.err_rate_limited_minutes,
                &[("minutes", &retry_after_secs.div_ceil(60).to_string())],
            ),
            AppError::RateLimited { retry_after_secs } => fill(
                t.err_rate_limited,
                &[("seconds", &retry_after_secs.to_string())],
            ),
            AppError::BadRequest(_) => t.err_bad_request.into(),
            AppError::PayloadTooLarge => t.err_payload_too_large.into(),
            AppError::InvalidBody { .. } => t.err_invalid_body.into(),
            AppError::UnsupportedMediaType => t.err_unsupported_media_type.into(),
            AppError::Internal(_) => t.err_internal.into(),
            AppError::Unavailable => t.err_unavailable.into(),
            AppError::Transport(_) => t.err_network.into(),
        }
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(f)
            | AppError::Conflict(f)
            | AppError::InvalidBody { fields: f, .. } => Some(f),
            _ => None,
        }
    }

    /// Each refused field with its message in `locale`: the `fields` of the API's error shape.
    pub fn field_messages(&self, locale: Locale) -> BTreeMap<String, String> {
        self.fields()
            .map(|f| {
                f.iter()
                    .map(|(k, v)| (k.clone(), v.message(locale)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The error for one field, to show next to it.
    pub fn field_error(&self, name: &str) -> Option<FieldError> {
        self.fields().and_then(|f| f.get(name)).copied()
    }
}

/// A refused form post carried back to its page in the query string (`error`, `field`,
/// `retry`), for pages that work as plain HTML forms: the page shows it next to its field, in
/// the reader's language, after the redirect.
#[cfg(feature = "ssr")]
impl AppError {
    pub fn to_query(&self) -> String {
        let mut q = format!("error={}", self.code());
        if let Some((field, e)) = self.fields().and_then(|f| f.iter().next()) {
            q = format!("error={}&field={}", e.code(), field);
        }
        if let AppError::RateLimited { retry_after_secs } = self {
            q.push_str(&format!("&retry={retry_after_secs}"));
        }
        q
    }

    /// The error `to_query` wrote, from the page's query; `None` without one.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<AppError> {
        let code = get("error")?;
        if let Some(field) = get("field").filter(|f| !f.is_empty() && f.len() <= 40) {
            // Field errors carrying a limit (`too_long`) lose it here; the pages using this
            // refuse only with plain reasons.
            let error =
                serde_json::from_value::<FieldError>(serde_json::json!({ "code": code })).ok()?;
            return Some(AppError::field(&field, error));
        }
        let retry_after_secs = get("retry").and_then(|r| r.parse().ok()).unwrap_or(60);
        // Matched by `code()`, so the names are written once.
        let known = [
            AppError::RateLimited { retry_after_secs },
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::CrossOrigin,
            AppError::BadRequest(String::new()),
            AppError::UnsupportedMediaType,
            AppError::Unavailable,
        ];
        Some(
            known
                .into_iter()
                .find(|e| e.code() == code)
                // Not the server's fault, so nothing to log: a general error, with no cause.
                .unwrap_or(AppError::Internal(Cause(None))),
        )
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The body limit of the route (axum's, reached while reading).
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m)
                if m.contains("length limit exceeded") =>
            {
                AppError::PayloadTooLarge
            }
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(m)
            }
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Transport(m),
            other => AppError::internal(format_args!("server function failure: {other}")),
        }
    }
}

/// Seconds a client is told to wait (`Retry-After`) before trying again after a 503: the API's
/// `unavailable`, the readiness check when not ready, and the page shown while the database is
/// out of reach.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// Whether a database error says the database is out of reach (stopped, restarting, the
/// connection cut) rather than that the request or the code is at fault: a retry in a moment
/// may succeed.
#[cfg(feature = "ssr")]
pub fn is_outage(e: &sqlx::Error) -> bool {
    match e {
        // No connection within the pool's wait (the server refuses them, or is starting up),
        // or the connection broke under the query.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Protocol(_) => true,
        // PostgreSQL ending the session: `57P01` admin_shutdown (a fast stop or restart),
        // `57P02` crash_shutdown, `57P03` cannot_connect_now (starting up or shutting down),
        // and class `08`, connection exceptions.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            let code: &str = &code;
            ["57P01", "57P02", "57P03"].contains(&code) || code.starts_with("08")
        }),
        _ => false,
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    /// `track_caller`, so an error passed on with `?` is placed where the query was awaited.
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        if is_outage(&e) {
            tracing::error!("database error: {e}");
            AppError::Unavailable
        } else {
            // Logged by `internal`, with the place.
            AppError::internal(format_args!("database: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn a_refusal_survives_the_redirect_back_to_its_form() {
        for e in [
            AppError::field("proof", FieldError::ProofWrong),
            AppError::RateLimited {
                retry_after_secs: 900,
            },
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::NotFound,
            AppError::Unavailable,
        ] {
            let query = e.to_query();
            let pairs: BTreeMap<String, String> = query
                .split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(
                AppError::from_query(|k| pairs.get(k).cloned()),
                Some(e),
                "{query}"
            );
        }
        assert_eq!(AppError::from_query(|_| None), None);
        assert_eq!(
            AppError::from_query(|k| (k == "error").then(|| "<script>".to_string())),
            Some(AppError::Internal(Cause::default())),
            "an unknown code is a general error, never echoed"
        );
    }

    #[test]
    fn statuses_follow_the_api_contract() {
        assert_eq!(
            AppError::field("email", FieldError::EmailInvalid).status(),
            422
        );
        assert_eq!(AppError::Conflict(FieldErrors::new()).status(), 409);
        assert_eq!(AppError::InvalidCredentials.status(), 401);
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 3
            }
            .status(),
            429
        );
        // The API's fallback is told apart from a route's own 404; an outage is retried.
        assert_eq!(AppError::NoSuchRoute.status(), 404);
        assert_eq!(AppError::NoSuchRoute.code(), "no_such_route");
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Unavailable.code(), "unavailable");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_database_out_of_reach_is_unavailable_not_internal() {
        assert_eq!(
            AppError::from(sqlx::Error::PoolTimedOut),
            AppError::Unavailable
        );
        assert_eq!(
            AppError::from(sqlx::Error::PoolClosed),
            AppError::Unavailable
        );
        assert_eq!(
            AppError::from(sqlx::Error::RowNotFound),
            AppError::Internal(Cause::default())
        );
    }

    /// A database's error with a SQLSTATE, as PostgreSQL sends one.
    #[cfg(feature = "ssr")]
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    #[cfg(feature = "ssr")]
    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    #[cfg(feature = "ssr")]
    impl std::error::Error for Sqlstate {}

    #[cfg(feature = "ssr")]
    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "from the database"
        }

        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }

        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    /// What a query meets while PostgreSQL stops or restarts under it: the session ended by
    /// the server, the socket closed half-way, a reply cut short, no connection to be had.
    /// Each is a 503 to retry, never a 500.
    #[cfg(feature = "ssr")]
    #[test]
    fn a_database_stopping_or_restarting_under_a_query_is_unavailable() {
        let database = |code| sqlx::Error::Database(Box::new(Sqlstate(code)));
        for code in ["57P01", "57P02", "57P03", "08006", "08003", "08001"] {
            assert_eq!(
                AppError::from(database(code)),
                AppError::Unavailable,
                "{code}"
            );
        }
        for kind in [
            std::io::ErrorKind::UnexpectedEof,
            std::io::ErrorKind::ConnectionReset,
            std::io::ErrorKind::ConnectionRefused,
            std::io::ErrorKind::BrokenPipe,
        ] {
            let e = sqlx::Error::Io(std::io::Error::from(kind));
            assert_eq!(AppError::from(e), AppError::Unavailable, "{kind:?}");
        }
        assert_eq!(
            AppError::from(sqlx::Error::Protocol("unexpected end of message".into())),
            AppError::Unavailable
        );
        // The request's or the code's own faults stay 500s: a constraint, a cancelled
        // statement, a syntax error.
        for code in ["23505", "57014", "42601"] {
            assert_eq!(
                AppError::from(database(code)),
                AppError::Internal(Cause::default()),
                "{code}"
            );
        }
    }

    #[test]
    fn messages_are_localised_with_their_numbers() {
        let e = FieldError::PasswordTooShort { min: 12 };
        assert_eq!(e.message(Locale::En), "Use at least 12 characters.");
        assert_eq!(e.message(Locale::ZhCn), "至少需要 12 个字符。");
        let r = AppError::RateLimited {
            retry_after_secs: 42,
        };
        assert!(r.message(Locale::ZhCn).contains("42"));
    }

    /// The code is the serde tag, and the tag reads back as the same refusal.
    #[test]
    fn field_error_codes_are_the_serde_tags() {
        use strum::IntoEnumIterator;
        for e in FieldError::iter() {
            let json = serde_json::to_value(e).unwrap();
            assert_eq!(
                json["code"],
                serde_json::Value::String(e.code().to_string()),
                "{e:?}"
            );
            assert_eq!(serde_json::from_value::<FieldError>(json).unwrap(), e);
        }
        assert_eq!(FieldError::NotANumber.code(), "not_a_number");
    }

    /// The API's error codes, as clients read them.
    #[test]
    fn app_error_codes_keep_their_names() {
        let slot_full = FieldErrors::from([("slot_id".to_string(), FieldError::SlotFull)]);
        for (e, code) in [
            (
                AppError::Validation(FieldErrors::new()),
                "validation_failed",
            ),
            (AppError::Conflict(slot_full), "slot_full"),
            (AppError::Conflict(FieldErrors::new()), "conflict"),
            (AppError::Unauthenticated, "unauthenticated"),
            (AppError::InvalidCredentials, "invalid_credentials"),
            (AppError::Forbidden, "forbidden"),
            (AppError::CrossOrigin, "cross_origin"),
            (AppError::NotFound, "not_found"),
            (AppError::NoSuchRoute, "no_such_route"),
            (
                AppError::RateLimited {
                    retry_after_secs: 1,
                },
                "rate_limited",
            ),
            (AppError::BadRequest(String::new()), "bad_request"),
            (AppError::PayloadTooLarge, "payload_too_large"),
            (
                AppError::InvalidBody {
                    detail: String::new(),
                    fields: FieldErrors::new(),
                },
                "invalid_body",
            ),
            (AppError::UnsupportedMediaType, "unsupported_media_type"),
            (AppError::Internal(Cause::default()), "internal"),
            (AppError::Unavailable, "unavailable"),
            (AppError::Transport(String::new()), "network"),
        ] {
            assert_eq!(e.code(), code, "{e:?}");
        }
    }

    /// The cause is for the server's log: the wire carries the bare variant, as before.
    #[test]
    fn an_internal_errors_cause_is_never_serialised() {
        let e = AppError::internal("the secret detail");
        assert!(e.to_string().contains("internal error"));
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#""Internal""#);
        assert!(!json.contains("secret"), "{json}");
        let back: AppError = serde_json::from_str(&json).unwrap();
        match back {
            AppError::Internal(cause) => assert_eq!(cause.text(), None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn internal_errors_are_equal_whatever_their_cause() {
        assert_eq!(
            AppError::internal("one thing"),
            AppError::internal("another")
        );
        assert_eq!(
            AppError::internal("one thing"),
            AppError::Internal(Cause::default())
        );
        assert_ne!(AppError::internal("one thing"), AppError::NotFound);
    }

    #[test]
    fn or_internal_keeps_the_source_error_and_the_place() {
        let failed: Result<u8, _> = "x".parse::<u8>();
        let e = failed.or_internal("read a digit").unwrap_err();
        let AppError::Internal(cause) = &e else {
            panic!("{e:?}")
        };
        let text = cause.text().unwrap();
        assert!(text.starts_with("read a digit: invalid digit"), "{text}");
        assert!(text.contains("error.rs:"), "{text}");

        let missing: Option<u8> = None;
        let e = missing.or_internal("a value that was there").unwrap_err();
        let AppError::Internal(cause) = &e else {
            panic!("{e:?}")
        };
        let text = cause.text().unwrap();
        assert!(text.starts_with("a value that was there (at "), "{text}");
        assert!(text.contains("error.rs:"), "{text}");
        assert_eq!(Some(3).or_internal("unused"), Ok(3));
    }

    #[test]
    fn field_errors_serialise_with_a_code_tag() {
        let json = serde_json_lite(&FieldError::TooLong { max: 5 });
        assert_eq!(json, r#"{"code":"too_long","max":5}"#);
    }

    fn serde_json_lite<T: Serialize>(v: &T) -> String {
        // JsonEncoding is what server functions use; round-trip through it.
        serde_json::to_string(v).unwrap()
    }
}
