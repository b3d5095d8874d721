//! Stopping (what SIGTERM and Ctrl-C do, through `Running::stop`) and readiness.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_answers_every_accepted_booking_ends_live_streams_and_refuses_new_connections() {
    let (app, running) = spawn_running(|s| s.shutdown_grace = Duration::from_secs(10)).await;
    let token = customer(&app, "shipper@example.com").await;
    let res = book(&app, &token, "watched", &booking("WATCHED")).await;
    assert_eq!(res.status(), 201);
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let stream = client()
        .get(app.url(&format!("/api/v1/track/{tn}/stream")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    // Eight clients book one parcel after another; every 201 is a booking the server promised.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut bookers = Vec::new();
    for booker in 0..8 {
        let url = app.url("/api/v1/shipments");
        let token = token.clone();
        let acknowledged = acknowledged.clone();
        bookers.push(tokio::spawn(async move {
            let http = client();
            for n in 0u32.. {
                let reference = format!("STOP-{booker}-{n}");
                let sent = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &reference)
                    .json(&booking(&reference))
                    .send()
                    .await;
                // Refused at the door: the server has stopped accepting.
                let Ok(res) = sent else { break };
                let status = res.status();
                assert!(!status.is_server_error(), "{reference}: {status}");
                if status == 201 {
                    acknowledged.lock().unwrap().push(reference);
                }
                if res.bytes().await.is_err() {
                    break;
                }
            }
        }));
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while acknowledged.lock().unwrap().len() < 40 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("40 bookings within a minute");

    assert!(
        tokio::time::timeout(Duration::from_secs(15), running.stop())
            .await
            .unwrap(),
        "everything finished within the grace period"
    );

    // The live stream ended, telling the browser when to come back.
    let body = tokio::time::timeout(Duration::from_secs(5), stream.text())
        .await
        .expect("the stream ended")
        .unwrap();
    assert!(body.contains("retry:"), "{body}");

    // Nothing listens any more.
    let refused = client()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect_err("no new connections");
    assert!(refused.is_connect(), "{refused:?}");

    for booker in bookers {
        tokio::time::timeout(Duration::from_secs(30), booker)
            .await
            .expect("the booking clients end once the server has stopped")
            .unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 40);
    for reference in &acknowledged {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE reference = $1")
            .bind(reference)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(stored, 1, "{reference}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_lists_the_workers_and_fails_without_the_database() {
    let app = spawn_app().await;
    let res = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database_ok"], true);
    assert_eq!(body["migrations"], "applied");
    let workers = body["workers"].as_array().unwrap();
    let names: Vec<&str> = workers
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    // The test settings turn the daily tier recomputation off and have no demo simulator.
    for name in ["sender", "delay_sweep", "auto_close"] {
        assert!(names.contains(&name), "{names:?}");
    }
    for w in workers {
        assert_eq!(w["healthy"], true, "{w}");
        assert_eq!(w["restarts"], 0, "{w}");
    }

    app.db.pool.close().await;
    let res = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"].to_str().unwrap(), "5");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database_ok"], false);
    // Liveness does not depend on the database.
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
