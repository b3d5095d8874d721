use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::notifications::sender::{
    backoff, Sender, CUT_OFF, MAX_ATTEMPTS, REFUSED, UNREADABLE, UNRECORDED,
};
use app::notifications::service::{is_private, MAX_WEBHOOKS};
use app::platform::{now_ms, Settings};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

pub async fn notifications(app: &TestApp, token: &str) -> Value {
    let res = get_as(app, "/api/v1/notifications", Some(token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub fn kinds(list: &Value) -> Vec<String> {
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_scans_and_changes_leave_a_message_for_the_shipper_only() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    // The recipient sends it to a pickup point from the tracking page (its plain form).
    app::slots::service::save(
        &app.db,
        None,
        &serde_json::from_value(json!({
            "area": "beijing", "name": "Beijing", "country": "CN", "time_zone": "Asia/Shanghai",
            "cities": ["Beijing"], "weekdays": [1, 2, 3, 4, 5], "capacity": 5,
            "windows": [{"start": "09:00", "end": "11:00"}], "cutoff_days_before": 1,
            "cutoff_time": "18:00", "days_ahead": 7, "pickup_points": ["Haidian locker"]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let recipient = client();
    let res = recipient
        .post(app.url(&format!("/track/{tn}/proof")))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], format!("/track/{tn}").as_str());
    let res = recipient
        .post(app.url(&format!("/track/{tn}/delivery")))
        .form(&[("to", "pickup_point"), ("pickup_point", "Haidian locker")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        format!("/track/{tn}?changed=1").as_str()
    );
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Test Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let now = jiff::Timestamp::now();
    let at = |m: i64| (now + jiff::SignedDuration::from_mins(m)).to_string();
    let events = json!({"events": [
        {"event_id": "1", "tracking_number": tn, "status": "picked_up", "time": at(1)},
        {"event_id": "2", "tracking_number": tn, "status": "in_transit", "time": at(2)},
        {"event_id": "3", "tracking_number": tn, "status": "delayed", "time": at(3)},
        {"event_id": "4", "tracking_number": tn, "status": "out_for_delivery", "time": at(4)},
        {"event_id": "5", "tracking_number": tn, "status": "delivered", "time": at(5)},
    ]});
    let res = client()
        .post(app.url("/api/v1/carrier/events"))
        .bearer_auth(&carrier)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["recorded"], 5);

    let list = notifications(&app, &shipper).await;
    assert_eq!(
        kinds(&list),
        [
            "delivered",
            "delay_recovered",
            "out_for_delivery",
            "delay_alert",
            "delivery_changed",
            "booking_confirmed"
        ]
    );
    assert_eq!(list["unread"], 6);
    assert_eq!(
        list["notifications"][4]["change"],
        "pickup_point:Haidian locker"
    );
    assert_eq!(list["notifications"][3]["status"], "delayed");
    assert_eq!(list["notifications"][3]["cause"], "delayed");
    assert_eq!(list["notifications"][0]["tracking_number"], tn.as_str());
    assert_eq!(
        notifications(&app, &other).await["notifications"],
        json!([])
    );

    let res = client()
        .post(app.url("/api/v1/notifications/read"))
        .bearer_auth(&shipper)
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["unread"], 0);
    let res = get_as(&app, "/api/v1/notifications", None).await;
    error_body(res, 401, "unauthenticated").await;
}

/// A listener on every interface that counts the connections made to it and answers each like
/// a willing endpoint, so a call that got through would show as sent.
async fn counting_endpoint() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (port, count)
}

/// The machine's own name: on Debian and in containers it resolves through /etc/hosts to a
/// loopback (127.0.1.1) or private (the container's) address, and it is not `localhost`, so it
/// passes the check at registration.
fn own_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .expect("the machine has a name")
        .trim()
        .to_ascii_lowercase()
}

/// Waits until every listed endpoint's latest delivery is settled (not pending) and returns
/// each one's log.
async fn settled_logs(app: &TestApp, token: &str, hooks: &[i64]) -> Vec<Value> {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut logs = Vec::new();
            for id in hooks {
                let log: Value = get_as(
                    app,
                    &format!("/api/v1/webhooks/{id}/deliveries"),
                    Some(token),
                )
                .await
                .json()
                .await
                .unwrap();
                logs.push(log);
            }
            if logs
                .iter()
                .all(|l| l[0]["status"].is_string() && l[0]["status"] != "pending")
            {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("settled within 30 s")
}

fn assert_refused_once(log: &Value) {
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log[0]["status"], "failed", "not tried again: {log}");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{log}");
    assert_eq!(attempts[0]["ok"], false, "{log}");
    assert_eq!(attempts[0]["status_code"], Value::Null, "{log}");
    assert_eq!(attempts[0]["error"], REFUSED, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_to_a_name_that_resolves_to_loopback_receives_nothing_and_is_logged_refused() {
    let (port, calls) = counting_endpoint().await;
    let host = own_host_name();
    // The premise: the name resolves, and only to addresses that are not public.
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap_or_else(|e| panic!("{host} resolves: {e}"))
        .collect();
    assert!(!resolved.is_empty(), "{host} resolves");
    assert!(
        resolved.iter().all(|a| is_private(a.ip())),
        "{host} resolves to {resolved:?}, which should not be public"
    );
    let app = spawn_app_with(|s| {
        assert!(!s.webhook_allow_private, "the default");
        s.notify_poll = Duration::from_millis(50);
        s.notify_retry_base = Duration::from_millis(100);
    })
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let url = format!("http://{host}:{port}/hook");
    let res = client()
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&shipper)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "a name is accepted when registered");
    let hook_id = res.json::<Value>().await.unwrap()["webhook"]["id"]
        .as_i64()
        .unwrap();

    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    assert_eq!(res.status(), 201);
    let logs = settled_logs(&app, &shipper, &[hook_id]).await;
    assert_refused_once(&logs[0]);
    // Time for a wrongful retry to show up, had there been one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing reached the endpoint"
    );
    let log: Value = get_as(
        &app,
        &format!("/api/v1/webhooks/{hook_id}/deliveries"),
        Some(&shipper),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_refused_once(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_alike_whatever_listens_on_the_port() {
    let (open, calls) = counting_endpoint().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(|s| {
        s.notify_poll = Duration::from_millis(50);
        s.notify_retry_base = Duration::from_millis(100);
    })
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let customer_id: i64 = sqlx::query_scalar("SELECT customer_id FROM users WHERE email = $1")
        .bind("shipper@example.com")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // Endpoints registration would refuse, as if stored before the rule or by another path:
    // the sender checks again when it sends.
    let mut hooks = Vec::new();
    for url in [
        format!("http://127.0.0.1:{open}/hook"),
        format!("http://127.0.0.1:{closed}/hook"),
        format!("http://[::ffff:127.0.0.1]:{open}/hook"),
        format!("http://localhost:{open}/hook"),
        format!("http://10.255.255.1:{closed}/hook"),
    ] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (customer_id, url, secret, created_at) \
             VALUES ($1, $2, 'whsec_test', $3) RETURNING id",
        )
        .bind(customer_id)
        .bind(url)
        .bind(app::platform::now_ms())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        hooks.push(id);
    }
    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    assert_eq!(res.status(), 201);
    let logs = settled_logs(&app, &shipper, &hooks).await;
    for log in &logs {
        assert_refused_once(log);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing reached the endpoint"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_webhook_registrations_stop_exactly_at_the_limit() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..20 {
        let req = client()
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&shipper)
            .json(&json!({ "url": format!("https://hooks.example.com/{i}") }));
        set.spawn(async move { req.send().await.unwrap() });
    }
    let (mut created, mut refused) = (0, 0);
    while let Some(res) = set.join_next().await {
        let res = res.unwrap();
        if res.status() == 201 {
            created += 1;
        } else {
            let body = error_body(res, 422, "validation_failed").await;
            assert!(
                body["error"]["fields"]["url"]
                    .as_str()
                    .is_some_and(|m| m.contains(&MAX_WEBHOOKS.to_string())),
                "{body}"
            );
            refused += 1;
        }
    }
    assert_eq!(created, MAX_WEBHOOKS);
    assert_eq!(refused, 20 - MAX_WEBHOOKS);
    let listed: Value = get_as(&app, "/api/v1/webhooks", Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), MAX_WEBHOOKS);
}

/// A server whose own sender has done its first round and waits an hour for the next, so a
/// test's sender, ticked with a clock of its choosing, is the only one working the outbox.
pub async fn quiet_sender_app() -> TestApp {
    let app = spawn_app_with(|s| s.notify_poll = Duration::from_secs(3600)).await;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let ready: Value = client()
                .get(app.url("/readyz"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let first_round_over = ready["workers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["name"] == "sender" && w["last_round_ms_ago"].is_number());
            if first_round_over {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the sender's first round ends within 30 s");
    app
}

/// A sender as a server runs it, with these settings.
pub fn sender_with(app: &TestApp, settings: Settings) -> Sender {
    Sender::new(app.db.clone(), Arc::new(settings))
}

/// The one delivery in the outbox.
pub async fn only_delivery(app: &TestApp) -> i64 {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM notification_deliveries")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0]
}

/// A delivery's status, tries counted, when it is next due, and its last error.
pub async fn delivery_state(app: &TestApp, id: i64) -> (String, i64, i64, Option<String>) {
    sqlx::query_as(
        "SELECT status, attempts, next_attempt_at, last_error FROM notification_deliveries \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// A delivery's logged tries: number, ok (0 or 1), error.
pub async fn logged_tries(app: &TestApp, id: i64) -> Vec<(i64, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT attempt, ok, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_cannot_be_read_is_tried_max_attempts_times_then_failed() {
    let app = quiet_sender_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    assert_eq!(
        book(&app, &shipper, "k1", &booking("PO-1")).await.status(),
        201
    );
    let id = only_delivery(&app).await;
    // The booking's message is corrupted: its payload no longer reads as JSON.
    sqlx::query("UPDATE notifications SET payload = 'not json'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let settings = Settings::default();
    let base = settings.notify_retry_base;
    let sender = sender_with(&app, settings);
    let mut clock = now_ms();
    for attempt in 1..=MAX_ATTEMPTS {
        assert_eq!(
            sender.tick(clock).await.unwrap(),
            1,
            "try {attempt} is taken"
        );
        let (status, attempts, next, error) = delivery_state(&app, id).await;
        assert_eq!(attempts, attempt);
        assert_eq!(error.as_deref(), Some(UNREADABLE));
        if attempt == MAX_ATTEMPTS {
            assert_eq!(status, "failed", "given up after {MAX_ATTEMPTS} tries");
            break;
        }
        assert_eq!(status, "pending", "try {attempt}");
        let pause = i64::try_from(backoff(base, attempt).as_millis()).unwrap();
        assert!(
            next >= clock + pause,
            "try {attempt}: due at {next}, not before the pause"
        );
        assert_eq!(
            sender.tick(next - 1).await.unwrap(),
            0,
            "not before it is due"
        );
        clock = next;
    }
    let tries = logged_tries(&app, id).await;
    let expected: Vec<(i64, i64, Option<String>)> = (1..=MAX_ATTEMPTS)
        .map(|n| (n, 0, Some(UNREADABLE.to_string())))
        .collect();
    assert_eq!(tries, expected);
    // Never claimed again, however late.
    assert_eq!(sender.tick(clock + 30 * 86_400_000).await.unwrap(), 0);
    let (status, attempts, _, _) = delivery_state(&app, id).await;
    assert_eq!((status.as_str(), attempts), ("failed", MAX_ATTEMPTS));
    assert_eq!(logged_tries(&app, id).await.len(), MAX_ATTEMPTS as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_last_try_was_never_recorded_is_closed_not_tried_again() {
    let app = quiet_sender_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    assert_eq!(
        book(&app, &shipper, "k1", &booking("PO-1")).await.status(),
        201
    );
    let id = only_delivery(&app).await;
    let clock = now_ms();
    // A sender took the last try and stopped before recording it; its lease has lapsed.
    sqlx::query(
        "UPDATE notification_deliveries SET attempts = $1, locked_until = $2 WHERE id = $3",
    )
    .bind(MAX_ATTEMPTS)
    .bind(clock - 1)
    .bind(id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let sender = sender_with(&app, Settings::default());
    assert_eq!(sender.tick(clock).await.unwrap(), 1);
    let (status, attempts, _, error) = delivery_state(&app, id).await;
    assert_eq!(status, "failed");
    assert_eq!(attempts, MAX_ATTEMPTS, "no try beyond the last");
    assert_eq!(error.as_deref(), Some(UNRECORDED));
    assert_eq!(
        logged_tries(&app, id).await,
        [(MAX_ATTEMPTS, 0, Some(UNRECORDED.to_string()))]
    );
    assert_eq!(sender.tick(clock + 86_400_000).await.unwrap(), 0);
    assert_eq!(logged_tries(&app, id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_try_cut_off_before_its_outcome_was_recorded_is_logged_at_the_next_claim() {
    let app = quiet_sender_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    assert_eq!(
        book(&app, &shipper, "k1", &booking("PO-1")).await.status(),
        201
    );
    let id = only_delivery(&app).await;
    let clock = now_ms();
    // A sender took try 1 and stopped before recording it; its lease has lapsed.
    sqlx::query("UPDATE notification_deliveries SET attempts = 1, locked_until = $1 WHERE id = $2")
        .bind(clock - 1)
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(logged_tries(&app, id).await.is_empty());
    let sender = sender_with(&app, Settings::default());
    assert_eq!(sender.tick(clock).await.unwrap(), 1);
    // The endpoint may have seen try 1: the log says so, and try 2 (held without SMTP) follows.
    assert_eq!(
        logged_tries(&app, id).await,
        [(1, 0, Some(CUT_OFF.to_string()))]
    );
    assert_eq!(delivery_state(&app, id).await.0, "held");
}
