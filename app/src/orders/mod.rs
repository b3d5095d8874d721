//! Orders: quotes, booking, shipments and labels. The shared types live here; pricing (and the
//! rate card it reads) stays on the server.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod pricing;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;

use crate::addresses::AddressInput;
use crate::error::{AppError, Reply};

use serde::{Deserialize, Serialize};

/// How a shipment travels and is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    Standard,
    Express,
    /// Delivered in a window the recipient chose.
    Scheduled,
    /// Delivered to a locker or pickup point.
    PickupPoint,
}

impl ServiceLevel {
    pub const ALL: [ServiceLevel; 4] = [
        ServiceLevel::Standard,
        ServiceLevel::Express,
        ServiceLevel::Scheduled,
        ServiceLevel::PickupPoint,
    ];

    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            ServiceLevel::Standard => t.service_standard,
            ServiceLevel::Express => t.service_express,
            ServiceLevel::Scheduled => t.service_scheduled,
            ServiceLevel::PickupPoint => t.service_pickup_point,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceLevel::Standard => "standard",
            ServiceLevel::Express => "express",
            ServiceLevel::Scheduled => "scheduled",
            ServiceLevel::PickupPoint => "pickup_point",
        }
    }
}

/// One line of a price breakdown, in minor units (fen, cents); discounts are negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceLine {
    /// Transport of one parcel, charged on the greater of actual and volumetric weight.
    Carriage {
        parcel: usize,
        chargeable_weight_g: u64,
        volumetric: bool,
        amount: i64,
    },
    RemoteArea {
        amount: i64,
    },
    Oversize {
        parcel: usize,
        amount: i64,
    },
    Insurance {
        parcel: usize,
        declared_value: i64,
        amount: i64,
    },
    TierDiscount {
        percent: u32,
        amount: i64,
    },
}

impl PriceLine {
    pub fn amount(&self) -> i64 {
        match self {
            PriceLine::Carriage { amount, .. }
            | PriceLine::RemoteArea { amount }
            | PriceLine::Oversize { amount, .. }
            | PriceLine::Insurance { amount, .. }
            | PriceLine::TierDiscount { amount, .. } => *amount,
        }
    }
}

/// The price of one service level for one shipment, and when it would arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceQuote {
    pub service: ServiceLevel,
    pub zone: String,
    pub currency: String,
    pub lines: Vec<PriceLine>,
    pub total: i64,
    /// Business days from pickup: earliest and latest.
    pub transit_days: (u32, u32),
    /// The promised delivery window if handed over today: first and last day, `YYYY-MM-DD`.
    pub earliest_delivery: String,
    pub latest_delivery: String,
}

/// One parcel as typed; units are in the field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ParcelInput {
    pub weight_g: i64,
    pub length_cm: i64,
    pub width_cm: i64,
    pub height_cm: i64,
    /// Minor units (fen); 0 when not declared.
    #[serde(default)]
    pub declared_value: i64,
    pub contents: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteRequest {
    pub sender: AddressInput,
    pub recipient: AddressInput,
    pub parcels: Vec<ParcelInput>,
    /// Insure each parcel for its declared value.
    #[serde(default)]
    pub insure: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteResponse {
    /// Great-circle distance between the two cities.
    pub distance_km: f64,
    pub remote_destination: bool,
    /// Every service level, cheapest first.
    pub options: Vec<ServiceQuote>,
}

/// The quote page's form: saved sender and recipient by id (the caller's own only) and one
/// parcel as typed, weight in kg and value in yuan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuoteForm {
    pub sender_id: String,
    pub recipient_id: String,
    pub weight_kg: String,
    pub length_cm: String,
    pub width_cm: String,
    pub height_cm: String,
    #[serde(default)]
    pub declared_value: String,
    pub contents: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub insure: Option<String>,
}

#[server(prefix = "/rpc", endpoint = "orders/quote")]
pub async fn quote_from_address_book(form: QuoteForm) -> Result<Reply<QuoteResponse>, AppError> {
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    Ok(service::quote_saved(&state.db, customer_id, &form).await)
}
