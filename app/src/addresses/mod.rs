//! The address book: a customer's saved sender and recipient addresses, validated (required
//! parts, postcode format per country, phone) and resolved to a gazetteer city.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Reply};

/// An address as typed (API body or form): plain strings, every field checked at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AddressInput {
    pub name: String,
    #[serde(default)]
    pub company: String,
    pub phone: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    #[serde(default)]
    pub postcode: String,
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    pub country: String,
}

/// A saved address, with the coordinates of its city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Address {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub phone: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

impl Address {
    pub fn to_input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            company: self.company.clone().unwrap_or_default(),
            phone: self.phone.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone().unwrap_or_default(),
            city: self.city.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
        }
    }
}

/// Countries offered in the address form (the API takes any country in the gazetteer).
pub const FORM_COUNTRIES: [&str; 12] = [
    "CN", "HK", "SG", "JP", "KR", "US", "CA", "GB", "DE", "FR", "NL", "AU",
];

#[server(prefix = "/rpc", endpoint = "addresses/list")]
pub async fn list_addresses() -> Result<Vec<Address>, AppError> {
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    respond(service::list(&state.db, customer_id).await)
}

/// Creates an address when `id` is empty, else updates that address of the caller's.
#[server(prefix = "/rpc", endpoint = "addresses/save")]
pub async fn save_address(id: String, address: AddressInput) -> Result<Reply<Address>, AppError> {
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    Ok(match id.trim() {
        "" => service::create(&state.db, customer_id, &address).await,
        id => match id.parse::<i64>() {
            Ok(id) => service::update(&state.db, customer_id, id, &address).await,
            Err(_) => Err(AppError::NotFound),
        },
    })
}

#[server(prefix = "/rpc", endpoint = "addresses/delete")]
pub async fn delete_address(id: i64) -> Result<Reply<()>, AppError> {
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    Ok(service::delete(&state.db, customer_id, id).await)
}
