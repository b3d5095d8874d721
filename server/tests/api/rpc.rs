//! The server functions under `/rpc` are public HTTP endpoints like the REST API. Every one,
//! found in Leptos's registry at run time (so a new one cannot be missed), is sent missing,
//! malformed, mistyped, oversized and cross-site arguments, with and without a session, and
//! another customer's ids: the answer is the caller's fault (4xx), never the server's (5xx),
//! and never shows the other customer's data.
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
use serde_json::{json, Value};

use crate::after_delivery::{self, beijing_area, deliver, ok_json, post, recipient_window};
use crate::helpers::*;
use crate::shipments::{book, booking, customer};

// ---------------------------------------------------------------------------------------------
// Every server function, classified.

/// How a server function reads its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `application/x-www-form-urlencoded`, nested fields as `outer[inner]` (the default).
    Form,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Form => "application/x-www-form-urlencoded",
            Encoding::Json => "application/json",
        }
    }
}

/// A server function's input encoding, read off its type: one with another encoding does not
/// compile here until the probes know how to write it.
trait ArgsEncoding {
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
enum Shape {
    Scalar,
    Composite,
}

/// What a server function may answer arguments that are not there (the allow-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answers {
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
enum Ids {
    /// It does: `foreign_calls` calls it with customer A's.
    Taken,
    /// It does not, for this reason.
    NoneBecause(&'static str),
}

struct Rpc {
    path: &'static str,
    encoding: Encoding,
    /// Each argument's name and shape.
    args: &'static [(&'static str, Shape)],
    answers: Answers,
    ids: Ids,
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
        rpc!(app::slots::ShipmentSlots { tracking_number: Scalar } => Refusal, Taken),
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
fn classified() -> Vec<Rpc> {
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
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// The `AppError` variant refused with: a 4xx's body, or the `Err` of a form function's
    /// reply in a 200.
    fn refusal(&self) -> Option<String> {
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
    fn server_failed(&self) -> bool {
        self.status == 0
            || self.status >= 500
            || matches!(self.refusal().as_deref(), Some("Internal" | "Transport"))
    }

    fn refused(&self) -> bool {
        (400..500).contains(&self.status) || (self.status == 200 && self.refusal().is_some())
    }

    /// `status variant`, for the tables.
    fn summary(&self) -> String {
        match self.refusal() {
            Some(variant) => format!("{} {variant}", self.status),
            None => self.status.to_string(),
        }
    }

    fn body_start(&self) -> String {
        self.body.chars().take(300).collect()
    }
}

/// A client that keeps no cookies: each request carries exactly the session it is given.
fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs `jobs` a few at a time, answers in the jobs' order.
async fn all<T>(jobs: impl IntoIterator<Item = impl Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(jobs).buffered(16).collect().await
}

/// POSTs `body` to the server function at `path` the way the app's client does, from
/// `origin`, with the `pp_session=...` pair `session` if given.
async fn post_rpc(
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

/// A POST of `size` bytes written straight to the socket, its length announced or chunked (no
/// length: the limit is then met while the body is read). The answer is read while the body
/// still goes out, as the server may answer and close before it is through; the status, 0 when
/// none came.
async fn post_oversized(
    addr: &str,
    path: &str,
    content_type: &str,
    session: Option<&str>,
    size: usize,
    chunked: bool,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    let (mut reader, mut writer) = stream.into_split();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Accept: application/json\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
    );
    if let Some(cookie) = session {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {size}\r\n\r\n"));
    }
    let writing = tokio::spawn(async move {
        let block = vec![b'a'; 64 * 1024];
        writer.write_all(head.as_bytes()).await?;
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len());
            if chunked {
                writer.write_all(format!("{n:x}\r\n").as_bytes()).await?;
            }
            writer.write_all(&block[..n]).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
            left -= n;
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        // Kept open until the answer is read: a closed side would end the request early.
        Ok::<_, std::io::Error>(writer)
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    writing.abort();
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

/// A new session of `email`'s, as the `pp_session=...` pair its browser sends back.
async fn session_of(app: &TestApp, email: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// Missing, malformed, mistyped, oversized and cross-site arguments.

/// What a probe sends.
enum Sent {
    /// A body with the function's own content type, from this site.
    Body(Vec<u8>),
    /// An empty body from another site: the origin guard refuses it (403) whatever it holds.
    CrossSite,
    /// One byte over the function's body limit, announced or chunked: 413.
    Oversized { chunked: bool },
}

struct Probe<'a> {
    rpc: &'a Rpc,
    session: Option<&'a str>,
    name: &'static str,
    sent: Sent,
}

/// Bodies no server function can read its arguments from, but those of one taking none.
fn malformed(rpc: &Rpc) -> Vec<(&'static str, Vec<u8>)> {
    let mut bodies = vec![
        ("empty", Vec::new()),
        ("garbage", b"\x00\xff\xfe\x9c<{[garbage".to_vec()),
    ];
    match rpc.encoding {
        Encoding::Form => bodies.extend([
            ("not utf-8", b"a=\xff\xfe&b=\xc3\x28".to_vec()),
            (
                "junk pairs",
                b"zz_junk=1&%00=%00&=&&a[b][c][d][e][f][g][h]=deep".to_vec(),
            ),
            ("bad escapes", b"a=%zz&%=1&b=%e0%80&[[]=]".to_vec()),
        ]),
        Encoding::Json => bodies.extend([
            ("not utf-8", b"{\"a\": \"\xff\xfe\"}".to_vec()),
            (
                "junk fields",
                br#"{"zz_junk": 1, "\u0000": [null, {}]}"#.to_vec(),
            ),
            ("not an object", b"[true]".to_vec()),
            (
                "too deep",
                format!("{}{}", "[".repeat(4096), "]".repeat(4096)).into_bytes(),
            ),
        ]),
    }
    if !rpc.args.is_empty() {
        bodies.push(("wrong types", wrong_types(rpc).into_bytes()));
    }
    bodies
}

/// Every argument present with a value of the wrong type (see `Shape`).
fn wrong_types(rpc: &Rpc) -> String {
    match rpc.encoding {
        Encoding::Json => {
            let fields: serde_json::Map<String, Value> = rpc
                .args
                .iter()
                .map(|(name, _)| (name.to_string(), Value::Bool(true)))
                .collect();
            Value::Object(fields).to_string()
        }
        Encoding::Form => rpc
            .args
            .iter()
            .map(|(name, shape)| match shape {
                Shape::Scalar => format!("{name}[zz]=1"),
                Shape::Composite => format!("{name}=zz"),
            })
            .collect::<Vec<_>>()
            .join("&"),
    }
}

async fn probe(client: &reqwest::Client, base: &str, p: &Probe<'_>) -> Answer {
    let content_type = p.rpc.encoding.content_type();
    let (origin, body) = match &p.sent {
        Sent::Body(body) => (base, body.clone()),
        Sent::CrossSite => ("https://evil.example", Vec::new()),
        Sent::Oversized { chunked } => {
            let addr = base.trim_start_matches("http://");
            let size = server::api::limits::for_rpc(p.rpc.path) + 1;
            let sending = post_oversized(addr, p.rpc.path, content_type, p.session, size, *chunked);
            let status = tokio::time::timeout(Duration::from_secs(60), sending).await;
            let body = String::new();
            return Answer {
                status: status.unwrap_or(0),
                body,
            };
        }
    };
    post_rpc(
        client,
        base,
        p.rpc.path,
        content_type,
        origin,
        p.session,
        body,
    )
    .await
}

/// Why an answer to a probe is wrong, if it is.
fn probe_fault(p: &Probe<'_>, answer: &Answer) -> Option<&'static str> {
    if answer.server_failed() {
        return Some("the server failed");
    }
    match p.sent {
        Sent::CrossSite => (answer.status != 403).then_some("a cross-site write not refused (403)"),
        Sent::Oversized { .. } => (answer.status != 413).then_some("too large, not refused (413)"),
        Sent::Body(_) => {
            let may_succeed = match p.rpc.answers {
                Answers::Refusal => false,
                Answers::Anyone => true,
                Answers::OwnAccount => p.session.is_some(),
            };
            match answer.status {
                400..=499 => None,
                200..=299 if may_succeed => None,
                _ => Some("not refused with a 4xx"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_refuses_missing_malformed_oversized_and_cross_site_arguments() {
    let table = classified();
    let app = spawn_app().await;
    assert_eq!(app.sign_up("casey@example.com").await.status(), 201);
    let signed_in = session_of(&app, "casey@example.com").await;
    // Signing out ends the session it is sent with: it gets one of its own.
    let leaving = session_of(&app, "casey@example.com").await;
    let sign_out = <app::accounts::SignOut as ServerFn>::PATH;

    let mut probes = Vec::new();
    for rpc in &table {
        let own = if rpc.path == sign_out {
            &leaving
        } else {
            &signed_in
        };
        let own = Some(own.as_str());
        let mut sends = Vec::new();
        for session in [None, own] {
            for (name, body) in malformed(rpc) {
                sends.push((session, name, Sent::Body(body)));
            }
            sends.push((session, "cross-site", Sent::CrossSite));
            sends.push((session, "too large", Sent::Oversized { chunked: false }));
        }
        // The limit met while reading: the same for everyone, so sent once.
        sends.push((own, "too large, chunked", Sent::Oversized { chunked: true }));
        probes.extend(sends.into_iter().map(|(session, name, sent)| Probe {
            rpc,
            session,
            name,
            sent,
        }));
    }
    let prober = probe_client();
    let answers = all(probes.iter().map(|p| probe(&prober, &app.base, p))).await;

    let mut faults = Vec::new();
    let mut rows: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (p, answer) in probes.iter().zip(&answers) {
        let fault = probe_fault(p, answer);
        let who = if p.session.is_some() {
            "signed in"
        } else {
            "no session"
        };
        let mark = if fault.is_some() { " !" } else { "" };
        rows.entry((p.rpc.path, who)).or_default().push(format!(
            "{}={}{mark}",
            p.name,
            answer.summary()
        ));
        if let Some(why) = fault {
            faults.push(format!(
                "{} [{who}] {}: {} ({why}) {}",
                p.rpc.path,
                p.name,
                answer.summary(),
                answer.body_start()
            ));
        }
    }
    if !faults.is_empty() {
        let lines: Vec<String> = rows
            .iter()
            .map(|((path, who), cells)| format!("{path} [{who}]: {}", cells.join(", ")))
            .collect();
        panic!(
            "{} wrong answers:\n{}\n\nevery answer (probe=status, ! wrong):\n{}",
            faults.len(),
            faults.join("\n"),
            lines.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_no_account_can_have_is_refused_like_a_wrong_password() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up(A_EMAIL).await.status(), 201);
    // Letters that no compression shrinks under PostgreSQL's limit for an indexed key.
    let mut seed = 7_u64;
    let long: String = (0..5_000)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b'a' + ((seed >> 58) % 26) as u8)
        })
        .collect();
    let prober = probe_client();
    let sign_in = <app::accounts::SignIn as ServerFn>::PATH;
    for email in [format!("{A_EMAIL}\u{0}"), format!("{long}@example.com")] {
        let form = form_encoded(&json!({ "email": email, "password": PASSWORD }));
        let content_type = Encoding::Form.content_type();
        let answer = post_rpc(
            &prober,
            &app.base,
            sign_in,
            content_type,
            &app.base,
            None,
            form.into_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body_start());
        assert_eq!(
            answer.refusal().as_deref(),
            Some("InvalidCredentials"),
            "{}",
            answer.body_start()
        );
        error_body(
            app.token(&email, PASSWORD).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Another customer's ids.

const A_EMAIL: &str = "ada@example.com";
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
        call::<slots::ShipmentSlots>(json!({ "tracking_number": open }), NotFound),
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

/// `args` as a form posts them: nested fields as `outer[inner]`, list items as `list[i]`.
fn form_encoded(args: &Value) -> String {
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
