//! Values that are parsed once at the edge and trusted afterwards. Each type can only be built
//! through `parse`, so a function taking an `EmailAddress` never sees an invalid one.

mod email;
mod industry;
mod local_path;
mod parcel;
mod password;
mod phone;
mod postcode;
#[cfg(feature = "ssr")]
pub mod schema;
mod text;
mod tier;
mod tracking_number;
pub mod upload;

pub use email::EmailAddress;
pub use industry::Industry;
pub use local_path::local_path;
pub use parcel::{Dimensions, Side, Weight};
pub use password::Password;
pub use phone::PhoneNumber;
pub use postcode::Postcode;
pub use text::{fold_key, free_text, single_line, CompanyName, PersonName};
pub use tier::Tier;
pub use tracking_number::TrackingNumber;
