use serde_json::{json, Value};

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
    let carrier = app::tracking::carrier::create_token(&app.db, "Test Courier")
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
