//! The address book: a customer's saved sender and recipient addresses, validated (required
//! parts, postcode format per country, phone) and resolved to a gazetteer city.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Reply};

/// The longest street line kept.
pub const MAX_LINE_CHARS: usize = 200;
/// The longest city name read.
pub const MAX_CITY_CHARS: usize = 100;

/// An address as typed (API body or form): plain strings, every field checked at once. The
/// document states each field's own rule; the postcode's format depends on the country, and the
/// city must be one of the country's in the gazetteer (422 naming the field otherwise).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AddressInput {
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::PersonName))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::CompanyName))]
    pub company: String,
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::PhoneNumber))]
    pub phone: String,
    // MAX_LINE_CHARS, REQUIRED_LINE_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub line1: String,
    // MAX_LINE_CHARS, SINGLE_LINE_PATTERN
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub line2: String,
    // MAX_CITY_CHARS, REQUIRED_LINE_PATTERN
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub city: String,
    /// In the country's format; empty only where the country has none (Hong Kong).
    // Postcode::MAX_CHARS
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 10))]
    pub postcode: String,
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    #[cfg_attr(feature = "ssr", schema(pattern = "^[A-Za-z]{2}$"))]
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
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(service::list(&state.db, customer_id).await)
}

/// Creates an address when `id` is empty, else updates that address of the caller's.
#[server(prefix = "/rpc", endpoint = "addresses/save")]
pub async fn save_address(id: String, address: AddressInput) -> Result<Reply<Address>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(match id.trim() {
        "" => service::create(&state.db, customer_id, &address).await,
        id => match id.parse::<i64>() {
            Ok(id) => service::update(&state.db, customer_id, id, &address).await,
            Err(_) => Err(AppError::NotFound),
        },
    })
}

#[server(prefix = "/rpc", endpoint = "addresses/delete")]
pub async fn delete_address(id: i64) -> Result<Reply<()>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(service::delete(&state.db, customer_id, id).await)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::domain::schema::{json_of, REQUIRED_LINE_PATTERN, SINGLE_LINE_PATTERN};
    use crate::domain::Postcode;

    /// The document's literals are the rules' constants.
    #[test]
    fn the_document_states_each_fields_limits() {
        let schema = json_of::<AddressInput>();
        let field = |name: &str| schema["properties"][name].clone();
        assert_eq!(field("line1")["maxLength"], MAX_LINE_CHARS);
        assert_eq!(field("line1")["minLength"], 1);
        assert_eq!(field("line1")["pattern"], REQUIRED_LINE_PATTERN);
        assert_eq!(field("line2")["maxLength"], MAX_LINE_CHARS);
        assert_eq!(field("line2")["pattern"], SINGLE_LINE_PATTERN);
        assert_eq!(field("city")["maxLength"], MAX_CITY_CHARS);
        assert_eq!(field("city")["pattern"], REQUIRED_LINE_PATTERN);
        assert_eq!(field("postcode")["maxLength"], Postcode::MAX_CHARS);
        assert_eq!(field("name")["$ref"], "#/components/schemas/PersonName");
        let required = schema["required"].as_array().unwrap();
        assert!(!required.contains(&"postcode".into()));
    }
}
