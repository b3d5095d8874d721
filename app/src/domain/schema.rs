//! The domain's rules as the API document states them. Each type's schema is built from the
//! constants its parser checks, so the document cannot drift from the parser; a DTO field names
//! the type with `#[schema(value_type = ...)]`. Query filters' schemas are here too: a filter
//! takes one of a closed set, or a date, or the empty string for none (as if absent).

use utoipa::openapi::schema::AnyOfBuilder;
use utoipa::openapi::{KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use super::{
    CompanyName, EmailAddress, Industry, Password, PersonName, PhoneNumber, Tier, TrackingNumber,
};

// The text rules of `single_line` and `free_text` as JSON Schema `pattern`s. utoipa's attributes
// take only literals: a DTO field repeats the one it needs, and a test in its module holds the
// copy to the original here. Control characters are Unicode's `Cc` (U+0000-U+001F,
// U+007F-U+009F), spaces what `str::trim` removes; the classes are spelled out, as `\s` means
// different things to different regex engines.

/// `single_line`, not required: no control characters.
pub const SINGLE_LINE_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// `single_line`, required: no control characters, and more than spaces.
pub const REQUIRED_LINE_PATTERN: &str = concat!(
    r"^[^\x00-\x1f\x7f-\x9f]*",
    r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"[^\x00-\x1f\x7f-\x9f]*$",
);
/// `free_text`, not required: no control characters but tabs and line breaks (`\n`, `\r\n`).
pub const FREE_TEXT_PATTERN: &str = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$";
/// `free_text`, required: and more than spaces.
pub const REQUIRED_TEXT_PATTERN: &str = concat!(
    r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*",
    r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$",
);
/// Something besides spaces, anything else allowed: text that is only trimmed.
pub const NOT_BLANK_PATTERN: &str =
    r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Declares a type that exists only to give the API document a schema (a query parameter's,
/// say), named by `#[param(value_type = ..., inline)]`.
macro_rules! schema_type {
    ($(#[$meta:meta])* $vis:vis $name:ident = $schema:expr) => {
        $(#[$meta])*
        $vis struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use schema_type;

pub fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
}

pub fn date() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
}

/// One of `values`, or empty: a filter left empty filters nothing.
pub fn one_of_or_empty<'a>(values: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    string()
        .enum_values(Some(std::iter::once("").chain(values)))
        .into()
}

/// `schema`, or the empty string.
pub fn or_empty(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(schema)
        .item(string().enum_values(Some([""])))
        .into()
}

schema_type!(
    /// A day, `YYYY-MM-DD`, or empty for none.
    pub DateOrEmpty = or_empty(date())
);

schema_type!(
    /// A whole number, or empty for none.
    pub IntegerOrEmpty = or_empty(integer())
);

schema_type!(
    /// An id (from 1), or empty for none.
    pub IdOrEmpty = or_empty(integer().minimum(Some(1)))
);

schema_type!(
    /// A tier (`vip`, `key`, `regular`, `at_risk`, `new`), or empty for all.
    pub TierOrEmpty = one_of_or_empty(Tier::ALL.map(Tier::as_str))
);

schema_type!(
    /// An industry, or empty for all.
    pub IndustryOrEmpty = one_of_or_empty(Industry::ALL.map(Industry::as_str))
);

schema_type!(
    /// `true`, `false`, or empty (as `false`).
    pub BoolOrEmpty = one_of_or_empty(["true", "false"])
);

impl PartialSchema for TrackingNumber {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "A UPU S10 number: 2 letters, 8 digits, a check digit and a country code, \
                 e.g. `RR473124829CN`.",
            ))
            .pattern(Some(Self::PATTERN))
            .into()
    }
}

impl ToSchema for TrackingNumber {}

impl PartialSchema for EmailAddress {
    fn schema() -> RefOr<Schema> {
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(Self::MAX_LEN))
            .into()
    }
}

impl ToSchema for EmailAddress {}

impl PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
            .description(Some(
                "Not one of the passwords attackers try first, nor one padded or repeated.",
            ))
            .min_length(Some(Self::MIN_CHARS))
            .max_length(Some(Self::MAX_CHARS))
            .into()
    }
}

impl ToSchema for Password {}

impl PartialSchema for PersonName {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("A person's name in any script: one line."))
            .min_length(Some(1))
            .max_length(Some(Self::MAX_CHARS))
            .pattern(Some(REQUIRED_LINE_PATTERN))
            .into()
    }
}

impl ToSchema for PersonName {}

impl PartialSchema for CompanyName {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("One line; empty for none."))
            .max_length(Some(Self::MAX_CHARS))
            .pattern(Some(SINGLE_LINE_PATTERN))
            .into()
    }
}

impl ToSchema for CompanyName {}

impl PartialSchema for PhoneNumber {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "6 to 15 digits after an optional `+`; spaces, dashes, dots and brackets are \
                 dropped.",
            ))
            .pattern(Some(Self::PATTERN))
            .into()
    }
}

impl ToSchema for PhoneNumber {}

/// The JSON of a schema, for tests to read the limits the document states.
#[cfg(test)]
pub(crate) fn json_of<T: PartialSchema>() -> serde_json::Value {
    serde_json::to_value(T::schema()).expect("a schema serialises")
}

/// The schema of one of `T`'s parameters, for tests.
#[cfg(test)]
pub(crate) fn param_schema<T: utoipa::IntoParams>(name: &str) -> serde_json::Value {
    T::into_params(|| None)
        .into_iter()
        .map(|p| serde_json::to_value(p).expect("a parameter serialises"))
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_types_state_their_parsers_limits() {
        let name = json_of::<PersonName>();
        assert_eq!(name["maxLength"], PersonName::MAX_CHARS);
        assert_eq!(name["minLength"], 1);
        assert_eq!(name["pattern"], REQUIRED_LINE_PATTERN);
        assert_eq!(
            json_of::<CompanyName>()["maxLength"],
            CompanyName::MAX_CHARS
        );
        assert_eq!(
            json_of::<EmailAddress>()["maxLength"],
            EmailAddress::MAX_LEN
        );
        let password = json_of::<Password>();
        assert_eq!(password["minLength"], Password::MIN_CHARS);
        assert_eq!(password["maxLength"], Password::MAX_CHARS);
        assert_eq!(
            json_of::<TrackingNumber>()["pattern"],
            TrackingNumber::PATTERN
        );
        assert_eq!(json_of::<PhoneNumber>()["pattern"], PhoneNumber::PATTERN);
    }

    #[test]
    fn filters_take_their_values_or_empty() {
        let tiers = json_of::<TierOrEmpty>();
        assert_eq!(
            tiers["enum"],
            serde_json::json!(["", "vip", "key", "regular", "at_risk", "new"])
        );
        let dates = json_of::<DateOrEmpty>();
        assert_eq!(dates["anyOf"][0]["format"], "date");
        assert_eq!(dates["anyOf"][1]["enum"], serde_json::json!([""]));
    }
}
