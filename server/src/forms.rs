//! Form posts of the pages served without the app's wasm, which work with scripts off: the
//! recipient's proof and delivery change on the tracking page, and the language switch. Each
//! answers with a redirect back to its page (303), carrying a refusal in the query
//! (`AppError::to_query`) for the page to show next to its field.

use app::domain::TrackingNumber;
use app::error::AppError;
use app::i18n::{locale_cookie, Locale};
use app::orders::delivery::NewDelivery;
use app::platform::{now_ms, AppState};
use app::tracking::service;
use axum::extract::{Path, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use crate::api::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/track/{tracking_number}/proof", post(prove))
        .route("/track/{tracking_number}/delivery", post(change_delivery))
        .route("/locale", post(switch_locale))
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location.to_string())]).into_response()
}

/// The parcel's page; an invalid number never reaches a `Location` header.
fn parcel_page(tracking_number: &str) -> Option<String> {
    TrackingNumber::parse(tracking_number.trim())
        .ok()
        .map(|tn| format!("/track/{}", tn.as_str()))
}

fn refused(page: &str, e: &AppError) -> Response {
    see_other(&format!("{page}?{}", e.to_query()))
}

/// The recipient's grant for one parcel: sent back only to that parcel's page and its forms.
fn access_cookie(page: &str, value: &str, secure: bool) -> HeaderValue {
    app::platform::request::private_cookie(
        service::ACCESS_COOKIE,
        value,
        page,
        service::ACCESS_LIFETIME.as_secs(),
        secure,
    )
}

#[derive(Deserialize)]
struct ProofForm {
    #[serde(default)]
    proof: String,
}

async fn prove(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(tracking_number): Path<String>,
    Form(form): Form<ProofForm>,
) -> Response {
    let Some(page) = parcel_page(&tracking_number) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match service::prove(&state.db, &tracking_number, &form.proof, ip, now_ms()).await {
        Ok(access) => {
            let mut res = see_other(&page);
            res.headers_mut().insert(
                SET_COOKIE,
                access_cookie(&page, &access, state.settings.cookie_secure),
            );
            res
        }
        Err(e) => refused(&page, &e),
    }
}

#[derive(Deserialize)]
struct DeliveryForm {
    /// Which button: `window` or `pickup_point`.
    #[serde(default)]
    to: String,
    /// The slot picker's radio group.
    #[serde(default)]
    reschedule: Option<String>,
    #[serde(default)]
    pickup_point: Option<String>,
}

async fn change_delivery(
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    headers: axum::http::HeaderMap,
    Form(form): Form<DeliveryForm>,
) -> Response {
    let Some(page) = parcel_page(&tracking_number) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(access) = app::platform::request::cookie(&headers, service::ACCESS_COOKIE) else {
        // The grant expired (or never was): the page asks for the proof again.
        return see_other(&page);
    };
    let to = match form.to.as_str() {
        "pickup_point" => form
            .pickup_point
            .filter(|p| !p.trim().is_empty())
            .map(NewDelivery::PickupPoint),
        _ => form
            .reschedule
            .and_then(|s| s.trim().parse().ok())
            .map(NewDelivery::Window),
    };
    let field = if form.to == "pickup_point" {
        "pickup_point"
    } else {
        "slot_id"
    };
    let Some(to) = to else {
        return refused(
            &page,
            &AppError::field(field, app::error::FieldError::NothingChosen),
        );
    };
    match service::change_with_access(&state.db, &tracking_number, access, now_ms(), to).await {
        Ok(_) => see_other(&format!("{page}?changed=1")),
        Err(AppError::Unauthenticated) => see_other(&page),
        Err(e) => refused(&page, &e),
    }
}

#[derive(Deserialize)]
struct LocaleForm {
    #[serde(default)]
    locale: String,
    #[serde(default)]
    back: String,
}

/// The language buttons as a form: remembers the choice for a year and returns to the page.
async fn switch_locale(Form(form): Form<LocaleForm>) -> Response {
    let back = app::domain::local_path(&form.back).unwrap_or("/");
    let mut res = see_other(back);
    if let Some(locale) = Locale::from_tag(&form.locale) {
        res.headers_mut().insert(
            SET_COOKIE,
            HeaderValue::from_str(&locale_cookie(locale)).expect("a locale tag is ASCII"),
        );
    }
    res
}
