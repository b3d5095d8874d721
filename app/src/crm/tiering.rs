//! Segmentation: a customer's RFM scores and behaviour over the last 12 months, and the tier the
//! rules (`app/data/tier_rules.json`, data a manager can read) give it. Pure: the facts come in,
//! the tier, its scores and the rule that decided it come out, so every rule is tested here at
//! its edges and the same facts always give the same tier.

use serde::{Deserialize, Serialize};

use crate::domain::Tier;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierRules {
    /// The scoring window: the last this many days.
    pub window_days: i64,
    /// Days since the last shipment: at most the first bound scores 2, ... at most the last 5.
    pub recency_max_days: [i64; 4],
    /// Shipments in the window: at least the first bound scores 2, ... at least the last 5.
    pub frequency_min_shipments: [i64; 4],
    /// Paid in the window (minor units): at least the first bound scores 2, ... the last 5.
    pub monetary_min_paid: [i64; 4],
    pub new_customer: NewCustomerRule,
    pub at_risk: AtRiskRule,
    /// Checked in order; a customer meeting none is `regular`.
    pub tiers: Vec<TierThreshold>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewCustomerRule {
    /// A first shipment fewer than this many days ago makes a customer `new`.
    pub max_age_days: i64,
    /// So do fewer than this many shipments in all.
    pub min_shipments: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AtRiskRule {
    /// Only customers of value (at least this monetary score) are at risk; others are regular.
    pub min_monetary_score: u8,
    /// Spend in the last `trend_days` fell by more than this share of the `trend_days` before.
    pub spend_drop_pct: i64,
    pub trend_days: i64,
    /// The gap since the last shipment is more than this many times the usual gap...
    pub gap_factor: i64,
    /// ...and at least this many days.
    pub min_gap_days: i64,
    /// A detractor answer (NPS 0-6 or CSAT 1-2) within this many days.
    pub detractor_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierThreshold {
    pub tier: Tier,
    pub min_recency: u8,
    pub min_frequency: u8,
    pub min_monetary: u8,
}

crate::domain::vocabulary! {
    /// The rule that decided a tier: staff read it as the reason.
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum TierRule {
        /// First shipment fewer than `max_age_days` ago (or none yet).
        NewRecentFirstShipment,
        /// Fewer than `min_shipments` shipments in all.
        NewFewShipments,
        AtRiskSpendDrop,
        AtRiskGap,
        AtRiskDetractor,
        /// Met the minimum scores of its tier (`vip` or `key`).
        Scores,
        /// Met no other rule.
        Regular,
    }
}

/// What a customer did, read from its own rows. Times are Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Ever, not only in the window.
    pub first_shipment_at: Option<i64>,
    pub lifetime_shipments: i64,
    /// In the window.
    pub shipments: i64,
    pub paid: i64,
    pub first_in_window_at: Option<i64>,
    pub last_shipment_at: Option<i64>,
    /// Paid in the last `trend_days`, and in the `trend_days` before.
    pub paid_recent: i64,
    pub paid_before: i64,
    /// Shipments in the window with at least one complaint.
    pub complained_shipments: i64,
    pub returns: i64,
    pub csat_sum: i64,
    pub csat_count: i64,
    /// The most recent NPS answer in the window.
    pub latest_nps: Option<i64>,
    /// The most recent detractor answer (NPS 0-6 or CSAT 1-2) in the window.
    pub last_detractor_at: Option<i64>,
}

/// The scores and behaviour a tier was decided on, kept with it so staff see why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Scores {
    /// 1-5 each.
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
    pub days_since_last_shipment: Option<i64>,
    pub days_since_first_shipment: Option<i64>,
    pub shipments: i64,
    /// Minor units.
    pub paid: i64,
    pub paid_recent: i64,
    pub paid_before: i64,
    /// Spend of the last period against the one before, in percent (-100 = stopped).
    pub spend_trend_pct: Option<i64>,
    /// The mean gap between shipments in the window, in days.
    pub usual_gap_days: Option<f64>,
    pub complaint_rate_pct: Option<f64>,
    pub return_rate_pct: Option<f64>,
    pub mean_csat: Option<f64>,
    pub latest_nps: Option<i64>,
    pub recent_detractor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub tier: Tier,
    pub rule: TierRule,
    pub scores: Scores,
}

#[cfg(feature = "ssr")]
impl TierRules {
    /// The bundled rules, parsed once.
    pub fn bundled() -> &'static TierRules {
        static RULES: std::sync::OnceLock<TierRules> = std::sync::OnceLock::new();
        RULES.get_or_init(|| {
            serde_json::from_str(include_str!("../../data/tier_rules.json"))
                .expect("app/data/tier_rules.json is valid")
        })
    }
}

impl TierRules {
    pub fn window_start(&self, now: i64) -> i64 {
        now - self.window_days * DAY_MS
    }

    /// Where the spend trend's two periods begin: (recent, before).
    pub fn trend_starts(&self, now: i64) -> (i64, i64) {
        let span = self.at_risk.trend_days * DAY_MS;
        (now - span, now - 2 * span)
    }

    pub fn recency_score(&self, days_since_last: Option<i64>) -> u8 {
        match days_since_last {
            None => 1,
            Some(days) => 1 + count(self.recency_max_days.iter().map(|&max| days <= max)),
        }
    }

    pub fn frequency_score(&self, shipments: i64) -> u8 {
        1 + count(
            self.frequency_min_shipments
                .iter()
                .map(|&min| shipments >= min),
        )
    }

    pub fn monetary_score(&self, paid: i64) -> u8 {
        1 + count(self.monetary_min_paid.iter().map(|&min| paid >= min))
    }

    /// The tier these facts earn at `now`, the rule that decided it and the scores.
    pub fn assess(&self, f: &Facts, now: i64) -> Assessment {
        let days = |at: Option<i64>| at.map(|t| (now - t).max(0) / DAY_MS);
        let usual_gap_ms = match (f.first_in_window_at, f.last_shipment_at) {
            (Some(first), Some(last)) if f.shipments >= 2 => {
                Some((last - first) as f64 / (f.shipments - 1) as f64)
            }
            _ => None,
        };
        let rate = |n: i64, of: i64| (of > 0).then(|| round1(n as f64 * 100.0 / of as f64));
        let recent_detractor = f
            .last_detractor_at
            .is_some_and(|at| now - at < self.at_risk.detractor_days * DAY_MS);
        let scores = Scores {
            recency: self.recency_score(days(f.last_shipment_at)),
            frequency: self.frequency_score(f.shipments),
            monetary: self.monetary_score(f.paid),
            days_since_last_shipment: days(f.last_shipment_at),
            days_since_first_shipment: days(f.first_shipment_at),
            shipments: f.shipments,
            paid: f.paid,
            paid_recent: f.paid_recent,
            paid_before: f.paid_before,
            spend_trend_pct: (f.paid_before > 0)
                .then(|| (f.paid_recent - f.paid_before) * 100 / f.paid_before),
            usual_gap_days: usual_gap_ms.map(|g| round1(g / DAY_MS as f64)),
            complaint_rate_pct: rate(f.complained_shipments, f.shipments),
            return_rate_pct: rate(f.returns, f.shipments),
            mean_csat: (f.csat_count > 0).then(|| round1(f.csat_sum as f64 / f.csat_count as f64)),
            latest_nps: f.latest_nps,
            recent_detractor,
        };
        let rule = self.decide(f, &scores, usual_gap_ms, now);
        let tier = match rule {
            TierRule::NewRecentFirstShipment | TierRule::NewFewShipments => Tier::New,
            TierRule::AtRiskSpendDrop | TierRule::AtRiskGap | TierRule::AtRiskDetractor => {
                Tier::AtRisk
            }
            TierRule::Scores => self
                .tiers
                .iter()
                .find(|t| meets(t, &scores))
                .map(|t| t.tier)
                .unwrap_or(Tier::Regular),
            TierRule::Regular => Tier::Regular,
        };
        Assessment { tier, rule, scores }
    }

    fn decide(&self, f: &Facts, s: &Scores, usual_gap_ms: Option<f64>, now: i64) -> TierRule {
        let young = f
            .first_shipment_at
            .is_none_or(|first| now - first < self.new_customer.max_age_days * DAY_MS);
        if young {
            return TierRule::NewRecentFirstShipment;
        }
        if f.lifetime_shipments < self.new_customer.min_shipments {
            return TierRule::NewFewShipments;
        }
        let r = &self.at_risk;
        if s.monetary >= r.min_monetary_score {
            // "Fell by more than" the share: exactly the share is not yet a fall.
            if f.paid_before > 0
                && (f.paid_before - f.paid_recent) * 100 > r.spend_drop_pct * f.paid_before
            {
                return TierRule::AtRiskSpendDrop;
            }
            if let (Some(usual), Some(last)) = (usual_gap_ms, f.last_shipment_at) {
                let gap = (now - last) as f64;
                if gap > usual * r.gap_factor as f64 && gap >= (r.min_gap_days * DAY_MS) as f64 {
                    return TierRule::AtRiskGap;
                }
            }
            if s.recent_detractor {
                return TierRule::AtRiskDetractor;
            }
        }
        if self.tiers.iter().any(|t| meets(t, s)) {
            TierRule::Scores
        } else {
            TierRule::Regular
        }
    }
}

fn meets(t: &TierThreshold, s: &Scores) -> bool {
    s.recency >= t.min_recency && s.frequency >= t.min_frequency && s.monetary >= t.min_monetary
}

fn count(bits: impl Iterator<Item = bool>) -> u8 {
    bits.filter(|b| *b).count() as u8
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn ago(days: i64) -> i64 {
        NOW - days * DAY_MS
    }

    fn rules() -> &'static TierRules {
        TierRules::bundled()
    }

    /// A steady customer of long standing: `n` shipments a week apart up to `last_days` ago,
    /// paying `each` per shipment, spread evenly over the two trend periods.
    fn steady(n: i64, each: i64, last_days: i64) -> Facts {
        let first = ago(last_days + 7 * (n - 1));
        Facts {
            first_shipment_at: Some(ago(400)),
            lifetime_shipments: n + 10,
            shipments: n,
            paid: n * each,
            first_in_window_at: Some(first),
            last_shipment_at: Some(ago(last_days)),
            paid_recent: 13 * each,
            paid_before: 13 * each,
            ..Facts::default()
        }
    }

    #[test]
    fn the_bundled_rules_parse_and_name_vip_before_key() {
        let r = rules();
        assert_eq!(r.window_days, 365);
        let order: Vec<Tier> = r.tiers.iter().map(|t| t.tier).collect();
        assert_eq!(order, vec![Tier::Vip, Tier::Key]);
    }

    #[test]
    fn recency_scores_at_their_bounds() {
        let r = rules();
        assert_eq!(r.recency_score(Some(0)), 5);
        assert_eq!(r.recency_score(Some(7)), 5);
        assert_eq!(r.recency_score(Some(8)), 4);
        assert_eq!(r.recency_score(Some(30)), 4);
        assert_eq!(r.recency_score(Some(90)), 3);
        assert_eq!(r.recency_score(Some(180)), 2);
        assert_eq!(r.recency_score(Some(181)), 1);
        assert_eq!(r.recency_score(None), 1);
    }

    #[test]
    fn frequency_and_monetary_scores_at_their_bounds() {
        let r = rules();
        assert_eq!(r.frequency_score(0), 1);
        assert_eq!(r.frequency_score(3), 1);
        assert_eq!(r.frequency_score(4), 2);
        assert_eq!(r.frequency_score(51), 3);
        assert_eq!(r.frequency_score(52), 4);
        assert_eq!(r.frequency_score(150), 5);
        assert_eq!(r.monetary_score(19_999), 1);
        assert_eq!(r.monetary_score(20_000), 2);
        assert_eq!(r.monetary_score(299_999), 3);
        assert_eq!(r.monetary_score(800_000), 5);
    }

    #[test]
    fn a_young_or_sparse_account_is_new() {
        let r = rules();
        let mut f = steady(60, 20_000, 1);
        f.first_shipment_at = Some(ago(89));
        let a = r.assess(&f, NOW);
        assert_eq!(
            (a.tier, a.rule),
            (Tier::New, TierRule::NewRecentFirstShipment)
        );
        f.first_shipment_at = Some(ago(90));
        assert_ne!(
            r.assess(&f, NOW).tier,
            Tier::New,
            "90 days is no longer new"
        );
        f.lifetime_shipments = 2;
        let a = r.assess(&f, NOW);
        assert_eq!((a.tier, a.rule), (Tier::New, TierRule::NewFewShipments));
        let nothing = r.assess(&Facts::default(), NOW);
        assert_eq!(nothing.tier, Tier::New);
    }

    #[test]
    fn vip_and_key_follow_their_minimum_scores() {
        let r = rules();
        // 60 shipments at 140 yuan: F4, M5 (840,000), last 2 days ago: R5.
        let a = r.assess(&steady(60, 14_000, 2), NOW);
        assert_eq!((a.tier, a.rule), (Tier::Vip, TierRule::Scores));
        assert_eq!(
            (a.scores.recency, a.scores.frequency, a.scores.monetary),
            (5, 4, 5)
        );
        // Exactly at vip's monetary bound still is vip; one fen under is key.
        let mut f = steady(60, 14_000, 2);
        f.paid = 800_000;
        assert_eq!(r.assess(&f, NOW).tier, Tier::Vip);
        f.paid = 799_999;
        assert_eq!(r.assess(&f, NOW).tier, Tier::Key);
        // Too few shipments for key: regular.
        let a = r.assess(&steady(11, 40_000, 2), NOW);
        assert_eq!((a.tier, a.rule), (Tier::Regular, TierRule::Regular));
    }

    #[test]
    fn spend_falling_by_more_than_the_share_puts_a_valuable_customer_at_risk() {
        let r = rules();
        let mut f = steady(60, 14_000, 2);
        f.paid_before = 200_000;
        f.paid_recent = 100_000; // exactly half: not more than 50%
        assert_eq!(r.assess(&f, NOW).tier, Tier::Vip);
        f.paid_recent = 99_999;
        let a = r.assess(&f, NOW);
        assert_eq!((a.tier, a.rule), (Tier::AtRisk, TierRule::AtRiskSpendDrop));
        assert_eq!(a.scores.spend_trend_pct, Some(-50));
        // A customer of little value whose spend falls is regular, not a retention case.
        let mut small = steady(10, 1_000, 2);
        small.paid_before = 5_000;
        small.paid_recent = 0;
        assert_eq!(r.assess(&small, NOW).tier, Tier::Regular);
    }

    #[test]
    fn a_gap_far_over_the_usual_one_puts_a_valuable_customer_at_risk() {
        let r = rules();
        // Weekly shipper, usual gap 7 days: silent for 21 days is exactly 3x and the minimum.
        let f = steady(40, 10_000, 21);
        let a = r.assess(&f, NOW);
        assert_eq!(a.scores.usual_gap_days, Some(7.0));
        assert_ne!(
            a.rule,
            TierRule::AtRiskGap,
            "exactly 3x the usual gap is not over it"
        );
        let f = steady(40, 10_000, 22);
        let a = r.assess(&f, NOW);
        assert_eq!((a.tier, a.rule), (Tier::AtRisk, TierRule::AtRiskGap));
    }

    #[test]
    fn a_recent_detractor_answer_puts_a_valuable_customer_at_risk() {
        let r = rules();
        let mut f = steady(60, 14_000, 2);
        f.last_detractor_at = Some(ago(90));
        assert_eq!(
            r.assess(&f, NOW).tier,
            Tier::Vip,
            "90 days ago is no longer recent"
        );
        f.last_detractor_at = Some(ago(89));
        f.latest_nps = Some(6);
        let a = r.assess(&f, NOW);
        assert_eq!((a.tier, a.rule), (Tier::AtRisk, TierRule::AtRiskDetractor));
        assert!(a.scores.recent_detractor);
    }

    #[test]
    fn behaviour_is_scored_as_rates_and_means() {
        let r = rules();
        let mut f = steady(20, 5_000, 3);
        f.complained_shipments = 1;
        f.returns = 2;
        f.csat_sum = 13;
        f.csat_count = 3;
        let s = r.assess(&f, NOW).scores;
        assert_eq!(s.complaint_rate_pct, Some(5.0));
        assert_eq!(s.return_rate_pct, Some(10.0));
        assert_eq!(s.mean_csat, Some(4.3));
        assert_eq!(r.assess(&Facts::default(), NOW).scores.mean_csat, None);
    }

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(TierRule::as_str, TierRule::parse);
    }

    #[test]
    fn rule_names_round_trip() {
        for rule in TierRule::ALL {
            assert_eq!(TierRule::parse(rule.as_str()), Some(rule));
            assert_eq!(
                serde_json::to_string(&rule).unwrap(),
                format!("\"{}\"", rule.as_str())
            );
        }
    }
}
