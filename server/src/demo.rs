//! Demo data for a fresh database, made through the same service functions a user's sign-up and
//! the `create-staff` subcommand call. The logins are listed in README.md.

use app::accounts::service::{create_staff, parse_sign_up, register_customer};
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
                    booked += seed_shipments(db, customer.id, i).await?;
                    if i == 0 {
                        seed_after_delivery(db, customer.id).await?;
                    }
                }
            }
            // Another instance is seeding at this moment: it makes the rest.
            Err(AppError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    tracing::info!("demo data created: 3 customers with {booked} shipments, 2 staff users");
    Ok(())
}

/// (name, phone, line1, city, postcode): the demo's places, all in the bundled gazetteer.
const PLACES: [(&str, &str, &str, &str, &str); 10] = [
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
    let (name, phone, line1, city, postcode) = PLACES[i % PLACES.len()];
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

/// After delivery, for the first customer: four parcels scanned through to delivered by a demo
/// courier, then rated (one well, one badly), a return waiting for the care team, a complaint
/// waiting in the queue and one resolved and waiting for the customer. Every step goes through
/// the services the pages and the API call.
async fn seed_after_delivery(db: &Db, customer_id: i64) -> Result<(), AppError> {
    use app::complaints::{service as complaints, ComplaintCategory, NewComplaint};
    use app::ratings::{service as ratings, Csat, Nps, RatingInput, RatingTag};
    use app::returns::{service as returns, ReturnMethod, ReturnReason, ReturnRequest};
    use app::tracking::{carrier, CarrierBatch, CarrierEvent};

    let numbers: Vec<(String, String)> = sqlx::query_as(
        "SELECT tracking_number, recipient_city FROM shipments WHERE customer_id = $1 \
         ORDER BY id LIMIT 4",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    const COURIER: &str = "Parcelport demo courier";
    carrier::create_token(db, COURIER).await?;
    let courier: i64 = sqlx::query_scalar("SELECT id FROM carrier_tokens WHERE name = $1")
        .bind(COURIER)
        .fetch_one(&db.pool)
        .await?;
    let now = jiff::Timestamp::now();
    for (tn, city) in &numbers {
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
    let access = ratings::owner_access(db, customer_id, &good.0).await?;
    let input = rate(
        5,
        10,
        vec![RatingTag::OnTime, RatingTag::CourteousCourier],
        "Spot on.",
    );
    ratings::save(db, &access, &input, now_ms).await?;
    let access = ratings::owner_access(db, customer_id, &bad.0).await?;
    let input = rate(2, 4, vec![RatingTag::Late], "Two days later than promised.");
    ratings::save(db, &access, &input, now_ms).await?;
    let complaint = |tn: &str, category, description: &str| NewComplaint {
        tracking_number: Some(tn.into()),
        category,
        description: description.into(),
    };
    let input = complaint(
        &bad.0,
        ComplaintCategory::Delay,
        "The parcel came two days after the promised window; our customer cancelled.",
    );
    complaints::create(db, customer_id, &input).await?;
    let input = complaint(
        &resolved.0,
        ComplaintCategory::Damage,
        "The box was crushed at one corner.",
    );
    let filed = complaints::create(db, customer_id, &input).await?;
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
        &returned.0,
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
            &returned.0,
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
    let quote = app::orders::service::quote_for(db, customer_id, &booking.quote_request()).await?;
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
