use crate::error::FieldError;
use crate::i18n::Texts;

crate::domain::vocabulary! {
    own parse;
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum Industry {
        Manufacturing,
        Retail,
        Ecommerce,
        Other,
    }
}

impl Industry {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let v = input.trim();
        if v.is_empty() {
            return Err(FieldError::Required);
        }
        v.parse().map_err(|_| FieldError::IndustryInvalid)
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Industry::Manufacturing => t.industry_manufacturing,
            Industry::Retail => t.industry_retail,
            Industry::Ecommerce => t.industry_ecommerce,
            Industry::Other => t.industry_other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_known_codes() {
        for i in Industry::ALL {
            assert_eq!(Industry::parse(i.as_str()), Ok(i));
        }
        assert_eq!(Industry::parse("mining"), Err(FieldError::IndustryInvalid));
        assert_eq!(Industry::parse(""), Err(FieldError::Required));
    }

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(Industry::as_str, |s| Industry::parse(s).ok());
    }
}
