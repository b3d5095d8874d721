//! The sender: works through pending deliveries, by email (SMTP) and signed webhooks.
//!
//! A delivery is claimed with a compare-and-set lease (`locked_until`) so instances sharing a
//! database never work on the same row at once. If a sender dies between sending and recording,
//! the lease lapses and the message goes again: nothing is lost, and a webhook receiver sees the
//! same `Parcelport-Event-Id` and can drop the repeat. Failures, a message that cannot be read
//! back among them, are retried with growing pauses, at most `MAX_ATTEMPTS` tries in all.
//!
//! Email while no SMTP relay is configured is `held`: no try is used and nothing polls it; the
//! first round of a sender with `SMTP_URL` makes it pending again, and staff see the count.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use super::rating_link;
use super::service::{is_private, notification_from};
use super::{MessageText, Notification, NotificationKind};
use crate::error::AppError;
use crate::i18n::{fill, Locale};
use crate::platform::insert::Insert;
use crate::platform::lifecycle::Worker;
use crate::platform::{now_ms, Db, Settings};

/// Tries before a delivery is given up as failed (the last pause is hours long).
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest pause between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// How long a claim lasts: longer than any one send may take.
const LEASE_MS: i64 = 60_000;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries taken per round.
const BATCH: i64 = 50;
/// What the delivery log says of every endpoint whose address is not public, whatever its port
/// and whether anything listens there: nothing is sent, so the log tells nothing about the
/// networks behind the portal.
pub const REFUSED: &str = "refused: the address is not public";
/// What the log says of a try whose message could not be read back from the database (the
/// details go to the server log, not to the customer): retried like a failed send.
pub const UNREADABLE: &str = "the message could not be read";
/// What the log says of a delivery whose tries ran out without the last one's outcome being
/// recorded (its sender stopped in between): it is not tried again.
pub const UNRECORDED: &str = "gave up: the last try's outcome was not recorded";
/// What the log says of a try its sender never finished recording (it stopped in between):
/// written when the next try is claimed, so the log shows every try the endpoint may have seen.
pub const CUT_OFF: &str = "cut off: the sender stopped before this try's outcome was recorded";
/// Why an email is held.
pub const SMTP_MISSING: &str = "waiting for SMTP: SMTP_URL is not set or not usable";

/// The resolver's refusal, found again in the client's error chain.
#[derive(Debug)]
struct NotPublic;

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED)
    }
}

impl std::error::Error for NotPublic {}

/// The webhook client's DNS: resolves with the system resolver and refuses the whole name when
/// any of its addresses is not public (unless `WEBHOOK_ALLOW_PRIVATE`). The client connects
/// only to the addresses returned here, so the address checked is the address called: a
/// second lookup that answers differently never happens.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(resolve_public(
            name.as_str().to_string(),
            self.allow_private,
        ))
    }
}

async fn resolve_public(
    host: String,
    allow_private: bool,
) -> Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> {
    // Port 0: the client puts the URL's port in.
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if !allow_private && addrs.iter().any(|a| is_private(a.ip())) {
        return Err(Box::new(NotPublic));
    }
    Ok(Box::new(addrs.into_iter()))
}

/// Whether the client's error is the resolver's refusal.
fn refused_by_resolver(e: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> =
        Some(e as &(dyn std::error::Error + 'static));
    while let Some(err) = cause {
        if err.downcast_ref::<NotPublic>().is_some() {
            return true;
        }
        cause = err.source();
    }
    false
}

/// Whether the endpoint names a non-public IP address itself: the client connects to an IP
/// literal without asking the resolver, so it is checked here.
fn literal_not_public(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        _ => false,
    }
}

/// The id a webhook receiver sees for a message: the same on every retry.
pub fn event_id(notification_id: i64) -> String {
    format!("ntf_{notification_id}")
}

/// HMAC-SHA256 of `"{timestamp}.{body}"` with the endpoint's secret, in lower-case hex.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What a receiver does: checks the `Parcelport-Signature` header (`v1=<hex>`) in constant time.
pub fn verify_signature(secret: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let Some(given) = header
        .trim()
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// The pause after the `attempts`-th failed try: `base`, doubling, at most six hours.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

enum Outcome {
    Sent {
        status_code: Option<i64>,
    },
    Failed {
        status_code: Option<i64>,
        error: String,
    },
    Skipped(String),
    /// The endpoint's address is not public: nothing was sent, and it is not tried again.
    Refused,
    /// An email with no SMTP relay to send it: not a try; it waits for one.
    Held,
}

/// What claiming a delivery found.
enum Claim {
    /// This sender has it for its try with this number.
    Try(i64),
    /// Its tries are used up but its last outcome was never recorded: this sender has it to
    /// close it, with its count of tries.
    Spent(i64),
    /// Another sender has it, or it is no longer due.
    NotDue,
}

/// One delivery with its message, as the sender needs it.
struct Pending {
    id: i64,
    customer_id: i64,
    webhook_id: i64,
    channel: String,
    target: String,
    notification: Notification,
    payload: serde_json::Value,
    locale: Locale,
    webhook: Option<(String, String, bool)>,
}

/// A delivery joined with its message, the customer's language and its webhook (the webhook's
/// columns are NULL for email).
#[derive(sqlx::FromRow)]
struct PendingRow {
    channel: String,
    target: String,
    notification_id: i64,
    kind: String,
    payload: String,
    created_at: i64,
    notification_locale: String,
    url: Option<String>,
    secret: Option<String>,
    deleted_at: Option<i64>,
    customer_id: i64,
    webhook_id: Option<i64>,
}

#[derive(Clone)]
pub struct Sender {
    db: Db,
    settings: Arc<Settings>,
    http: reqwest::Client,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

/// An SMTP relay from `smtp://[user:password@]host[:port]` (port 25 by default).
fn mailer(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let url = url::Url::parse(url).map_err(|e| e.to_string())?;
    if url.scheme() != "smtp" {
        return Err("SMTP_URL must start with smtp://".into());
    }
    let host = url.host_str().ok_or("SMTP_URL has no host")?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(url.port().unwrap_or(25))
        .timeout(Some(Duration::from_secs(20)));
    if !url.username().is_empty() {
        builder = builder.credentials(Credentials::new(
            url.username().to_string(),
            url.password().unwrap_or_default().to_string(),
        ));
    }
    Ok(builder.build())
}

impl Sender {
    pub fn new(db: Db, settings: Arc<Settings>) -> Self {
        let mailer = settings.smtp_url.as_deref().and_then(|u| match mailer(u) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!("SMTP_URL not usable, email is held: {e}");
                None
            }
        });
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            // A redirect could lead anywhere, including inside our network: it counts as a failure.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Parcelport-Webhooks/1")
            // No proxy from the environment: it would resolve and connect in our place.
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly {
                allow_private: settings.webhook_allow_private,
            }))
            .build()
            .expect("HTTP client");
        Self {
            db,
            settings,
            http,
            mailer,
        }
    }

    /// Sends whatever is due, every `NOTIFY_POLL_MS` (the worker's schedule), until the stop:
    /// the deliveries of a round under way are finished and recorded first.
    pub async fn run(self, worker: Worker) {
        let me = &self;
        worker
            .rounds(|| async move {
                if let Err(e) = me.tick(now_ms()).await {
                    tracing::warn!("notification round failed: {e:?}");
                }
            })
            .await;
    }

    /// One round: claims and sends the deliveries due at `now`; returns how many it handled.
    pub async fn tick(&self, now: i64) -> Result<usize, AppError> {
        if self.mailer.is_some() {
            // Email held while no relay was configured goes now.
            sqlx::query(
                "UPDATE notification_deliveries SET status = 'pending', last_error = NULL \
                 WHERE status = 'held' AND channel = 'email'",
            )
            .execute(&self.db.pool)
            .await?;
        }
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM notification_deliveries WHERE status = 'pending' \
             AND next_attempt_at <= $1 AND locked_until <= $1 ORDER BY next_attempt_at, id \
             LIMIT $2",
        )
        .bind(now)
        .bind(BATCH)
        .fetch_all(&self.db.pool)
        .await?;
        let mut set = tokio::task::JoinSet::new();
        for id in due {
            let me = self.clone();
            set.spawn(async move { me.deliver(id, now).await });
        }
        let mut handled = 0;
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Ok(true)) => handled += 1,
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::warn!("delivery failed to record: {e:?}"),
                Err(e) => tracing::error!("delivery task panicked: {e}"),
            }
        }
        Ok(handled)
    }

    /// Claims one delivery for a try, counted as it is claimed; one that has had all its tries
    /// is never tried again, only claimed to be closed.
    async fn claim(&self, id: i64, now: i64) -> Result<Claim, AppError> {
        let attempt: Option<i64> = sqlx::query_scalar(
            "UPDATE notification_deliveries SET locked_until = $1, attempts = attempts + 1 \
             WHERE id = $2 AND status = 'pending' AND locked_until <= $3 \
             AND next_attempt_at <= $3 AND attempts < $4 RETURNING attempts",
        )
        .bind(now + LEASE_MS)
        .bind(id)
        .bind(now)
        .bind(MAX_ATTEMPTS)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(attempt) = attempt {
            return Ok(Claim::Try(attempt));
        }
        let spent: Option<i64> = sqlx::query_scalar(
            "UPDATE notification_deliveries SET locked_until = $1 \
             WHERE id = $2 AND status = 'pending' AND locked_until <= $3 \
             AND next_attempt_at <= $3 AND attempts >= $4 RETURNING attempts",
        )
        .bind(now + LEASE_MS)
        .bind(id)
        .bind(now)
        .bind(MAX_ATTEMPTS)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(spent.map_or(Claim::NotDue, Claim::Spent))
    }

    /// The delivery with its message; `None` for a kind this version does not know. A row that
    /// cannot be read (or a payload that is not JSON) is an error.
    async fn load(&self, id: i64) -> Result<Option<Pending>, sqlx::Error> {
        let r: PendingRow = sqlx::query_as(
            "SELECT d.channel, d.target, n.id AS notification_id, n.kind, n.payload, \
             n.created_at, c.notification_locale, w.url, w.secret, w.deleted_at, n.customer_id, \
             d.webhook_id \
             FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id \
             JOIN customers c ON c.id = n.customer_id \
             LEFT JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_one(&self.db.pool)
        .await?;
        let payload: serde_json::Value =
            serde_json::from_str(&r.payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let Some(notification) =
            notification_from(r.notification_id, &r.kind, &r.payload, r.created_at, false)
        else {
            return Ok(None);
        };
        let webhook = match (r.url, r.secret) {
            (Some(url), Some(secret)) => Some((url, secret, r.deleted_at.is_some())),
            // The column is NOT NULL: a webhook without one is a row that cannot be read.
            (Some(_), None) => return Err(sqlx::Error::Decode("webhook secret is NULL".into())),
            (None, _) => None,
        };
        Ok(Some(Pending {
            id,
            customer_id: r.customer_id,
            webhook_id: r.webhook_id.unwrap_or(0),
            channel: r.channel,
            target: r.target,
            notification,
            payload,
            locale: Locale::from_tag(&r.notification_locale).unwrap_or_default(),
            webhook,
        }))
    }

    async fn deliver(&self, id: i64, now: i64) -> Result<bool, AppError> {
        let attempt = match self.claim(id, now).await? {
            Claim::Try(attempt) => attempt,
            Claim::Spent(attempts) => {
                let gave_up = Outcome::Failed {
                    status_code: None,
                    error: UNRECORDED.into(),
                };
                self.record(id, attempts, now, 0, gave_up).await?;
                return Ok(true);
            }
            Claim::NotDue => return Ok(false),
        };
        if attempt > 1 {
            self.log_cut_off(id, attempt - 1, now).await?;
        }
        let started = std::time::Instant::now();
        let outcome = match self.load(id).await {
            Ok(Some(p)) => match (p.channel.as_str(), &self.mailer) {
                ("email", Some(mailer)) => self.send_email(mailer, &p).await,
                ("email", None) => Outcome::Held,
                _ => self.send_webhook(&p).await,
            },
            Ok(None) => Outcome::Skipped("unknown kind".into()),
            Err(e) => {
                tracing::warn!(delivery = id, "notification delivery not readable: {e}");
                Outcome::Failed {
                    status_code: None,
                    error: UNREADABLE.into(),
                }
            }
        };
        let took = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.record(id, attempt, now, took, outcome).await?;
        Ok(true)
    }

    /// Logs try `attempt` as cut off unless its outcome was recorded.
    async fn log_cut_off(&self, id: i64, attempt: i64, now: i64) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, ok, \
             error) SELECT $1, $2, $3, 0, 0, $4 WHERE NOT EXISTS \
             (SELECT 1 FROM delivery_attempts WHERE delivery_id = $1 AND attempt = $2)",
        )
        .bind(id)
        .bind(attempt)
        .bind(now)
        .bind(CUT_OFF)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The one place a claimed delivery's outcome is written: the try (a held email was not
    /// tried, so it has none and gets its try back) and the delivery's next state, in one
    /// transaction. Times follow the round's clock (`started_at`), as the claim's did.
    async fn record(
        &self,
        id: i64,
        attempt: i64,
        started_at: i64,
        duration_ms: i64,
        outcome: Outcome,
    ) -> Result<(), AppError> {
        let (ok, status_code, error) = match &outcome {
            Outcome::Sent { status_code } => (true, *status_code, None),
            Outcome::Failed { status_code, error } => (false, *status_code, Some(error.clone())),
            Outcome::Skipped(reason) => (false, None, Some(reason.clone())),
            Outcome::Refused => (false, None, Some(REFUSED.to_string())),
            Outcome::Held => (false, None, Some(SMTP_MISSING.to_string())),
        };
        let now = started_at.saturating_add(duration_ms);
        let mut tx = self.db.pool.begin().await?;
        let tried = !matches!(outcome, Outcome::Held);
        if tried {
            let (sql, arguments) = Insert::into("delivery_attempts")
                .value("delivery_id", id)
                .value("attempt", attempt)
                .value("started_at", started_at)
                .value("duration_ms", duration_ms)
                .value("ok", i64::from(ok))
                .value("status_code", status_code)
                .value("error", error.clone())
                .build("")?;
            sqlx::query_with(&sql, arguments).execute(&mut *tx).await?;
        }
        let (status, next) = match outcome {
            Outcome::Sent { .. } => ("sent", now),
            Outcome::Skipped(_) => ("skipped", now),
            Outcome::Refused => ("failed", now),
            // Due as it was, once released.
            Outcome::Held => ("held", started_at),
            Outcome::Failed { .. } if attempt >= MAX_ATTEMPTS => ("failed", now),
            Outcome::Failed { .. } => {
                let pause = backoff(self.settings.notify_retry_base, attempt);
                (
                    "pending",
                    now.saturating_add(i64::try_from(pause.as_millis()).unwrap_or(i64::MAX / 2)),
                )
            }
        };
        sqlx::query(
            "UPDATE notification_deliveries SET status = $1, next_attempt_at = $2, \
             locked_until = 0, last_error = $3, sent_at = $4, attempts = attempts - $5 \
             WHERE id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(next)
        .bind(error)
        .bind((status == "sent").then_some(now))
        .bind(i64::from(!tried))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn send_email(
        &self,
        mailer: &AsyncSmtpTransport<Tokio1Executor>,
        p: &Pending,
    ) -> Outcome {
        // The rating invitation carries a signed link, so it works on a phone without signing in.
        let rate_path = match (&p.notification.kind, &p.notification.tracking_number) {
            (NotificationKind::Delivered, Some(tn)) => {
                rating_link::link(&self.db, tn, now_ms()).await.ok()
            }
            _ => None,
        };
        let (subject, body) = email_text(
            &p.notification,
            p.locale,
            &self.settings.public_url,
            rate_path.as_deref(),
        );
        let message = (|| -> Result<Message, String> {
            Message::builder()
                .from(
                    self.settings
                        .mail_from
                        .parse()
                        .map_err(|e| format!("{e}"))?,
                )
                .to(p.target.parse().map_err(|e| format!("{e}"))?)
                .subject(subject)
                // Stable per delivery: a repeat after a crash is recognisable as the same mail.
                .message_id(Some(format!("<delivery-{}@parcelport>", p.id)))
                .header(ContentType::TEXT_PLAIN)
                .body(body)
                .map_err(|e| e.to_string())
        })();
        let message = match message {
            Ok(m) => m,
            Err(e) => return Outcome::Skipped(format!("message not built: {e}")),
        };
        match mailer.send(message).await {
            Ok(r) => Outcome::Sent {
                status_code: Some(i64::from(u16::from(r.code()))),
            },
            Err(e) => Outcome::Failed {
                status_code: e.status().map(|c| i64::from(u16::from(c))),
                error: e.to_string(),
            },
        }
    }

    async fn send_webhook(&self, p: &Pending) -> Outcome {
        let Some((url, secret, deleted)) = &p.webhook else {
            return Outcome::Skipped("no webhook".into());
        };
        if *deleted {
            return Outcome::Skipped("webhook removed".into());
        }
        if !self.settings.webhook_allow_private && literal_not_public(url) {
            return refused(p);
        }
        let event_id = event_id(p.notification.id);
        let body = webhook_body(&event_id, &p.notification, &p.payload);
        let timestamp = now_ms() / 1000;
        let sent = self
            .http
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("Parcelport-Event-Id", &event_id)
            .header("Parcelport-Timestamp", timestamp.to_string())
            .header(
                "Parcelport-Signature",
                format!("v1={}", signature(secret, timestamp, &body)),
            )
            .body(body)
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => Outcome::Sent {
                status_code: Some(i64::from(res.status().as_u16())),
            },
            Ok(res) => Outcome::Failed {
                status_code: Some(i64::from(res.status().as_u16())),
                error: format!("HTTP {}", res.status()),
            },
            Err(e) if refused_by_resolver(&e) => refused(p),
            Err(e) => Outcome::Failed {
                status_code: None,
                error: if e.is_timeout() {
                    "timed out".into()
                } else if e.is_connect() {
                    "could not connect".into()
                } else {
                    "request failed".into()
                },
            },
        }
    }
}

/// A webhook not sent because its address is not public: a security event naming the customer
/// and the endpoint (never its URL or secret).
fn refused(p: &Pending) -> Outcome {
    tracing::warn!(
        target: "security",
        customer = p.customer_id,
        webhook = p.webhook_id,
        "webhook target refused: address not public"
    );
    Outcome::Refused
}

/// The JSON a webhook receives.
pub fn webhook_body(event_id: &str, n: &Notification, payload: &serde_json::Value) -> String {
    serde_json::json!({
        "id": event_id,
        "type": n.kind,
        "created_at": jiff::Timestamp::from_millisecond(n.created_at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        "data": payload,
    })
    .to_string()
}

/// Subject and plain-text body in the customer's language.
pub fn email_text(
    n: &Notification,
    locale: Locale,
    public_url: &str,
    rate_path: Option<&str>,
) -> (String, String) {
    let t = locale.texts();
    let text = n.text(t);
    let mut body = format!("{}\n\n{text}\n", t.email_greeting);
    if let Some(page) = n.page() {
        body.push('\n');
        body.push_str(&fill(
            t.email_open_link,
            &[("url", &format!("{public_url}{page}"))],
        ));
        body.push('\n');
    } else if let Some(tn) = &n.tracking_number {
        let page = format!("{public_url}/track/{tn}");
        body.push('\n');
        body.push_str(&fill(t.email_track_link, &[("url", &page)]));
        body.push('\n');
        if let Some(rate) = rate_path.filter(|_| n.kind == NotificationKind::Delivered) {
            body.push_str(&fill(
                t.email_rate_link,
                &[("url", &format!("{public_url}{rate}"))],
            ));
            body.push('\n');
        }
    }
    body.push_str("\n-- \n");
    body.push_str(&fill(
        t.email_prefs_link,
        &[("url", &format!("{public_url}/settings/notifications"))],
    ));
    body.push('\n');
    (format!("Parcelport · {text}"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". Our message is
        // "{timestamp}.{body}", so split the data at a dot-free point by hand.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The same primitive over "1700000000.{}".
        let sig = signature("whsec_test", 1_700_000_000, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn signatures_verify_and_any_change_breaks_them() {
        let sig = format!("v1={}", signature("s3cret", 1_700_000_000, r#"{"a":1}"#));
        assert!(verify_signature(
            "s3cret",
            1_700_000_000,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_signature(
            "s3cret",
            1_700_000_001,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_signature(
            "s3cret",
            1_700_000_000,
            r#"{"a":2}"#,
            &sig
        ));
        assert!(!verify_signature(
            "other",
            1_700_000_000,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_signature(
            "s3cret",
            1_700_000_000,
            r#"{"a":1}"#,
            "v1=zz"
        ));
        assert!(!verify_signature(
            "s3cret",
            1_700_000_000,
            r#"{"a":1}"#,
            sig.trim_start_matches("v1=")
        ));
    }

    #[test]
    fn retries_back_off_doubling_up_to_six_hours() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
        assert_eq!(backoff(base, 0), base);
    }

    #[test]
    fn email_is_in_the_customers_language_with_links() {
        let n = Notification {
            id: 7,
            kind: NotificationKind::Delivered,
            tracking_number: Some("CP123456785CN".into()),
            status: None,
            change: None,
            cause: None,
            eta: None,
            subject_id: None,
            step: None,
            created_at: 0,
            read: false,
        };
        let rate = "/rate/CP123456785CN?exp=1&sig=ab";
        let (subject, body) = email_text(&n, Locale::ZhCn, "https://portal.example", Some(rate));
        assert!(subject.contains("CP123456785CN 已送达"), "{subject}");
        assert!(body.contains("https://portal.example/track/CP123456785CN"));
        assert!(body.contains("评分"), "a rating invitation: {body}");
        assert!(
            body.contains(&format!("https://portal.example{rate}")),
            "{body}"
        );
        let (subject, _) = email_text(&n, Locale::En, "https://portal.example", None);
        assert!(subject.contains("was delivered"), "{subject}");
    }
}
