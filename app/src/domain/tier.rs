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

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Normal,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Priority::High, Priority::Normal]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Priority::High => t.priority_high,
            Priority::Normal => t.priority_normal,
        }
    }
}

/// A customer tier's name (`vip`, `key`, `regular`, `at_risk`, `new`) in the reader's language.
pub fn tier_label(t: &Texts, tier: &str) -> &'static str {
    Tier::parse(tier).unwrap_or(Tier::Regular).label(t)
}

/// What a tier is promised: priority, hours to the first answer and to the resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub tier: &'static str,
    pub priority: Priority,
    pub first_response_hours: i64,
    pub resolution_hours: i64,
}

/// The default SLA table. At-risk customers are answered as fast as key accounts: a complaint
/// handled late is how they are lost.
pub const SLA_TABLE: [Sla; 5] = [
    Sla {
        tier: "vip",
        priority: Priority::High,
        first_response_hours: 4,
        resolution_hours: 24,
    },
    Sla {
        tier: "key",
        priority: Priority::High,
        first_response_hours: 8,
        resolution_hours: 48,
    },
    Sla {
        tier: "at_risk",
        priority: Priority::High,
        first_response_hours: 8,
        resolution_hours: 48,
    },
    Sla {
        tier: "regular",
        priority: Priority::Normal,
        first_response_hours: 24,
        resolution_hours: 72,
    },
    Sla {
        tier: "new",
        priority: Priority::Normal,
        first_response_hours: 24,
        resolution_hours: 72,
    },
];

/// The SLA of a tier; an unknown tier is treated as regular.
pub fn sla_for(tier: &str) -> Sla {
    SLA_TABLE
        .iter()
        .find(|s| s.tier == tier)
        .or_else(|| SLA_TABLE.iter().find(|s| s.tier == "regular"))
        .copied()
        .expect("the table has a regular tier")
}

/// When the first answer and the resolution are due for a complaint opened at `opened_at`.
pub fn due_times(tier: &str, opened_at: i64) -> (i64, i64) {
    let sla = sla_for(tier);
    (
        opened_at + sla.first_response_hours * HOUR_MS,
        opened_at + sla.resolution_hours * HOUR_MS,
    )
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
