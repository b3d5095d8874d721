//! The helpers the tracking tests share (`tracking_carrier`, `tracking_live`, `tracking_public`
//! and `tracking_page`): a carrier's scans, a booked parcel, its public view, its live stream
//! and its page.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

pub async fn carrier_post(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = client().post(app.url("/api/v1/carrier/events")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// RFC 3339, `minutes` after now (negative: before).
pub fn at(minutes: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_string()
}

pub fn scan(id: &str, tn: &str, status: &str, time: &str) -> Value {
    json!({"event_id": id, "tracking_number": tn, "status": status, "time": time,
           "place": "Shanghai hub", "lat": 31.23, "lng": 121.47})
}

/// The `data` of the next server-sent event on an open stream.
pub async fn next_data(res: &mut reqwest::Response) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), res.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().find(|l| l.starts_with("data:")) {
            return serde_json::from_str(line["data:".len()..].trim()).unwrap();
        }
    }
}

pub async fn booked(app: &TestApp) -> String {
    let shipper = customer(app, "shipper@example.com").await;
    let res = book(app, &shipper, "k1", &booking("PO-1")).await;
    res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn open_stream(app: &TestApp, tn: &str) -> reqwest::Response {
    let res = client()
        .get(app.url(&format!("/api/v1/track/{tn}/stream")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    res
}

/// The parcel as anyone with its number sees it, through the API.
pub async fn public_view(app: &TestApp, tn: &str) -> Value {
    get_as(app, &format!("/api/v1/track/{tn}"), None)
        .await
        .json()
        .await
        .unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

pub async fn html(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let res = client
        .get(app.url(path))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}
