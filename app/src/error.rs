//! The application's error type, shared by server and browser: server functions return it
//! typed, the REST API renders it as `{"error": {code, message, fields}}`, and the UI localises it.

use std::collections::BTreeMap;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::{fill, Locale};

/// Why one field was refused. Carries only data; the words come from the locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code")]
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
        match self {
            FieldError::Required => "required",
            FieldError::TooLong { .. } => "too_long",
            FieldError::EmailInvalid => "email_invalid",
            FieldError::EmailTaken => "email_taken",
            FieldError::PasswordTooShort { .. } => "password_too_short",
            FieldError::PasswordTooLong { .. } => "password_too_long",
            FieldError::IndustryInvalid => "industry_invalid",
            FieldError::CurrentPasswordWrong => "current_password_wrong",
            FieldError::PasswordCommon => "password_common",
            FieldError::DailyUploadLimit { .. } => "daily_upload_limit",
            FieldError::ControlCharacters => "control_characters",
            FieldError::PostcodeInvalid => "postcode_invalid",
            FieldError::PhoneInvalid => "phone_invalid",
            FieldError::CountryInvalid => "country_invalid",
            FieldError::CityUnknown => "city_unknown",
            FieldError::MustBePositive => "must_be_positive",
            FieldError::NotANumber => "not_a_number",
            FieldError::TooLarge { .. } => "too_large",
            FieldError::TooHeavy { .. } => "too_heavy",
            FieldError::Invalid => "invalid",
            FieldError::IdempotencyKeyReused => "idempotency_key_reused",
            FieldError::RequestInProgress => "request_in_progress",
            FieldError::NotCancellable => "not_cancellable",
            FieldError::DateInvalid => "date_invalid",
            FieldError::Cancelled => "cancelled",
            FieldError::FileTooLarge { .. } => "file_too_large",
            FieldError::FileEncoding => "file_encoding",
            FieldError::FileUnreadable => "file_unreadable",
            FieldError::FileEmpty => "file_empty",
            FieldError::ColumnsMissing => "columns_missing",
            FieldError::RowUnreadable => "row_unreadable",
            FieldError::TooManyRows { .. } => "too_many_rows",
            FieldError::YesOrNo => "yes_or_no",
            FieldError::ServiceUnknown => "service_unknown",
            FieldError::AreaCode => "area_code",
            FieldError::AreaEmpty => "area_empty",
            FieldError::AreaTaken => "area_taken",
            FieldError::TimeZoneUnknown => "time_zone_unknown",
            FieldError::TimeInvalid => "time_invalid",
            FieldError::WindowOrder => "window_order",
            FieldError::SlotFull => "slot_full",
            FieldError::CutoffPassed => "cutoff_passed",
            FieldError::SlotClosed => "slot_closed",
            FieldError::SlotNotInArea => "slot_not_in_area",
            FieldError::SlotTooEarly => "slot_too_early",
            FieldError::NotReschedulable => "not_reschedulable",
            FieldError::ChangedMeanwhile => "changed_meanwhile",
            FieldError::ProofWrong => "proof_wrong",
            FieldError::TransitionIllegal => "transition_illegal",
            FieldError::InFuture => "in_future",
            FieldError::DateTimeInvalid => "date_time_invalid",
            FieldError::Unknown => "unknown",
            FieldError::StatusUnknown => "status_unknown",
            FieldError::NotForCarriers => "not_for_carriers",
            FieldError::CapacityBelowBooked { .. } => "capacity_below_booked",
            FieldError::UrlInvalid => "url_invalid",
            FieldError::UrlNotPublic => "url_not_public",
            FieldError::TooMany { .. } => "too_many",
            FieldError::LocaleUnknown => "locale_unknown",
            FieldError::KindUnknown => "kind_unknown",
            FieldError::NotOutForDelivery => "not_out_for_delivery",
            FieldError::LinkExpired => "link_expired",
            FieldError::NotDelivered => "not_delivered",
            FieldError::RatingLocked => "rating_locked",
            FieldError::ReturnWindowClosed => "return_window_closed",
            FieldError::AlreadyReturned => "already_returned",
            FieldError::NothingChosen => "nothing_chosen",
            FieldError::FileType => "file_type",
        }
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

/// The outcome of a form's server function: a mistake the user mends in the form (a field, a
/// taken value, wrong credentials: `AppError::is_for_the_form`) travels as a successful HTTP
/// answer (`Ok(Err(..))`), so the browser does not log an expected refusal as a failed request.
/// Everything else (not found, forbidden, rate limited, unavailable, the server's fault) is the
/// outer `Err`, with its HTTP status (`platform::request::form_reply`).
pub type Reply<T> = Result<T, AppError>;

/// Field name -> why it was refused. Ordered so responses are stable.
pub type FieldErrors = BTreeMap<String, FieldError>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
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
    /// Details are logged on the server, never sent.
    #[error("internal error")]
    Internal,
    /// The request timed out or the database cannot be reached: worth retrying in a moment.
    #[error("unavailable")]
    Unavailable,
    /// The call did not reach the server or its answer could not be read.
    #[error("transport: {0}")]
    Transport(String),
}

impl AppError {
    pub fn field(name: &str, error: FieldError) -> Self {
        AppError::Validation(FieldErrors::from([(name.to_string(), error)]))
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
            AppError::Internal | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => S::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            // The reason itself when there is one (`slot_full`, `email_taken`, ...).
            AppError::Conflict(f) if f.len() == 1 => {
                f.values().next().map_or("conflict", |e| e.code())
            }
            AppError::Conflict(_) => "conflict",
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::CrossOrigin => "cross_origin",
            AppError::NotFound => "not_found",
            AppError::NoSuchRoute => "no_such_route",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::BadRequest(_) => "bad_request",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::InvalidBody { .. } => "invalid_body",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::Internal => "internal",
            AppError::Unavailable => "unavailable",
            AppError::Transport(_) => "network",
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
            AppError::Internal => t.err_internal.into(),
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
                .unwrap_or(AppError::Internal),
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
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!("server function failure: {other}");
                let _ = other;
                AppError::Internal
            }
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
    fn from(e: sqlx::Error) -> Self {
        tracing::error!("database error: {e}");
        if is_outage(&e) {
            AppError::Unavailable
        } else {
            AppError::Internal
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
            Some(AppError::Internal),
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
        assert_eq!(AppError::from(sqlx::Error::RowNotFound), AppError::Internal);
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
            assert_eq!(AppError::from(database(code)), AppError::Internal, "{code}");
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
