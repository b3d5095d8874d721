//! What the tests of the server functions under `/rpc` share: every one of them, classified
//! here and checked against Leptos's registry at run time (so a new one cannot be missed), and
//! the ways of calling them. The server functions are public HTTP endpoints like the REST API:
//! `rpc_bad_arguments` sends each one missing, malformed, mistyped, oversized and cross-site
//! arguments, with and without a session, and `rpc_foreign_ids` another customer's ids. The
//! answer is the caller's fault (4xx), never the server's (5xx), and never shows the other
//! customer's data.
//!
//! Form server functions answer a refusal the form shows (a field typed wrong, a taken value,
//! wrong credentials) inside an HTTP 200 by design (`Reply` in app/src/error.rs); such an
//! `{"Err": ...}` counts as the refusal it is where a function's arguments were read. Anything
//! else, an object that is not the caller's among it, is a 4xx with its own status, as are
//! arguments that cannot be read.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use leptos::server_fn::codec::{Json, PostUrl};
use leptos::server_fn::{Http, ServerFn};
use serde_json::Value;

use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Every server function, classified.

/// How a server function reads its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-www-form-urlencoded`, nested fields as `outer[inner]` (the default).
    Form,
    Json,
}

impl Encoding {
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Form => "application/x-www-form-urlencoded",
            Encoding::Json => "application/json",
        }
    }
}

/// A server function's input encoding, read off its type: one with another encoding does not
/// compile here until the probes know how to write it.
pub trait ArgsEncoding {
    const ENCODING: Encoding;
}

impl<Output> ArgsEncoding for Http<PostUrl, Output> {
    const ENCODING: Encoding = Encoding::Form;
}

impl<Output> ArgsEncoding for Http<Json, Output> {
    const ENCODING: Encoding = Encoding::Json;
}

/// What an argument is, for a value of the wrong type. A form writes a scalar as `name=v` and
/// a struct as `name[field]=v`, so each is sent the other; in JSON every argument gets `true`,
/// which none of them is (strings, numbers, structs, lists and enums, no `bool` or `Option`).
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Scalar,
    Composite,
}

/// What a server function may answer arguments that are not there (the allow-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// A refusal, always: it reads arguments, or only staff may call it.
    Refusal,
    /// Success for anyone: it takes no arguments and concerns the caller alone (who is signed
    /// in, signing out).
    Anyone,
    /// Success for a signed-in customer, a refusal without a session: it takes no arguments
    /// and shows or changes the caller's own account.
    OwnAccount,
}

/// Whether a server function takes something naming another customer's object.
#[derive(Debug, Clone, Copy)]
pub enum Ids {
    /// It does: `foreign_calls` calls it with customer A's.
    Taken,
    /// It does not, for this reason.
    NoneBecause(&'static str),
}

pub struct Rpc {
    pub path: &'static str,
    pub encoding: Encoding,
    /// Each argument's name and shape.
    pub args: &'static [(&'static str, Shape)],
    pub answers: Answers,
    pub ids: Ids,
}

/// One server function's row. Its argument struct is destructured naming every argument, so
/// one added, renamed or removed fails to compile here.
macro_rules! rpc {
    ($($ty:ident)::+ { $($arg:ident: $shape:ident),* $(,)? } => $answers:ident, $ids:expr) => {{
        #[allow(dead_code)]
        fn names_every_argument(args: $($ty)::+) {
            let $($ty)::+ { $($arg: _),* } = args;
        }
        Rpc {
            path: <$($ty)::+ as ServerFn>::PATH,
            encoding: <<$($ty)::+ as ServerFn>::Protocol as ArgsEncoding>::ENCODING,
            args: &[$((stringify!($arg), Shape::$shape)),*],
            answers: Answers::$answers,
            ids: $ids,
        }
    }};
}

fn every_server_function() -> Vec<Rpc> {
    use Ids::{NoneBecause as No, Taken};
    let staff = No("only staff may call it, and a customer is refused before anything is read");
    let own = No("it concerns the caller's own account only");
    vec![
        // Accounts.
        rpc!(app::accounts::SignUp {
            email: Scalar, password: Scalar, name: Scalar, company: Scalar, industry: Scalar
        } => Refusal, No("a new account's details")),
        rpc!(app::accounts::SignIn { email: Scalar, password: Scalar, next: Scalar }
            => Refusal, No("credentials, refused alike for a known and an unknown email")),
        rpc!(app::accounts::SignOut {} => Anyone, own),
        rpc!(app::accounts::CurrentUser {} => Anyone, own),
        rpc!(app::accounts::UpdateProfile { name: Scalar, company: Scalar, industry: Scalar }
            => Refusal, own),
        rpc!(app::accounts::ChangePassword { current_password: Scalar, new_password: Scalar }
            => Refusal, own),
        rpc!(app::accounts::MySignIns {} => OwnAccount, own),
        rpc!(app::accounts::EndSession { handle: Scalar } => Refusal, Taken),
        rpc!(app::accounts::RevokeToken { handle: Scalar } => Refusal, Taken),
        // Address book.
        rpc!(app::addresses::ListAddresses {} => OwnAccount, own),
        rpc!(app::addresses::SaveAddress { id: Scalar, address: Composite } => Refusal, Taken),
        rpc!(app::addresses::DeleteAddress { id: Scalar } => Refusal, Taken),
        // Customer care and KPIs.
        rpc!(app::crm::StaffOverview {} => Refusal, staff),
        rpc!(app::crm::ListCustomers { query: Composite } => Refusal, Taken),
        rpc!(app::crm::LoadCustomer360 { id: Scalar } => Refusal, Taken),
        rpc!(app::crm::AddCustomerNote { id: Scalar, body: Scalar } => Refusal, Taken),
        rpc!(app::crm::AssignAccountManager { id: Scalar, user_id: Scalar } => Refusal, Taken),
        rpc!(app::crm::MyAccountManager {} => OwnAccount, own),
        rpc!(app::crm::KpiReport { query: Composite } => Refusal, Taken),
        rpc!(app::crm::KpiItems { kpi: Scalar, query: Composite, page: Scalar } => Refusal, Taken),
        rpc!(app::crm::LoadSegments {} => Refusal, staff),
        rpc!(app::crm::RecomputeTiers {} => Refusal, staff),
        rpc!(app::crm::RetentionQueue {} => Refusal, staff),
        rpc!(app::crm::RecordOutreach { id: Scalar, outcome: Scalar, note: Scalar }
            => Refusal, Taken),
        // Orders.
        rpc!(app::orders::QuoteFromAddressBook { form: Composite } => Refusal, Taken),
        rpc!(app::orders::CheckBooking { draft: Composite, stage: Scalar } => Refusal, Taken),
        rpc!(app::orders::BookShipment { draft: Composite, key: Scalar } => Refusal, Taken),
        rpc!(app::orders::ListShipments { query: Composite } => Refusal, Taken),
        rpc!(app::orders::GetShipment { tracking_number: Scalar } => Refusal, Taken),
        rpc!(app::orders::CancelShipment { tracking_number: Scalar } => Refusal, Taken),
        rpc!(app::orders::PreviewImport { file_base64: Scalar }
            => Refusal, No("a CSV file of the caller's")),
        rpc!(app::orders::BookImportRows { batch_key: Scalar, rows: Composite }
            => Refusal, No("whole addresses; the batch key prefixes keys kept per customer")),
        // Delivery windows.
        rpc!(app::orders::DraftSlots { draft: Composite, purpose: Scalar } => Refusal, Taken),
        rpc!(app::orders::ChooseDeliverySlot { tracking_number: Scalar, slot_id: Scalar }
            => Refusal, Taken),
        rpc!(app::orders::ShipmentSlots { tracking_number: Scalar } => Refusal, Taken),
        rpc!(app::slots::ListTemplates {} => Refusal, staff),
        rpc!(app::slots::SaveTemplate { form: Composite } => Refusal, Taken),
        rpc!(app::slots::TemplateSlots { template_id: Scalar, from: Scalar, days: Scalar }
            => Refusal, Taken),
        rpc!(app::slots::UpdateSlot { slot_id: Scalar, update: Composite } => Refusal, Taken),
        // Notifications.
        rpc!(app::notifications::MyNotifications {} => OwnAccount, own),
        rpc!(app::notifications::MarkAllRead {} => OwnAccount, own),
        rpc!(app::notifications::MyPreferences {} => OwnAccount, own),
        rpc!(app::notifications::SavePreferences { preferences: Composite } => Refusal, own),
        rpc!(app::notifications::MyWebhooks {} => OwnAccount, own),
        rpc!(app::notifications::AddWebhook { url: Scalar }
            => Refusal, No("a URL of the caller's")),
        rpc!(app::notifications::RemoveWebhook { id: Scalar } => Refusal, Taken),
        // Returns.
        rpc!(app::returns::LoadReturnOptions { tracking_number: Scalar, link: Composite }
            => Refusal, Taken),
        rpc!(app::returns::RequestReturn {
            tracking_number: Scalar, link: Composite, request: Composite
        } => Refusal, Taken),
        rpc!(app::returns::GetReturn { id: Scalar, link: Composite } => Refusal, Taken),
        rpc!(app::returns::MyReturns {} => OwnAccount, own),
        rpc!(app::returns::AddReturnPhoto { id: Scalar, link: Composite, data_base64: Scalar }
            => Refusal, Taken),
        rpc!(app::returns::DecideReturn { id: Scalar, decision: Composite } => Refusal, Taken),
        rpc!(app::returns::RefundReturn { id: Scalar, input: Composite } => Refusal, Taken),
        // Complaints.
        rpc!(app::complaints::FileComplaint { input: Composite } => Refusal, Taken),
        rpc!(app::complaints::GetComplaint { id: Scalar } => Refusal, Taken),
        rpc!(app::complaints::MyComplaints {} => OwnAccount, own),
        rpc!(app::complaints::LoadAgentQueues {} => Refusal, staff),
        rpc!(app::complaints::ActOnComplaint { id: Scalar, action: Composite } => Refusal, Taken),
        rpc!(app::complaints::AttachToComplaint { id: Scalar, data_base64: Scalar }
            => Refusal, Taken),
        // Tracking and ratings.
        rpc!(app::tracking::TrackMany { numbers: Composite } => Refusal, Taken),
        rpc!(app::ratings::LoadRating { tracking_number: Scalar, proof: Composite }
            => Refusal, Taken),
        rpc!(app::ratings::SaveRating {
            tracking_number: Scalar, proof: Composite, input: Composite
        } => Refusal, Taken),
    ]
}

/// The table above, checked against Leptos's registry: every registered server function is in
/// it exactly once, so a new one fails these tests until it is classified.
pub fn classified() -> Vec<Rpc> {
    let table = every_server_function();
    let registered: BTreeMap<&'static str, String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path, method.to_string()))
        .collect();
    let not_post: Vec<_> = registered
        .iter()
        .filter(|(_, method)| method.as_str() != "POST")
        .collect();
    assert!(
        not_post.is_empty(),
        "the router mounts server functions for POST only: {not_post:?}"
    );
    let mut listed = BTreeSet::new();
    for rpc in &table {
        assert!(listed.insert(rpc.path), "{} is listed twice", rpc.path);
        assert!(
            rpc.answers == Answers::Refusal || rpc.args.is_empty(),
            "{} may succeed without arguments only if it takes none",
            rpc.path
        );
    }
    let registered: BTreeSet<&'static str> = registered.into_keys().collect();
    let unclassified: Vec<_> = registered.difference(&listed).collect();
    let unregistered: Vec<_> = listed.difference(&registered).collect();
    assert!(
        unclassified.is_empty() && unregistered.is_empty(),
        "server functions registered but not classified here: {unclassified:?}; classified but \
         not registered: {unregistered:?}"
    );
    table
}

// ---------------------------------------------------------------------------------------------
// Sending.

/// What came back: the status (0 when nothing did) and the body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The `AppError` variant refused with: a 4xx's body, or the `Err` of a form function's
    /// reply in a 200.
    pub fn refusal(&self) -> Option<String> {
        let value: Value = serde_json::from_str(&self.body).ok()?;
        let error = match self.status {
            400..=599 => &value,
            200 => value.get("Err")?,
            _ => return None,
        };
        match error {
            Value::String(variant) => Some(variant.clone()),
            Value::Object(fields) => fields.keys().next().cloned(),
            _ => None,
        }
    }

    /// The server's fault: a 5xx, no answer, or an internal error inside a 200.
    pub fn server_failed(&self) -> bool {
        self.status == 0
            || self.status >= 500
            || matches!(self.refusal().as_deref(), Some("Internal" | "Transport"))
    }

    pub fn refused(&self) -> bool {
        (400..500).contains(&self.status) || (self.status == 200 && self.refusal().is_some())
    }

    /// `status variant`, for the tables.
    pub fn summary(&self) -> String {
        match self.refusal() {
            Some(variant) => format!("{} {variant}", self.status),
            None => self.status.to_string(),
        }
    }

    pub fn body_start(&self) -> String {
        self.body.chars().take(300).collect()
    }
}

/// A client that keeps no cookies: each request carries exactly the session it is given.
pub fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs `jobs` a few at a time, answers in the jobs' order.
pub async fn all<T>(jobs: impl IntoIterator<Item = impl Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(jobs).buffered(16).collect().await
}

/// POSTs `body` to the server function at `path` the way the app's client does, from
/// `origin`, with the `pp_session=...` pair `session` if given.
pub async fn post_rpc(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    content_type: &str,
    origin: &str,
    session: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut req = client
        .post(format!("{base}{path}"))
        .header("Accept", "application/json")
        .header("Content-Type", content_type)
        .header("Origin", origin)
        .body(body);
    if let Some(cookie) = session {
        req = req.header("Cookie", cookie);
    }
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            Answer { status, body }
        }
        Err(e) => Answer {
            status: 0,
            body: format!("no answer: {e}"),
        },
    }
}

/// A new session of `email`'s, as the `pp_session=...` pair its browser sends back.
pub async fn session_of(app: &TestApp, email: &str) -> String {
    let res = client()
        .post(app.url(<app::accounts::SignIn as ServerFn>::PATH))
        .header("Accept", "application/json")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{email} signs in");
    session_pair(res.headers())
}

/// `args` as a form posts them: nested fields as `outer[inner]`, list items as `list[i]`.
pub fn form_encoded(args: &Value) -> String {
    fn nested(outer: &str, name: &str) -> String {
        match outer {
            "" => name.to_string(),
            outer => format!("{outer}[{name}]"),
        }
    }
    fn pairs(key: String, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(fields) => {
                for (name, v) in fields {
                    pairs(nested(&key, name), v, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    pairs(nested(&key, &i.to_string()), v, out);
                }
            }
            Value::Null => {}
            Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
    let mut out = Vec::new();
    pairs(String::new(), args, &mut out);
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(&out);
    url.query().unwrap_or_default().to_string()
}
