//! The write load: concurrent clients that book (retrying with the same idempotency key), move
//! delivery windows, file complaints and write in them, and post carrier scans (resending a
//! batch until it is answered); and the ledger of what the server acknowledged. A request
//! whose answer never came (the server was killed, or stopped) is not acknowledged; nor is a
//! 503 while the database is out of reach, which a test expecting that allows
//! ([`Shared::expect_outages`]). Every request's answer and time are kept ([`Timed`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::process::{MANAGER, PASSWORD};
use crate::Rng;

const SHIPPER: &str = "shipper@crash.example";
const BOOKERS: usize = 3;
/// Longer than any answer takes; a request cut off by a kill fails at once anyway.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The pause before a client sends again after its request was lost (the server restarting).
pub const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// Bookings that take a delivery window, in percent; the rest are express without one.
const SCHEDULED_PERCENT: u64 = 30;
/// Places per delivery window: small, so windows fill up during the run and refuse.
const WINDOW_CAPACITY: i64 = 6;
/// Bookings take windows of the last days only, later than any service's transit time.
const LATE_WINDOWS: usize = 12;
/// A scanned parcel's route; a third of the parcels go all the way, the rest wait at the hub
/// (and may still change their delivery window).
const ROUTE: [&str; 7] = [
    "picked_up",
    "in_transit",
    "at_hub",
    "in_transit",
    "at_hub",
    "out_for_delivery",
    "delivered",
];
const HUB_ROUTE: usize = 5;
const SCAN_BATCH: usize = 4;
/// Refusals a booking may meet under this load (the windows fill up; a cut-off passes).
const BOOKING_REFUSALS: [&str; 2] = ["slot_full", "cutoff_passed"];
/// Refusals a window change may meet: those, a concurrent scan, a parcel out for delivery.
const MOVE_REFUSALS: [&str; 5] = [
    "slot_full",
    "cutoff_passed",
    "slot_closed",
    "changed_meanwhile",
    "not_reschedulable",
];

#[derive(Clone, Debug)]
pub enum Outcome {
    /// 201 with this tracking number.
    Booked(String),
    /// No answer (or 409 `request_in_progress`: the attempt a kill cut off holds the key):
    /// booked once or not at all.
    InDoubt,
    /// 409 with this code.
    Refused(String),
}

#[derive(Clone)]
pub struct Booking {
    pub key: String,
    pub body: Value,
    /// Attempts that got no answer before the last one.
    pub lost_attempts: u32,
    pub outcome: Outcome,
}

#[derive(Clone)]
pub struct Scan {
    pub event_id: String,
    pub tracking_number: String,
    pub status: String,
}

/// How far the carrier got with one parcel.
#[derive(Clone)]
pub struct Route {
    /// Scans acknowledged (`recorded` or `duplicate`).
    pub acknowledged: usize,
    pub length: usize,
    /// The load stopped while a batch with this parcel's next scan went unanswered.
    pub in_doubt: bool,
}

#[derive(Clone)]
pub struct Filed {
    pub description: String,
    /// The id the 201 gave; `None` when the answer never came.
    pub id: Option<i64>,
}

#[derive(Clone)]
pub struct Message {
    pub complaint_id: i64,
    pub body: String,
    pub acknowledged: bool,
}

#[derive(Clone, Default)]
pub struct Ledger {
    pub bookings: Vec<Booking>,
    /// Per acknowledged shipment, the delivery windows it may hold: the last acknowledged
    /// one, and any a change that went unanswered asked for after it.
    pub windows: HashMap<String, Vec<Option<i64>>>,
    pub moves: usize,
    pub scans: Vec<Scan>,
    pub routes: HashMap<String, Route>,
    pub complaints: Vec<Filed>,
    pub messages: Vec<Message>,
    /// Requests that got no answer: connection refused or cut off, and timed out.
    pub lost: usize,
    pub timeouts: usize,
    /// 503s while the database was out of reach (only with outages expected; otherwise a 503
    /// is unexpected).
    pub unavailable: usize,
    /// Refusals the load expects, by request and code.
    pub refusals: BTreeMap<String, usize>,
    /// Answers no request should get: a 5xx, a 401, an illegal refusal.
    pub unexpected: Vec<String>,
}

impl Ledger {
    fn booked(&self) -> usize {
        self.bookings
            .iter()
            .filter(|b| matches!(b.outcome, Outcome::Booked(_)))
            .count()
    }

    fn acknowledged_messages(&self) -> usize {
        self.messages.iter().filter(|m| m.acknowledged).count()
    }

    /// Some of every kind of write has been acknowledged.
    fn warmed_up(&self) -> bool {
        self.booked() >= 10
            && self.moves >= 1
            && self.scans.len() >= 2
            && self.acknowledged_messages() >= 2
    }

    pub fn summary(&self) -> String {
        let in_doubt = self
            .bookings
            .iter()
            .filter(|b| matches!(b.outcome, Outcome::InDoubt))
            .count();
        let refused = self
            .bookings
            .iter()
            .filter(|b| matches!(b.outcome, Outcome::Refused(_)))
            .count();
        let filed = self.complaints.iter().filter(|c| c.id.is_some()).count();
        format!(
            "acknowledged: {} bookings of {} keys ({in_doubt} in doubt, {refused} refused), {} \
             window changes, {} scans, {filed} complaints of {}, {} messages of {}; no answer: \
             {} lost, {} timed out; {} unavailable (503); refusals: {:?}; unexpected answers: {}",
            self.booked(),
            self.bookings.len(),
            self.moves,
            self.scans.len(),
            self.complaints.len(),
            self.acknowledged_messages(),
            self.messages.len(),
            self.lost,
            self.timeouts,
            self.unavailable,
            self.refusals,
            self.unexpected.len()
        )
    }
}

/// Where the server listens now: a restarted server listens on another free port.
pub struct Target(RwLock<String>);

impl Target {
    pub fn new(base: &str) -> Target {
        Target(RwLock::new(base.to_string()))
    }

    pub fn set(&self, base: &str) {
        *self.0.write().expect("target") = base.to_string();
    }

    pub fn url(&self, path: &str) -> String {
        let base = self.0.read().expect("target");
        format!("{}{path}", base.as_str())
    }
}

/// What the load needs from the start: the shipper's and the carrier's tokens, and windows.
pub struct Fixtures {
    /// The shipper's API token.
    pub shipper: String,
    pub carrier: String,
    /// Windows a booking may take.
    late_windows: Vec<i64>,
    /// Windows a shipment may move to: every bookable one.
    windows: Vec<i64>,
}

impl Fixtures {
    /// A shipper account and its token; Beijing's delivery windows, made by the manager.
    pub async fn create(base: &str, carrier: String) -> Fixtures {
        let http = client();
        let url = |path: &str| format!("{base}{path}");
        expect_json(
            http.post(url("/api/v1/accounts")).json(&json!({
                "email": SHIPPER,
                "password": PASSWORD,
                "name": "Ada Lovelace",
                "company": "Analytical Engines Ltd",
                "industry": "manufacturing"
            })),
            201,
            "sign-up",
        )
        .await;
        let shipper = bearer(&http, base, SHIPPER).await;
        let manager = bearer(&http, base, MANAGER).await;
        let pattern: Vec<Value> = ["09:00", "11:00", "14:00", "16:00"]
            .iter()
            .zip(["11:00", "13:00", "16:00", "18:00"])
            .map(|(start, end)| json!({"start": start, "end": end}))
            .collect();
        expect_json(
            http.post(url("/api/v1/slot-templates"))
                .bearer_auth(&manager)
                .json(&json!({
                    "area": "beijing", "name": "Beijing", "country": "CN",
                    "time_zone": "Asia/Shanghai", "cities": ["Beijing"],
                    "postcode_prefixes": ["10"], "weekdays": [1, 2, 3, 4, 5, 6, 7],
                    "windows": pattern, "capacity": WINDOW_CAPACITY,
                    "cutoff_days_before": 1, "cutoff_time": "18:00", "days_ahead": 14,
                    "holidays": [], "pickup_points": ["Haidian locker"]
                })),
            201,
            "slot template",
        )
        .await;
        let list = expect_json(
            http.get(url("/api/v1/slots?postcode=100080&days=14"))
                .bearer_auth(&shipper),
            200,
            "delivery windows",
        )
        .await;
        let windows: Vec<i64> = list["slots"]
            .as_array()
            .expect("a list of windows")
            .iter()
            .filter(|s| s["bookable"] == true)
            .filter_map(|s| s["id"].as_i64())
            .collect();
        let late_windows = windows[windows.len().saturating_sub(LATE_WINDOWS)..].to_vec();
        assert!(!late_windows.is_empty(), "bookable windows: {list}");
        Fixtures {
            shipper,
            carrier,
            late_windows,
            windows,
        }
    }
}

/// One request of the load (or of a test's own readers) and how it went.
#[derive(Clone, Debug)]
pub struct Timed {
    /// What was asked (`booking`, `scans`, ... or a reader's label).
    pub what: &'static str,
    pub sent: Instant,
    pub took: Duration,
    /// `None`: no answer (refused, cut off, timed out).
    pub status: Option<u16>,
    /// The answer said when to come back.
    pub retry_after: bool,
}

/// What the clients share.
pub struct Shared {
    pub target: Target,
    pub fixtures: Fixtures,
    ledger: Mutex<Ledger>,
    /// Tracking numbers of acknowledged bookings, for the clients that move and scan parcels.
    parcels: Mutex<Vec<String>>,
    stop: AtomicBool,
    /// A 503 is an answer that acknowledged nothing, to send again like a lost one.
    outages: AtomicBool,
    timeline: Mutex<Vec<Timed>>,
}

impl Shared {
    pub fn new(base: &str, fixtures: Fixtures) -> Arc<Shared> {
        Arc::new(Shared {
            target: Target::new(base),
            fixtures,
            ledger: Mutex::default(),
            parcels: Mutex::default(),
            stop: AtomicBool::new(false),
            outages: AtomicBool::new(false),
            timeline: Mutex::default(),
        })
    }

    /// The database will be out of reach for a while: a 503 then is counted (`unavailable`)
    /// and sent again like a request that got no answer, not taken for the server's mistake.
    pub fn expect_outages(&self) {
        self.outages.store(true, Ordering::SeqCst);
    }

    /// Every request sent through [`Shared::call`] so far, in the order they were answered.
    pub fn timeline(&self) -> Vec<Timed> {
        self.timeline.lock().expect("timeline").clone()
    }

    /// Sends a request, keeping its answer and time in the timeline; a lost one is counted,
    /// and so is a 503 when outages are expected, which comes back as lost (not acknowledged,
    /// to be sent again).
    pub async fn call(&self, what: &'static str, req: reqwest::RequestBuilder) -> Answer {
        let sent = Instant::now();
        let (answer, retry_after) = exchange(req).await;
        let status = match &answer {
            Answer::Got { status, .. } => Some(*status),
            Answer::Lost { .. } => None,
        };
        self.timeline.lock().expect("timeline").push(Timed {
            what,
            sent,
            took: sent.elapsed(),
            status,
            retry_after,
        });
        match answer {
            Answer::Lost { timeout } => {
                self.count_lost(timeout);
                Answer::Lost { timeout }
            }
            Answer::Got { status: 503, .. } if self.outages.load(Ordering::SeqCst) => {
                self.ledger().unavailable += 1;
                Answer::Lost { timeout: false }
            }
            got => got,
        }
    }

    /// A tracking number the load booked and acknowledged, drawn by `rng`.
    pub fn random_parcel(&self, rng: &mut Rng) -> Option<String> {
        let parcels = self.parcels.lock().expect("parcels");
        rng.pick(parcels.as_slice()).cloned()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn url(&self, path: &str) -> String {
        self.target.url(path)
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().expect("ledger")
    }

    pub fn ledger_snapshot(&self) -> Ledger {
        self.ledger().clone()
    }

    pub fn warmed_up(&self) -> bool {
        self.ledger().warmed_up()
    }

    pub fn summary(&self) -> String {
        self.ledger().summary()
    }

    fn count_lost(&self, timeout: bool) {
        let mut ledger = self.ledger();
        if timeout {
            ledger.timeouts += 1;
        } else {
            ledger.lost += 1;
        }
    }

    fn refused(&self, request: &str, code: &str) {
        *self
            .ledger()
            .refusals
            .entry(format!("{request}: {code}"))
            .or_default() += 1;
    }

    fn unexpected(&self, problem: String) {
        self.ledger().unexpected.push(problem);
    }

    fn record_booking(&self, booking: Booking, window: Option<i64>) {
        if let Outcome::Booked(tn) = &booking.outcome {
            self.ledger().windows.insert(tn.clone(), vec![window]);
            self.parcels.lock().expect("parcels").push(tn.clone());
        }
        self.ledger().bookings.push(booking);
    }

    fn record_move(&self, tracking_number: String, window: i64, moved: Moved) {
        let mut guard = self.ledger();
        let ledger = &mut *guard;
        let possible = ledger.windows.entry(tracking_number).or_default();
        match moved {
            Moved::Yes => {
                *possible = vec![Some(window)];
                ledger.moves += 1;
            }
            Moved::Maybe => {
                if !possible.contains(&Some(window)) {
                    possible.push(Some(window));
                }
            }
            Moved::No => {}
        }
    }

    /// The answer to a batch of scans: each `recorded` or `duplicate` one is acknowledged.
    fn record_scans(
        &self,
        batch: &[(String, usize)],
        reply: &Value,
        timed_out: bool,
        routes: &mut HashMap<String, Route>,
    ) {
        let mut guard = self.ledger();
        let ledger = &mut *guard;
        let results = reply["results"].as_array().map_or(&[][..], Vec::as_slice);
        if results.len() != batch.len() {
            ledger
                .unexpected
                .push(format!("a batch of {} scans answered {reply}", batch.len()));
            return;
        }
        for ((tn, step), result) in batch.iter().zip(results) {
            let event_id = scan_id(tn, *step);
            match result["outcome"].as_str().unwrap_or("") {
                "recorded" | "duplicate" => {
                    ledger.scans.push(Scan {
                        event_id,
                        tracking_number: tn.clone(),
                        status: ROUTE[*step].to_string(),
                    });
                    if let Some(route) = routes.get_mut(tn) {
                        route.acknowledged += 1;
                    }
                }
                // A resend after a timeout may meet the first attempt, still running.
                _ if timed_out => {
                    *ledger
                        .refusals
                        .entry("scan resent after a timeout".into())
                        .or_default() += 1;
                }
                // The carrier resends until answered and only moves on when acknowledged, so
                // each scan is the legal next step: a refusal is the server's mistake.
                _ => ledger.unexpected.push(format!(
                    "scan {event_id} ({}) refused: {result}",
                    ROUTE[*step]
                )),
            }
        }
    }
}

/// What became of a delivery-window change.
#[derive(Clone, Copy)]
enum Moved {
    Yes,
    No,
    /// An attempt went unanswered and no later answer settles it.
    Maybe,
}

fn scan_id(tracking_number: &str, step: usize) -> String {
    format!("{tracking_number}-{step}")
}

pub fn client() -> reqwest::Client {
    client_with_timeout(REQUEST_TIMEOUT)
}

/// A client for requests that may take longer than the load's.
pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client")
}

pub async fn expect_json(req: reqwest::RequestBuilder, status: u16, what: &str) -> Value {
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let got = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"))
}

async fn bearer(http: &reqwest::Client, base: &str, email: &str) -> String {
    let body = expect_json(
        http.post(format!("{base}/api/v1/tokens"))
            .json(&json!({"email": email, "password": PASSWORD})),
        201,
        "API token",
    )
    .await;
    body["token"].as_str().expect("a token").to_string()
}

pub enum Answer {
    Got {
        status: u16,
        body: Value,
        replayed: bool,
    },
    /// No answer: refused, cut off (even half-way through the reply), or timed out.
    Lost { timeout: bool },
}

pub async fn send(req: reqwest::RequestBuilder) -> Answer {
    exchange(req).await.0
}

/// A request's answer, and whether it came with `Retry-After`.
async fn exchange(req: reqwest::RequestBuilder) -> (Answer, bool) {
    let res = match req.send().await {
        Ok(res) => res,
        Err(e) => {
            let timeout = e.is_timeout();
            return (Answer::Lost { timeout }, false);
        }
    };
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let retry_after = res.headers().contains_key(reqwest::header::RETRY_AFTER);
    let answer = match res.bytes().await {
        Ok(bytes) => Answer::Got {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            replayed,
        },
        Err(e) => Answer::Lost {
            timeout: e.is_timeout(),
        },
    };
    (answer, retry_after)
}

/// The API's error code, `""` for a body without one.
fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// A booking from Shanghai to Beijing; with a window, scheduled into it.
pub fn booking(reference: &str, window: Option<i64>) -> Value {
    let mut body = json!({
        "sender": {"name": "Alice Chen", "company": "Acme", "phone": "+86 21 5555 0000",
                   "line1": "1 Factory Road", "city": "Shanghai", "postcode": "200000",
                   "country": "CN"},
        "recipient": {"name": "李雷", "phone": "13800138000", "line1": "9 Xinhua Road",
                      "city": "Beijing", "postcode": "100080", "country": "CN"},
        "parcels": [{"weight_g": 2000, "length_cm": 30, "width_cm": 20, "height_cm": 10,
                     "declared_value": 50000, "contents": "lamp"}],
        "service": "express",
        "insure": true,
        "reference": reference
    });
    if let Some(id) = window {
        body["service"] = json!("scheduled");
        body["delivery_slot_id"] = json!(id);
    }
    body
}

/// Books one shipment after another, each under a fresh key (also its reference, so the
/// database can be checked by key); an unanswered booking is sent again with the same key and
/// body until it is answered.
async fn booker(shared: Arc<Shared>, index: usize, mut rng: Rng) {
    let http = client();
    let mut n = 0u64;
    while !shared.stopped() {
        n += 1;
        let key = format!("b{index}-{n}");
        let window = if rng.chance(SCHEDULED_PERCENT) {
            rng.pick(&shared.fixtures.late_windows).copied()
        } else {
            None
        };
        let body = booking(&key, window);
        let mut lost_attempts = 0;
        let outcome = loop {
            let req = http
                .post(shared.url("/api/v1/shipments"))
                .bearer_auth(&shared.fixtures.shipper)
                .header("Idempotency-Key", &key)
                .json(&body);
            match shared.call("booking", req).await {
                Answer::Lost { .. } => {
                    if shared.stopped() {
                        break Outcome::InDoubt;
                    }
                    lost_attempts += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Answer::Got {
                    status: 201,
                    body: reply,
                    ..
                } => match reply["tracking_number"].as_str() {
                    Some(tn) => break Outcome::Booked(tn.to_string()),
                    None => {
                        shared.unexpected(format!("booking {key}: 201 {reply}"));
                        break Outcome::InDoubt;
                    }
                },
                Answer::Got {
                    status: 409,
                    body: reply,
                    ..
                } if code(&reply) == "request_in_progress" => {
                    shared.refused("booking", code(&reply));
                    break Outcome::InDoubt;
                }
                Answer::Got {
                    status: 409,
                    body: reply,
                    ..
                } if BOOKING_REFUSALS.contains(&code(&reply)) => {
                    shared.refused("booking", code(&reply));
                    break Outcome::Refused(code(&reply).to_string());
                }
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => {
                    shared.unexpected(format!("booking {key}: {status} {reply}"));
                    break Outcome::InDoubt;
                }
            }
        };
        shared.record_booking(
            Booking {
                key,
                body,
                lost_attempts,
                outcome,
            },
            window,
        );
    }
}

/// Moves acknowledged shipments to other delivery windows, sending an unanswered change again.
async fn mover(shared: Arc<Shared>, mut rng: Rng) {
    let http = client();
    while !shared.stopped() {
        let (Some(tn), Some(&window)) = (
            shared.random_parcel(&mut rng),
            rng.pick(&shared.fixtures.windows),
        ) else {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        let path = format!("/api/v1/shipments/{tn}/delivery-slot");
        let mut lost_attempts = 0;
        let moved = loop {
            let req = http
                .put(shared.url(&path))
                .bearer_auth(&shared.fixtures.shipper)
                .json(&json!({ "slot_id": window }));
            match shared.call("window change", req).await {
                Answer::Lost { .. } => {
                    if shared.stopped() {
                        break Moved::Maybe;
                    }
                    lost_attempts += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Answer::Got { status: 200, .. } => break Moved::Yes,
                Answer::Got {
                    status: 409,
                    body: reply,
                    ..
                } if MOVE_REFUSALS.contains(&code(&reply)) => {
                    shared.refused("window change", code(&reply));
                    // An unanswered attempt before it may have moved the shipment already
                    // (a parcel gone out for delivery since refuses even the same window).
                    break if lost_attempts > 0 {
                        Moved::Maybe
                    } else {
                        Moved::No
                    };
                }
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => {
                    shared.unexpected(format!(
                        "window change of {tn} to {window}: {status} {reply}"
                    ));
                    break Moved::Maybe;
                }
            }
        };
        shared.record_move(tn, window, moved);
    }
}

/// Scans acknowledged parcels along their routes, a few per batch; an unanswered batch is sent
/// again, the same events with the same ids, until it is answered.
async fn carrier(shared: Arc<Shared>, mut rng: Rng) {
    let http = client();
    let mut routes: HashMap<String, Route> = HashMap::new();
    while !shared.stopped() {
        let mut batch: Vec<(String, usize)> = Vec::new();
        for _ in 0..SCAN_BATCH * 3 {
            let Some(tn) = shared.random_parcel(&mut rng) else {
                break;
            };
            if batch.iter().any(|(t, _)| *t == tn) {
                continue;
            }
            let route = routes.entry(tn.clone()).or_insert_with(|| Route {
                acknowledged: 0,
                length: if rng.chance(33) {
                    ROUTE.len()
                } else {
                    HUB_ROUTE
                },
                in_doubt: false,
            });
            if route.acknowledged < route.length {
                let step = route.acknowledged;
                batch.push((tn, step));
            }
            if batch.len() == SCAN_BATCH {
                break;
            }
        }
        if batch.is_empty() {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        }
        let events: Vec<Value> = batch
            .iter()
            .map(|(tn, step)| {
                json!({
                    "event_id": scan_id(tn, *step),
                    "tracking_number": tn,
                    "status": ROUTE[*step],
                    "time": jiff::Timestamp::now().to_string(),
                    "place": "Beijing"
                })
            })
            .collect();
        let body = json!({ "events": events });
        let mut timed_out = false;
        loop {
            let req = http
                .post(shared.url("/api/v1/carrier/events"))
                .bearer_auth(&shared.fixtures.carrier)
                .json(&body);
            match shared.call("scans", req).await {
                Answer::Lost { timeout } => {
                    timed_out |= timeout;
                    if shared.stopped() {
                        for (tn, _) in &batch {
                            if let Some(route) = routes.get_mut(tn) {
                                route.in_doubt = true;
                            }
                        }
                        break;
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Answer::Got {
                    status: 200,
                    body: reply,
                    ..
                } => {
                    shared.record_scans(&batch, &reply, timed_out, &mut routes);
                    break;
                }
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => {
                    shared.unexpected(format!("a batch of scans: {status} {reply}"));
                    break;
                }
            }
        }
    }
    shared.ledger().routes = routes;
}

/// Files complaints and writes in them. Neither is idempotent, so nothing is sent twice: an
/// unanswered one must be stored once or not at all.
async fn complainer(shared: Arc<Shared>, mut rng: Rng) {
    let http = client();
    let mut open: Vec<i64> = Vec::new();
    let mut n = 0u64;
    while !shared.stopped() {
        n += 1;
        if open.is_empty() || rng.chance(10) {
            let description = format!("Complaint {n}: the parcel came late.");
            let req = http
                .post(shared.url("/api/v1/complaints"))
                .bearer_auth(&shared.fixtures.shipper)
                .json(&json!({"category": "other", "description": description}));
            let id = match shared.call("complaint", req).await {
                Answer::Got {
                    status: 201,
                    body: reply,
                    ..
                } if reply["id"].is_i64() => reply["id"].as_i64(),
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => {
                    shared.unexpected(format!("complaint {n}: {status} {reply}"));
                    None
                }
                Answer::Lost { .. } => {
                    tokio::time::sleep(RETRY_PAUSE).await;
                    None
                }
            };
            open.extend(id);
            shared.ledger().complaints.push(Filed { description, id });
        } else {
            let Some(&complaint_id) = rng.pick(&open) else {
                continue;
            };
            let body = format!("Message {n}: any news?");
            let req = http
                .post(shared.url(&format!("/api/v1/complaints/{complaint_id}/messages")))
                .bearer_auth(&shared.fixtures.shipper)
                .json(&json!({ "body": body }));
            let acknowledged = match shared.call("message", req).await {
                Answer::Got { status: 200, .. } => true,
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => {
                    shared.unexpected(format!(
                        "message {n} to complaint {complaint_id}: {status} {reply}"
                    ));
                    false
                }
                Answer::Lost { .. } => {
                    tokio::time::sleep(RETRY_PAUSE).await;
                    false
                }
            };
            shared.ledger().messages.push(Message {
                complaint_id,
                body,
                acknowledged,
            });
        }
    }
}

/// Starts the clients, each with a generator of its own drawn from `rng`.
pub fn start(shared: &Arc<Shared>, rng: &mut Rng) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for index in 0..BOOKERS {
        tasks.push(tokio::spawn(booker(shared.clone(), index, rng.fork())));
    }
    tasks.push(tokio::spawn(mover(shared.clone(), rng.fork())));
    tasks.push(tokio::spawn(carrier(shared.clone(), rng.fork())));
    tasks.push(tokio::spawn(complainer(shared.clone(), rng.fork())));
    tasks
}

/// Stops the clients after the request each has under way.
pub async fn finish(shared: &Shared, tasks: Vec<JoinHandle<()>>) {
    shared.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(REQUEST_TIMEOUT * 3, task)
            .await
            .expect("a client ends once stopped")
            .expect("a client panicked");
    }
}

/// Bookings sent again with their keys after the load.
#[derive(Default)]
pub struct Replayed {
    /// Acknowledged ones that answered the same shipment.
    acknowledged: usize,
    /// In doubt ones now booked (the first attempt's shipment, or a retry's once its claim
    /// went stale).
    settled: usize,
    /// In doubt ones whose key a cut-off attempt still holds (for a minute).
    held: usize,
    /// In doubt ones refused now (the window filled up meanwhile).
    refused: usize,
}

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent again with their keys: {} acknowledged bookings (the same shipment each); in \
             doubt: {} now booked, {} still held by a cut-off attempt, {} refused",
            self.acknowledged, self.settled, self.held, self.refused
        )
    }
}

/// Sends a sample of the acknowledged bookings (drawn by `rng`) and every one in doubt again
/// with its key: an acknowledged one must answer its shipment, marked as replayed.
pub async fn replay_bookings(shared: &Shared, rng: &mut Rng, sample: usize) -> Replayed {
    let http = client();
    let bookings = shared.ledger().bookings.clone();
    let mut acknowledged: Vec<usize> = (0..bookings.len())
        .filter(|&i| matches!(bookings[i].outcome, Outcome::Booked(_)))
        .collect();
    let mut chosen = Vec::new();
    while chosen.len() < sample && !acknowledged.is_empty() {
        let at = (rng.next_u64() % acknowledged.len() as u64) as usize;
        chosen.push(acknowledged.swap_remove(at));
    }
    chosen.extend((0..bookings.len()).filter(|&i| matches!(bookings[i].outcome, Outcome::InDoubt)));
    let mut tally = Replayed::default();
    for i in chosen {
        let b = &bookings[i];
        let req = http
            .post(shared.url("/api/v1/shipments"))
            .bearer_auth(&shared.fixtures.shipper)
            .header("Idempotency-Key", &b.key)
            .json(&b.body);
        match (&b.outcome, send(req).await) {
            (
                Outcome::Booked(tn),
                Answer::Got {
                    status: 201,
                    body,
                    replayed: true,
                },
            ) if body["tracking_number"] == tn.as_str() => tally.acknowledged += 1,
            (
                Outcome::InDoubt,
                Answer::Got {
                    status: 201, body, ..
                },
            ) if body["tracking_number"].is_string() => {
                tally.settled += 1;
                let tn = body["tracking_number"].as_str().unwrap_or_default();
                shared.ledger().bookings[i].outcome = Outcome::Booked(tn.to_string());
            }
            (
                Outcome::InDoubt,
                Answer::Got {
                    status: 409, body, ..
                },
            ) if code(&body) == "request_in_progress" => tally.held += 1,
            (
                Outcome::InDoubt,
                Answer::Got {
                    status: 409, body, ..
                },
            ) if BOOKING_REFUSALS.contains(&code(&body)) => tally.refused += 1,
            (
                outcome,
                Answer::Got {
                    status,
                    body,
                    replayed,
                },
            ) => shared.unexpected(format!(
                "booking {} ({outcome:?}) sent again: {status} {body} (replayed: {replayed})",
                b.key
            )),
            (outcome, Answer::Lost { .. }) => shared.unexpected(format!(
                "booking {} ({outcome:?}) sent again: no answer",
                b.key
            )),
        }
    }
    tally
}
