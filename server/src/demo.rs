//! Demo data for a fresh database, made through the same service functions a user's sign-up and
//! the `create-staff` subcommand call. The logins are listed in README.md.

use app::accounts::service::{create_staff, mark_demo_customer, parse_sign_up, register_customer};
use app::accounts::{Role, SignUpRequest};
use app::addresses::AddressInput;
use app::error::AppError;
use app::orders::{shipments, BookingRequest, ParcelInput, ServiceLevel};
use app::platform::Db;
use app::slots::{self, SlotTemplateInput, WindowInput};

pub const DEMO_PASSWORD: &str = "parcelport-demo";

struct DemoCustomer {
    email: &'static str,
    name: &'static str,
    company: &'static str,
    industry: &'static str,
}

const CUSTOMERS: [DemoCustomer; 3] = [
    DemoCustomer {
        email: "shipper@acme.example",
        name: "Alice Chen",
        company: "Acme Manufacturing",
        industry: "manufacturing",
    },
    DemoCustomer {
        email: "orders@lotus-shop.example",
        name: "王芳",
        company: "莲花网店",
        industry: "ecommerce",
    },
    DemoCustomer {
        email: "li.lei@example.com",
        name: "李雷",
        company: "",
        industry: "other",
    },
];

const STAFF: [(&str, &str, Role); 2] = [
    ("agent@parcelport.example", "Sam Care", Role::Agent),
    ("manager@parcelport.example", "Morgan Lead", Role::Manager),
];

/// Seeds once: does nothing when any user exists. Safe when several instances start together.
pub async fn seed_if_empty(db: &Db) -> Result<(), AppError> {
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    if users > 0 {
        return Ok(());
    }
    seed_slot_templates(db).await?;
    for (email, name, role) in STAFF {
        ignore_taken(create_staff(db, email, name, DEMO_PASSWORD, role).await)?;
    }
    let mut booked = 0;
    let mut acme = None;
    for (i, c) in CUSTOMERS.iter().enumerate() {
        let req = SignUpRequest {
            email: c.email.into(),
            password: DEMO_PASSWORD.into(),
            name: c.name.into(),
            company: c.company.into(),
            industry: c.industry.into(),
        };
        match register_customer(db, parse_sign_up(&req)?).await {
            Ok(user) => {
                if let Some(customer) = user.customer {
                    mark_demo_customer(db, customer.id).await?;
                    booked += seed_shipments(db, customer.id, i).await?;
                    if i == 0 {
                        acme = Some(customer.id);
                    }
                }
            }
            // Another instance is seeding at this moment: it makes the rest.
            Err(AppError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    let Some(acme) = acme else {
        return Ok(());
    };
    // A year of history through the same services at clocks in the past, its customers
    // assessed as it goes, then the tiers it earns today. What follows the first assessment happens as it would in life: a soured customer's
    // bad answers, and Acme's after-delivery data with its bad rating, turn those valuable
    // customers at_risk and open their retention items at the second.
    let told = app::notifications::service::last_id(db).await?;
    let past = history::History::new(db).await?;
    let (historic, soured) = past.seed(acme).await?;
    app::crm::segments::recompute(db).await?;
    // The demo agent manages the valuable accounts: their complaints and retention calls go to
    // it first, and they see who it is on their dashboard.
    let agent: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(STAFF[0].0)
        .fetch_one(&db.pool)
        .await?;
    let valuable: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM customers WHERE tier IN ('vip', 'key') ORDER BY id")
            .fetch_all(&db.pool)
            .await?;
    for customer_id in valuable {
        app::crm::service::set_account_manager(db, customer_id, Some(agent)).await?;
    }
    for customer_id in soured {
        past.sour(customer_id).await?;
    }
    app::notifications::service::forget_after(db, told).await?;
    seed_after_delivery(db, acme).await?;
    app::crm::segments::recompute(db).await?;
    tracing::info!(
        "demo data created: {} customers with {booked} shipments now and {historic} over the \
         past year, 2 staff users",
        CUSTOMERS.len() + history::PASTS.len() - 1
    );
    Ok(())
}

/// (name, phone, line1, city, postcode): a place in the bundled gazetteer.
type Place = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The demo's places.
const PLACES: [Place; 10] = [
    (
        "Alice Chen",
        "+86 21 5555 0101",
        "1 Factory Road, Pudong",
        "Shanghai",
        "200120",
    ),
    (
        "王芳",
        "13900139000",
        "西湖区文三路 90 号",
        "Hangzhou",
        "310012",
    ),
    (
        "李雷",
        "13800138000",
        "海淀区中关村大街 27 号",
        "Beijing",
        "100080",
    ),
    (
        "陈静",
        "13700137000",
        "天河区体育西路 103 号",
        "Guangzhou",
        "510620",
    ),
    (
        "Zhang Wei",
        "13600136000",
        "8 Keyuan Road, Nanshan",
        "Shenzhen",
        "518057",
    ),
    (
        "刘洋",
        "13500135000",
        "武侯区人民南路 4 段 1 号",
        "Chengdu",
        "610041",
    ),
    (
        "赵敏",
        "13400134000",
        "江汉区解放大道 690 号",
        "Wuhan",
        "430022",
    ),
    ("孙丽", "13300133000", "北京西路 1 号", "Lhasa", "850000"),
    (
        "周杰",
        "13200132000",
        "南岗区西大直街 92 号",
        "Harbin",
        "150001",
    ),
    (
        "吴婷",
        "13100131000",
        "五华区青年路 389 号",
        "Kunming",
        "650021",
    ),
];

fn place(i: usize) -> AddressInput {
    address(PLACES[i % PLACES.len()])
}

fn address((name, phone, line1, city, postcode): Place) -> AddressInput {
    AddressInput {
        name: name.into(),
        phone: phone.into(),
        line1: line1.into(),
        city: city.into(),
        postcode: postcode.into(),
        country: "CN".into(),
        ..AddressInput::default()
    }
}

/// Saves the customer's own address and two frequent recipients, then books shipments through
/// the booking service, so prices, numbers and promised windows come from the real code paths.
/// Keys make a repeated seed book nothing twice.
async fn seed_shipments(db: &Db, customer_id: i64, customer: usize) -> Result<usize, AppError> {
    // Alice ships from Shanghai, Wang Fang from Hangzhou, Li Lei from Beijing.
    let home = customer;
    let sender = place(home);
    app::addresses::service::create(db, customer_id, &sender).await?;
    for r in [home + 3, home + 4] {
        app::addresses::service::create(db, customer_id, &place(r)).await?;
    }
    let count = [14, 10, 3][customer % 3];
    let contents = [
        "Spare parts",
        "服装",
        "Books",
        "电子产品",
        "Tea",
        "Documents",
    ];
    for n in 0..count {
        let recipient = place(home + 1 + (n * 7 + customer) % (PLACES.len() - 1));
        let parcels = (0..1 + n % 3)
            .map(|p| ParcelInput {
                weight_g: 300 + ((n * 1_700 + p * 900) % 14_000) as i64,
                length_cm: 20 + ((n + p) * 7 % 40) as i64,
                width_cm: 15 + ((n + 2 * p) * 5 % 25) as i64,
                height_cm: 8 + ((n + p) * 3 % 20) as i64,
                declared_value: if n % 4 == 0 { 50_000 } else { 0 },
                contents: contents[(n + p) % contents.len()].into(),
            })
            .collect();
        let booking = BookingRequest {
            sender: sender.clone(),
            recipient,
            parcels,
            service: ServiceLevel::ALL[n % ServiceLevel::ALL.len()],
            insure: n % 4 == 0,
            reference: Some(format!("DEMO-{}{:03}", customer + 1, n + 1)),
            delivery_slot_id: None,
            pickup_slot_id: None,
        };
        let booking = BookingRequest {
            delivery_slot_id: demo_window(db, customer_id, &booking).await?,
            ..booking
        };
        shipments::book_once(db, customer_id, &format!("demo:{n}"), &booking).await?;
    }
    Ok(count)
}

/// A demo parcel's number and where it goes.
#[derive(sqlx::FromRow)]
struct DemoParcel {
    tracking_number: String,
    recipient_city: String,
}

/// After delivery, for the first customer: four parcels scanned through to delivered by a demo
/// courier, then rated (one well, one badly), a return waiting for the care team, a complaint
/// waiting in the queue and one resolved and waiting for the customer. Every step goes through
/// the services the pages and the API call.
async fn seed_after_delivery(db: &Db, customer_id: i64) -> Result<(), AppError> {
    use app::complaints::{service as complaints, ComplaintCategory, NewComplaint};
    use app::ratings::{service as ratings, Csat, Nps, RatingInput, RatingTag};
    use app::returns::{service as returns, ReturnMethod, ReturnReason, ReturnRequest};
    use app::tracking::{carrier, CarrierBatch, CarrierEvent};

    let numbers: Vec<DemoParcel> = sqlx::query_as(
        "SELECT tracking_number, recipient_city FROM shipments WHERE customer_id = $1 \
         ORDER BY id LIMIT 4",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    const COURIER: &str = "Parcelport demo courier";
    // Scans are recorded in-process: nobody holds this token, so it never worked.
    carrier::create_token(db, COURIER, std::time::Duration::ZERO).await?;
    let courier: i64 = sqlx::query_scalar("SELECT id FROM carrier_tokens WHERE name = $1")
        .bind(COURIER)
        .fetch_one(&db.pool)
        .await?;
    let now = jiff::Timestamp::now();
    for parcel in &numbers {
        let (tn, city) = (&parcel.tracking_number, &parcel.recipient_city);
        let events = ["picked_up", "in_transit", "out_for_delivery", "delivered"]
            .iter()
            .enumerate()
            .map(|(i, status)| CarrierEvent {
                event_id: format!("demo-{tn}-{status}"),
                tracking_number: tn.clone(),
                status: (*status).into(),
                // In order, the last one now: delivered, not about to be.
                time: (now - jiff::SignedDuration::from_millis(3 - i as i64)).to_string(),
                place: Some(city.clone()),
                lat: None,
                lng: None,
                note: None,
            })
            .collect();
        carrier::record(db, courier, &CarrierBatch { events }, app::i18n::Locale::En).await?;
    }
    // The first goes to Hangzhou, whose area has drop-off points for its return.
    let [returned, bad, resolved, good] = numbers.as_slice() else {
        return Ok(());
    };
    let rate = |csat: i64, nps: i64, tags: Vec<RatingTag>, comment: &str| RatingInput {
        csat: Csat::parse(csat).expect("a demo score is on the scale"),
        nps: Nps::parse(nps).ok(),
        tags,
        comment: Some(comment.into()),
    };
    let now_ms = app::platform::now_ms();
    let access = ratings::owner_access(db, customer_id, &good.tracking_number).await?;
    let input = rate(
        5,
        10,
        vec![RatingTag::OnTime, RatingTag::CourteousCourier],
        "Spot on.",
    );
    ratings::save(db, &access, &input, now_ms).await?;
    let access = ratings::owner_access(db, customer_id, &bad.tracking_number).await?;
    let input = rate(2, 4, vec![RatingTag::Late], "Two days later than promised.");
    ratings::save(db, &access, &input, now_ms).await?;
    let complaint = |tn: &str, category, description: &str| NewComplaint {
        tracking_number: Some(tn.into()),
        category,
        description: description.into(),
    };
    let input = complaint(
        &bad.tracking_number,
        ComplaintCategory::Delay,
        "The parcel came two days after the promised window; our customer cancelled.",
    );
    complaints::create_at(db, customer_id, &input, now_ms).await?;
    let input = complaint(
        &resolved.tracking_number,
        ComplaintCategory::Damage,
        "The box was crushed at one corner.",
    );
    let filed = complaints::create_at(db, customer_id, &input, now_ms).await?;
    let agent_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(STAFF[0].0)
        .fetch_one(&db.pool)
        .await?;
    let agent = complaints::Caller::Staff(app::accounts::service::user_by_id(db, agent_id).await?);
    complaints::assign(db, &agent, filed.id, now_ms).await?;
    let note = "Sorry about that: we refunded the shipping fee and flagged the depot.";
    complaints::resolve(db, &agent, filed.id, note, now_ms).await?;
    let request = ReturnRequest {
        items: vec![0],
        reason: ReturnReason::WrongItem,
        note: Some("Ordered the blue one, received the red one.".into()),
        method: ReturnMethod::DropOff,
        pickup_slot_id: None,
        drop_off_point: None,
    };
    let options = returns::options(
        db,
        &returns::Requester::Shipper(customer_id),
        &returned.tracking_number,
        app::returns::DEFAULT_WINDOW_DAYS,
    )
    .await?;
    let request = ReturnRequest {
        drop_off_point: options.drop_off_points.first().cloned(),
        ..request
    };
    // A recipient's area without drop-off points has no demo return; nothing else depends on it.
    if request.drop_off_point.is_some() {
        returns::create(
            db,
            &returns::Requester::Shipper(customer_id),
            &returned.tracking_number,
            &request,
            app::returns::DEFAULT_WINDOW_DAYS,
        )
        .await?;
    }
    Ok(())
}

/// The delivery areas of the demo cities, defined through the same service a manager's form
/// and `POST /api/v1/slot-templates` use.
async fn seed_slot_templates(db: &Db) -> Result<(), AppError> {
    let areas: [(&str, &str, &str, &[&str]); 5] = [
        (
            "shanghai",
            "Shanghai 上海",
            "20",
            &[
                "上海浦东世纪大道 100 号 Parcelport 服务点",
                "上海静安南京西路 1266 号快递柜",
            ],
        ),
        (
            "beijing",
            "Beijing 北京",
            "10",
            &["北京海淀中关村大街 1 号 Parcelport 服务点"],
        ),
        (
            "hangzhou",
            "Hangzhou 杭州",
            "31",
            &["杭州西湖文三路 259 号快递柜"],
        ),
        (
            "guangzhou",
            "Guangzhou 广州",
            "510",
            &["广州天河体育西路 191 号 Parcelport 服务点"],
        ),
        (
            "shenzhen",
            "Shenzhen 深圳",
            "518",
            &["深圳南山科苑路 15 号快递柜"],
        ),
    ];
    let windows = [
        ("09:00", "11:00"),
        ("11:00", "13:00"),
        ("14:00", "18:00"),
        ("18:00", "21:00"),
    ];
    for (i, (area, name, prefix, points)) in areas.into_iter().enumerate() {
        let city = name.split(' ').next().unwrap_or(name);
        let input = SlotTemplateInput {
            area: area.into(),
            name: name.into(),
            country: "CN".into(),
            time_zone: "Asia/Shanghai".into(),
            cities: vec![city.into()],
            postcode_prefixes: vec![prefix.into()],
            // Big cities deliver every day; the others rest on Sunday.
            weekdays: if i < 2 {
                (1..=7).collect()
            } else {
                (1..=6).collect()
            },
            windows: windows
                .iter()
                .map(|(s, e)| WindowInput {
                    start: (*s).into(),
                    end: (*e).into(),
                })
                .collect(),
            capacity: if i < 2 { 20 } else { 8 },
            cutoff_days_before: 1,
            cutoff_time: "20:00".into(),
            days_ahead: 14,
            holidays: Vec::new(),
            pickup_points: points.iter().map(|p| (*p).into()).collect(),
        };
        ignore_taken(slots::service::save(db, None, &input).await)?;
    }
    Ok(())
}

/// For a scheduled demo booking: the first open window on or after the day the service can
/// deliver, as the booking page offers them.
async fn demo_window(
    db: &Db,
    customer_id: i64,
    booking: &BookingRequest,
) -> Result<Option<i64>, AppError> {
    if booking.service != ServiceLevel::Scheduled {
        return Ok(None);
    }
    let quote = app::orders::quote::quote_for(db, customer_id, &booking.quote_request()).await?;
    let Some(earliest) = quote
        .options
        .iter()
        .find(|o| o.service == ServiceLevel::Scheduled)
        .map(|o| o.earliest_delivery.clone())
    else {
        return Ok(None);
    };
    let r = &booking.recipient;
    let list =
        slots::service::for_address(db, &r.country, &r.city, &r.postcode, &earliest, 14).await?;
    Ok(list.slots.iter().find(|s| s.bookable).map(|s| s.id))
}

/// Another instance seeding at the same moment is not an error.
fn ignore_taken<T>(r: Result<T, AppError>) -> Result<(), AppError> {
    match r {
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A year of the demo's past, made through the services a customer, a carrier and an agent use,
/// each step at its own clock: bookings, scans (mostly on time, some late, a few delayed,
/// damaged or missed at the door), ratings, complaints worked by the demo agent, and returns.
/// Every customer's year follows from a fixed pseudo-random sequence, so every first start
/// makes the same one.
pub(crate) mod history {
    use super::{address, ignore_taken, Place, CUSTOMERS, DEMO_PASSWORD, PLACES, STAFF};
    use app::accounts::service::{parse_sign_up, register_customer, user_by_id, Party};
    use app::accounts::store::backdate_customer;
    use app::accounts::{SignUpRequest, User};
    use app::complaints::{service as complaints, ComplaintCategory, NewComplaint};
    use app::error::{AppError, OrInternal};
    use app::i18n::Locale;
    use app::orders::{shipments, BookingRequest, ParcelInput, ServiceLevel, Shipment};
    use app::platform::gazetteer::Gazetteer;
    use app::platform::Db;
    use app::ratings::{service as ratings, Csat, Nps, RatingInput, RatingTag};
    use app::returns::{
        service as returns, RefundInput, ReturnDecision, ReturnMethod, ReturnReason, ReturnRequest,
        DEFAULT_WINDOW_DAYS,
    };
    use app::tracking::{carrier, CarrierBatch, CarrierEvent};

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

    const MACHINERY: [&str; 6] = [
        "Spare parts",
        "轴承 Bearings",
        "Gear motors",
        "液压阀 Hydraulic valves",
        "Control panels",
        "机械配件",
    ];
    const PERSONAL: [&str; 6] = ["Books", "衣服", "Gifts", "Documents", "特产", "Shoes"];
    const HEAVY: [(i64, i64); 3] = [(30, 60), (25, 45), (20, 40)];
    const SMALL: [(i64, i64); 3] = [(15, 30), (10, 25), (5, 15)];

    /// The expected tiers (worked out from these bookings and the bundled rules): Acme, and
    /// Ningbo Precision and Bright Bay vip; Harbour Tea and Panda Home key; Chen Xiaoming and
    /// Northwind Books regular; Qingdao Auto Parts at_risk (it stopped shipping 3-4 months
    /// ago); Blue Lantern key, then at_risk (detractor) after its bad answers; Sunrise Crafts
    /// (started 2.5 months ago) and Tom Becker (two shipments) new. Acme then turns at_risk
    /// (detractor) with the bad rating of `seed_after_delivery`.
    pub(crate) static PASTS: [Past; 11] = [
        Past {
            email: "shipper@acme.example",
            name: "Alice Chen",
            company: "Acme Manufacturing",
            industry: "manufacturing",
            home: PLACES[0],
            first: 355,
            last: 4,
            gap: (3, 5),
            parcels: (1, 3),
            weight_g: (6_000, 28_000),
            size_cm: HEAVY,
            value: (200_000, 1_500_000),
            insure_pct: 60,
            express_pct: 25,
            pickup_point_pct: 0,
            contents: MACHINERY,
            mood: Mood::Loyal,
            rough_from: None,
            returns_pct: 5,
        },
        Past {
            email: "ningbo.precision@demo.parcelport.example",
            name: "周伟",
            company: "宁波精密机械有限公司",
            industry: "manufacturing",
            home: (
                "周伟",
                "13957400123",
                "江北区人民路 132 号",
                "Ningbo",
                "315020",
            ),
            first: 360,
            last: 2,
            gap: (2, 5),
            parcels: (1, 3),
            weight_g: (6_000, 28_000),
            size_cm: HEAVY,
            value: (200_000, 1_500_000),
            insure_pct: 60,
            express_pct: 25,
            pickup_point_pct: 0,
            contents: MACHINERY,
            mood: Mood::Loyal,
            rough_from: None,
            returns_pct: 2,
        },
        Past {
            email: "brightbay@demo.parcelport.example",
            name: "Emily Wong",
            company: "Bright Bay Electronics",
            industry: "ecommerce",
            home: (
                "Emily Wong",
                "+86 755 8600 1234",
                "18 Gaoxin South Road, Nanshan",
                "Shenzhen",
                "518057",
            ),
            first: 358,
            last: 3,
            gap: (1, 4),
            parcels: (1, 2),
            weight_g: (800, 6_000),
            size_cm: [(20, 45), (15, 35), (8, 25)],
            value: (100_000, 800_000),
            insure_pct: 55,
            express_pct: 40,
            pickup_point_pct: 15,
            contents: [
                "Bluetooth speakers",
                "电子产品",
                "Phone cases",
                "Smart watches",
                "充电器 Chargers",
                "Headphones",
            ],
            mood: Mood::Loyal,
            rough_from: None,
            returns_pct: 8,
        },
        Past {
            email: "harbour.tea@demo.parcelport.example",
            name: "林晓",
            company: "港湾茶业 Harbour Tea",
            industry: "retail",
            home: (
                "林晓",
                "13859200456",
                "湖里区华昌路 66 号",
                "Xiamen",
                "361006",
            ),
            first: 350,
            last: 3,
            gap: (6, 10),
            parcels: (1, 3),
            weight_g: (3_000, 15_000),
            size_cm: [(30, 50), (25, 40), (20, 35)],
            value: (50_000, 400_000),
            insure_pct: 35,
            express_pct: 20,
            pickup_point_pct: 0,
            contents: [
                "Oolong tea",
                "铁观音",
                "Tea sets",
                "Pu'er tea",
                "白茶 White tea",
                "Gift boxes",
            ],
            mood: Mood::Loyal,
            rough_from: None,
            returns_pct: 4,
        },
        Past {
            email: "panda.home@demo.parcelport.example",
            name: "Kevin Liu",
            company: "Panda Home 熊猫家居",
            industry: "ecommerce",
            home: (
                "Kevin Liu",
                "13712345678",
                "88 Dongzong Avenue, Dongcheng",
                "Dongguan",
                "523000",
            ),
            first: 345,
            last: 4,
            gap: (5, 9),
            parcels: (1, 2),
            weight_g: (4_000, 20_000),
            size_cm: [(40, 90), (30, 60), (15, 40)],
            value: (80_000, 600_000),
            insure_pct: 30,
            express_pct: 10,
            pickup_point_pct: 0,
            contents: [
                "Side table",
                "书架 Bookshelf",
                "Lamps",
                "Cushions",
                "办公椅 Office chair",
                "Rugs",
            ],
            mood: Mood::Loyal,
            rough_from: None,
            returns_pct: 8,
        },
        Past {
            email: "chen.xiaoming@demo.parcelport.example",
            name: "陈小明",
            company: "",
            industry: "other",
            home: (
                "陈小明",
                "13602200789",
                "和平区南京路 219 号",
                "Tianjin",
                "300051",
            ),
            first: 340,
            last: 9,
            gap: (20, 40),
            parcels: (1, 1),
            weight_g: (300, 2_500),
            size_cm: SMALL,
            value: (5_000, 50_000),
            insure_pct: 0,
            express_pct: 20,
            pickup_point_pct: 30,
            contents: PERSONAL,
            mood: Mood::Candid,
            rough_from: None,
            returns_pct: 0,
        },
        Past {
            email: "northwind.books@demo.parcelport.example",
            name: "Grace Zhao",
            company: "Northwind Books",
            industry: "retail",
            home: (
                "Grace Zhao",
                "13813800321",
                "6 Hunan Road, Gulou",
                "Nanjing",
                "210009",
            ),
            first: 330,
            last: 5,
            gap: (8, 14),
            parcels: (1, 1),
            weight_g: (300, 1_800),
            size_cm: [(20, 35), (15, 25), (5, 15)],
            value: (5_000, 30_000),
            insure_pct: 0,
            express_pct: 5,
            pickup_point_pct: 35,
            contents: [
                "Books",
                "图书",
                "Magazines",
                "Stationery",
                "Calendars",
                "Maps",
            ],
            mood: Mood::Candid,
            rough_from: None,
            returns_pct: 6,
        },
        Past {
            email: "qingdao.autoparts@demo.parcelport.example",
            name: "Michael Xu",
            company: "青岛汽配制造 Qingdao Auto Parts",
            industry: "manufacturing",
            home: (
                "Michael Xu",
                "13553200654",
                "崂山区株洲路 151 号",
                "Qingdao",
                "266101",
            ),
            first: 362,
            last: 108,
            gap: (2, 5),
            parcels: (1, 3),
            weight_g: (6_000, 28_000),
            size_cm: HEAVY,
            value: (200_000, 1_500_000),
            insure_pct: 60,
            express_pct: 25,
            pickup_point_pct: 0,
            contents: MACHINERY,
            mood: Mood::Candid,
            rough_from: Some(150),
            returns_pct: 0,
        },
        Past {
            email: "blue.lantern@demo.parcelport.example",
            name: "王磊",
            company: "蓝灯笼会展 Blue Lantern Events",
            industry: "other",
            home: (
                "王磊",
                "13974800987",
                "岳麓区麓山南路 932 号",
                "Changsha",
                "410083",
            ),
            first: 340,
            last: 6,
            gap: (6, 10),
            parcels: (1, 2),
            weight_g: (2_000, 12_000),
            size_cm: [(30, 60), (20, 45), (15, 35)],
            value: (50_000, 500_000),
            insure_pct: 40,
            express_pct: 30,
            pickup_point_pct: 0,
            contents: [
                "Banners",
                "展架 Display stands",
                "Brochures",
                "Lighting",
                "Samples",
                "宣传册",
            ],
            mood: Mood::Soured,
            rough_from: Some(45),
            returns_pct: 0,
        },
        Past {
            email: "sunrise.crafts@demo.parcelport.example",
            name: "郑丽",
            company: "朝阳手作 Sunrise Crafts",
            industry: "ecommerce",
            home: (
                "郑丽",
                "13971100234",
                "武昌区中北路 109 号",
                "Wuhan",
                "430077",
            ),
            first: 75,
            last: 2,
            gap: (3, 7),
            parcels: (1, 2),
            weight_g: (500, 3_000),
            size_cm: [(15, 35), (10, 25), (5, 20)],
            value: (20_000, 100_000),
            insure_pct: 20,
            express_pct: 30,
            pickup_point_pct: 20,
            contents: [
                "Handmade soap",
                "手工饰品",
                "Candles",
                "Ceramics",
                "Scarves",
                "Greeting cards",
            ],
            mood: Mood::Candid,
            rough_from: None,
            returns_pct: 10,
        },
        Past {
            email: "tom.becker@demo.parcelport.example",
            name: "Tom Becker",
            company: "",
            industry: "other",
            home: (
                "Tom Becker",
                "+86 138 1700 5566",
                "88 Huaihai Middle Road, Huangpu",
                "Shanghai",
                "200021",
            ),
            first: 150,
            last: 130,
            gap: (20, 20),
            parcels: (1, 1),
            weight_g: (300, 2_500),
            size_cm: SMALL,
            value: (5_000, 50_000),
            insure_pct: 0,
            express_pct: 0,
            pickup_point_pct: 30,
            contents: PERSONAL,
            mood: Mood::Candid,
            rough_from: None,
            returns_pct: 0,
        },
    ];

    /// Recipients beyond the demo's places.
    const MORE_PLACES: [Place; 6] = [
        (
            "钱红",
            "13951700111",
            "鼓楼区中山北路 30 号",
            "Nanjing",
            "210008",
        ),
        (
            "Liu Bo",
            "13820200222",
            "12 Binjiang Road, Heping",
            "Tianjin",
            "300041",
        ),
        (
            "黄婷",
            "13959200333",
            "思明区中山路 120 号",
            "Xiamen",
            "361001",
        ),
        (
            "何强",
            "13908300444",
            "渝中区民族路 166 号",
            "Chongqing",
            "400010",
        ),
        (
            "Sun Mei",
            "13956000555",
            "88 Changjiang Middle Road, Luyang",
            "Hefei",
            "230001",
        ),
        (
            "杨帆",
            "13963900666",
            "市南区香港中路 10 号",
            "Qingdao",
            "266071",
        ),
    ];
    const RECIPIENTS: usize = PLACES.len() + MORE_PLACES.len();

    fn recipient(i: usize) -> Place {
        let i = i % RECIPIENTS;
        if i < PLACES.len() {
            PLACES[i]
        } else {
            MORE_PLACES[i - PLACES.len()]
        }
    }

    /// The cities of the demo's slot areas, which have drop-off points for returns.
    const AREA_CITIES: [&str; 5] = ["Shanghai", "Beijing", "Hangzhou", "Guangzhou", "Shenzhen"];

    /// What befalls a parcel on its way.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Fate {
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
    type Scan<'a> = (&'static str, i64, &'a str, Option<&'static str>);

    /// A delivered parcel not yet rated, as `History::sour` reads it.
    #[derive(sqlx::FromRow)]
    struct Delivered {
        tracking_number: String,
        delivered_at: i64,
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
            let carrier: i64 = sqlx::query_scalar(
                "SELECT id FROM carrier_tokens WHERE name = $1 ORDER BY id LIMIT 1",
            )
            .bind(CARRIER)
            .fetch_one(&db.pool)
            .await?;
            let agent_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(STAFF[0].0)
                .fetch_one(&db.pool)
                .await?;
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
                            app::addresses::service::create(self.db, c.id, &address(p.home))
                                .await?;
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

        /// The customer's next booking and its clock, or `None` once its year is lived.
        fn plan(&self, life: &mut Life) -> Option<(i64, BookingRequest)> {
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
        async fn follow(
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
        async fn scan(&self, tracking_number: &str, scans: &[Scan<'_>]) -> Result<(), AppError> {
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
                let result =
                    carrier::record_at(self.db, self.carrier, &batch, Locale::En, *at).await?;
                if result.refused > 0 {
                    tracing::warn!("demo history: scan {status} of {tracking_number} refused");
                }
            }
            Ok(())
        }

        /// A complaint about one shipment, answered and resolved by the demo agent (mostly
        /// within the SLA) and confirmed by the customer.
        async fn complain(
            &self,
            customer_id: i64,
            tracking_number: &str,
            category: ComplaintCategory,
            filed_at: i64,
            rng: &mut Lcg,
        ) -> Result<(), AppError> {
            let (description, resolution) = complaint_words(category);
            let input = NewComplaint {
                tracking_number: Some(tracking_number.into()),
                category,
                description: description.into(),
            };
            let filed = match complaints::create_at(self.db, customer_id, &input, filed_at).await {
                Ok(c) => c,
                Err(AppError::Conflict(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            let staff = Party::Staff(self.agent.clone());
            let answered = filed_at
                + if rng.chance(10) {
                    rng.range(25 * HOUR_MS, 40 * HOUR_MS)
                } else {
                    rng.range(HOUR_MS, 20 * HOUR_MS)
                };
            let reply = "Thank you for telling us. We are looking into it with the depot.";
            ignore_taken(complaints::message(self.db, &staff, filed.id, reply, answered).await)?;
            let late = rng.chance(15);
            let resolved = (filed_at
                + if late {
                    rng.range(75 * HOUR_MS, 140 * HOUR_MS)
                } else {
                    rng.range(6 * HOUR_MS, 64 * HOUR_MS)
                })
            .max(answered + HOUR_MS);
            ignore_taken(
                complaints::resolve(self.db, &staff, filed.id, resolution, resolved).await,
            )?;
            let satisfaction = if rng.chance(80) {
                let score = if late {
                    rng.range(2, 3)
                } else {
                    rng.range(3, 5)
                };
                Some(Csat::parse(score).or_internal("a demo CSAT score")?)
            } else {
                None
            };
            let confirmed = resolved + rng.range(2 * HOUR_MS, 70 * HOUR_MS);
            let customer = Party::Customer(customer_id);
            ignore_taken(
                complaints::confirm(self.db, &customer, filed.id, satisfaction, confirmed).await,
            )?;
            Ok(())
        }

        /// A return of the first parcel, dropped off, decided by the demo agent and, when
        /// approved, carried back and refunded (or closed without a refund).
        async fn give_back(
            &self,
            customer_id: i64,
            s: &Shipment,
            damaged: bool,
            delivered: i64,
            rng: &mut Lcg,
        ) -> Result<(), AppError> {
            let who = returns::Requester::Shipper(customer_id);
            let options =
                returns::options(self.db, &who, &s.tracking_number, DEFAULT_WINDOW_DAYS).await?;
            let Some(point) = options.drop_off_points.first().cloned() else {
                return Ok(());
            };
            let (reason, note) = if damaged {
                (ReturnReason::Damaged, "Arrived broken.")
            } else {
                [
                    (ReturnReason::WrongItem, "Not the model we ordered."),
                    (ReturnReason::NotAsDescribed, "The colour is not as shown."),
                    (
                        ReturnReason::NoLongerNeeded,
                        "Our customer cancelled the order.",
                    ),
                ][rng.below(3)]
            };
            let request = ReturnRequest {
                items: vec![0],
                reason,
                note: Some(note.into()),
                method: ReturnMethod::DropOff,
                pickup_slot_id: None,
                drop_off_point: Some(point),
            };
            let requested = delivered + rng.range(20 * HOUR_MS, 96 * HOUR_MS);
            let window = DEFAULT_WINDOW_DAYS;
            let r = match returns::create_at(
                self.db,
                &who,
                &s.tracking_number,
                &request,
                window,
                requested,
            )
            .await
            {
                Ok(r) => r,
                Err(AppError::Conflict(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            let decided = requested + rng.range(3 * HOUR_MS, 30 * HOUR_MS);
            let approve = rng.chance(80);
            let decision = ReturnDecision {
                approve,
                note: (!approve)
                    .then(|| "Used items cannot be returned under the seller's terms.".into()),
            };
            let r = returns::decide_at(self.db, &self.agent, r.id, &decision, decided).await?;
            let Some(back) = r.return_tracking_number.clone() else {
                return Ok(());
            };
            // The way back: from the recipient's city to the shipper's.
            let (from, to) = (s.recipient.city.as_str(), s.sender.city.as_str());
            let picked = decided + rng.range(20 * HOUR_MS, 44 * HOUR_MS);
            let arrived = picked + rng.range(30 * HOUR_MS, 60 * HOUR_MS);
            let scans: [Scan; 4] = [
                ("picked_up", picked, from, None),
                ("in_transit", picked + 2 * HOUR_MS, from, None),
                ("out_for_delivery", arrived - 3 * HOUR_MS, to, None),
                ("delivered", arrived, to, None),
            ];
            self.scan(&back, &scans).await?;
            let refund = RefundInput {
                refund: rng.chance(85),
                note: None,
            };
            let at = arrived + rng.range(4 * HOUR_MS, 30 * HOUR_MS);
            ignore_taken(returns::refund_at(self.db, &self.agent, r.id, &refund, at).await)?;
            Ok(())
        }

        /// After the first assessment: a soured customer answers its latest rough deliveries
        /// (at the times it would have), badly, and complains about the first, which puts it
        /// at risk.
        pub(crate) async fn sour(&self, customer_id: i64) -> Result<(), AppError> {
            let rows: Vec<Delivered> = sqlx::query_as(
                "SELECT s.tracking_number, s.delivered_at FROM shipments s \
                 LEFT JOIN ratings r ON r.shipment_id = s.id WHERE s.customer_id = $1 \
                 AND s.status = 'delivered' AND r.shipment_id IS NULL AND s.delivered_at >= $2 \
                 AND s.delivered_at <= $3 ORDER BY s.delivered_on_time, s.delivered_at DESC \
                 LIMIT 2",
            )
            .bind(customer_id)
            .bind(self.now - 40 * DAY_MS)
            .bind(self.now - 10 * DAY_MS)
            .fetch_all(&self.db.pool)
            .await?;
            let answers = [
                (
                    2,
                    3,
                    "Late again, the third time this month: our fair opened without its stands.",
                ),
                (
                    1,
                    2,
                    "Late and the box crushed. We are talking to other carriers.",
                ),
            ];
            let mut rng = Lcg::new(EVENTS, PASTS.len());
            for (i, (row, (csat, nps, comment))) in rows.iter().zip(answers).enumerate() {
                let tracking_number = &row.tracking_number;
                let at = row.delivered_at + 5 * HOUR_MS;
                let input = RatingInput {
                    csat: Csat::parse(csat).or_internal("a demo CSAT score")?,
                    nps: Some(Nps::parse(nps).or_internal("a demo NPS score")?),
                    tags: vec![RatingTag::Late],
                    comment: Some(comment.into()),
                };
                let access = ratings::owner_access(self.db, customer_id, tracking_number).await?;
                ignore_taken(ratings::save(self.db, &access, &input, at).await)?;
                if i == 0 {
                    let category = ComplaintCategory::Delay;
                    self.complain(
                        customer_id,
                        tracking_number,
                        category,
                        at + HOUR_MS,
                        &mut rng,
                    )
                    .await?;
                }
            }
            Ok(())
        }
    }

    /// A rating as a parcel's fate would have it: CSAT, NPS (sometimes skipped), tags, words.
    fn answer(
        fate: Fate,
        late: bool,
        rng: &mut Lcg,
    ) -> (i64, Option<i64>, Vec<RatingTag>, Option<&'static str>) {
        const GOOD: &[&str] = &[
            "Spot on, as always.",
            "准时送达，快递员很有礼貌。",
            "Well packed, and the tracking was clear all the way.",
            "Fast and friendly.",
        ];
        const LATE: &[&str] = &[
            "A day later than promised.",
            "晚了两天。",
            "Arrived after the promised window; nobody told us why.",
        ];
        const BROKEN: &[&str] = &["The box arrived dented.", "外箱破损，里面的东西也坏了。"];
        const MISSED: &[&str] = &["Nobody called before the first attempt; the second was fine."];
        let (csat, nps, mut tags, words) = match fate {
            Fate::Damaged => (
                rng.range(1, 2),
                rng.range(0, 4),
                vec![RatingTag::Damaged],
                BROKEN,
            ),
            _ if late => (
                rng.range(2, 3),
                rng.range(3, 7),
                vec![RatingTag::Late],
                LATE,
            ),
            Fate::Failed => (
                rng.range(3, 4),
                rng.range(5, 8),
                vec![RatingTag::OnTime],
                MISSED,
            ),
            _ => {
                let csat = match rng.below(100) {
                    0..=61 => 5,
                    62..=89 => 4,
                    90..=96 => 3,
                    _ => 2,
                };
                let nps = if csat >= 4 {
                    rng.range(8, 10)
                } else {
                    rng.range(4, 7)
                };
                (csat, nps, vec![RatingTag::OnTime], GOOD)
            }
        };
        if csat == 5 {
            let praise = [
                RatingTag::CourteousCourier,
                RatingTag::GoodPackaging,
                RatingTag::EasyTracking,
            ];
            tags.push(praise[rng.below(praise.len())]);
        }
        let nps = (!rng.chance(20)).then_some(nps);
        let comment = if rng.chance(50) {
            Some(words[rng.below(words.len())])
        } else {
            None
        };
        (csat, nps, tags, comment)
    }

    /// A complaint's description and the agent's resolution.
    fn complaint_words(category: ComplaintCategory) -> (&'static str, &'static str) {
        match category {
            ComplaintCategory::Delay => (
                "The parcel came after the promised day and our customer had to wait.",
                "We refunded the shipping fee and reviewed the route with the hub.",
            ),
            ComplaintCategory::Damage => (
                "The outer box was crushed and one item inside is broken.",
                "Claim approved: the declared value is refunded and the depot was briefed.",
            ),
            ComplaintCategory::Loss => (
                "One of the boxes never arrived.",
                "The box was found at the hub and delivered; the fee is refunded.",
            ),
            ComplaintCategory::WrongDelivery => (
                "The parcel was left at the wrong door.",
                "The courier collected it and delivered it to the right address the same day.",
            ),
            ComplaintCategory::CourierConduct => (
                "The courier did not call before the first attempt and left no note.",
                "We spoke to the courier's team lead; calls before delivery are now checked.",
            ),
            ComplaintCategory::Billing => (
                "We were charged the express rate for a standard booking.",
                "The difference is refunded to your account.",
            ),
            ComplaintCategory::Other => (
                "发票抬头写错了，请重新开具。",
                "已重新开具发票并发送到您的邮箱。",
            ),
        }
    }
}
