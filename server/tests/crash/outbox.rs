//! The outbox across crashes: the crash load (its bookings, scans and complaints all make
//! notifications) runs with a webhook on the shipper's account, answered by a slow endpoint in
//! the test, while the server is killed with SIGKILL at random moments. Once no delivery is
//! pending, what the endpoint received is checked against the notifications and the delivery
//! log in the database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::notifications::sender::{event_id, verify_signature, webhook_body, CUT_OFF};
use app::notifications::service::notification_from;
use app::platform::Db;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use sqlx::Row;
use tokio::task::JoinHandle;

use crate::load::{self, Shared};
use crate::process::World;
use crate::{verify, Config, Rng, EXIT_SLACK, KILL_TEST_GRACE, ONE_AT_A_TIME};

/// The endpoint answers after a pause in this range (ms), so a kill often falls between the
/// server's call and its record of the answer.
const SLOW_MS: (u64, u64) = (300, 800);
/// The first call for every fifth notification is answered 503: retries, and their log, run
/// beside the repeats the kills cause.
const REFUSE_FIRST_OF_EVERY: i64 = 5;
/// The sender looks for due deliveries every 100 ms and retries after 200 ms, doubling.
const POLL_MS: &str = "100";
const RETRY_BASE_MS: &str = "200";
/// A try a kill cut off is made again once its claim's lease lapses (a minute, the sender's
/// `LEASE_MS`): the wait for an empty outbox gives up only when the pending count has not
/// fallen for longer than that.
const DRAIN_STALL: Duration = Duration::from_secs(120);

/// One call the endpoint received.
#[derive(Clone)]
struct Receipt {
    event_id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    body: String,
    /// The status it answered; `None` when the server hung up first (it was killed).
    answer: Option<u16>,
}

#[derive(Default)]
struct Calls {
    receipts: Vec<Receipt>,
    /// Event ids called before.
    seen: HashSet<String>,
}

struct Inbox {
    calls: Mutex<Calls>,
    rng: Mutex<Rng>,
}

/// A customer's webhook endpoint on loopback: records every call as it arrives, then answers
/// after a pause.
struct Receiver {
    url: String,
    inbox: Arc<Inbox>,
    task: JoinHandle<()>,
}

impl Receiver {
    async fn start(rng: Rng) -> Receiver {
        let inbox = Arc::new(Inbox {
            calls: Mutex::default(),
            rng: Mutex::new(rng),
        });
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook endpoint");
        let url = format!(
            "http://{}/hook",
            listener.local_addr().expect("the endpoint's address")
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("the webhook endpoint serves");
        });
        Receiver { url, inbox, task }
    }

    fn receipts(&self) -> Vec<Receipt> {
        self.inbox.calls.lock().expect("calls").receipts.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The notification an event id names (`ntf_<id>`).
fn notification_id(event_id: &str) -> Option<i64> {
    event_id.strip_prefix("ntf_")?.parse().ok()
}

async fn receive(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let event_id = header("parcelport-event-id");
    let (index, refuse) = {
        let mut calls = inbox.calls.lock().expect("calls");
        let first = event_id
            .as_ref()
            .is_some_and(|id| calls.seen.insert(id.clone()));
        let refuse = first
            && event_id
                .as_deref()
                .and_then(notification_id)
                .is_some_and(|id| id % REFUSE_FIRST_OF_EVERY == 0);
        calls.receipts.push(Receipt {
            event_id,
            timestamp: header("parcelport-timestamp"),
            signature: header("parcelport-signature"),
            body,
            answer: None,
        });
        (calls.receipts.len() - 1, refuse)
    };
    let pause = inbox.rng.lock().expect("rng").between(SLOW_MS.0, SLOW_MS.1);
    tokio::time::sleep(Duration::from_millis(pause)).await;
    let status = if refuse {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    inbox.calls.lock().expect("calls").receipts[index].answer = Some(status.as_u16());
    status
}

/// Registers the endpoint for the shipper; returns its signing secret.
async fn register_webhook(base: &str, shipper: &str, url: &str) -> String {
    let created = load::expect_json(
        load::client()
            .post(format!("{base}/api/v1/webhooks"))
            .bearer_auth(shipper)
            .json(&json!({ "url": url })),
        201,
        "webhook",
    )
    .await;
    created["secret"]
        .as_str()
        .expect("a signing secret")
        .to_string()
}

/// Waits until no delivery is pending, as long as the count keeps falling: how long it took,
/// or the count left when it stalled.
async fn drain(world: &World) -> Result<Duration, i64> {
    let mut probe = world.probe().await;
    let started = Instant::now();
    let mut lowest = i64::MAX;
    let mut fell = Instant::now();
    loop {
        let pending = probe
            .count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'pending'")
            .await;
        if pending == 0 {
            return Ok(started.elapsed());
        }
        if pending < lowest {
            lowest = pending;
            fell = Instant::now();
        } else if fell.elapsed() > DRAIN_STALL {
            return Err(pending);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_webhooks_go_out_every_notification_reaches_the_endpoint_as_logged() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let config = Config::from_env();
    let mut rng = Rng::new(config.seed);
    let receiver = Receiver::start(rng.fork()).await;
    let mut world = World::create("outbox", KILL_TEST_GRACE).await;
    // The endpoint is on loopback.
    world.set_env("WEBHOOK_ALLOW_PRIVATE", "true");
    world.set_env("NOTIFY_POLL_MS", POLL_MS);
    world.set_env("NOTIFY_RETRY_BASE_MS", RETRY_BASE_MS);
    // No delay sweep nor complaint auto-close: their messages would come at moments of their
    // own, after the outbox was seen empty (the scans' own delay alerts stay).
    world.set_env("DELAY_SWEEP_SECS", "0");
    println!(
        "outbox crash test on {}: seed {} (CRASH_SEED), {} kills (CRASH_KILLS), {} s of load \
         (CRASH_SECONDS), endpoint {}; logs in {}",
        world.backend,
        config.seed,
        config.kills,
        config.seconds,
        receiver.url,
        world.dir.display()
    );
    let carrier = world.create_operators().await;
    let server = world.start().await;
    let fixtures = load::Fixtures::create(&server.base, carrier).await;
    let secret = register_webhook(&server.base, &fixtures.shipper, &receiver.url).await;
    let shared = Shared::new(&server.base, fixtures);
    let tasks = load::start(&shared, &mut rng);
    let server =
        crate::kill_at_random_moments(&config, &mut rng, &mut world, server, &shared.target).await;
    load::finish(&shared, tasks).await;

    let mut problems = Vec::new();
    match drain(&world).await {
        Ok(took) => println!("the outbox was empty {took:?} after the load"),
        Err(left) => problems.push(format!(
            "{left} deliveries still pending: the count had not fallen for {DRAIN_STALL:?}"
        )),
    }
    // Time for a wrongful repeat to arrive, had there been one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, took) = server.terminate(KILL_TEST_GRACE + EXIT_SLACK).await;
    assert!(
        status.success(),
        "the last run stopped with {status} after {took:?}"
    );
    let receipts = receiver.receipts();

    let ledger = shared.ledger_snapshot();
    println!("{}", ledger.summary());
    let (verified, load_problems) = verify::verify(&world.database_url, &ledger).await;
    println!("{verified}");
    problems.extend(load_problems);
    problems.extend(ledger.unexpected.iter().cloned());
    let (figures, outbox_problems) =
        verify_outbox(&world.database_url, &receipts, &secret, config.kills).await;
    println!("{figures}");
    problems.extend(outbox_problems);
    world.print_log_errors();
    verify::assert_none(&problems, config.seed);
}

/// What the outbox check counted.
#[derive(Default)]
struct Figures {
    kills: u32,
    notifications: usize,
    kinds: BTreeMap<String, usize>,
    sent: usize,
    calls: usize,
    events: usize,
    /// Calls beyond an event's first.
    repeats: usize,
    /// Repeats after the endpoint's 503.
    retries: usize,
    /// Tries logged as cut off (a kill came between the try and its outcome).
    cut_off: usize,
    logged: usize,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outbox: {} notifications {:?}, {} webhook deliveries sent; the endpoint got {} calls \
             for {} events, {} of them repeats ({} retries after its 503, {} after one of the {} \
             kills); {} tries logged, {} of them cut off by a kill before their outcome was recorded",
            self.notifications,
            self.kinds,
            self.sent,
            self.calls,
            self.events,
            self.repeats,
            self.retries,
            self.repeats.saturating_sub(self.retries),
            self.kills,
            self.logged,
            self.cut_off
        )
    }
}

struct StoredNotification {
    id: i64,
    kind: String,
    payload: String,
    created_at: i64,
}

struct Delivery {
    id: i64,
    status: String,
    attempts: i64,
    last_error: Option<String>,
}

struct Try {
    attempt: i64,
    ok: bool,
    status_code: Option<i64>,
    /// Logged at the next claim: a kill came between this try and its outcome.
    cut_off: bool,
}

/// Each notification reached the endpoint, signed, as the notification it is (every repeat
/// the same event id and body); no call names anything else; each webhook delivery is sent,
/// and its log is true: tries numbered upwards, an ok one last for a sent delivery, no more
/// calls than tries counted, every answer logged one the endpoint gave.
async fn verify_outbox(
    database_url: &str,
    receipts: &[Receipt],
    secret: &str,
    kills: u32,
) -> (Figures, Vec<String>) {
    let db = Db::connect(database_url).await.expect("open the database");
    let mut problems = Vec::new();
    let notifications: Vec<StoredNotification> =
        sqlx::query("SELECT id, kind, payload, created_at FROM notifications ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .expect("read the notifications")
            .iter()
            .map(|r| StoredNotification {
                id: r.get("id"),
                kind: r.get("kind"),
                payload: r.get("payload"),
                created_at: r.get("created_at"),
            })
            .collect();
    let mut deliveries: HashMap<i64, Vec<Delivery>> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, notification_id, status, attempts, last_error FROM notification_deliveries \
         WHERE channel = 'webhook'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("read the webhook deliveries")
    {
        deliveries
            .entry(r.get("notification_id"))
            .or_default()
            .push(Delivery {
                id: r.get("id"),
                status: r.get("status"),
                attempts: r.get("attempts"),
                last_error: r.get("last_error"),
            });
    }
    let mut tries: HashMap<i64, Vec<Try>> = HashMap::new();
    for r in sqlx::query(
        "SELECT a.delivery_id, a.attempt, a.ok, a.status_code, a.error FROM delivery_attempts a \
         JOIN notification_deliveries d ON d.id = a.delivery_id WHERE d.channel = 'webhook' \
         ORDER BY a.id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("read the delivery log")
    {
        tries.entry(r.get("delivery_id")).or_default().push(Try {
            attempt: r.get("attempt"),
            ok: r.get::<i64, _>("ok") != 0,
            status_code: r.get("status_code"),
            cut_off: r.get::<Option<String>, _>("error").as_deref() == Some(CUT_OFF),
        });
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'pending'")
            .fetch_one(&db.pool)
            .await
            .expect("count pending deliveries");
    if pending > 0 {
        problems.push(format!(
            "{pending} deliveries (any channel) are still pending"
        ));
    }
    db.pool.close().await;

    let mut by_event: HashMap<&str, Vec<&Receipt>> = HashMap::new();
    for r in receipts {
        let Some(id) = r.event_id.as_deref() else {
            problems.push(format!("a call without Parcelport-Event-Id: {}", r.body));
            continue;
        };
        let signed = r
            .timestamp
            .as_deref()
            .and_then(|t| t.parse::<i64>().ok())
            .zip(r.signature.as_deref())
            .is_some_and(|(t, s)| verify_signature(secret, t, &r.body, s));
        if !signed {
            problems.push(format!(
                "a call for {id} is not signed with the endpoint's secret"
            ));
        }
        by_event.entry(id).or_default().push(r);
    }

    let mut figures = Figures {
        kills,
        notifications: notifications.len(),
        calls: receipts.len(),
        events: by_event.len(),
        logged: tries.values().map(Vec::len).sum(),
        ..Figures::default()
    };
    let no_tries: Vec<Try> = Vec::new();
    for n in &notifications {
        *figures.kinds.entry(n.kind.clone()).or_default() += 1;
        let id = event_id(n.id);
        let calls = by_event.remove(id.as_str()).unwrap_or_default();
        figures.repeats += calls.len().saturating_sub(1);
        // A 503 before the last call was retried.
        figures.retries += calls
            .iter()
            .rev()
            .skip(1)
            .filter(|c| c.answer == Some(503))
            .count();
        match notification_from(n.id, &n.kind, &n.payload, n.created_at, false) {
            Some(notification) => {
                let payload: serde_json::Value =
                    serde_json::from_str(&n.payload).unwrap_or_default();
                let body = webhook_body(&id, &notification, &payload);
                for call in calls.iter().filter(|c| c.body != body) {
                    problems.push(format!(
                        "{id} ({}) arrived as {}; the notification is {body}",
                        n.kind, call.body
                    ));
                }
            }
            None => problems.push(format!("{id}: unknown kind {:?}", n.kind)),
        }
        let mut found = deliveries.remove(&n.id).unwrap_or_default();
        if found.len() != 1 {
            problems.push(format!(
                "{id} ({}) has {} webhook deliveries",
                n.kind,
                found.len()
            ));
            continue;
        }
        let d = found.remove(0);
        let sent = d.status == "sent";
        if sent {
            figures.sent += 1;
        } else {
            problems.push(format!(
                "{id} ({}): its delivery is {} after {} tries ({:?})",
                n.kind, d.status, d.attempts, d.last_error
            ));
        }
        if calls.is_empty() {
            problems.push(format!("{id} ({}) never reached the endpoint", n.kind));
        }
        let answered_ok = calls
            .iter()
            .any(|c| c.answer.is_some_and(|s| (200..300).contains(&s)));
        if sent && !answered_ok {
            problems.push(format!(
                "{id} is logged sent, but the endpoint never answered it 2xx"
            ));
        }
        if i64::try_from(calls.len()).unwrap_or(i64::MAX) > d.attempts {
            problems.push(format!(
                "{id} reached the endpoint {} times, but only {} tries were counted",
                calls.len(),
                d.attempts
            ));
        }
        let logged = tries.get(&d.id).unwrap_or(&no_tries);
        figures.cut_off += logged.iter().filter(|t| t.cut_off).count();
        if i64::try_from(logged.len()).unwrap_or(i64::MAX) != d.attempts {
            problems.push(format!(
                "{id}: {} tries counted but {} logged: the log hides a try",
                d.attempts,
                logged.len()
            ));
        }
        check_log(&id, &d, logged, &calls, &mut problems);
    }
    for (id, calls) in by_event {
        let real = notification_id(id).is_some_and(|n| notifications.iter().any(|s| s.id == n));
        if !real {
            problems.push(format!(
                "{} calls for {id}, which is no notification",
                calls.len()
            ));
        }
    }
    for (notification, extra) in deliveries {
        problems.push(format!(
            "{} webhook deliveries of notification {notification}, which does not exist",
            extra.len()
        ));
    }
    (figures, problems)
}

/// One delivery's log: its tries numbered upwards within the count, an ok one only last and
/// exactly when the delivery is sent (the last try counted, 2xx), and no answer logged that
/// the endpoint did not give.
fn check_log(
    id: &str,
    d: &Delivery,
    logged: &[Try],
    calls: &[&Receipt],
    problems: &mut Vec<String>,
) {
    let numbers: Vec<i64> = logged.iter().map(|t| t.attempt).collect();
    let upwards = numbers.windows(2).all(|w| w[0] < w[1]);
    if !upwards || numbers.iter().any(|a| !(1..=d.attempts).contains(a)) {
        problems.push(format!(
            "{id}: tries logged as {numbers:?} of {} counted",
            d.attempts
        ));
    }
    let ok_at: Vec<usize> = (0..logged.len()).filter(|&i| logged[i].ok).collect();
    let sent = d.status == "sent";
    let last_ok = logged
        .last()
        .is_some_and(|t| t.ok && t.attempt == d.attempts);
    let right = if sent {
        ok_at.len() == 1 && last_ok
    } else {
        ok_at.is_empty()
    };
    if !right {
        problems.push(format!(
            "{id} ({}, {} tries): ok tries at {ok_at:?} of {numbers:?}",
            d.status, d.attempts
        ));
    }
    for t in logged.iter().filter(|t| t.ok) {
        if !t.status_code.is_some_and(|s| (200..300).contains(&s)) {
            problems.push(format!("{id}: an ok try logged HTTP {:?}", t.status_code));
        }
    }
    let answered = |code: Option<i64>| {
        calls
            .iter()
            .filter(|c| match code {
                Some(code) => c.answer.map(i64::from) == Some(code),
                None => c.answer.is_some(),
            })
            .count()
    };
    let logged_answers = logged.iter().filter(|t| t.status_code.is_some()).count();
    let logged_503 = logged.iter().filter(|t| t.status_code == Some(503)).count();
    if logged_answers > answered(None) || logged_503 > answered(Some(503)) {
        problems.push(format!(
            "{id}: {logged_answers} answers logged ({logged_503} of them 503), the endpoint gave \
             {} ({} of them 503)",
            answered(None),
            answered(Some(503))
        ));
    }
}
