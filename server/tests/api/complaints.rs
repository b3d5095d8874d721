//! Complaints end to end over HTTP: closed with the customer or by themselves, and the agents'
//! queue in order of what is due first.

use serde_json::{json, Value};

use crate::after_delivery::{agent, booked, get, ok_json, post, DAY_MS};
use crate::helpers::*;
use crate::shipments::customer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_close_with_the_customer_or_by_themselves_after_seven_days() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let tn = booked(&app, &shipper, "k1").await;

    let body = error_body(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"category": "damage", "description": "  "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["description"].is_string());
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"tracking_number": tn, "category": "delay", "description": "Two days late."}),
        )
        .await,
        201,
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "open");
    assert_eq!(c["priority"], "normal");
    assert!(
        c["tier"].is_null(),
        "segmentation is not shown to the customer"
    );
    let created = c["created_at"].as_i64().unwrap();
    assert_eq!(
        c["first_response_due"],
        created + 24 * 3_600_000,
        "the tier's SLA"
    );
    assert_eq!(c["resolution_due"], created + 72 * 3_600_000);
    let queue = ok_json(get(&app, "/api/v1/complaints", &agent).await, 200).await;
    assert_eq!(queue[0]["id"], id);
    assert_eq!(queue[0]["tier"], "new");

    // Only the customer confirms; only agents resolve.
    let at = |action: &str| format!("/api/v1/complaints/{id}/{action}");
    error_body(
        post(&app, &at("resolve"), &shipper, &json!({"note": "done"})).await,
        403,
        "forbidden",
    )
    .await;
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({})).await,
        409,
        "transition_illegal",
    )
    .await;
    let c = ok_json(post(&app, &at("assign"), &agent, &json!({})).await, 200).await;
    assert_eq!(c["status"], "in_progress");
    assert_eq!(c["assignee"], "Staff Member");
    let c = ok_json(
        post(
            &app,
            &at("messages"),
            &agent,
            &json!({"body": "Looking into it."}),
        )
        .await,
        200,
    )
    .await;
    assert!(c["first_response_at"].as_i64().is_some());
    ok_json(
        post(&app, &at("messages"), &shipper, &json!({"body": "Thanks."})).await,
        200,
    )
    .await;
    let c = ok_json(
        post(
            &app,
            &at("resolve"),
            &agent,
            &json!({"note": "Refunded the express fee."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "resolved");
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 6})).await,
        422,
        "invalid_body",
    )
    .await;
    error_body(
        post(
            &app,
            &at("confirm"),
            &shipper,
            &json!({"satisfaction": 4.5}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;
    // JSON's `4.0` is the integer 4.
    let c = ok_json(
        post(
            &app,
            &at("confirm"),
            &shipper,
            &json!({"satisfaction": 4.0}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed_by"], "customer");
    assert_eq!(c["follow_up"], 4);
    let statuses: Vec<Value> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("open"),
            json!("in_progress"),
            Value::Null,
            Value::Null,
            json!("resolved"),
            json!("closed")
        ]
    );
    error_body(
        post(&app, &at("messages"), &shipper, &json!({"body": "More"})).await,
        409,
        "transition_illegal",
    )
    .await;

    // resolve -> reopen -> resolve -> no answer: closed after 7 days, by the clock passed in.
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"category": "billing", "description": "Charged twice."}),
        )
        .await,
        201,
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let at = |action: &str| format!("/api/v1/complaints/{id}/{action}");
    ok_json(
        post(&app, &at("resolve"), &agent, &json!({"note": "Refunded."})).await,
        200,
    )
    .await;
    error_body(
        post(&app, &at("reopen"), &shipper, &json!({"reason": ""})).await,
        422,
        "validation_failed",
    )
    .await;
    let c = ok_json(
        post(
            &app,
            &at("reopen"),
            &shipper,
            &json!({"reason": "Not refunded yet."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "reopened");
    assert_eq!(c["reopen_count"], 1);
    assert!(c["resolved_at"].is_null());
    let c = ok_json(
        post(
            &app,
            &at("resolve"),
            &agent,
            &json!({"note": "Refund sent today."}),
        )
        .await,
        200,
    )
    .await;
    let resolved_at = c["resolved_at"].as_i64().unwrap();
    let week = 7 * DAY_MS;
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week - 1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week + 1)
            .await
            .unwrap(),
        0,
        "once"
    );
    let c = ok_json(
        get(&app, &format!("/api/v1/complaints/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed_by"], "auto");
    // The follow-up question can still be answered, once.
    let c = ok_json(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 2})).await,
        200,
    )
    .await;
    assert_eq!(c["follow_up"], 2);
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 5})).await,
        409,
        "transition_illegal",
    )
    .await;
    let notes = ok_json(get(&app, "/api/v1/notifications", &shipper).await, 200).await;
    let complaint_steps: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "complaint_update" && n["subject_id"] == id)
        .map(|n| n["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        complaint_steps,
        [
            "auto_closed",
            "resolved",
            "reopened",
            "resolved",
            "received"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_queue_puts_the_soonest_due_first_and_marks_the_overdue() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let mut ids = Vec::new();
    for what in ["first", "second", "third"] {
        let c = ok_json(
            post(
                &app,
                "/api/v1/complaints",
                &shipper,
                &json!({"category": "other", "description": what}),
            )
            .await,
            201,
        )
        .await;
        ids.push(c["id"].as_i64().unwrap());
    }
    // Answered: now due at its resolution (72 h), behind the unanswered ones (24 h).
    let path = format!("/api/v1/complaints/{}/messages", ids[0]);
    ok_json(
        post(&app, &path, &agent, &json!({"body": "On it."})).await,
        200,
    )
    .await;
    // The third was due an hour ago.
    sqlx::query("UPDATE complaints SET first_response_due = $1 WHERE id = $2")
        .bind(app::platform::now_ms() - 3_600_000)
        .bind(ids[2])
        .execute(&app.db.pool)
        .await
        .unwrap();
    let queue = ok_json(get(&app, "/api/v1/complaints", &agent).await, 200).await;
    let order: Vec<i64> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [ids[2], ids[1], ids[0]]);
    assert_eq!(queue[0]["overdue"], true);
    assert_eq!(queue[1]["overdue"], false);
    assert_eq!(queue[2]["status"], "in_progress");
}
