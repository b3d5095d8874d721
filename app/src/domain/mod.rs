//! The lowest layer: the vocabulary every capability shares (a shipment's status and service
//! level, tiers and their SLA, dates, money) and values that are parsed once at the edge and
//! trusted afterwards. Each such type can only be built through `parse`, so a function taking
//! an `EmailAddress` never sees an invalid one. Imports nothing of the crate but `error` and
//! `i18n`.

mod dates;
mod email;
mod industry;
mod local_path;
mod money;
mod parcel;
mod password;
mod phone;
mod postcode;
#[cfg(feature = "ssr")]
pub mod schema;
mod shipment;
mod text;
mod tier;
mod tracking_number;
pub mod upload;
mod variants;

pub use dates::{format_date, format_time, parse_date};
pub use email::EmailAddress;
pub use industry::Industry;
pub use local_path::local_path;
pub use money::{kg, money};
pub use parcel::{Dimensions, Side, Weight};
pub use password::Password;
pub use phone::PhoneNumber;
pub use postcode::Postcode;
pub use shipment::{ServiceLevel, ShipmentStatus};
pub use text::{fold_key, free_text, percent_encode, single_line, CompanyName, PersonName};
pub use tier::{due_times, sla_for, tier_label, Priority, Sla, Tier, SLA_TABLE};
pub use tracking_number::TrackingNumber;
#[cfg(test)]
pub(crate) use variants::assert_serde_names;
pub(crate) use variants::vocabulary;
