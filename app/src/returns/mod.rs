//! Returns: the reasons a customer may give, the return window after delivery, and the
//! status machine of DESIGN.md. The storage, labels, routes and pages build on these.

use serde::{Deserialize, Serialize};

/// Days after delivery a return may be requested, unless configured otherwise.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    NoLongerNeeded,
    Other,
}

impl ReturnReason {
    pub const ALL: [ReturnReason; 5] = [
        ReturnReason::Damaged,
        ReturnReason::WrongItem,
        ReturnReason::NotAsDescribed,
        ReturnReason::NoLongerNeeded,
        ReturnReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::Damaged => "damaged",
            ReturnReason::WrongItem => "wrong_item",
            ReturnReason::NotAsDescribed => "not_as_described",
            ReturnReason::NoLongerNeeded => "no_longer_needed",
            ReturnReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Requested,
    Approved,
    Rejected,
    LabelIssued,
    InTransit,
    Received,
    Refunded,
    Closed,
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 8] = [
        ReturnStatus::Requested,
        ReturnStatus::Approved,
        ReturnStatus::Rejected,
        ReturnStatus::LabelIssued,
        ReturnStatus::InTransit,
        ReturnStatus::Received,
        ReturnStatus::Refunded,
        ReturnStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Approved => "approved",
            ReturnStatus::Rejected => "rejected",
            ReturnStatus::LabelIssued => "label_issued",
            ReturnStatus::InTransit => "in_transit",
            ReturnStatus::Received => "received",
            ReturnStatus::Refunded => "refunded",
            ReturnStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// `requested` -> `approved`/`rejected` -> `label_issued` -> `in_transit` -> `received` ->
    /// `refunded`/`closed`; rejected, refunded and closed returns are final.
    pub fn can_become(self, next: ReturnStatus) -> bool {
        use ReturnStatus as S;
        matches!(
            (self, next),
            (S::Requested, S::Approved)
                | (S::Requested, S::Rejected)
                | (S::Approved, S::LabelIssued)
                | (S::LabelIssued, S::InTransit)
                | (S::InTransit, S::Received)
                | (S::Received, S::Refunded)
                | (S::Received, S::Closed)
        )
    }

    /// Still open: a second return of the same items is refused while one of these exists.
    pub fn open(self) -> bool {
        !matches!(
            self,
            ReturnStatus::Rejected | ReturnStatus::Refunded | ReturnStatus::Closed
        )
    }
}

/// Whether a return may be requested at `now` for a parcel delivered at `delivered_at`: up to
/// and including the last moment of the window.
pub fn within_window(delivered_at: i64, now: i64, window_days: u32) -> bool {
    now >= delivered_at && now <= delivered_at + i64::from(window_days) * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_pair_follows_the_table() {
        use ReturnStatus as S;
        let legal = [
            (S::Requested, S::Approved),
            (S::Requested, S::Rejected),
            (S::Approved, S::LabelIssued),
            (S::LabelIssued, S::InTransit),
            (S::InTransit, S::Received),
            (S::Received, S::Refunded),
            (S::Received, S::Closed),
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
        assert!(!S::Rejected.open() && !S::Refunded.open() && !S::Closed.open());
        assert!(S::Requested.open() && S::InTransit.open());
    }

    #[test]
    fn the_window_includes_its_last_moment_only() {
        let delivered = 1_795_000_000_000;
        assert!(within_window(delivered, delivered, 30));
        assert!(within_window(delivered, delivered + 30 * DAY_MS, 30));
        assert!(!within_window(delivered, delivered + 30 * DAY_MS + 1, 30));
        assert!(
            !within_window(delivered, delivered - 1, 30),
            "not before delivery"
        );
        assert!(
            !within_window(delivered, delivered + 1, 0) && within_window(delivered, delivered, 0)
        );
    }

    #[test]
    fn reasons_round_trip() {
        for r in ReturnReason::ALL {
            assert_eq!(ReturnReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(ReturnReason::parse("changed_mind"), None);
    }
}
