//! Enums whose names are stored in the database and sent on the wire, declared with
//! `vocabulary!`. Their `as_str` and `parse` are derived with strum from the variants themselves
//! (`serialize_all = "snake_case"`, as serde's `rename_all`) and `ALL` from the same list, so no
//! hand-kept table can miss or misspell a variant; each enum's test checks strum's names against
//! serde's.

/// Declares a vocabulary enum: field-less variants named on the wire and in the database in
/// snake_case by serde and strum alike, with `ALL` (every variant, in declaration order),
/// `as_str` and `parse`. The caller's attributes and doc comments are kept, on the enum and on
/// each variant (`#[default]` too); derives beyond the common ones are passed as an attribute
/// of their own, for example `#[derive(PartialOrd, Ord)]`.
///
/// ```text
/// crate::domain::vocabulary! {
///     /// How a shipment travels.
///     #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
///     pub enum ServiceLevel {
///         Standard,
///         /// Delivered to a locker or pickup point.
///         PickupPoint,
///     }
/// }
/// ```
///
/// Begin with `own parse;` when the enum reads its names in its own way (trimmed, or with a
/// field error) and writes its `parse` in an impl of its own.
macro_rules! vocabulary {
    (own parse; $($enum:tt)+) => {
        $crate::domain::vocabulary!(@emit {} $($enum)+);
    };
    (
        @emit { $($parse:tt)* }
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)?
        }
    ) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::strum::IntoStaticStr,
            ::strum::EnumString,
            ::strum::VariantArray,
        )]
        $(#[$meta])*
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The variant's name as stored and sent (serde's name for it).
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            $($parse)*
        }
    };
    ($(#[$meta:meta])* $vis:vis enum $name:ident $variants:tt) => {
        $crate::domain::vocabulary!(
            @emit {
                /// The variant `as_str` names `s`, exactly (not trimmed, case-sensitive).
                pub fn parse(s: &str) -> Option<Self> {
                    s.parse().ok()
                }
            }
            $(#[$meta])*
            $vis enum $name $variants
        );
    };
}
pub(crate) use vocabulary;

/// For every variant: `as_str` gives serde's name for it, and `parse` reads that name back.
#[cfg(test)]
pub(crate) fn assert_serde_names<T>(
    as_str: impl Fn(T) -> &'static str,
    parse: impl Fn(&str) -> Option<T>,
) where
    T: strum::VariantArray + Copy + PartialEq + std::fmt::Debug + serde::Serialize,
{
    for &v in T::VARIANTS {
        let name = as_str(v);
        assert_eq!(
            serde_json::to_value(v).unwrap(),
            serde_json::Value::String(name.to_string()),
            "{v:?}"
        );
        assert_eq!(parse(name), Some(v), "{v:?}");
    }
}
