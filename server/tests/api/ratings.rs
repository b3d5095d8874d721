//! Ratings end to end over HTTP: once per delivery, editable for seven days, also by the
//! signed link.

use serde_json::json;

use crate::after_delivery::{booked, deliver, get, ok_json, send, DAY_MS};
use crate::helpers::*;
use crate::shipments::customer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_rated_once_editable_for_seven_days_also_by_its_signed_link() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "rate").await;
    let path = format!("/api/v1/shipments/{tn}/rating");
    let good = json!({"csat": 5, "nps": 10, "tags": ["on_time", "courteous_courier"],
                      "comment": "Quick and friendly."});
    error_body(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        409,
        "not_delivered",
    )
    .await;
    deliver(&app, &carrier, &tn, 0).await;
    for bad in [
        json!({"csat": 6}),
        json!({"csat": -1}),
        json!({"csat": 3, "nps": 11}),
    ] {
        error_body(
            send(&app, reqwest::Method::PUT, &path, &shipper, Some(&bad)).await,
            422,
            "invalid_body",
        )
        .await;
    }
    let v = ok_json(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        200,
    )
    .await;
    assert_eq!(v["rating"]["csat"], 5);
    assert_eq!(v["offers_complaint"], false);

    // The signed link works without a session; a tampered one does not.
    let link = v["rate_link"].as_str().unwrap().to_string();
    let query = link.split_once('?').unwrap().1.to_string();
    let low = json!({"csat": 2, "nps": 3, "tags": ["late"]});
    let res = client()
        .put(app.url(&format!("{path}?{query}")))
        .json(&low)
        .send()
        .await
        .unwrap();
    let v = ok_json(res, 200).await;
    assert_eq!(v["rating"]["csat"], 2, "a second rating updates the first");
    assert_eq!(
        v["offers_complaint"], true,
        "a low score offers a complaint"
    );
    let tampered = query.replace("sig=", "sig=00");
    let res = client()
        .put(app.url(&format!("{path}?{tampered}")))
        .json(&low)
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;

    // Seven days after it was first given, it is final.
    sqlx::query("UPDATE ratings SET created_at = created_at - $1")
        .bind(7 * DAY_MS + 60_000)
        .execute(&app.db.pool)
        .await
        .unwrap();
    error_body(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        409,
        "rating_locked",
    )
    .await;
    let v = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert_eq!(v["rating"]["csat"], 2);
    assert_eq!(v["can_rate"], false);
}
