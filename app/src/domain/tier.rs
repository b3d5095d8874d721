use crate::i18n::Texts;

crate::domain::vocabulary! {
    own parse;
    /// A customer's tier: computed from its own history by the segmentation rules
    /// (`crm::tiering`), it sets the complaint SLA and the rate card's discount. Staff see it;
    /// customers never see the label.
    #[derive(PartialOrd, Ord)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum Tier {
        Vip,
        Key,
        Regular,
        AtRisk,
        New,
    }
}

impl Tier {
    pub fn parse(s: &str) -> Option<Tier> {
        s.trim().parse().ok()
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

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum Priority {
        High,
        Normal,
    }
}

impl Priority {
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

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(Tier::as_str, Tier::parse);
        crate::domain::assert_serde_names(Priority::as_str, Priority::parse);
    }

    /// The SLA table is keyed by the tiers' names: each tier has its own row, each row a tier.
    #[test]
    fn every_tier_has_its_sla() {
        for t in Tier::ALL {
            assert_eq!(sla_for(t.as_str()).tier, t.as_str());
        }
        for sla in SLA_TABLE {
            assert!(Tier::parse(sla.tier).is_some(), "{}", sla.tier);
        }
    }
}
