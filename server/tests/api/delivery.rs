//! Sending notifications: email over a real SMTP conversation, signed webhooks with retries,
//! channel preferences, and the delay rules that raise alerts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

#[derive(Debug, Default, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A small SMTP server speaking the protocol's happy path (RFC 5321), handing each message
/// it accepts to the test.
async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<Mail>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(smtp_session(socket, tx.clone()));
        }
    });
    (port, rx)
}

async fn smtp_session(socket: tokio::net::TcpStream, out: mpsc::UnboundedSender<Mail>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 test.smtp ESMTP\r\n").await.unwrap();
    let mut mail = Mail::default();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &str = if upper.starts_with("EHLO") {
            "250-test.smtp\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper == "RSET" || upper == "NOOP" {
            "250 OK\r\n"
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            mail.from = line[line.len() - rest.len()..].to_string();
            "250 OK\r\n"
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            mail.to.push(line[line.len() - rest.len()..].to_string());
            "250 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .unwrap();
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                mail.data.push_str(l.strip_prefix('.').unwrap_or(&l));
                mail.data.push('\n');
            }
            let _ = out.send(std::mem::take(&mut mail));
            "250 Queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await.unwrap();
            break;
        } else {
            "502 Not implemented\r\n"
        };
        write.write_all(reply.as_bytes()).await.unwrap();
    }
}

async fn carrier_post(app: &TestApp, token: &str, events: Value) -> Value {
    let res = client()
        .post(app.url("/api/v1/carrier/events"))
        .bearer_auth(token)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn booked(app: &TestApp, token: &str) -> String {
    let res = book(app, token, "k1", &booking("PO-1")).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string()
}

fn at(minutes: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_string()
}

async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    crate::notifications::kinds(&crate::notifications::notifications(app, token).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_alert_reaches_the_shipper_by_email() {
    let (port, mut inbox) = smtp_server().await;
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.notify_poll = Duration::from_millis(50);
    })
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let tn = booked(&app, &shipper).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let events = json!({"events": [
        {"event_id": "1", "tracking_number": tn, "status": "picked_up", "time": at(1)},
        {"event_id": "2", "tracking_number": tn, "status": "delayed", "time": at(2),
         "note": "Snow on the motorway"},
    ]});
    assert_eq!(carrier_post(&app, &carrier, events).await["recorded"], 2);

    // Both messages so far go out, in whatever order the sender finishes them.
    let mail = tokio::time::timeout(Duration::from_secs(30), async {
        let mut mail = Vec::new();
        while mail.len() < 2 {
            mail.push(inbox.recv().await.expect("the SMTP server runs"));
        }
        mail
    })
    .await
    .expect("two messages are mailed within 30 s");
    let alert = mail
        .iter()
        .find(|m| m.data.contains("running late"))
        .unwrap_or_else(|| panic!("a delay alert among {mail:?}"));
    assert!(
        mail.iter().any(|m| m.data.contains("is booked")),
        "{mail:?}"
    );
    assert_eq!(alert.to, ["<shipper@example.com>"]);
    assert!(
        alert.from.contains("no-reply@parcelport.test"),
        "{}",
        alert.from
    );
    assert!(alert.data.contains(&tn), "{}", alert.data);
    assert!(
        alert.data.contains("the carrier reported a delay"),
        "{}",
        alert.data
    );
    assert!(
        alert.data.contains(&format!("/track/{tn}")),
        "a link to the parcel: {}",
        alert.data
    );
    assert!(alert.data.contains("Subject: "), "{}", alert.data);
    // A second delay scan for the same cause alerts nobody again.
    let again = json!({"events": [
        {"event_id": "3", "tracking_number": tn, "status": "in_transit", "time": at(3)},
        {"event_id": "4", "tracking_number": tn, "status": "delayed", "time": at(4)},
    ]});
    assert_eq!(carrier_post(&app, &carrier, again).await["recorded"], 2);
    let alerts = kinds(&app, &shipper)
        .await
        .into_iter()
        .filter(|k| k == "delay_alert")
        .count();
    assert_eq!(alerts, 1);
}

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

/// A customer's endpoint that fails its first two calls and accepts the rest.
async fn webhook_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let state = receiver.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            |axum::extract::State(r): axum::extract::State<Receiver>,
             headers: axum::http::HeaderMap,
             body: String| async move {
                let mut calls = r.calls.lock().unwrap();
                calls.push((headers, body));
                if calls.len() <= 2 {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router.with_state(state)).await });
    (url, receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_and_delivered_once() {
    let (url, receiver) = webhook_receiver().await;
    let app = spawn_app_with(|s| {
        s.webhook_allow_private = true;
        s.notify_poll = Duration::from_millis(50);
        s.notify_retry_base = Duration::from_millis(200);
    })
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let res = client()
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&shipper)
        .json(&json!({"url": "not a url"}))
        .send()
        .await
        .unwrap();
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["url"].is_string());
    let res = client()
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&shipper)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    let hook_id = created["webhook"]["id"].as_i64().unwrap();
    let listed: Value = get_as(&app, "/api/v1/webhooks", Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["url"], url.as_str());
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once"
    );

    let tn = booked(&app, &shipper).await;
    let deliveries_path = format!("/api/v1/webhooks/{hook_id}/deliveries");
    let log = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let log: Value = get_as(&app, &deliveries_path, Some(&shipper))
                .await
                .json()
                .await
                .unwrap();
            if log[0]["status"] == "sent" {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("delivered within 30 s");
    // Time for a wrongful repeat to show up, had there been one.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let calls = receiver.calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        3,
        "two failures, then one success, nothing more"
    );
    let event_id = log[0]["event_id"].as_str().unwrap();
    for (headers, body) in &calls {
        let h = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_string();
        assert_eq!(
            h("parcelport-event-id"),
            event_id,
            "the same id on every try"
        );
        let timestamp: i64 = h("parcelport-timestamp").parse().unwrap();
        assert!(
            app::notifications::sender::verify_signature(
                &secret,
                timestamp,
                body,
                &h("parcelport-signature")
            ),
            "signed with the endpoint's secret"
        );
        assert!(!app::notifications::sender::verify_signature(
            "whsec_wrong",
            timestamp,
            body,
            &h("parcelport-signature")
        ));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["id"], event_id);
        assert_eq!(payload["type"], "booking_confirmed");
        assert_eq!(payload["data"]["tracking_number"], tn.as_str());
    }
    assert_eq!(log.as_array().unwrap().len(), 1);
    let attempts: Vec<Value> = log[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["ok"], a["status_code"]]))
        .collect();
    assert_eq!(
        attempts,
        [json!([false, 503]), json!([false, 503]), json!([true, 200])]
    );

    // Another customer's endpoint does not exist for them.
    error_body(
        get_as(&app, &deliveries_path, Some(&other)).await,
        404,
        "not_found",
    )
    .await;
    let res = client()
        .delete(app.url(&format!("/api/v1/webhooks/{hook_id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = client()
        .delete(app.url(&format!("/api/v1/webhooks/{hook_id}")))
        .bearer_auth(&shipper)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let listed: Value = get_as(&app, "/api/v1/webhooks", Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_choose_channels_per_kind() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let prefs: Value = get_as(&app, "/api/v1/notification-preferences", Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs["locale"], "en");
    assert!(prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["email"] == true && k["webhook"] == true && k["in_app"] == true));

    let put = |body: Value| {
        client()
            .put(app.url("/api/v1/notification-preferences"))
            .bearer_auth(&shipper)
            .json(&body)
            .send()
    };
    let res = put(json!({"locale": "fr", "kinds": []})).await.unwrap();
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["locale"].is_string());
    let res = put(json!({"locale": "zh-CN", "kinds": [
        {"kind": "booking_confirmed", "email": false, "webhook": false, "in_app": false}
    ]}))
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["locale"], "zh-CN");
    let booking_prefs = saved["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "booking_confirmed")
        .unwrap()
        .clone();
    assert_eq!(
        booking_prefs,
        json!({"kind": "booking_confirmed", "email": false, "webhook": false, "in_app": false})
    );

    let tn = booked(&app, &shipper).await;
    assert!(
        kinds(&app, &shipper).await.is_empty(),
        "turned off in the portal"
    );
    let deliveries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notification_deliveries")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(deliveries, 0, "and by email and webhook");
    // Other kinds keep every channel.
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let events = json!({"events": [
        {"event_id": "1", "tracking_number": tn, "status": "picked_up", "time": at(1)},
        {"event_id": "2", "tracking_number": tn, "status": "in_transit", "time": at(2)},
        {"event_id": "3", "tracking_number": tn, "status": "out_for_delivery", "time": at(3)},
    ]});
    assert_eq!(carrier_post(&app, &carrier, events).await["recorded"], 3);
    assert_eq!(kinds(&app, &shipper).await, ["out_for_delivery"]);
    let res = get_as(&app, "/api/v1/notification-preferences", None).await;
    error_body(res, 401, "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_set_to_miss_its_window_alerts_once_then_recovers() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let tn = booked(&app, &shipper).await;
    let now = app::platform::now_ms();
    // A week on, the parcel has not moved: it will miss its window.
    let week = now + 7 * 86_400_000;
    app::tracking::delays::sweep(&app.db, week).await.unwrap();
    app::tracking::delays::sweep(&app.db, week + 60_000)
        .await
        .unwrap();
    assert_eq!(
        kinds(&app, &shipper).await,
        ["delay_alert", "booking_confirmed"],
        "one alert per cause"
    );
    let list: Value = get_as(&app, "/api/v1/notifications", Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["notifications"][0]["cause"], "eta");
    assert!(list["notifications"][0]["eta"].as_i64().unwrap() > week);
    // Seen from today it is on time again: one recovery notice.
    app::tracking::delays::sweep(&app.db, now).await.unwrap();
    app::tracking::delays::sweep(&app.db, now).await.unwrap();
    assert_eq!(
        kinds(&app, &shipper).await,
        ["delay_recovered", "delay_alert", "booking_confirmed"]
    );
    let public: Value = get_as(&app, &format!("/api/v1/track/{tn}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["running_late"], false);
    assert!(public["eta_latest"].as_i64().unwrap() > now);
}

/// The staff dashboard's figures, as the signed-in staff member reads them.
async fn staff_overview(app: &TestApp) -> Value {
    app.call::<app::crm::StaffOverview>(&[])
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_without_smtp_waits_shown_to_staff_and_goes_once_smtp_is_set() {
    use crate::notifications::{delivery_state, logged_tries, only_delivery, quiet_sender_app};
    use app::notifications::sender::SMTP_MISSING;
    use app::platform::Settings;

    let app = quiet_sender_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    booked(&app, &shipper).await;
    let id = only_delivery(&app).await;
    let clock = app::platform::now_ms();
    let without_smtp = crate::notifications::sender_with(&app, Settings::default());
    assert_eq!(without_smtp.tick(clock).await.unwrap(), 1);
    let (status, attempts, _, error) = delivery_state(&app, id).await;
    assert_eq!(status, "held", "waiting, not skipped");
    assert_eq!(attempts, 0, "no try used");
    assert_eq!(error.as_deref(), Some(SMTP_MISSING));
    assert!(logged_tries(&app, id).await.is_empty(), "nothing was tried");
    // Not polled while it waits, however long.
    assert_eq!(without_smtp.tick(clock + 86_400_000).await.unwrap(), 0);
    assert_eq!(delivery_state(&app, id).await.1, 0);

    // Staff see how many wait, on their dashboard.
    app.create_staff("agent@carrier.example", app::accounts::Role::Agent)
        .await;
    let agent = app.bearer_for("agent@carrier.example", PASSWORD).await;
    assert_eq!(
        app.sign_in("agent@carrier.example", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(staff_overview(&app).await["emails_waiting_for_smtp"], 1);
    let dashboard = |lang: &'static str| {
        let req = client()
            .get(app.url("/dashboard"))
            .bearer_auth(&agent)
            .header("Accept-Language", lang);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let html = dashboard("en").await;
    assert!(
        html.contains("data-testid=\"emails-waiting-for-smtp\""),
        "{html}"
    );
    assert!(html.contains("1 customer email(s) are waiting"), "{html}");
    assert!(dashboard("zh-CN")
        .await
        .contains("有 1 封客户邮件正在等待发送"));

    // A sender with SMTP (the server restarted with SMTP_URL) sends it.
    let (port, mut inbox) = smtp_server().await;
    let with_smtp = crate::notifications::sender_with(
        &app,
        Settings {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            ..Settings::default()
        },
    );
    assert_eq!(with_smtp.tick(clock + 86_400_000).await.unwrap(), 1);
    let mail = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
        .await
        .expect("mailed within 10 s")
        .expect("the SMTP server runs");
    assert_eq!(mail.to, ["<shipper@example.com>"]);
    assert!(mail.data.contains("is booked"), "{}", mail.data);
    let (status, attempts, _, error) = delivery_state(&app, id).await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 1, None));
    assert_eq!(logged_tries(&app, id).await.len(), 1);
    assert_eq!(staff_overview(&app).await["emails_waiting_for_smtp"], 0);
    assert!(!dashboard("en")
        .await
        .contains("data-testid=\"emails-waiting-for-smtp\""));
}
