//! Enums whose names are stored in the database and sent on the wire. Their `as_str`, `parse`
//! and `ALL` are derived with strum from the variants themselves (`serialize_all =
//! "snake_case"`, as serde's `rename_all`), so no hand-kept table can miss or misspell a
//! variant; each enum's test checks strum's names against serde's.

/// An enum's variants as an array, in declaration order (strum's `VariantArray`), for its `ALL`:
/// `pub const ALL: [Tier; 5] = crate::domain::all_variants!(Tier);`. A length that no longer
/// matches the variants does not compile. Name the type, not `Self`: the macro declares a
/// constant of its own, where `Self` cannot be used.
macro_rules! all_variants {
    ($t:ident) => {{
        const VARIANTS: &[$t] = <$t as ::strum::VariantArray>::VARIANTS;
        let mut all = [VARIANTS[0]; VARIANTS.len()];
        let mut i = 1;
        while i < VARIANTS.len() {
            all[i] = VARIANTS[i];
            i += 1;
        }
        all
    }};
}
pub(crate) use all_variants;

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
