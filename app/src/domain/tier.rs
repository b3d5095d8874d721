use serde::{Deserialize, Serialize};

use crate::i18n::Texts;

/// A customer's tier: computed from its own history by the segmentation rules
/// (`crm::tiering`), it sets the complaint SLA and the rate card's discount. Staff see it;
/// customers never see the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Vip,
    Key,
    Regular,
    AtRisk,
    New,
}

impl Tier {
    pub const ALL: [Tier; 5] = [Tier::Vip, Tier::Key, Tier::Regular, Tier::AtRisk, Tier::New];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Vip => "vip",
            Tier::Key => "key",
            Tier::Regular => "regular",
            Tier::AtRisk => "at_risk",
            Tier::New => "new",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    /// The accounts worth a named account manager and a retention call when they slip.
    pub fn is_valuable(self) -> bool {
        matches!(self, Tier::Vip | Tier::Key)
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Tier::Vip => t.tier_vip,
            Tier::Key => t.tier_key,
            Tier::Regular => t.tier_regular,
            Tier::AtRisk => t.tier_at_risk,
            Tier::New => t.tier_new,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        assert_eq!(Tier::parse("gold"), None);
        assert!(Tier::Vip.is_valuable() && Tier::Key.is_valuable());
        assert!(!Tier::AtRisk.is_valuable() && !Tier::Regular.is_valuable());
    }
}
