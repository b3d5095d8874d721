//! The demo's made-up past: its clock, its pseudo-random sequences and the calendar of its year.

mod aftercare;
mod journeys;
mod pasts;

pub(crate) use pasts::PASTS;

use super::places::{address, Place};
use super::{carrier_token_id, demo_agent_id, CUSTOMERS, DEMO_PASSWORD};
use app::accounts::service::{parse_sign_up, register_customer, user_by_id};
use app::accounts::store::backdate_customer;
use app::accounts::{SignUpRequest, User};
use app::error::AppError;
use app::orders::shipments;
use app::platform::Db;
use app::tracking::carrier;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Two scans of one parcel are at least this far apart.
const STEP_MS: i64 = 10 * 60_000;

/// A deterministic pseudo-random sequence (Knuth's MMIX linear congruential generator).
struct Lcg(u64);

impl Lcg {
    /// The `k`-th customer's sequence of one kind (`stream`).
    fn new(stream: u64, k: usize) -> Self {
        Lcg((k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream)
    }

    fn draw(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// 0 to `n - 1`.
    fn below(&mut self, n: usize) -> usize {
        (self.draw() % n as u64) as usize
    }

    /// `lo` to `hi`, both included.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.draw() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct as usize
    }
}

/// The sequences: what is booked (so the tiers it earns can be worked out beforehand), and
/// what befalls it.
const BOOKINGS: u64 = 0xD1B5_4A32_D192_ED03;
const EVENTS: u64 = 0x2545_F491_4F6C_DD1D;

/// How a customer took its service, and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mood {
    /// Valuable and content: no detractor answer all year.
    Loyal,
    /// Answers as its deliveries went.
    Candid,
    /// Loyal until its service turned rough (`rough_from`): those deliveries are answered,
    /// badly, after the first assessment, so its tier falls from key to at_risk.
    Soured,
}

/// Days between two assessments of every customer while the history is lived.
const ASSESS_EVERY_DAYS: i64 = 30;

/// A customer's year being lived: its sequences and where it stands.
struct Life {
    customer_id: i64,
    k: usize,
    p: &'static Past,
    rng: Lcg,
    events: Lcg,
    /// Days ago of the next booking.
    day: i64,
    /// Bookings planned so far.
    n: usize,
}

/// One customer's year: who, from where, how often and what.
pub(crate) struct Past {
    email: &'static str,
    name: &'static str,
    company: &'static str,
    industry: &'static str,
    home: Place,
    /// Days ago of the first and the last booking, and the days from one to the next.
    first: i64,
    last: i64,
    gap: (i64, i64),
    parcels: (i64, i64),
    weight_g: (i64, i64),
    size_cm: [(i64, i64); 3],
    /// The declared value of each parcel (fen), and how often it is insured.
    value: (i64, i64),
    insure_pct: u32,
    express_pct: u32,
    pickup_point_pct: u32,
    contents: [&'static str; 6],
    mood: Mood,
    /// From this many days ago its parcels met more delays and damage.
    rough_from: Option<i64>,
    /// How often a delivered parcel comes back (in an area with drop-off points).
    returns_pct: u32,
}

/// The clock the past is counted back from, the demo carrier that scans it and the demo
/// agent who works its complaints and returns.
pub(crate) struct History<'a> {
    db: &'a Db,
    now: i64,
    carrier: i64,
    agent: User,
}

impl<'a> History<'a> {
    pub(crate) async fn new(db: &'a Db) -> Result<Self, AppError> {
        const CARRIER: &str = "Parcelport demo history";
        carrier::create_token(db, CARRIER, std::time::Duration::ZERO).await?;
        let carrier = carrier_token_id(db, CARRIER).await?;
        let agent_id = demo_agent_id(db).await?;
        Ok(History {
            db,
            now: app::platform::now_ms(),
            carrier,
            agent: user_by_id(db, agent_id).await?,
        })
    }

    /// Registers the customers of the past (Acme is `acme`) and lives their years side by
    /// side in the order of the calendar, assessing every customer's tier each 30 days as
    /// the daily job would have (so a shipment is priced, and counted in the KPIs, under
    /// the tier its customer had that day). Returns how many shipments were booked and the
    /// customers whose service soured.
    pub(crate) async fn seed(&self, acme: i64) -> Result<(usize, Vec<i64>), AppError> {
        let mut soured = Vec::new();
        let mut lives = Vec::new();
        for (k, p) in PASTS.iter().enumerate() {
            let customer_id = if p.email == CUSTOMERS[0].email {
                acme
            } else {
                let req = SignUpRequest {
                    email: p.email.into(),
                    password: DEMO_PASSWORD.into(),
                    name: p.name.into(),
                    company: p.company.into(),
                    industry: p.industry.into(),
                };
                match register_customer(self.db, parse_sign_up(&req)?).await {
                    Ok(User {
                        customer: Some(c), ..
                    }) => {
                        app::addresses::service::create(self.db, c.id, &address(p.home)).await?;
                        c.id
                    }
                    Ok(_) => {
                        return Err(AppError::internal(
                            "a demo customer signed up without a customer",
                        ))
                    }
                    // Another instance is seeding at this moment.
                    Err(AppError::Conflict(_)) => continue,
                    Err(e) => return Err(e),
                }
            };
            // The account is as old as its history.
            let since = self.now - (p.first + 7) * DAY_MS;
            backdate_customer(self.db, customer_id, since).await?;
            if p.mood == Mood::Soured {
                soured.push(customer_id);
            }
            let mut life = Life {
                customer_id,
                p,
                rng: Lcg::new(BOOKINGS, k),
                events: Lcg::new(EVENTS, k),
                day: p.first,
                n: 0,
                k,
            };
            let next = self.plan(&mut life);
            lives.push((life, next));
        }
        let mut booked = 0;
        let mut assess_at = self.now - 365 * DAY_MS;
        // The customer whose next booking is earliest goes next.
        while let Some(i) = (0..lives.len())
            .filter(|&i| lives[i].1.is_some())
            .min_by_key(|&i| lives[i].1.as_ref().map(|b| b.0))
        {
            let (life, next) = &mut lives[i];
            let Some((booked_at, booking)) = next.take() else {
                break;
            };
            while assess_at <= booked_at {
                app::crm::segments::recompute_at(self.db, assess_at).await?;
                assess_at += ASSESS_EVERY_DAYS * DAY_MS;
            }
            let key = format!("demo-history:{}", life.n);
            let done =
                shipments::book_once_at(self.db, life.customer_id, &key, &booking, booked_at)
                    .await?;
            self.follow(
                life.customer_id,
                life.p,
                &done.shipment,
                booked_at,
                &mut life.events,
            )
            .await?;
            booked += 1;
            *next = self.plan(life);
        }
        Ok((booked, soured))
    }
}
