//! PostgreSQL stopped under load and started again. The real server runs on a fresh database
//! under the crash load (with outages expected: a 503 is sent again like a request that got no
//! answer) and a few readers (the API and pages, for anyone and for a signed-in customer, and
//! `/readyz`), while a tracking page's live stream is open. PostgreSQL is then stopped with
//! `pg_ctlcluster ... stop -m fast` and started again [`OUTAGE`] later: a stop and a start, not
//! `restart`, so that there is a real outage between them for the requests to meet.
//!
//! While it is away every answer is a prompt 503 with `Retry-After` (a page to come back to
//! for pages), never a 500, a hang, or a refused connection. After it the server serves again
//! by itself within [`RECOVERY`], `/readyz` is ready, a scan posted at once reaches the stream
//! opened before the outage (or its reconnection, as a browser's EventSource makes one), the
//! process never exited, and the database holds every acknowledged write once.
//!
//! Runs only when TEST_DATABASE_URL is a postgres URL of a cluster on this machine that this
//! user may stop and start with `pg_ctlcluster` (root, or the cluster's owner); otherwise it
//! prints SKIP and passes. PostgreSQL is started again however the test ends ([`Restart`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::load::{self, Answer, Booking, Ledger, Outcome, Scan, Shared, Timed};
use crate::process::World;
use crate::{verify, Config, Rng, EXIT_SLACK, ONE_AT_A_TIME};

/// How long PostgreSQL stays stopped: longer than the server waits for a connection (3 s), so
/// every reader has an answer while it is away.
const OUTAGE: Duration = Duration::from_secs(4);
/// The longest any answer may take, outage or not.
const SLOWEST_ANSWER: Duration = Duration::from_secs(10);
/// After PostgreSQL is started again, the server serves again and is ready within this.
const RECOVERY: Duration = Duration::from_secs(15);
/// The scan posted after the restart reaches the live stream within this.
const STREAM_WAIT: Duration = Duration::from_secs(15);
/// The load goes on this long after the recovery, for writes to be acknowledged again.
const AFTER_RECOVERY: Duration = Duration::from_secs(2);
/// The server's grace period when it is stopped at the end.
const GRACE: Duration = Duration::from_secs(10);
/// Acknowledged bookings asked again at the end with their key (all those in doubt are too).
const REPLAY_SAMPLE: usize = 20;
/// A reader's pause between requests.
const READ_PAUSE: Duration = Duration::from_millis(100);
/// The live page's parcel's idempotency key and reference, and the prefix of its scans' ids.
const LIVE_KEY: &str = "live-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_stopped_under_load_means_503s_then_the_server_recovers_by_itself() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let admin = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            println!("SKIP PostgreSQL restart test: TEST_DATABASE_URL is not a postgres:// URL");
            return;
        }
    };
    let cluster = match local_cluster(&admin).await {
        Ok(cluster) => cluster,
        Err(why) => {
            println!("SKIP PostgreSQL restart test: {why}");
            return;
        }
    };
    let config = Config::from_env();
    let mut rng = Rng::new(config.seed);
    let mut world = World::create("pgrestart", GRACE).await;
    // The readers and the stream look the parcel up far more often than a person would.
    world.set_env("TRACK_LOOKUP_LIMIT", "1000000");
    // The notification relay's "resumed" line is at info.
    world.set_env("RUST_LOG", "warn,server=info,app::platform::db=info");
    println!(
        "PostgreSQL restart test on cluster {} {}: seed {} (CRASH_SEED); logs in {}",
        cluster.version,
        cluster.name,
        config.seed,
        world.dir.display()
    );
    let carrier = world.create_operators().await;
    let mut server = world.start().await;
    let fixtures = load::Fixtures::create(&server.base, carrier).await;
    let shared = Shared::new(&server.base, fixtures);
    shared.expect_outages();

    // A tracking page's live stream, on a parcel of the test's own; live before the outage.
    let mut live = LiveParcel::book(&shared).await;
    let stream = shared
        .target
        .url(&format!("/api/v1/track/{}/stream", live.tn));
    let follower = Follower::start(stream);
    assert!(
        follower.wait_connected(STREAM_WAIT).await,
        "the live stream did not open: {}",
        follower.summary()
    );
    live.scan(&shared, "picked_up", RECOVERY).await;
    assert!(
        follower.wait_for("picked_up", STREAM_WAIT).await,
        "the stream did not carry a scan before the outage: {}",
        follower.summary()
    );

    let tasks = load::start(&shared, &mut rng);
    let stop_readers = Arc::new(AtomicBool::new(false));
    let reads = reads(&live.tn, &shared.fixtures.shipper);
    let labels: Vec<&'static str> = reads.iter().map(|r| r.0).collect();
    let readers: Vec<JoinHandle<()>> = reads
        .into_iter()
        .map(|(what, path, bearer)| {
            tokio::spawn(reader(
                shared.clone(),
                what,
                path,
                bearer,
                stop_readers.clone(),
            ))
        })
        .collect();
    let warmed_up = tokio::time::timeout(Duration::from_secs(90), async {
        while !shared.warmed_up() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        warmed_up.is_ok(),
        "the load got going within 90 s: {}",
        shared.summary()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut restart = Restart::arm(&cluster);
    let stopping = Instant::now();
    if let Err(why) = cluster.ctl(&["stop", "-m", "fast"]).await {
        println!("SKIP PostgreSQL restart test: PostgreSQL could not be stopped: {why}");
        stop_readers.store(true, Ordering::SeqCst);
        load::finish(&shared, tasks).await;
        let (status, _) = server.terminate(GRACE + EXIT_SLACK).await;
        println!("the server stopped with {status}");
        return;
    }
    let stopped = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    let starting = Instant::now();
    if let Err(why) = restart.start().await {
        panic!("PostgreSQL did not start again: {why}");
    }
    let started = Instant::now();
    println!(
        "PostgreSQL: stop took {:?}, stopped for {OUTAGE:?}, start took {:?}",
        stopped - stopping,
        started - starting
    );

    // At once, while the server may still be reconnecting: the scan the live page waits for.
    live.scan(&shared, "in_transit", RECOVERY).await;
    let mut problems = Vec::new();
    if !follower.wait_for("in_transit", STREAM_WAIT).await {
        problems.push(format!(
            "the scan posted after the restart did not reach the live stream within \
             {STREAM_WAIT:?}: {}",
            follower.summary()
        ));
    }
    let ready = wait_until_ready(&shared, started + RECOVERY).await;
    match ready {
        Some(at) => println!("/readyz ready {:?} after the start", at - started),
        None => problems.push(format!(
            "/readyz not ready within {RECOVERY:?} of the start"
        )),
    }
    tokio::time::sleep(AFTER_RECOVERY).await;
    stop_readers.store(true, Ordering::SeqCst);
    load::finish(&shared, tasks).await;
    for reader in readers {
        reader.await.expect("a reader panicked");
    }
    assert_eq!(
        server.exited(),
        None,
        "the server exited during the outage:\n{}",
        world.last_log()
    );
    let replayed = load::replay_bookings(&shared, &mut rng, REPLAY_SAMPLE).await;
    println!("{replayed}");
    let (status, took) = server.terminate(GRACE + EXIT_SLACK).await;
    assert!(
        status.success(),
        "the server stopped with {status} after {took:?}"
    );

    let timeline = shared.timeline();
    let recovered = timeline
        .iter()
        .filter(|t| t.sent >= starting && t.status.is_some_and(|s| (200..300).contains(&s)))
        .map(|t| t.sent + t.took)
        .min();
    match recovered {
        Some(at) if at <= started + RECOVERY => {
            println!("serving again {:?} after the start", at - started)
        }
        _ => problems.push(format!(
            "no request succeeded within {RECOVERY:?} of the start"
        )),
    }
    let moments = Moments {
        stopping,
        stopped,
        starting,
        recovered: recovered.unwrap_or(started + RECOVERY),
    };
    let (figures, answer_problems) = judge(&timeline, &moments, &labels);
    println!("{figures}; live stream: {}", follower.summary());
    problems.extend(answer_problems);
    let log = world.last_log();
    for line in [
        "live notifications interrupted",
        "live notifications resumed",
    ] {
        if !log.contains(line) {
            problems.push(format!("the server's log does not say {line:?}"));
        }
    }

    let mut ledger = shared.ledger_snapshot();
    live.record(&mut ledger);
    println!("{}", ledger.summary());
    let (verified, more) = verify::verify(&world.database_url, &ledger).await;
    println!("{verified}");
    problems.extend(more);
    problems.extend(ledger.unexpected.iter().cloned());
    world.print_log_errors();
    verify::assert_none(&problems, config.seed);
}

/// A PostgreSQL cluster as `pg_ctlcluster` names it.
struct Cluster {
    version: String,
    name: String,
}

impl Cluster {
    /// `pg_ctlcluster <version> <name> <args>`, past systemd, as `.ci/run` starts it.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new("pg_ctlcluster");
        cmd.arg("--skip-systemctl-redirect")
            .arg(&self.version)
            .arg(&self.name)
            .args(args);
        cmd
    }

    async fn ctl(&self, args: &[&str]) -> Result<(), String> {
        let out = Command::from(self.command(args))
            .output()
            .await
            .map_err(|e| format!("pg_ctlcluster {args:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctlcluster {args:?}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

/// Starts the cluster again when dropped, however the test ends (a failed assertion unwinds
/// through it): the tests after this one, and CI, need PostgreSQL running.
struct Restart<'a> {
    cluster: &'a Cluster,
    armed: bool,
}

impl<'a> Restart<'a> {
    fn arm(cluster: &'a Cluster) -> Restart<'a> {
        Restart {
            cluster,
            armed: true,
        }
    }

    async fn start(&mut self) -> Result<(), String> {
        self.cluster.ctl(&["start"]).await?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Blocking is no matter here: the test is over.
        match self.cluster.command(&["start"]).output() {
            Ok(out) => eprintln!(
                "PostgreSQL started again on the way out: {} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("PostgreSQL could NOT be started again: pg_ctlcluster: {e}"),
        }
    }
}

/// The cluster serving `url` when it runs on this machine and this user may stop and start it
/// (root, or its owner); otherwise why not.
async fn local_cluster(url: &str) -> Result<Cluster, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("TEST_DATABASE_URL: {e}"))?;
    let host = parsed.host_str().unwrap_or("");
    if !["", "localhost", "127.0.0.1", "[::1]"].contains(&host) {
        return Err(format!("PostgreSQL runs on {host}, not on this machine"));
    }
    let port = parsed.port().unwrap_or(5432).to_string();
    let listed = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .await;
    let (version, name, owner) = match listed {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            // Ver Cluster Port Status Owner Data-directory Log-file
            let found = text
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .find(|cols| cols.len() >= 5 && cols[2] == port)
                .ok_or_else(|| format!("no cluster on port {port} in pg_lsclusters:\n{text}"))?;
            if !found[3].starts_with("online") {
                return Err(format!("the cluster on port {port} is {}", found[3]));
            }
            (
                found[0].to_string(),
                found[1].to_string(),
                Some(found[4].to_string()),
            )
        }
        // Without postgresql-common's listing: the one version under /etc/postgresql and its
        // `main` cluster, as `.ci/run` starts it.
        _ => {
            let versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
                .map_err(|e| format!("neither pg_lsclusters nor /etc/postgresql: {e}"))?
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            match versions.as_slice() {
                [version] => (version.clone(), "main".to_string(), None),
                _ => return Err(format!("versions under /etc/postgresql: {versions:?}")),
            }
        }
    };
    let me = Command::new("id")
        .arg("-un")
        .output()
        .await
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    match owner {
        Some(owner) if me != "root" && me != owner => Err(format!(
            "the cluster belongs to {owner}; only it or root may stop it, and this is {me:?}"
        )),
        _ => Ok(Cluster { version, name }),
    }
}

/// What the readers ask, each on a task of its own: a parcel through the API and its page for
/// anyone, the customer's shipment through the API and the shipments page (by token, as the
/// load signs in), and readiness. Label, path, and the token if any.
fn reads(tn: &str, shipper: &str) -> Vec<(&'static str, String, Option<String>)> {
    let shipper = Some(shipper.to_string());
    vec![
        (
            "API: shipment",
            format!("/api/v1/shipments/{tn}"),
            shipper.clone(),
        ),
        ("API: public tracking", format!("/api/v1/track/{tn}"), None),
        ("page: tracking", format!("/track/{tn}"), None),
        ("page: shipments", "/shipments".to_string(), shipper),
        ("/readyz", "/readyz".to_string(), None),
    ]
}

async fn reader(
    shared: Arc<Shared>,
    what: &'static str,
    path: String,
    bearer: Option<String>,
    stop: Arc<AtomicBool>,
) {
    let http = load::client();
    while !stop.load(Ordering::SeqCst) {
        let mut req = http.get(shared.target.url(&path));
        if let Some(token) = &bearer {
            req = req.bearer_auth(token);
        }
        shared.call(what, req).await;
        tokio::time::sleep(READ_PAUSE).await;
    }
}

/// Asks `/readyz` until it is ready (200) or `deadline` passes: when it was.
async fn wait_until_ready(shared: &Shared, deadline: Instant) -> Option<Instant> {
    let http = load::client();
    loop {
        let req = http.get(shared.target.url("/readyz"));
        if let Answer::Got { status: 200, .. } = shared.call("/readyz after the start", req).await {
            return Some(Instant::now());
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The moments that divide the run.
struct Moments {
    /// `pg_ctlcluster stop` was run...
    stopping: Instant,
    /// ...and had returned: PostgreSQL is down.
    stopped: Instant,
    /// `pg_ctlcluster start` was run.
    starting: Instant,
    /// The first request after that one answered with success.
    recovered: Instant,
}

/// Every answer by when its request went: prompt, never a 5xx but a 503 with `Retry-After`,
/// 503 only from the stop to the recovery and nothing else while PostgreSQL was down; each
/// reader answered 200 before, 503 during and 200 after; a booking acknowledged after. Returns
/// what was counted and the problems.
fn judge(timeline: &[Timed], at: &Moments, readers: &[&'static str]) -> (String, Vec<String>) {
    let mut problems = Vec::new();
    let since_stop = |i: Instant| i.saturating_duration_since(at.stopping).as_secs_f64();
    let (mut during, mut unavailable) = (0, 0);
    let (mut slowest, mut slowest_during) = (Duration::ZERO, Duration::ZERO);
    for t in timeline {
        let answered = t.sent + t.took;
        let when = format!(
            "{} sent {:.1} s after the stop began, took {:?}",
            t.what,
            since_stop(t.sent),
            t.took
        );
        let down = t.sent >= at.stopped && answered <= at.starting;
        if down {
            during += 1;
            slowest_during = slowest_during.max(t.took);
        }
        slowest = slowest.max(t.took);
        if t.took > SLOWEST_ANSWER {
            problems.push(format!("{when}: slower than {SLOWEST_ANSWER:?}"));
        }
        match t.status {
            None => problems.push(format!(
                "{when}: no answer (the server must answer every request)"
            )),
            Some(503) => {
                unavailable += 1;
                if !t.retry_after {
                    problems.push(format!("{when}: 503 without Retry-After"));
                }
                if answered < at.stopping {
                    problems.push(format!("{when}: 503 before PostgreSQL was stopped"));
                }
                if t.sent > at.recovered {
                    problems.push(format!("{when}: 503 after the server had recovered"));
                }
            }
            Some(status) if status >= 500 => problems.push(format!("{when}: {status}")),
            Some(status) if down => {
                problems.push(format!("{when}: {status} while PostgreSQL was stopped"))
            }
            Some(_) => {}
        }
    }
    for &what in readers {
        let answers = || timeline.iter().filter(move |t| t.what == what);
        if !answers().any(|t| t.sent + t.took < at.stopping && t.status == Some(200)) {
            problems.push(format!("{what}: no 200 before the outage"));
        }
        let answered_while_down = |t: &&Timed| {
            let answered = t.sent + t.took;
            answered > at.stopped && answered <= at.starting
        };
        if !answers()
            .filter(answered_while_down)
            .any(|t| t.status == Some(503))
        {
            problems.push(format!("{what}: no 503 while PostgreSQL was stopped"));
        }
        if !answers().any(|t| t.sent > at.recovered && t.status == Some(200)) {
            problems.push(format!("{what}: no 200 after the recovery"));
        }
    }
    if !timeline
        .iter()
        .any(|t| t.what == "booking" && t.sent > at.recovered && t.status == Some(201))
    {
        problems.push("no booking was acknowledged after the recovery".into());
    }
    let figures = format!(
        "{} answers, {during} of requests sent and answered while PostgreSQL was stopped, \
         {unavailable} 503s in all; slowest {slowest:?}, {slowest_during:?} while stopped",
        timeline.len()
    );
    (figures, problems)
}

/// The live page's parcel: booked and scanned by the test alone (the load never touches it),
/// and added to the ledger the database is checked against.
struct LiveParcel {
    body: Value,
    tn: String,
    scans: Vec<Scan>,
}

impl LiveParcel {
    async fn book(shared: &Shared) -> LiveParcel {
        let body = load::booking(LIVE_KEY, None);
        let created = load::expect_json(
            load::client()
                .post(shared.target.url("/api/v1/shipments"))
                .bearer_auth(&shared.fixtures.shipper)
                .header("Idempotency-Key", LIVE_KEY)
                .json(&body),
            201,
            "the live parcel's booking",
        )
        .await;
        let tn = created["tracking_number"]
            .as_str()
            .expect("a tracking number")
            .to_string();
        LiveParcel {
            body,
            tn,
            scans: Vec::new(),
        }
    }

    /// The carrier scans the parcel on to `to`, sending the scan again after a 503 until it is
    /// recorded, for up to `within`.
    async fn scan(&mut self, shared: &Shared, to: &str, within: Duration) {
        let event_id = format!("{LIVE_KEY}-{}", self.scans.len() + 1);
        let body = json!({"events": [{
            "event_id": event_id, "tracking_number": self.tn, "status": to,
            "time": jiff::Timestamp::now().to_string(), "place": "Beijing"
        }]});
        let http = load::client();
        let deadline = Instant::now() + within;
        loop {
            let req = http
                .post(shared.target.url("/api/v1/carrier/events"))
                .bearer_auth(&shared.fixtures.carrier)
                .json(&body);
            match shared.call("live parcel scan", req).await {
                Answer::Got {
                    status: 200,
                    body: reply,
                    ..
                } if matches!(
                    reply["results"][0]["outcome"].as_str(),
                    Some("recorded" | "duplicate")
                ) =>
                {
                    self.scans.push(Scan {
                        event_id,
                        tracking_number: self.tn.clone(),
                        status: to.to_string(),
                    });
                    return;
                }
                Answer::Got {
                    status,
                    body: reply,
                    ..
                } => panic!("the live parcel's {to} scan: {status} {reply}"),
                Answer::Lost { .. } => {
                    assert!(
                        Instant::now() < deadline,
                        "the live parcel's {to} scan was not recorded within {within:?}"
                    );
                    tokio::time::sleep(load::RETRY_PAUSE).await;
                }
            }
        }
    }

    /// Its booking and scans, into the ledger.
    fn record(&self, ledger: &mut Ledger) {
        ledger.bookings.push(Booking {
            key: LIVE_KEY.to_string(),
            body: self.body.clone(),
            lost_attempts: 0,
            outcome: Outcome::Booked(self.tn.clone()),
        });
        ledger.scans.extend(self.scans.iter().cloned());
    }
}

/// What the live stream delivered.
#[derive(Default)]
struct Followed {
    /// The statuses of its `tracking` events, in order.
    statuses: Vec<String>,
    /// Connections made: the first, and any reconnection.
    connections: usize,
    /// How each connection ended.
    ends: Vec<String>,
    /// A reconnection answered other than 200: there a browser's EventSource gives up.
    refused: Option<String>,
}

/// A tracking page's live stream, followed as a browser's EventSource follows it: after an end
/// it connects again (after the server's `retry`, else 3 s) with `Last-Event-ID`; an answer
/// other than 200 ends it for good.
struct Follower {
    seen: Arc<Mutex<Followed>>,
    task: JoinHandle<()>,
}

impl Follower {
    fn start(url: String) -> Follower {
        let seen = Arc::new(Mutex::new(Followed::default()));
        let task = tokio::spawn(follow(url, seen.clone()));
        Follower { seen, task }
    }

    fn seen(&self) -> MutexGuard<'_, Followed> {
        self.seen.lock().expect("followed")
    }

    /// Waits up to `within` for the stream to be open (answered 200, so the server listens
    /// for the parcel's events): whether it is.
    async fn wait_connected(&self, within: Duration) -> bool {
        self.wait_until(within, |seen| seen.connections > 0).await
    }

    /// Waits up to `within` for a `tracking` event saying `status`: whether it came.
    async fn wait_for(&self, status: &str, within: Duration) -> bool {
        self.wait_until(within, |seen| seen.statuses.iter().any(|s| s == status))
            .await
    }

    /// Waits up to `within` for `done`; gives up early once the stream was refused for good.
    async fn wait_until(&self, within: Duration, done: impl Fn(&Followed) -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            {
                let seen = self.seen();
                if done(&seen) {
                    return true;
                }
                if seen.refused.is_some() {
                    return false;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn summary(&self) -> String {
        let seen = self.seen();
        format!(
            "events {:?} over {} connection(s); ended: {:?}; refused: {:?}",
            seen.statuses, seen.connections, seen.ends, seen.refused
        )
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow(url: String, seen: Arc<Mutex<Followed>>) {
    // No time limit: the stream stays open through the whole test.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let mut last_id: Option<String> = None;
    let mut retry = Duration::from_secs(3);
    loop {
        let mut req = http
            .get(&url)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = &last_id {
            req = req.header("last-event-id", id.as_str());
        }
        match req.send().await {
            Ok(res) if res.status() == 200 => {
                seen.lock().expect("followed").connections += 1;
                let end = read_events(res, &seen, &mut last_id, &mut retry).await;
                seen.lock().expect("followed").ends.push(end);
            }
            Ok(res) => {
                seen.lock().expect("followed").refused = Some(res.status().to_string());
                return;
            }
            Err(e) => seen
                .lock()
                .expect("followed")
                .ends
                .push(format!("no connection: {e}")),
        }
        tokio::time::sleep(retry).await;
    }
}

/// Reads one connection's events until it ends, keeping the last id and the `retry` it was
/// given; says how it ended.
async fn read_events(
    mut res: reqwest::Response,
    seen: &Mutex<Followed>,
    last_id: &mut Option<String>,
    retry: &mut Duration,
) -> String {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(bytes)) => buf.extend_from_slice(&bytes),
            Ok(None) => return "ended by the server".into(),
            Err(e) => return format!("cut off: {e}"),
        }
        // One event per blank line; a keep-alive is a comment alone.
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buf.drain(..end + 2).collect();
            let (mut event, mut data) = (None, String::new());
            for line in String::from_utf8_lossy(&block).lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => event = Some(value.to_string()),
                    "data" => data.push_str(value),
                    "id" => *last_id = Some(value.to_string()),
                    "retry" => {
                        if let Ok(ms) = value.parse::<u64>() {
                            *retry = Duration::from_millis(ms);
                        }
                    }
                    _ => {}
                }
            }
            if event.as_deref() == Some("tracking") {
                let status = serde_json::from_str::<Value>(&data)
                    .ok()
                    .and_then(|d| d["status"].as_str().map(str::to_string))
                    .unwrap_or_default();
                seen.lock().expect("followed").statuses.push(status);
            }
        }
    }
}
