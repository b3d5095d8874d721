//! The outbox, the customer's channel choices, webhook endpoints and the delivery log.

use std::net::{IpAddr, Ipv4Addr};

use super::{
    CreatedWebhook, DeliveryAttempt, KindChannels, NewWebhook, Notification, NotificationKind,
    NotificationList, NotificationPreferences, Webhook, WebhookDelivery,
};
use crate::domain::ShipmentStatus;
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::platform::insert::Insert;
use crate::platform::{now_ms, Db};

/// Endpoints one customer may register.
pub const MAX_WEBHOOKS: usize = 5;
pub const MAX_URL_LEN: usize = 500;

/// Writes one message inside the caller's transaction, with a delivery row for each channel
/// the customer wants for this kind, so the message and its sending exist exactly when the
/// change that caused it does.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(customer_id = customer_id, shipment_id = shipment_id)
)]
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    customer_id: i64,
    shipment_id: Option<i64>,
    kind: NotificationKind,
    payload: serde_json::Value,
) -> Result<(), AppError> {
    let now = now_ms();
    let notification_id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (customer_id, kind, shipment_id, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(shipment_id)
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let channels = channels_for(tx, customer_id, kind).await?;
    let mut targets: Vec<(&str, Option<i64>, String)> = Vec::new();
    if channels.email {
        let emails = crate::accounts::store::customer_emails(&mut **tx, customer_id).await?;
        targets.extend(emails.into_iter().map(|e| ("email", None, e)));
    }
    if channels.webhook {
        let hooks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM webhooks WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id",
        )
        .bind(customer_id)
        .fetch_all(&mut **tx)
        .await?;
        targets.extend(
            hooks
                .into_iter()
                .map(|id| ("webhook", Some(id), format!("webhook:{id}"))),
        );
    }
    for (channel, webhook_id, target) in targets {
        let (sql, arguments) = Insert::into("notification_deliveries")
            .value("notification_id", notification_id)
            .value("channel", channel)
            .value("webhook_id", webhook_id)
            .value("target", target)
            .value("status", "pending")
            .value("next_attempt_at", now)
            .value("created_at", now)
            .build("")?;
        sqlx::query_with(&sql, arguments).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Every channel is on until the customer turns it off.
fn default_channels(kind: NotificationKind) -> KindChannels {
    KindChannels {
        kind,
        email: true,
        webhook: true,
        in_app: true,
    }
}

/// A customer's stored choice for one kind: each channel 0 (off) or 1 (on).
#[derive(sqlx::FromRow)]
struct ChannelsRow {
    email: i64,
    webhook: i64,
    in_app: i64,
}

async fn channels_for(
    conn: &mut sqlx::AnyConnection,
    customer_id: i64,
    kind: NotificationKind,
) -> Result<KindChannels, AppError> {
    let row: Option<ChannelsRow> = sqlx::query_as(
        "SELECT email, webhook, in_app FROM notification_preferences \
         WHERE customer_id = $1 AND kind = $2",
    )
    .bind(customer_id)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => default_channels(kind),
        Some(r) => KindChannels {
            kind,
            email: r.email != 0,
            webhook: r.webhook != 0,
            in_app: r.in_app != 0,
        },
    })
}

/// A stored message as the customer reads it; `None` for a kind this version does not know.
pub fn notification_from(
    id: i64,
    kind: &str,
    payload: &str,
    created_at: i64,
    read: bool,
) -> Option<Notification> {
    let kind = NotificationKind::parse(kind)?;
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(String::from);
    Some(Notification {
        id,
        kind,
        tracking_number: text("tracking_number"),
        status: text("status").and_then(|s| ShipmentStatus::parse(&s)),
        change: text("change"),
        cause: text("cause"),
        eta: payload.get("eta").and_then(|v| v.as_i64()),
        subject_id: payload
            .get("return_id")
            .or_else(|| payload.get("complaint_id"))
            .and_then(|v| v.as_i64()),
        step: text("step"),
        created_at,
        read,
    })
}

/// Messages of kinds the customer turned off for the portal stay out of the centre.
const SHOWN_IN_APP: &str = "NOT EXISTS (SELECT 1 FROM notification_preferences p \
     WHERE p.customer_id = n.customer_id AND p.kind = n.kind AND p.in_app = 0)";

/// A stored message as the centre lists it.
#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    kind: String,
    payload: String,
    created_at: i64,
    read_at: Option<i64>,
}

/// The newest notification's id (0 for none): a mark to `forget_after`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn last_id(db: &Db) -> Result<i64, AppError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM notifications")
        .fetch_one(&db.pool)
        .await?;
    Ok(id.unwrap_or(0))
}

/// Removes every notification after `id`, with its deliveries: the demo's made-up past was
/// told at the time, so its messages neither go out now nor stand in a centre as new.
#[tracing::instrument(level = "debug", skip_all, fields(id))]
pub async fn forget_after(db: &Db, id: i64) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM notification_deliveries WHERE notification_id > $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM notifications WHERE id > $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The customer's latest messages and how many are unread.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn list(db: &Db, customer_id: i64, limit: i64) -> Result<NotificationList, AppError> {
    let unread: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM notifications n WHERE n.customer_id = $1 AND n.read_at IS NULL \
         AND {SHOWN_IN_APP}"
    ))
    .bind(customer_id)
    .fetch_one(&db.pool)
    .await?;
    let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
        "SELECT n.id, n.kind, n.payload, n.created_at, n.read_at FROM notifications n \
         WHERE n.customer_id = $1 AND {SHOWN_IN_APP} ORDER BY n.id DESC LIMIT $2"
    ))
    .bind(customer_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut notifications = Vec::with_capacity(rows.len());
    for r in rows {
        notifications.extend(notification_from(
            r.id,
            &r.kind,
            &r.payload,
            r.created_at,
            r.read_at.is_some(),
        ));
    }
    Ok(NotificationList {
        unread,
        notifications,
    })
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn mark_all_read(db: &Db, customer_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE customer_id = $2 AND read_at IS NULL")
        .bind(now_ms())
        .bind(customer_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn preferences(db: &Db, customer_id: i64) -> Result<NotificationPreferences, AppError> {
    let mut conn = db.pool.acquire().await?;
    let mut kinds = Vec::with_capacity(NotificationKind::ALL.len());
    for kind in NotificationKind::ALL {
        kinds.push(channels_for(&mut conn, customer_id, kind).await?);
    }
    let locale = crate::accounts::store::notification_locale(&mut *conn, customer_id).await?;
    Ok(NotificationPreferences { locale, kinds })
}

/// Saves the given kinds' channels and the email language in one transaction.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn save_preferences(
    db: &Db,
    customer_id: i64,
    prefs: &NotificationPreferences,
) -> Result<NotificationPreferences, AppError> {
    let locale = Locale::from_tag(&prefs.locale)
        .ok_or_else(|| AppError::field("locale", FieldError::LocaleUnknown))?;
    let mut tx = db.pool.begin().await?;
    crate::accounts::store::set_notification_locale(&mut *tx, customer_id, locale).await?;
    for k in &prefs.kinds {
        sqlx::query(
            "INSERT INTO notification_preferences (customer_id, kind, email, webhook, in_app) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, kind) DO UPDATE SET \
             email = excluded.email, webhook = excluded.webhook, in_app = excluded.in_app",
        )
        .bind(customer_id)
        .bind(k.kind.as_str())
        .bind(i64::from(k.email))
        .bind(i64::from(k.webhook))
        .bind(i64::from(k.in_app))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    preferences(db, customer_id).await
}

/// Whether an address is one the portal must not call: anything but a public unicast address.
/// Loopback, private, shared (CGNAT), link-local, unspecified, documentation, benchmarking,
/// multicast, reserved and broadcast, in IPv4 and IPv6; IPv6 forms that carry an IPv4
/// address (mapped, NAT64, 6to4) are judged by that address, and Teredo and the deprecated
/// IPv4-compatible and site-local forms are refused outright. The sender checks every
/// address a host name resolves to, and IP literals, when it sends.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_is_private(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let v4_at = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
            // ::/96: unspecified, loopback and the deprecated IPv4-compatible form.
            s[..6] == [0u16; 6]
                // ::ffff:0:0/96, IPv4-mapped.
                || (s[..5] == [0u16; 5] && s[5] == 0xffff && v4_is_private(v4_at(s[6], s[7])))
                // 64:ff9b::/96, NAT64: the IPv4 address inside it.
                || (s[..6] == [0x64u16, 0xff9b, 0, 0, 0, 0] && v4_is_private(v4_at(s[6], s[7])))
                // 64:ff9b:1::/48, NAT64 for local use.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // 100::/64, discard only.
                || (s[0] == 0x100 && s[1..4] == [0u16; 3])
                // 2001::/32, Teredo (it tunnels to an IPv4 address we cannot judge).
                || (s[0] == 0x2001 && s[1] == 0)
                // 2001:db8::/32, documentation.
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // 2002::/16, 6to4: the IPv4 address in segments 1 and 2.
                || (s[0] == 0x2002 && v4_is_private(v4_at(s[1], s[2])))
                // fc00::/7 unique local.
                || (s[0] & 0xfe00) == 0xfc00
                // fe80::/10 link-local, fec0::/10 the old site-local.
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // ff00::/8 multicast.
                || (s[0] & 0xff00) == 0xff00
        }
    }
}

fn v4_is_private(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    // 0.0.0.0/8 "this network" (with the unspecified address).
    a == 0
        // 10.0.0.0/8 private.
        || a == 10
        // 100.64.0.0/10 shared address space, carrier-grade NAT.
        || (a == 100 && (b & 0xc0) == 64)
        // 127.0.0.0/8 loopback.
        || a == 127
        // 169.254.0.0/16 link-local (cloud metadata lives here).
        || (a == 169 && b == 254)
        // 172.16.0.0/12 private.
        || (a == 172 && (b & 0xf0) == 16)
        // 192.0.0.0/24 protocol assignments, 192.0.2.0/24 documentation.
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        // 192.168.0.0/16 private.
        || (a == 192 && b == 168)
        // 198.18.0.0/15 benchmarking.
        || (a == 198 && (b & 0xfe) == 18)
        // 198.51.100.0/24 and 203.0.113.0/24 documentation.
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, 255.255.255.255 broadcast.
        || a >= 224
}

/// Parses an endpoint: absolute http(s), no credentials, and (unless allowed) not a private
/// or loopback address.
pub fn parse_webhook_url(input: &str, allow_private: bool) -> Result<reqwest::Url, FieldError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(FieldError::Required);
    }
    if input.len() > MAX_URL_LEN {
        return Err(FieldError::TooLong { max: MAX_URL_LEN });
    }
    let url = reqwest::Url::parse(input).map_err(|_| FieldError::UrlInvalid)?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(FieldError::UrlInvalid);
    }
    if !allow_private {
        let private = match url.host() {
            Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
            Some(url::Host::Domain(d)) => {
                let d = d.to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local")
            }
            None => true,
        };
        if private {
            return Err(FieldError::UrlNotPublic);
        }
    }
    Ok(url)
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    url: String,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            url: r.url,
            created_at: r.created_at,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn webhooks(db: &Db, customer_id: i64) -> Result<Vec<Webhook>, AppError> {
    let rows: Vec<WebhookRow> = sqlx::query_as(
        "SELECT id, url, created_at FROM webhooks WHERE customer_id = $1 AND deleted_at IS NULL \
         ORDER BY id",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// Registers an endpoint, at most [`MAX_WEBHOOKS`] per customer. The count and the insert run
/// in one transaction that first locks the customer's row (a row lock on PostgreSQL, the write
/// lock on SQLite), so concurrent registrations are counted one after another and never pass
/// the limit together.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn create_webhook(
    db: &Db,
    customer_id: i64,
    input: &NewWebhook,
    allow_private: bool,
) -> Result<CreatedWebhook, AppError> {
    let url = match parse_webhook_url(&input.url, allow_private) {
        Ok(url) => url,
        Err(e) => {
            if matches!(e, FieldError::UrlNotPublic) {
                tracing::info!(
                    target: "security",
                    customer = customer_id,
                    "webhook registration refused: address not public"
                );
            }
            return Err(AppError::field("url", e));
        }
    };
    let secret = format!("whsec_{}", crate::accounts::service::random_token());
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    crate::accounts::store::lock_customer(&mut *tx, customer_id).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhooks WHERE customer_id = $1 AND deleted_at IS NULL",
    )
    .bind(customer_id)
    .fetch_one(&mut *tx)
    .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_WEBHOOKS {
        return Err(AppError::field(
            "url",
            FieldError::TooMany { max: MAX_WEBHOOKS },
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhooks (customer_id, url, secret, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(customer_id)
    .bind(url.as_str())
    .bind(&secret)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CreatedWebhook {
        webhook: Webhook {
            id,
            url: url.to_string(),
            created_at: now,
        },
        secret,
    })
}

/// Stops sending to an endpoint (its log stays readable to nobody; pending sends stop).
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id, id = id))]
pub async fn delete_webhook(db: &Db, customer_id: i64, id: i64) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND customer_id = $3 \
         AND deleted_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .bind(customer_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done != 1 {
        return Err(AppError::NotFound);
    }
    sqlx::query(
        "UPDATE notification_deliveries SET status = 'skipped', last_error = 'webhook removed' \
         WHERE webhook_id = $1 AND status = 'pending'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Emails held because no SMTP relay is configured (see `sender`): they go once a server
/// with `SMTP_URL` runs.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn emails_waiting_for_smtp(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notification_deliveries WHERE status = 'held' AND channel = 'email'",
    )
    .fetch_one(&db.pool)
    .await?)
}

/// One message sent to a webhook, as its delivery log lists it.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    delivery_id: i64,
    notification_id: i64,
    kind: String,
    payload: String,
    status: String,
    created_at: i64,
}

/// One try of a webhook delivery; `ok` is 0 or 1.
#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: i64,
    attempt: i64,
    started_at: i64,
    duration_ms: i64,
    ok: i64,
    status_code: Option<i64>,
    error: Option<String>,
}

impl From<AttemptRow> for DeliveryAttempt {
    fn from(a: AttemptRow) -> Self {
        DeliveryAttempt {
            attempt: a.attempt,
            at: a.started_at,
            duration_ms: a.duration_ms,
            ok: a.ok != 0,
            status_code: a.status_code,
            error: a.error,
        }
    }
}

/// The latest messages sent to one of the customer's endpoints, with every attempt; another
/// customer's endpoint is not found.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(customer_id = customer_id, webhook_id = webhook_id)
)]
pub async fn webhook_deliveries(
    db: &Db,
    customer_id: i64,
    webhook_id: i64,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, AppError> {
    let owned: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM webhooks WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL",
    )
    .bind(webhook_id)
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    if owned.is_none() {
        return Err(AppError::NotFound);
    }
    // Both tables have an `id`: each is named.
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT d.id AS delivery_id, n.id AS notification_id, n.kind, n.payload, d.status, \
         d.created_at \
         FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id \
         WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2",
    )
    .bind(webhook_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    // Every attempt of the deliveries listed, in one query (they are the webhook's newest).
    let oldest = match rows.last() {
        Some(r) => r.delivery_id,
        None => return Ok(Vec::new()),
    };
    let mut attempts: std::collections::HashMap<i64, Vec<DeliveryAttempt>> =
        std::collections::HashMap::new();
    let attempt_rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT a.delivery_id, a.attempt, a.started_at, a.duration_ms, a.ok, a.status_code, \
         a.error FROM delivery_attempts a JOIN notification_deliveries d ON d.id = a.delivery_id \
         WHERE d.webhook_id = $1 AND d.id >= $2 ORDER BY a.id",
    )
    .bind(webhook_id)
    .bind(oldest)
    .fetch_all(&db.pool)
    .await?;
    for a in attempt_rows {
        attempts.entry(a.delivery_id).or_default().push(a.into());
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(n) = notification_from(r.notification_id, &r.kind, &r.payload, 0, false) else {
            continue;
        };
        out.push(WebhookDelivery {
            event_id: super::sender::event_id(r.notification_id),
            kind: n.kind,
            tracking_number: n.tracking_number,
            status: r.status,
            created_at: r.created_at,
            attempts: attempts.remove(&r.delivery_id).unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_must_be_absolute_http_and_public() {
        assert!(parse_webhook_url("https://hooks.example.com/parcelport", false).is_ok());
        assert_eq!(
            parse_webhook_url("ftp://example.com/x", false),
            Err(FieldError::UrlInvalid)
        );
        assert_eq!(
            parse_webhook_url("example.com/x", false),
            Err(FieldError::UrlInvalid)
        );
        assert_eq!(
            parse_webhook_url("https://user:pw@example.com/", false),
            Err(FieldError::UrlInvalid)
        );
        assert_eq!(parse_webhook_url(" ", false), Err(FieldError::Required));
        for private in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://localhost:3000/",
            "http://100.64.1.1/",
            "http://0.0.0.0:22/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://224.0.0.1/",
            "http://2130706433/",
        ] {
            assert_eq!(
                parse_webhook_url(private, false),
                Err(FieldError::UrlNotPublic),
                "{private}"
            );
        }
        assert!(parse_webhook_url("http://127.0.0.1:8080/", true).is_ok());
    }

    #[test]
    fn only_public_unicast_addresses_are_called() {
        let refused = [
            // IPv4: this network, private, CGNAT, loopback, link-local, protocol assignments,
            // documentation, benchmarking, multicast, reserved, broadcast.
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.0.1.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            // IPv6: unspecified, loopback, IPv4-compatible, IPv4-mapped private, unique local,
            // link-local, site-local, multicast, documentation, NAT64 of a private address,
            // local NAT64, 6to4 of a private address, Teredo, discard.
            "::",
            "::1",
            "::7f00:1",
            "::8.8.8.8",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001::1",
            "2001:0:4136:e378::1",
            "100::1",
        ];
        for ip in refused {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(is_private(parsed), "{ip} is not public");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.0.3.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "198.51.101.1",
            "203.0.114.1",
            "223.255.255.254",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:db9::1",
        ];
        for ip in public {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(!is_private(parsed), "{ip} is public");
        }
    }
}
