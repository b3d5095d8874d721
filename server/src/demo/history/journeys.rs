//! The past's bookings and their parcels' journeys, scanned by the demo carrier at their times.

use super::aftercare::answer;
use super::pasts::{recipient, AREA_CITIES, RECIPIENTS};
use super::{History, Lcg, Life, Mood, Past, DAY_MS, HOUR_MS, STEP_MS};
use crate::demo::ignore_taken;
use crate::demo::places::address;
use app::complaints::ComplaintCategory;
use app::error::{AppError, OrInternal};
use app::i18n::Locale;
use app::orders::{BookingRequest, ParcelInput, ServiceLevel, Shipment};
use app::platform::gazetteer::Gazetteer;
use app::ratings::{service as ratings, Csat, Nps, RatingInput};
use app::tracking::{carrier, CarrierBatch, CarrierEvent};

/// What befalls a parcel on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    OnTime,
    /// Days after the promised window, without a word.
    Slow,
    /// Held up (weather), and late.
    Delayed,
    Damaged,
    /// Nobody at home at the first attempt.
    Failed,
}

/// (status, time, city, note) of one scan.
pub(super) type Scan<'a> = (&'static str, i64, &'a str, Option<&'static str>);

impl History<'_> {
    /// The customer's next booking and its clock, or `None` once its year is lived.
    pub(super) fn plan(&self, life: &mut Life) -> Option<(i64, BookingRequest)> {
        let (p, rng) = (life.p, &mut life.rng);
        if life.day < p.last {
            return None;
        }
        let today = self.now.div_euclid(DAY_MS);
        // Office hours in China (01:00-10:00 UTC).
        let booked_at = (today - life.day) * DAY_MS + rng.range(HOUR_MS, 10 * HOUR_MS - 1);
        let count = rng.range(p.parcels.0, p.parcels.1);
        let mut parcels = Vec::new();
        for _ in 0..count {
            let weight_g = rng.range(p.weight_g.0, p.weight_g.1) / 100 * 100;
            let length_cm = rng.range(p.size_cm[0].0, p.size_cm[0].1);
            let width_cm = rng.range(p.size_cm[1].0, p.size_cm[1].1);
            let height_cm = rng.range(p.size_cm[2].0, p.size_cm[2].1);
            let declared_value = rng.range(p.value.0, p.value.1) / 1_000 * 1_000;
            let contents = p.contents[rng.below(p.contents.len())].to_string();
            parcels.push(ParcelInput {
                weight_g,
                length_cm,
                width_cm,
                height_cm,
                declared_value,
                contents,
            });
        }
        let insure = rng.chance(p.insure_pct);
        let roll = rng.below(100) as u32;
        let service = if roll < p.express_pct {
            ServiceLevel::Express
        } else if roll < p.express_pct + p.pickup_point_pct {
            ServiceLevel::PickupPoint
        } else {
            ServiceLevel::Standard
        };
        let mut to = rng.below(RECIPIENTS);
        if recipient(to).3 == p.home.3 {
            to = (to + 1) % RECIPIENTS;
        }
        life.day -= rng.range(p.gap.0, p.gap.1);
        life.n += 1;
        Some((
            booked_at,
            BookingRequest {
                sender: address(p.home),
                recipient: address(recipient(to)),
                parcels,
                service,
                insure,
                reference: Some(format!("PO-{:02}{:04}", life.k + 1, life.n)),
                delivery_slot_id: None,
                pickup_slot_id: None,
            },
        ))
    }

    /// One parcel's journey, scanned at its times, and what its shipper did after.
    pub(super) async fn follow(
        &self,
        customer_id: i64,
        p: &Past,
        s: &Shipment,
        booked_at: i64,
        rng: &mut Lcg,
    ) -> Result<(), AppError> {
        let date = |d: &str| app::ui::parse_date(d).or_internal("a demo date");
        let first_day = date(s.promised_from.as_str())?;
        let last_day = date(s.promised_to.as_str())?;
        let rough = p
            .rough_from
            .is_some_and(|days| booked_at >= self.now - days * DAY_MS);
        let roll = rng.below(100);
        // The last week's parcels all went well (their journeys end before now).
        let fate = if booked_at > self.now - 8 * DAY_MS {
            Fate::OnTime
        } else {
            let [delayed, damaged, failed, slow] = if rough {
                [20, 32, 40, 60]
            } else {
                [4, 6, 9, 14]
            };
            match roll {
                r if r < delayed => Fate::Delayed,
                r if r < damaged => Fate::Damaged,
                r if r < failed => Fate::Failed,
                r if r < slow => Fate::Slow,
                _ => Fate::OnTime,
            }
        };
        let delivery_day = match fate {
            Fate::Slow | Fate::Delayed => last_day + rng.range(1, 3),
            _ => rng.range(first_day, last_day),
        };
        // Delivered in the working day (09:00-19:00 in China).
        let mut delivered = delivery_day * DAY_MS + rng.range(HOUR_MS, 11 * HOUR_MS);
        let (origin, dest) = (s.sender.city.as_str(), s.recipient.city.as_str());
        let picked = booked_at + rng.range(HOUR_MS, 4 * HOUR_MS);
        let mut scans: Vec<Scan> = vec![
            ("picked_up", picked, origin, None),
            (
                "in_transit",
                picked + rng.range(HOUR_MS, 3 * HOUR_MS),
                origin,
                None,
            ),
        ];
        if fate == Fate::Delayed {
            let held = picked + rng.range(8 * HOUR_MS, 16 * HOUR_MS);
            scans.push(("delayed", held, origin, Some("Weather on the route")));
            let on = held + rng.range(12 * HOUR_MS, 30 * HOUR_MS);
            scans.push(("in_transit", on, origin, None));
        }
        if fate == Fate::Damaged {
            let at = delivered - rng.range(6 * HOUR_MS, 10 * HOUR_MS);
            let note = "Outer box crushed; contents checked and repacked";
            scans.push(("damaged", at, dest, Some(note)));
        }
        let out = delivered - rng.range(2 * HOUR_MS, 5 * HOUR_MS);
        scans.push(("out_for_delivery", out, dest, None));
        if fate == Fate::Failed {
            scans.push((
                "delivery_failed",
                delivered,
                dest,
                Some("Recipient not at home"),
            ));
            delivered += DAY_MS;
            let out = delivered - rng.range(2 * HOUR_MS, 4 * HOUR_MS);
            scans.push(("out_for_delivery", out, dest, None));
        }
        scans.push(("delivered", delivered, dest, None));
        // In order, and delivered an hour ago at the latest: no parcel of the past is left
        // on its way for the simulator.
        let mut previous = booked_at;
        for scan in scans.iter_mut() {
            scan.1 = scan.1.max(previous + STEP_MS);
            previous = scan.1;
        }
        let mut next = self.now - HOUR_MS + STEP_MS;
        for scan in scans.iter_mut().rev() {
            scan.1 = scan.1.min(next - STEP_MS);
            next = scan.1;
        }
        self.scan(&s.tracking_number, &scans).await?;
        let delivered = scans.last().map_or(booked_at, |scan| scan.1);
        let late = delivered > (last_day + 1) * DAY_MS;
        if p.mood == Mood::Soured && rough {
            // Answered after the first assessment (`sour`).
            return Ok(());
        }

        if rng.chance(35) {
            let at = delivered + rng.range(2 * HOUR_MS, 60 * HOUR_MS);
            let (mut csat, mut nps, tags, comment) = answer(fate, late, rng);
            // Content customers answer so all year: assessed as the year goes, a bad
            // answer months ago would have made them detractors then.
            if p.mood != Mood::Candid {
                csat = csat.max(3);
                nps = nps.map(|n| n.max(7));
            }
            if at <= self.now - HOUR_MS {
                let input = RatingInput {
                    csat: Csat::parse(csat).or_internal("a demo CSAT score")?,
                    nps: nps
                        .map(Nps::parse)
                        .transpose()
                        .or_internal("a demo NPS score")?,
                    tags,
                    comment: comment.map(String::from),
                };
                let access =
                    ratings::owner_access(self.db, customer_id, &s.tracking_number).await?;
                ignore_taken(ratings::save(self.db, &access, &input, at).await)?;
            }
        }

        let category = match fate {
            Fate::Damaged if rng.chance(60) => Some(ComplaintCategory::Damage),
            Fate::Slow | Fate::Delayed if rng.chance(25) => Some(ComplaintCategory::Delay),
            Fate::Failed if rng.chance(15) => Some(ComplaintCategory::CourierConduct),
            _ if rng.chance(2) => {
                let other = [
                    ComplaintCategory::WrongDelivery,
                    ComplaintCategory::Loss,
                    ComplaintCategory::Billing,
                    ComplaintCategory::Other,
                ];
                Some(other[rng.below(other.len())])
            }
            _ => None,
        };
        if let Some(category) = category {
            let filed_at = delivered + rng.range(2 * HOUR_MS, 40 * HOUR_MS);
            // Long enough ago to have been answered, resolved and confirmed.
            if filed_at <= self.now - 10 * DAY_MS {
                self.complain(customer_id, &s.tracking_number, category, filed_at, rng)
                    .await?;
            }
        }

        if p.returns_pct > 0
            && AREA_CITIES.contains(&dest)
            && delivered <= self.now - 20 * DAY_MS
            && rng.chance(p.returns_pct)
        {
            self.give_back(customer_id, s, fate == Fate::Damaged, delivered, rng)
                .await?;
        }
        Ok(())
    }

    /// Records the scans through the carrier service, each as received at its own time.
    pub(super) async fn scan(
        &self,
        tracking_number: &str,
        scans: &[Scan<'_>],
    ) -> Result<(), AppError> {
        let gazetteer = Gazetteer::bundled();
        for (i, (status, at, city, note)) in scans.iter().enumerate() {
            let point = gazetteer.find("CN", city);
            let time = jiff::Timestamp::from_millisecond(*at)
                .or_internal("a demo scan time")?
                .to_string();
            let event = CarrierEvent {
                event_id: format!("history:{tracking_number}:{i}"),
                tracking_number: tracking_number.to_string(),
                status: (*status).to_string(),
                time,
                place: Some((*city).to_string()),
                lat: point.map(|c| c.lat),
                lng: point.map(|c| c.lon),
                note: note.map(String::from),
            };
            let batch = CarrierBatch {
                events: vec![event],
            };
            let result = carrier::record_at(self.db, self.carrier, &batch, Locale::En, *at).await?;
            if result.refused > 0 {
                tracing::warn!("demo history: scan {status} of {tracking_number} refused");
            }
        }
        Ok(())
    }
}
