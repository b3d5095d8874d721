//! Who is calling, as extractors: a REST handler names its guard in its arguments, a server
//! function through `platform::request::caller`, so every endpoint states it once, the same
//! way. Each answers 401 when nobody is signed in and 403 for the wrong role.

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::service::{
    require_customer, require_manager, require_party, require_staff, require_user, Party,
};
use super::User;
use crate::error::AppError;
use crate::platform::AppState;

/// Any signed-in user.
pub struct SignedIn(pub User);

/// A customer's user: the id of their customer account, the owner of addresses, shipments...
pub struct Customer(pub i64);

/// A care agent or manager.
pub struct Staff(pub User);

/// A manager.
pub struct Manager(pub User);

/// A customer or staff, as `Party` tells them apart: who may see a customer's objects.
pub struct Caller(pub Party);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        require_user(&state.db, &parts.headers).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Customer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        require_customer(&state.db, &parts.headers).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        require_staff(&state.db, &parts.headers).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        require_manager(&state.db, &parts.headers).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        require_party(&state.db, &parts.headers).await.map(Self)
    }
}
