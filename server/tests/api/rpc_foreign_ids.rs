//! Customer B calls every server function under `/rpc` that takes an id, a tracking number or a
//! handle with customer A's, as they are and with one hostile value each: refused as if A's
//! object did not exist (or by role, or naming the argument), nothing of A's shows in any answer,
//! and nothing of A's is changed or ended.

use std::collections::BTreeSet;

use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use crate::after_delivery::{self, beijing_area, deliver, ok_json, post, recipient_window};
use crate::helpers::*;
use crate::rpc::{
    all, classified, form_encoded, post_rpc, probe_client, session_of, Answer, ArgsEncoding,
    Encoding, Ids,
};
use crate::shipments::{book, booking, customer};

// ---------------------------------------------------------------------------------------------
// Another customer's ids.

pub const A_EMAIL: &str = "ada@example.com";
const B_EMAIL: &str = "bob@example.com";
// What only A may see; each is looked for in every answer B gets.
const A_ADDRESS_NAME: &str = "Zenobia Quartermaine";
const A_ADDRESS_LINE: &str = "17 Hidden Orchard Lane";
const A_RECIPIENT: &str = "Octavia Blackwood";
const A_RECIPIENT_LINE: &str = "42 Quiet Courtyard Road";
const A_REFERENCE: &str = "PO-PRIVATE-4711";
const A_COMPLAINT: &str = "The glass vase arrived in pieces, private-complaint-2718.";
const A_RATING_COMMENT: &str = "Friendly courier, private-comment-1618.";
const A_WEBHOOK: &str = "http://127.0.0.1:9/a-private-hook-3141";
/// The smallest PNG header the type check accepts, base64-encoded.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB";

/// Customer A's account with one of everything, and the ids naming them.
struct OwnedByA {
    token: String,
    session: String,
    customer_id: i64,
    address_id: i64,
    /// Delivered, rated, with a return and a complaint.
    delivered: String,
    /// Booked, not yet picked up: a cancellation or a new window would still change it.
    open: String,
    return_id: i64,
    complaint_id: i64,
    webhook_id: i64,
    session_handle: String,
    token_handle: String,
    /// A window open for booking at A's recipient's address.
    slot_id: i64,
}

impl OwnedByA {
    async fn create(app: &TestApp) -> OwnedByA {
        beijing_area(app).await;
        let token = customer(app, A_EMAIL).await;
        let me = ok_json(after_delivery::get(app, "/api/v1/me", &token).await, 200).await;
        let customer_id = me["customer"]["id"].as_i64().unwrap();
        let address = json!({
            "name": A_ADDRESS_NAME, "phone": "+86 138 0013 8000", "line1": A_ADDRESS_LINE,
            "city": "shanghai", "postcode": "200120", "country": "CN"
        });
        let address = ok_json(post(app, "/api/v1/addresses", &token, &address).await, 201).await;
        let mut shipment = booking(A_REFERENCE);
        shipment["recipient"]["name"] = json!(A_RECIPIENT);
        shipment["recipient"]["line1"] = json!(A_RECIPIENT_LINE);
        let delivered = booked_as(app, &token, "a-1", &shipment).await;
        let open = booked_as(app, &token, "a-2", &shipment).await;
        let carrier = app::tracking::carrier::create_token(&app.db, "Courier", CARRIER_TTL)
            .await
            .unwrap();
        deliver(app, &carrier, &delivered, 1).await;
        let rating = json!({"csat": 4, "comment": A_RATING_COMMENT});
        let path = format!("/api/v1/shipments/{delivered}/rating");
        let put = reqwest::Method::PUT;
        ok_json(
            after_delivery::send(app, put, &path, &token, Some(&rating)).await,
            200,
        )
        .await;
        let path = format!("/api/v1/shipments/{delivered}/returns");
        let request = json!({"items": [0], "reason": "damaged", "method": "drop_off",
                             "drop_off_point": "Haidian locker"});
        let returned = ok_json(post(app, &path, &token, &request).await, 201).await;
        let complaint = json!({"tracking_number": delivered, "category": "damage",
                               "description": A_COMPLAINT});
        let complaint = ok_json(
            post(app, "/api/v1/complaints", &token, &complaint).await,
            201,
        )
        .await;
        let hook = json!({ "url": A_WEBHOOK });
        let hook = ok_json(post(app, "/api/v1/webhooks", &token, &hook).await, 201).await;
        let slot_id = recipient_window(app, &token).await;
        let session = session_of(app, A_EMAIL).await;
        let path = <app::accounts::MySignIns as ServerFn>::PATH;
        let form = Encoding::Form.content_type();
        let signed_in = post_rpc(
            &probe_client(),
            &app.base,
            path,
            form,
            &app.base,
            Some(session.as_str()),
            Vec::new(),
        )
        .await;
        assert_eq!(signed_in.status, 200, "{}", signed_in.body);
        let signed_in: Value = serde_json::from_str(&signed_in.body).unwrap();
        let handle = |list: &str| signed_in[list][0]["handle"].as_str().unwrap().to_string();
        OwnedByA {
            customer_id,
            address_id: address["id"].as_i64().unwrap(),
            return_id: returned["id"].as_i64().unwrap(),
            complaint_id: complaint["id"].as_i64().unwrap(),
            webhook_id: hook["webhook"]["id"].as_i64().unwrap(),
            session_handle: handle("sessions"),
            token_handle: handle("tokens"),
            token,
            session,
            delivered,
            open,
            slot_id,
        }
    }

    /// What must not appear in an answer to B; the public tracking view names the numbers it
    /// was asked for, so those are left out for it.
    fn secrets(&self, public_by_number: bool) -> Vec<&str> {
        let mut secrets = vec![
            A_EMAIL,
            A_ADDRESS_NAME,
            A_ADDRESS_LINE,
            A_RECIPIENT,
            A_RECIPIENT_LINE,
            A_REFERENCE,
            A_COMPLAINT,
            A_RATING_COMMENT,
            "a-private-hook-3141",
        ];
        if !public_by_number {
            secrets.extend([self.delivered.as_str(), self.open.as_str()]);
        }
        secrets
    }
}

/// Books `body` for the customer holding `token`; its tracking number.
async fn booked_as(app: &TestApp, token: &str, key: &str, body: &Value) -> String {
    let booked = ok_json(book(app, token, key, body).await, 201).await;
    booked["tracking_number"].as_str().unwrap().to_string()
}

/// A JSON answer of the REST API to customer A.
async fn json_of(app: &TestApp, a: &OwnedByA, path: &str) -> Value {
    ok_json(after_delivery::get(app, path, &a.token).await, 200).await
}

/// What B must get for a call naming A's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Refused as if the object did not exist: 404.
    NotFound,
    /// Refused by role before anything is read (staff's functions): 403.
    Forbidden,
    /// Refused naming the argument (422, or in a form's reply): a saved address that is not
    /// the caller's is "required", a forged link "expired".
    Invalid,
    /// Answered from B's own data or the public view.
    Answered,
}

/// A server function called with arguments of customer A's.
struct Call {
    path: &'static str,
    encoding: Encoding,
    args: Value,
    expect: Expect,
}

/// A call of `F`. The arguments are checked to be what `F` reads, so one renamed or retyped
/// fails here rather than making the call test nothing.
fn call<F>(args: Value, expect: Expect) -> Call
where
    F: ServerFn + serde::de::DeserializeOwned,
    <F as ServerFn>::Protocol: ArgsEncoding,
{
    if let Err(e) = serde_json::from_value::<F>(args.clone()) {
        panic!("{}: not the arguments it reads: {e}", F::PATH);
    }
    Call {
        path: F::PATH,
        encoding: <<F as ServerFn>::Protocol as ArgsEncoding>::ENCODING,
        args,
        expect,
    }
}

/// Every server function that takes an id, a tracking number or a handle, called by B with
/// A's.
fn foreign_calls(a: &OwnedByA) -> Vec<Call> {
    use app::{accounts, addresses, complaints, crm, notifications, orders, ratings, returns};
    use app::{slots, tracking};
    use Expect::*;
    let address = a.address_id.to_string();
    let draft = serde_json::to_value(orders::BookingDraft {
        sender_id: address.clone(),
        recipient_id: address.clone(),
        ..Default::default()
    })
    .unwrap();
    let template = serde_json::to_value(slots::TemplateForm {
        id: "1".into(),
        ..Default::default()
    })
    .unwrap();
    // A signature of the right form that nobody signed, valid until 2100.
    let forged = json!({"exp": 4_102_444_800_000_i64, "sig": "00".repeat(32)});
    let request = json!({"items": [0], "reason": "damaged", "method": "drop_off",
                         "drop_off_point": "Haidian locker"});
    let (delivered, open) = (&a.delivered, &a.open);
    let customer = a.customer_id;
    let query = json!({ "customer": customer.to_string() });
    vec![
        call::<accounts::EndSession>(json!({ "handle": a.session_handle }), NotFound),
        call::<accounts::RevokeToken>(json!({ "handle": a.token_handle }), NotFound),
        call::<addresses::SaveAddress>(
            json!({"id": address, "address": {
                "name": "Mallory", "phone": "+86 138 0013 8001", "line1": "1 Elsewhere Road",
                "city": "shanghai", "postcode": "200120", "country": "CN"}}),
            NotFound,
        ),
        call::<addresses::DeleteAddress>(json!({ "id": a.address_id }), NotFound),
        call::<crm::ListCustomers>(json!({ "query": { "q": A_EMAIL } }), Forbidden),
        call::<crm::LoadCustomer360>(json!({ "id": customer }), Forbidden),
        call::<crm::AddCustomerNote>(json!({"id": customer, "body": "B was here"}), Forbidden),
        call::<crm::AssignAccountManager>(json!({"id": customer, "user_id": ""}), Forbidden),
        call::<crm::KpiReport>(json!({ "query": query }), Forbidden),
        call::<crm::KpiItems>(
            json!({"kpi": "on_time", "query": query, "page": 0}),
            Forbidden,
        ),
        call::<crm::RecordOutreach>(
            json!({"id": customer, "outcome": "reached", "note": "B was here"}),
            Forbidden,
        ),
        call::<orders::QuoteFromAddressBook>(
            json!({"form": {"sender_id": address, "recipient_id": address, "weight_kg": "1",
                            "length_cm": "10", "width_cm": "10", "height_cm": "10",
                            "contents": "books"}}),
            Invalid,
        ),
        call::<orders::CheckBooking>(json!({"draft": draft, "stage": "Addresses"}), Invalid),
        call::<orders::BookShipment>(json!({"draft": draft, "key": "b-1"}), Invalid),
        call::<orders::ListShipments>(json!({ "query": { "q": open } }), Answered),
        call::<orders::GetShipment>(json!({ "tracking_number": open }), NotFound),
        call::<orders::CancelShipment>(json!({ "tracking_number": open }), NotFound),
        call::<orders::DraftSlots>(json!({"draft": draft, "purpose": "delivery"}), Invalid),
        call::<orders::ChooseDeliverySlot>(
            json!({"tracking_number": open, "slot_id": a.slot_id}),
            NotFound,
        ),
        call::<orders::ShipmentSlots>(json!({ "tracking_number": open }), NotFound),
        call::<slots::SaveTemplate>(json!({ "form": template }), Forbidden),
        // The only template; refused by role before it is read.
        call::<slots::TemplateSlots>(json!({"template_id": 1, "from": "", "days": 7}), Forbidden),
        call::<slots::UpdateSlot>(
            json!({"slot_id": a.slot_id, "update": {"closed": true}}),
            Forbidden,
        ),
        call::<notifications::RemoveWebhook>(json!({ "id": a.webhook_id }), NotFound),
        call::<returns::LoadReturnOptions>(
            json!({"tracking_number": delivered, "link": {}}),
            NotFound,
        ),
        call::<returns::LoadReturnOptions>(
            json!({"tracking_number": delivered, "link": forged}),
            Invalid,
        ),
        call::<returns::RequestReturn>(
            json!({"tracking_number": delivered, "link": {}, "request": request}),
            NotFound,
        ),
        call::<returns::RequestReturn>(
            json!({"tracking_number": delivered, "link": forged, "request": request}),
            Invalid,
        ),
        call::<returns::GetReturn>(json!({"id": a.return_id, "link": {}}), NotFound),
        call::<returns::GetReturn>(json!({"id": a.return_id, "link": forged}), Invalid),
        call::<returns::AddReturnPhoto>(
            json!({"id": a.return_id, "link": {}, "data_base64": PNG_BASE64}),
            NotFound,
        ),
        call::<returns::AddReturnPhoto>(
            json!({"id": a.return_id, "link": forged, "data_base64": PNG_BASE64}),
            Invalid,
        ),
        call::<returns::DecideReturn>(
            json!({"id": a.return_id, "decision": {"approve": true}}),
            Forbidden,
        ),
        call::<returns::RefundReturn>(
            json!({"id": a.return_id, "input": {"refund": true}}),
            Forbidden,
        ),
        call::<complaints::FileComplaint>(
            json!({"input": {"tracking_number": delivered, "category": "damage",
                             "description": "B was here"}}),
            Invalid,
        ),
        call::<complaints::GetComplaint>(json!({ "id": a.complaint_id }), NotFound),
        call::<complaints::ActOnComplaint>(
            json!({"id": a.complaint_id, "action": {"Reply": "B was here"}}),
            NotFound,
        ),
        call::<complaints::AttachToComplaint>(
            json!({"id": a.complaint_id, "data_base64": PNG_BASE64}),
            NotFound,
        ),
        call::<tracking::TrackMany>(json!({ "numbers": [delivered] }), Answered),
        call::<ratings::LoadRating>(json!({"tracking_number": delivered, "proof": {}}), NotFound),
        call::<ratings::LoadRating>(
            json!({"tracking_number": delivered, "proof": forged}),
            Invalid,
        ),
        call::<ratings::SaveRating>(
            json!({"tracking_number": delivered, "proof": {}, "input": {"csat": 1}}),
            NotFound,
        ),
        call::<ratings::SaveRating>(
            json!({"tracking_number": delivered, "proof": forged, "input": {"csat": 1}}),
            Invalid,
        ),
    ]
}

/// `args` with one string or number changed, for each in turn: values typed right but hostile
/// (a NUL, which PostgreSQL cannot store, quotes and wildcards; text far too long; the smallest
/// number).
fn hostile_variants(args: &Value) -> Vec<Value> {
    fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (name, v) in fields {
                    leaves(v, format!("{at}/{name}"), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    leaves(v, format!("{at}/{i}"), out);
                }
            }
            Value::String(_) | Value::Number(_) => out.push(at),
            Value::Null | Value::Bool(_) => {}
        }
    }
    let mut pointers = Vec::new();
    leaves(args, String::new(), &mut pointers);
    let mut variants = Vec::new();
    for pointer in pointers {
        let hostile = match args.pointer(&pointer) {
            Some(Value::Number(_)) => vec![json!(i64::MIN)],
            _ => vec![json!("\u{0}' OR '1'='1 %_\\"), json!("ä".repeat(5000))],
        };
        for value in hostile {
            let mut variant = args.clone();
            if let Some(leaf) = variant.pointer_mut(&pointer) {
                *leaf = value;
            }
            variants.push(variant);
        }
    }
    variants
}

async fn send_call(
    client: &reqwest::Client,
    base: &str,
    session: &str,
    call: &Call,
    args: &Value,
) -> Answer {
    let body = match call.encoding {
        Encoding::Json => args.to_string(),
        Encoding::Form => form_encoded(args),
    };
    let content_type = call.encoding.content_type();
    let body = body.into_bytes();
    post_rpc(
        client,
        base,
        call.path,
        content_type,
        base,
        Some(session),
        body,
    )
    .await
}

/// Why B's answer is wrong, if it is.
fn call_fault(call: &Call, hostile: bool, answer: &Answer, a: &OwnedByA) -> Option<String> {
    if answer.server_failed() {
        return Some("the server failed".into());
    }
    let public = call.path == <app::tracking::TrackMany as ServerFn>::PATH;
    let leaked: Vec<&str> = a
        .secrets(public)
        .into_iter()
        .filter(|s| answer.body.contains(s))
        .collect();
    if !leaked.is_empty() {
        return Some(format!("shows A's {leaked:?}"));
    }
    let refusal = answer.refusal();
    let met = match call.expect {
        _ if hostile => answer.refused() || call.expect == Expect::Answered,
        Expect::NotFound => answer.status == 404 && refusal.as_deref() == Some("NotFound"),
        Expect::Forbidden => answer.status == 403 && refusal.as_deref() == Some("Forbidden"),
        Expect::Invalid => {
            matches!(answer.status, 422 | 200) && refusal.as_deref() == Some("Validation")
        }
        Expect::Answered => (200..300).contains(&answer.status) && refusal.is_none(),
    };
    (!met).then(|| format!("expected {:?}", call.expect))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_ids_are_refused_by_every_server_function_and_nothing_of_theirs_shows() {
    let table = classified();
    let app = spawn_app_with(|s| s.webhook_allow_private = true).await;
    let a = OwnedByA::create(&app).await;
    assert_eq!(app.sign_up(B_EMAIL).await.status(), 201);
    let b = session_of(&app, B_EMAIL).await;
    let calls = foreign_calls(&a);
    let called: BTreeSet<&str> = calls.iter().map(|c| c.path).collect();
    for rpc in &table {
        match rpc.ids {
            Ids::Taken => assert!(
                called.contains(rpc.path),
                "{} takes ids but is not called with A's",
                rpc.path
            ),
            Ids::NoneBecause(why) => assert!(
                !called.contains(rpc.path),
                "{} is listed as taking no ids ({why}), yet called with A's",
                rpc.path
            ),
        }
    }

    // The calls as they are, then each with one hostile value: the refusals must not depend on
    // an argument being well-behaved.
    let prober = probe_client();
    let plain: Vec<(&Call, bool, Value)> =
        calls.iter().map(|c| (c, false, c.args.clone())).collect();
    let hostile: Vec<(&Call, bool, Value)> = calls
        .iter()
        .flat_map(|c| {
            hostile_variants(&c.args)
                .into_iter()
                .map(move |v| (c, true, v))
        })
        .collect();
    let mut faults = Vec::new();
    let mut rows = Vec::new();
    for attempts in [plain, hostile] {
        let answers = all(attempts
            .iter()
            .map(|(call, _, args)| send_call(&prober, &app.base, &b, call, args)))
        .await;
        for ((call, hostile, args), answer) in attempts.iter().zip(&answers) {
            let fault = call_fault(call, *hostile, answer, &a);
            if !hostile {
                let mark = if fault.is_some() { " !" } else { "" };
                let expected = call.expect;
                rows.push(format!(
                    "{} ({expected:?}): {}{mark}",
                    call.path,
                    answer.summary()
                ));
            }
            if let Some(why) = fault {
                faults.push(format!(
                    "{} {args}: {} ({why}) {}",
                    call.path,
                    answer.summary(),
                    answer.body_start()
                ));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "{} wrong answers to B:\n{}\n\nB's plain calls (! wrong):\n{}",
        faults.len(),
        faults.join("\n"),
        rows.join("\n")
    );

    // And nothing of A's was changed or ended.
    let addresses = json_of(&app, &a, "/api/v1/addresses").await;
    assert_eq!(addresses.as_array().map(Vec::len), Some(1), "{addresses}");
    assert_eq!(addresses[0]["name"], A_ADDRESS_NAME, "{addresses}");
    let open = json_of(&app, &a, &format!("/api/v1/shipments/{}", a.open)).await;
    assert_eq!(open["status"], "created", "{open}");
    assert!(open["delivery_slot"].is_null(), "{open}");
    let hooks = json_of(&app, &a, "/api/v1/webhooks").await;
    assert_eq!(hooks.as_array().map(Vec::len), Some(1), "{hooks}");
    let complaint = json_of(&app, &a, &format!("/api/v1/complaints/{}", a.complaint_id)).await;
    assert_eq!(
        complaint["messages"].as_array().map(Vec::len),
        Some(1),
        "{complaint}"
    );
    assert_eq!(complaint["attachments"], json!([]), "{complaint}");
    let returned = json_of(&app, &a, &format!("/api/v1/returns/{}", a.return_id)).await;
    assert_eq!(returned["photos"], json!([]), "{returned}");
    let by_session = client()
        .get(app.url("/api/v1/me"))
        .header("Cookie", a.session.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(by_session.status(), 200, "A's session");
    let by_token = get_as(&app, "/api/v1/me", Some(&a.token)).await;
    assert_eq!(by_token.status(), 200, "A's API token");
}
