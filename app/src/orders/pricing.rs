//! Prices from the rate card (`app/data/rate_card.json`): zone by distance, weight band on the
//! chargeable weight (the greater of actual and volumetric), surcharges, optional insurance and
//! the customer tier's discount. All amounts are integer minor units.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{PriceLine, ServiceLevel, ServiceQuote};
use crate::domain::{Dimensions, Weight};

#[derive(Debug, Deserialize)]
pub struct RateCard {
    pub currency: String,
    pub zones: Vec<Zone>,
    pub weight_bands_g: Vec<u64>,
    pub standard: BaseRates,
    pub services: BTreeMap<ServiceLevel, ServiceRates>,
    pub surcharges: Surcharges,
    pub insurance: Insurance,
    pub tier_discount_pct: BTreeMap<String, u32>,
}

#[derive(Debug, Deserialize)]
pub struct Zone {
    pub code: String,
    /// Inclusive upper bound; `None` for the last, open-ended zone.
    pub max_km: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct BaseRates {
    /// `[zone][band]`
    pub band_prices: Vec<Vec<i64>>,
    /// `[zone]`: per started kilogram above the heaviest band.
    pub extra_per_kg: Vec<i64>,
    /// `[zone]`: earliest and latest business day.
    pub transit_days: Vec<(u32, u32)>,
}

#[derive(Debug, Deserialize)]
pub struct ServiceRates {
    /// Percentage of the standard carriage price.
    pub multiplier_pct: u32,
    /// Overrides the standard transit days per zone.
    pub transit_days: Option<Vec<(u32, u32)>>,
}

#[derive(Debug, Deserialize)]
pub struct Surcharges {
    pub remote_area: i64,
    pub oversize_longest_side_cm: u32,
    pub oversize_per_parcel: i64,
}

#[derive(Debug, Deserialize)]
pub struct Insurance {
    pub rate_basis_points: i64,
    pub minimum: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum RateCardError {
    #[error("rate card is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rate card is inconsistent: {0}")]
    Shape(String),
}

impl RateCard {
    pub fn from_json(json: &str) -> Result<Self, RateCardError> {
        let card: RateCard = serde_json::from_str(json)?;
        card.check()?;
        Ok(card)
    }

    /// The card shipped with the portal, checked once.
    pub fn bundled() -> &'static RateCard {
        static CARD: OnceLock<RateCard> = OnceLock::new();
        CARD.get_or_init(|| {
            RateCard::from_json(include_str!("../../data/rate_card.json"))
                .expect("the bundled rate card is valid (tested)")
        })
    }

    fn check(&self) -> Result<(), RateCardError> {
        let bad = |m: &str| Err(RateCardError::Shape(m.into()));
        let zones = self.zones.len();
        if zones == 0 || self.zones.last().is_some_and(|z| z.max_km.is_some()) {
            return bad("the last zone must be open-ended (max_km null)");
        }
        if !self.weight_bands_g.windows(2).all(|w| w[0] < w[1]) || self.weight_bands_g.is_empty() {
            return bad("weight bands must be ascending");
        }
        let s = &self.standard;
        if s.band_prices.len() != zones
            || s.band_prices
                .iter()
                .any(|r| r.len() != self.weight_bands_g.len())
            || s.extra_per_kg.len() != zones
            || s.transit_days.len() != zones
        {
            return bad("standard rates need one row per zone and one price per band");
        }
        for level in ServiceLevel::ALL {
            match self.services.get(&level) {
                None => return bad(&format!("no rates for {}", level.as_str())),
                Some(r) if r.transit_days.as_ref().is_some_and(|t| t.len() != zones) => {
                    return bad(&format!(
                        "{} transit days need one per zone",
                        level.as_str()
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The zone for a distance: the first whose bound is not exceeded.
    pub fn zone_index(&self, distance_m: u64) -> usize {
        self.zones
            .iter()
            .position(|z| z.max_km.is_none_or(|max| distance_m <= max * 1000))
            .unwrap_or(self.zones.len() - 1)
    }

    fn standard_carriage(&self, zone: usize, chargeable_g: u64) -> i64 {
        let prices = &self.standard.band_prices[zone];
        match self.weight_bands_g.iter().position(|b| chargeable_g <= *b) {
            Some(band) => prices[band],
            None => {
                let heaviest = *self.weight_bands_g.last().unwrap_or(&0);
                let extra_kg = (chargeable_g - heaviest).div_ceil(1000) as i64;
                prices[prices.len() - 1] + extra_kg * self.standard.extra_per_kg[zone]
            }
        }
    }

    pub fn discount_pct(&self, tier: &str) -> u32 {
        self.tier_discount_pct.get(tier).copied().unwrap_or(0)
    }
}

/// `amount * basis_points / 10000`, rounded half up.
fn share(amount: i64, basis_points: i64) -> i64 {
    (amount * basis_points + 5_000).div_euclid(10_000)
}

/// One parcel as priced.
#[derive(Debug, Clone, Copy)]
pub struct ParcelSpec {
    pub weight: Weight,
    pub dimensions: Dimensions,
    /// Minor units; insured only when the shipper asks.
    pub declared_value: i64,
}

#[derive(Debug, Clone)]
pub struct QuoteInput<'a> {
    pub distance_m: u64,
    pub remote_destination: bool,
    pub parcels: &'a [ParcelSpec],
    pub insure: bool,
    /// The customer's tier (`vip`, `key`, `regular`, `at_risk`, `new`).
    pub tier: &'a str,
    /// Unix day of hand-over, for the promised window.
    pub today: i64,
}

/// The civil date `days` days after the Unix epoch.
fn iso_date(days: i64) -> String {
    crate::domain::format_date(days * 86_400_000)
}

/// The day `business_days` working days after `today` (Unix days), skipping Saturdays and
/// Sundays. 1970-01-01 was a Thursday.
pub fn add_business_days(today: i64, business_days: u32) -> i64 {
    let mut day = today;
    let mut left = business_days;
    while left > 0 {
        day += 1;
        let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
        if weekday != 0 && weekday != 6 {
            left -= 1;
        }
    }
    day
}

pub fn quote(card: &RateCard, input: &QuoteInput, service: ServiceLevel) -> ServiceQuote {
    let zone = card.zone_index(input.distance_m);
    let rates = &card.services[&service];
    let mut lines = Vec::new();
    for (i, p) in input.parcels.iter().enumerate() {
        let parcel = i + 1;
        let actual = u64::from(p.weight.grams());
        let volumetric_g = p.dimensions.volumetric_weight_g();
        let chargeable = actual.max(volumetric_g);
        let standard = card.standard_carriage(zone, chargeable);
        lines.push(PriceLine::Carriage {
            parcel,
            chargeable_weight_g: chargeable,
            volumetric: volumetric_g > actual,
            amount: share(standard, i64::from(rates.multiplier_pct) * 100),
        });
        if p.dimensions.longest_side_cm() > card.surcharges.oversize_longest_side_cm {
            lines.push(PriceLine::Oversize {
                parcel,
                amount: card.surcharges.oversize_per_parcel,
            });
        }
    }
    if input.remote_destination {
        lines.push(PriceLine::RemoteArea {
            amount: card.surcharges.remote_area,
        });
    }
    // The tier discount applies to transport, not to insurance (a pass-through cost).
    let percent = card.discount_pct(input.tier);
    let transport: i64 = lines.iter().map(PriceLine::amount).sum();
    if percent > 0 {
        lines.push(PriceLine::TierDiscount {
            percent,
            amount: -share(transport, i64::from(percent) * 100),
        });
    }
    if input.insure {
        for (i, p) in input.parcels.iter().enumerate() {
            if p.declared_value > 0 {
                let amount = share(p.declared_value, card.insurance.rate_basis_points)
                    .max(card.insurance.minimum);
                lines.push(PriceLine::Insurance {
                    parcel: i + 1,
                    declared_value: p.declared_value,
                    amount,
                });
            }
        }
    }
    let transit_days = rates
        .transit_days
        .as_ref()
        .unwrap_or(&card.standard.transit_days)[zone];
    ServiceQuote {
        service,
        zone: card.zones[zone].code.clone(),
        currency: card.currency.clone(),
        total: lines.iter().map(PriceLine::amount).sum(),
        lines,
        transit_days,
        earliest_delivery: iso_date(add_business_days(input.today, transit_days.0)),
        latest_delivery: iso_date(add_business_days(input.today, transit_days.1)),
    }
}

/// Every service level, cheapest first.
pub fn quote_all(card: &RateCard, input: &QuoteInput) -> Vec<ServiceQuote> {
    let mut quotes: Vec<ServiceQuote> = ServiceLevel::ALL
        .iter()
        .map(|s| quote(card, input, *s))
        .collect();
    quotes.sort_by_key(|q| (q.total, q.service));
    quotes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel(grams: i64, l: i64, w: i64, h: i64, value: i64) -> ParcelSpec {
        ParcelSpec {
            weight: Weight::from_grams(grams).unwrap(),
            dimensions: Dimensions::new(l, w, h).unwrap(),
            declared_value: value,
        }
    }

    fn input(distance_km: u64, parcels: &[ParcelSpec]) -> QuoteInput<'_> {
        QuoteInput {
            distance_m: distance_km * 1000,
            remote_destination: false,
            parcels,
            insure: false,
            tier: "regular",
            today: 20_782, // 2026-11-25, a Wednesday
        }
    }

    fn carriage(q: &ServiceQuote) -> (u64, bool, i64) {
        match q.lines[0] {
            PriceLine::Carriage {
                chargeable_weight_g,
                volumetric,
                amount,
                ..
            } => (chargeable_weight_g, volumetric, amount),
            ref other => panic!("first line is {other:?}"),
        }
    }

    #[test]
    fn the_bundled_card_is_consistent() {
        let card = RateCard::bundled();
        assert_eq!(card.currency, "CNY");
        assert_eq!(card.zones.len(), 4);
    }

    #[test]
    fn inconsistent_cards_are_refused() {
        let json = include_str!("../../data/rate_card.json")
            .replace("\"max_km\": null", "\"max_km\": 9000");
        assert!(matches!(
            RateCard::from_json(&json),
            Err(RateCardError::Shape(_))
        ));
        assert!(RateCard::from_json("{").is_err());
    }

    #[test]
    fn a_light_bulky_box_is_charged_by_volume() {
        let card = RateCard::bundled();
        // 60 x 40 x 40 cm = 96,000 cm3 -> 19.2 kg volumetric against 2 kg actual.
        let parcels = [parcel(2_000, 60, 40, 40, 0)];
        let q = quote(card, &input(10, &parcels), ServiceLevel::Standard);
        assert_eq!(carriage(&q), (19_200, true, 3_800));
        // A dense small box is charged by its actual weight.
        let parcels = [parcel(4_000, 20, 20, 10, 0)];
        let q = quote(card, &input(10, &parcels), ServiceLevel::Standard);
        assert_eq!(carriage(&q), (4_000, false, 1_800));
    }

    #[test]
    fn zone_and_band_edges_are_inclusive() {
        let card = RateCard::bundled();
        assert_eq!(card.zone_index(50_000), 0);
        assert_eq!(card.zone_index(50_001), 1);
        assert_eq!(card.zone_index(300_000), 1);
        assert_eq!(card.zone_index(1_200_001), 3);
        assert_eq!(card.zone_index(20_000_000), 3);
        let at_edge = [parcel(500, 10, 10, 10, 0)];
        let over = [parcel(501, 10, 10, 10, 0)];
        let q = |p: &[ParcelSpec]| carriage(&quote(card, &input(10, p), ServiceLevel::Standard)).2;
        assert_eq!(q(&at_edge), 800);
        assert_eq!(q(&over), 1_000);
    }

    #[test]
    fn weight_above_the_heaviest_band_pays_per_started_kilogram() {
        let card = RateCard::bundled();
        let parcels = [parcel(31_001, 10, 10, 10, 0)];
        let q = quote(card, &input(100, &parcels), ServiceLevel::Standard);
        // Regional: 66.00 for 30 kg + 2 started kg x 2.00
        assert_eq!(carriage(&q).2, 6_600 + 2 * 200);
    }

    #[test]
    fn services_scale_the_standard_price_and_round_half_up() {
        let card = RateCard::bundled();
        let parcels = [parcel(300, 10, 10, 10, 0)];
        let express = quote(card, &input(10, &parcels), ServiceLevel::Express);
        assert_eq!(carriage(&express).2, 1_400); // 8.00 x 1.75
        assert_eq!(express.transit_days, (1, 1));
        let far = quote(card, &input(2_000, &parcels), ServiceLevel::PickupPoint);
        assert_eq!(carriage(&far).2, 1_275); // 15.00 x 0.85
        assert_eq!(far.zone, "long_haul");
        assert_eq!(far.transit_days, (4, 7));
    }

    #[test]
    fn surcharges_apply_once_per_shipment_or_per_parcel() {
        let card = RateCard::bundled();
        let parcels = [
            parcel(1_000, 120, 20, 10, 0),
            parcel(1_000, 101, 10, 10, 0),
            parcel(1_000, 100, 10, 10, 0),
        ];
        let mut inp = input(10, &parcels);
        inp.remote_destination = true;
        let q = quote(card, &inp, ServiceLevel::Standard);
        let oversize = q
            .lines
            .iter()
            .filter(|l| matches!(l, PriceLine::Oversize { .. }))
            .count();
        assert_eq!(oversize, 2, "a 100 cm side is not oversize, 101 cm is");
        let remote: Vec<_> = q
            .lines
            .iter()
            .filter(|l| matches!(l, PriceLine::RemoteArea { .. }))
            .collect();
        assert_eq!(remote, vec![&PriceLine::RemoteArea { amount: 1_500 }]);
        assert_eq!(q.total, q.lines.iter().map(PriceLine::amount).sum::<i64>());
    }

    #[test]
    fn insurance_has_a_minimum_and_escapes_the_discount() {
        let card = RateCard::bundled();
        let parcels = [
            parcel(300, 10, 10, 10, 10_000),
            parcel(300, 10, 10, 10, 100_000),
        ];
        let mut inp = input(10, &parcels);
        inp.insure = true;
        inp.tier = "vip";
        let q = quote(card, &inp, ServiceLevel::Standard);
        let insurance: Vec<i64> = q
            .lines
            .iter()
            .filter_map(|l| match l {
                PriceLine::Insurance { amount, .. } => Some(*amount),
                _ => None,
            })
            .collect();
        assert_eq!(insurance, vec![200, 500]); // 0.5% of 100.00 is 0.50 < 2.00 minimum
                                               // 15% of 16.00 transport = 2.40, insurance untouched.
        assert!(q.lines.contains(&PriceLine::TierDiscount {
            percent: 15,
            amount: -240
        }));
        assert_eq!(q.total, 1_600 - 240 + 700);
    }

    #[test]
    fn discounts_round_half_up_to_the_minor_unit() {
        assert_eq!(share(1_010, 500), 51); // 50.5 -> 51
        assert_eq!(share(1_009, 500), 50); // 50.45 -> 50
        let card = RateCard::bundled();
        let parcels = [parcel(300, 10, 10, 10, 0)];
        let mut inp = input(60, &parcels);
        inp.tier = "at_risk";
        let q = quote(card, &inp, ServiceLevel::Standard);
        assert!(q.lines.contains(&PriceLine::TierDiscount {
            percent: 5,
            amount: -50
        }));
        assert_eq!(q.total, 950);
    }

    #[test]
    fn promised_windows_skip_weekends() {
        // Wednesday + 3 business days = Monday; + 1 = Thursday.
        assert_eq!(iso_date(add_business_days(20_782, 1)), "2026-11-26");
        assert_eq!(iso_date(add_business_days(20_782, 3)), "2026-11-30");
        let card = RateCard::bundled();
        let parcels = [parcel(300, 10, 10, 10, 0)];
        let q = quote(card, &input(2_000, &parcels), ServiceLevel::Standard);
        assert_eq!(q.transit_days, (4, 7));
        assert_eq!(
            (q.earliest_delivery.as_str(), q.latest_delivery.as_str()),
            ("2026-12-01", "2026-12-04")
        );
    }

    #[test]
    fn all_services_are_quoted_cheapest_first() {
        let card = RateCard::bundled();
        let parcels = [parcel(1_500, 30, 20, 10, 0)];
        let quotes = quote_all(card, &input(500, &parcels));
        assert_eq!(quotes.len(), 4);
        assert!(quotes.windows(2).all(|w| w[0].total <= w[1].total));
        assert_eq!(quotes[0].service, ServiceLevel::PickupPoint);
        assert_eq!(quotes[3].service, ServiceLevel::Express);
    }
}
