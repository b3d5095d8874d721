//! Ratings after delivery: CSAT 1-5 and NPS 0-10, their arithmetic (DESIGN.md's KPI table),
//! and how long a rating stays editable. The storage, routes and pages build on these.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// How long after it is first given a rating may still be changed.
pub const EDIT_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Csat(u8);

/// Net Promoter answer: how likely, 0 to 10, the customer is to recommend the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Nps(u8);

impl Csat {
    pub fn parse(score: i64) -> Result<Self, FieldError> {
        u8::try_from(score)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .map(Csat)
            .ok_or(FieldError::Invalid)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 4 or 5 count as satisfied.
    pub fn satisfied(self) -> bool {
        self.0 >= 4
    }
}

impl Nps {
    pub fn parse(score: i64) -> Result<Self, FieldError> {
        u8::try_from(score)
            .ok()
            .filter(|s| *s <= 10)
            .map(Nps)
            .ok_or(FieldError::Invalid)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn promoter(self) -> bool {
        self.0 >= 9
    }

    pub fn detractor(self) -> bool {
        self.0 <= 6
    }
}

macro_rules! score_conversions {
    ($t:ident) => {
        impl TryFrom<i64> for $t {
            type Error = String;
            fn try_from(v: i64) -> Result<Self, Self::Error> {
                $t::parse(v).map_err(|e| e.code().to_string())
            }
        }
        impl From<$t> for i64 {
            fn from(v: $t) -> i64 {
                i64::from(v.0)
            }
        }
    };
}
score_conversions!(Csat);
score_conversions!(Nps);

/// A low score invites a complaint with the shipment filled in.
pub fn offers_complaint(csat: Csat, nps: Option<Nps>) -> bool {
    csat.get() <= 2 || nps.is_some_and(Nps::detractor)
}

/// Whether a rating first given at `rated_at` may still be changed at `now`.
pub fn editable(rated_at: i64, now: i64) -> bool {
    now - rated_at <= EDIT_WINDOW_MS
}

/// CSAT over a period: the share of 4s and 5s (0.0-1.0) and the mean; `None` without ratings.
pub fn csat_summary(scores: &[Csat]) -> Option<(f64, f64)> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let satisfied = scores.iter().filter(|s| s.satisfied()).count() as f64;
    let sum: f64 = scores.iter().map(|s| f64::from(s.get())).sum();
    Some((satisfied / n, sum / n))
}

/// NPS over a period: % promoters (9-10) minus % detractors (0-6), from -100 to 100.
pub fn net_promoter_score(scores: &[Nps]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let promoters = scores.iter().filter(|s| s.promoter()).count() as f64;
    let detractors = scores.iter().filter(|s| s.detractor()).count() as f64;
    Some((promoters - detractors) * 100.0 / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_outside_their_scales_are_refused() {
        for bad in [-1, 0, 6, 255, 1_000] {
            assert_eq!(Csat::parse(bad), Err(FieldError::Invalid), "{bad}");
        }
        for good in 1..=5 {
            assert_eq!(Csat::parse(good).unwrap().get() as i64, good);
        }
        for bad in [-1, 11, 256] {
            assert_eq!(Nps::parse(bad), Err(FieldError::Invalid), "{bad}");
        }
        assert_eq!(Nps::parse(0).unwrap().get(), 0);
        assert_eq!(Nps::parse(10).unwrap().get(), 10);
        // The same rules when they arrive as JSON.
        assert!(serde_json::from_str::<Csat>("6").is_err());
        assert_eq!(serde_json::from_str::<Nps>("7").unwrap().get(), 7);
    }

    #[test]
    fn csat_is_the_share_of_fours_and_fives_and_the_mean() {
        let s = |v: &[i64]| {
            v.iter()
                .map(|x| Csat::parse(*x).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(csat_summary(&s(&[5, 4, 3, 1])), Some((0.5, 3.25)));
        assert_eq!(csat_summary(&s(&[5, 5])), Some((1.0, 5.0)));
        assert_eq!(csat_summary(&[]), None);
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        let s = |v: &[i64]| {
            v.iter()
                .map(|x| Nps::parse(*x).unwrap())
                .collect::<Vec<_>>()
        };
        // 2 promoters, 1 passive (7-8), 1 detractor: (50% - 25%) = 25.
        assert_eq!(net_promoter_score(&s(&[10, 9, 8, 6])), Some(25.0));
        assert_eq!(net_promoter_score(&s(&[0, 6, 7, 8])), Some(-50.0));
        assert_eq!(net_promoter_score(&s(&[9, 10])), Some(100.0));
        assert_eq!(net_promoter_score(&s(&[7, 8])), Some(0.0));
        assert_eq!(net_promoter_score(&[]), None);
    }

    #[test]
    fn low_scores_offer_a_complaint() {
        let c = |v| Csat::parse(v).unwrap();
        let n = |v| Some(Nps::parse(v).unwrap());
        assert!(offers_complaint(c(2), None));
        assert!(offers_complaint(c(5), n(6)));
        assert!(!offers_complaint(c(3), n(7)));
        assert!(!offers_complaint(c(3), None));
    }

    #[test]
    fn a_rating_is_editable_for_seven_days() {
        let t = 1_795_000_000_000;
        assert!(editable(t, t));
        assert!(editable(t, t + EDIT_WINDOW_MS));
        assert!(!editable(t, t + EDIT_WINDOW_MS + 1));
    }
}
