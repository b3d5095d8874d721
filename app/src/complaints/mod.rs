//! Complaints: categories, the status machine that closes every loop, and SLAs by customer
//! tier (a table, as data). The storage, queues, routes and pages build on these.

use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;
/// A resolved complaint the customer neither confirms nor reopens closes by itself after this.
pub const AUTO_CLOSE_MS: i64 = 7 * 24 * HOUR_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCategory {
    Delay,
    Damage,
    Loss,
    WrongDelivery,
    CourierConduct,
    Billing,
    Other,
}

impl ComplaintCategory {
    pub const ALL: [ComplaintCategory; 7] = [
        ComplaintCategory::Delay,
        ComplaintCategory::Damage,
        ComplaintCategory::Loss,
        ComplaintCategory::WrongDelivery,
        ComplaintCategory::CourierConduct,
        ComplaintCategory::Billing,
        ComplaintCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintCategory::Delay => "delay",
            ComplaintCategory::Damage => "damage",
            ComplaintCategory::Loss => "loss",
            ComplaintCategory::WrongDelivery => "wrong_delivery",
            ComplaintCategory::CourierConduct => "courier_conduct",
            ComplaintCategory::Billing => "billing",
            ComplaintCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Open,
    InProgress,
    Resolved,
    Closed,
    Reopened,
}

impl ComplaintStatus {
    pub const ALL: [ComplaintStatus; 5] = [
        ComplaintStatus::Open,
        ComplaintStatus::InProgress,
        ComplaintStatus::Resolved,
        ComplaintStatus::Closed,
        ComplaintStatus::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Open => "open",
            ComplaintStatus::InProgress => "in_progress",
            ComplaintStatus::Resolved => "resolved",
            ComplaintStatus::Closed => "closed",
            ComplaintStatus::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// An agent takes it up (`in_progress`) and resolves it; the customer confirms (`closed`)
    /// or reopens it, and a reopened one is worked again. Closed is final.
    pub fn can_become(self, next: ComplaintStatus) -> bool {
        use ComplaintStatus as S;
        matches!(
            (self, next),
            (S::Open, S::InProgress)
                | (S::InProgress, S::Resolved)
                | (S::Resolved, S::Closed)
                | (S::Resolved, S::Reopened)
                | (S::Reopened, S::InProgress)
                | (S::Reopened, S::Resolved)
        )
    }
}

/// Whether a complaint resolved at `resolved_at` closes by itself at `now`.
pub fn auto_closes(status: ComplaintStatus, resolved_at: i64, now: i64) -> bool {
    status == ComplaintStatus::Resolved && now - resolved_at >= AUTO_CLOSE_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Normal,
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
    fn every_status_pair_follows_the_table() {
        use ComplaintStatus as S;
        let legal = [
            (S::Open, S::InProgress),
            (S::InProgress, S::Resolved),
            (S::Resolved, S::Closed),
            (S::Resolved, S::Reopened),
            (S::Reopened, S::InProgress),
            (S::Reopened, S::Resolved),
        ];
        for from in S::ALL {
            for to in S::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        for c in ComplaintCategory::ALL {
            assert_eq!(ComplaintCategory::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn sla_due_times_follow_the_tier() {
        let t = 1_795_000_000_000;
        assert_eq!(due_times("vip", t), (t + 4 * HOUR_MS, t + 24 * HOUR_MS));
        assert_eq!(
            due_times("regular", t),
            (t + 24 * HOUR_MS, t + 72 * HOUR_MS)
        );
        assert_eq!(due_times("key", t), (t + 8 * HOUR_MS, t + 48 * HOUR_MS));
        assert_eq!(due_times("unheard_of", t), due_times("regular", t));
        assert_eq!(sla_for("at_risk").priority, Priority::High);
        assert_eq!(sla_for("new").priority, Priority::Normal);
    }

    #[test]
    fn resolved_complaints_close_themselves_after_seven_days() {
        let t = 1_795_000_000_000;
        assert!(!auto_closes(
            ComplaintStatus::Resolved,
            t,
            t + AUTO_CLOSE_MS - 1
        ));
        assert!(auto_closes(ComplaintStatus::Resolved, t, t + AUTO_CLOSE_MS));
        assert!(!auto_closes(
            ComplaintStatus::Reopened,
            t,
            t + 2 * AUTO_CLOSE_MS
        ));
    }
}
