//! Notifications: an outbox row per message, written in the same transaction as the change that
//! causes it (a booking, a carrier scan, a recipient's change, a delay), with one delivery row
//! per channel the customer chose for that kind. The in-app centre reads the messages; the
//! sender works through the deliveries (email over SMTP, signed webhooks).

pub mod pages;
#[cfg(feature = "ssr")]
pub mod rating_link;
#[cfg(feature = "ssr")]
pub mod sender;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::ShipmentStatus;
use crate::error::{AppError, Reply};
use crate::i18n::Texts;

crate::domain::vocabulary! {
    /// What a message is about. Declared in the order the settings list the kinds (`ALL`).
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum NotificationKind {
        BookingConfirmed,
        DeliveryChanged,
        OutForDelivery,
        Delivered,
        /// The parcel will miss its promised window: `cause` says why (`eta`, `delayed`,
        /// `delivery_failed`), once per cause.
        DelayAlert,
        /// After a delay alert, the parcel is back within its promised window.
        DelayRecovered,
        /// Damaged, lost or returned: `status` says which.
        Exception,
        /// A return moved a step: `step` says which, `return_id` which return.
        ReturnUpdate,
        /// A complaint moved or was answered: `step` says how, `complaint_id` which one.
        ComplaintUpdate,
    }
}

impl NotificationKind {
    /// The kind's name in the settings.
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            NotificationKind::BookingConfirmed => t.kind_booking_confirmed,
            NotificationKind::DeliveryChanged => t.kind_delivery_changed,
            NotificationKind::OutForDelivery => t.kind_out_for_delivery,
            NotificationKind::Delivered => t.kind_delivered,
            NotificationKind::Exception => t.kind_exception,
            NotificationKind::DelayAlert => t.kind_delay_alert,
            NotificationKind::DelayRecovered => t.kind_delay_recovered,
            NotificationKind::ReturnUpdate => t.kind_return_update,
            NotificationKind::ComplaintUpdate => t.kind_complaint_update,
        }
    }

    /// The message a carrier scan of this status sends, if any. Delays and failed attempts
    /// are not here: the delay rules send one alert per cause (`tracking::delays`).
    pub fn for_status(status: ShipmentStatus) -> Option<Self> {
        match status {
            ShipmentStatus::OutForDelivery => Some(NotificationKind::OutForDelivery),
            ShipmentStatus::Delivered => Some(NotificationKind::Delivered),
            ShipmentStatus::Damaged | ShipmentStatus::Lost | ShipmentStatus::ReturnedToSender => {
                Some(NotificationKind::Exception)
            }
            _ => None,
        }
    }
}

/// One message in the customer's notification centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub tracking_number: Option<String>,
    /// The status a scan reported (exceptions).
    pub status: Option<ShipmentStatus>,
    /// What changed (`delivery_changed`): `slot:<day> <from>-<to>` or `pickup_point:<name>`.
    pub change: Option<String>,
    /// Why a delay alert was raised: `eta`, `delayed` or `delivery_failed`.
    pub cause: Option<String>,
    /// The latest expected arrival (Unix milliseconds) when the message was written.
    pub eta: Option<i64>,
    /// The return or complaint a `return_update` or `complaint_update` is about.
    #[serde(default)]
    pub subject_id: Option<i64>,
    /// The step a return or complaint took (`approved`, `resolved`, `agent_reply`, ...).
    #[serde(default)]
    pub step: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub read: bool,
}

/// A message in the reader's language. Each producer words its own kinds; the crate root
/// (`messages.rs`) implements this by asking it, so this module imports no producer.
pub trait MessageText {
    fn text(&self, t: &Texts) -> String;
}

impl Notification {
    /// The return or complaint the message is about, as its number (empty for none).
    pub fn subject_text(&self) -> String {
        self.subject_id.map(|i| i.to_string()).unwrap_or_default()
    }

    /// The portal page the message is about, if it is not a shipment's tracking page.
    pub fn page(&self) -> Option<String> {
        match (self.kind, self.subject_id) {
            (NotificationKind::ReturnUpdate, Some(id)) => Some(format!("/returns/{id}")),
            (NotificationKind::ComplaintUpdate, Some(id)) => Some(format!("/complaints/{id}")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationList {
    pub unread: i64,
    /// Newest first.
    pub notifications: Vec<Notification>,
}

#[server(prefix = "/rpc", endpoint = "notifications/list", input = server_fn::codec::Json)]
pub async fn my_notifications() -> Result<NotificationList, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(service::list(&state.db, customer_id, 20).await)
}

#[server(prefix = "/rpc", endpoint = "notifications/read", input = server_fn::codec::Json)]
pub async fn mark_all_read() -> Result<NotificationList, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(service::mark_all_read(&state.db, customer_id).await)?;
    respond(service::list(&state.db, customer_id, 20).await)
}

/// The channels a customer wants for one kind of message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KindChannels {
    pub kind: NotificationKind,
    pub email: bool,
    pub webhook: bool,
    pub in_app: bool,
}

/// Every kind's channels and the language of email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationPreferences {
    /// `en` or `zh-CN` (another `en-` or `zh-` tag is read as the nearer of the two).
    // Locale::TAG_PATTERN
    #[cfg_attr(feature = "ssr", schema(pattern = "^([Ee][Nn]|[Zz][Hh])(-.*)?$"))]
    pub locale: String,
    /// One entry per kind; kinds left out keep their setting.
    pub kinds: Vec<KindChannels>,
}

/// A customer's webhook endpoint (its secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// An absolute `http` or `https` URL of a public host (not a loopback, private or
    /// link-local address); at most 5 endpoints a customer (422 naming `url` beyond).
    // service::MAX_URL_LEN
    #[cfg_attr(
        feature = "ssr",
        schema(
            format = "uri",
            max_length = 500,
            pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
        )
    )]
    pub url: String,
}

/// The answer to creating a webhook: the only time the signing secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// One attempt to deliver a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub attempt: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub duration_ms: i64,
    pub ok: bool,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i64>,
    pub error: Option<String>,
}

/// One message sent (or being sent) to one webhook, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// The `Parcelport-Event-Id` header: the same on every retry.
    pub event_id: String,
    pub kind: NotificationKind,
    pub tracking_number: Option<String>,
    /// `pending` (retrying), `sent`, `failed` (gave up) or `skipped`.
    pub status: String,
    pub created_at: i64,
    pub attempts: Vec<DeliveryAttempt>,
}

#[server(prefix = "/rpc", endpoint = "notifications/preferences", input = server_fn::codec::Json)]
pub async fn my_preferences() -> Result<NotificationPreferences, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(service::preferences(&state.db, customer_id).await)
}

#[server(prefix = "/rpc", endpoint = "notifications/save-preferences", input = server_fn::codec::Json)]
pub async fn save_preferences(
    preferences: NotificationPreferences,
) -> Result<Reply<NotificationPreferences>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(service::save_preferences(&state.db, customer_id, &preferences).await)
}

#[server(prefix = "/rpc", endpoint = "notifications/webhooks", input = server_fn::codec::Json)]
pub async fn my_webhooks() -> Result<Vec<(Webhook, Vec<WebhookDelivery>)>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    let hooks = respond(service::webhooks(&state.db, customer_id).await)?;
    let mut out = Vec::with_capacity(hooks.len());
    for h in hooks {
        let deliveries =
            respond(service::webhook_deliveries(&state.db, customer_id, h.id, 10).await)?;
        out.push((h, deliveries));
    }
    Ok(out)
}

#[server(prefix = "/rpc", endpoint = "notifications/add-webhook", input = server_fn::codec::Json)]
pub async fn add_webhook(url: String) -> Result<Reply<CreatedWebhook>, AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    form_reply(
        service::create_webhook(
            &state.db,
            customer_id,
            &NewWebhook { url },
            state.settings.webhook_allow_private,
        )
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "notifications/remove-webhook", input = server_fn::codec::Json)]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    use crate::accounts::callers::Customer;
    use crate::platform::request::*;
    let (state, Customer(customer_id)) = caller::<Customer>().await?;
    respond(service::delete_webhook(&state.db, customer_id, id).await)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::domain::schema::json_of;
    use crate::i18n::Locale;

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(NotificationKind::as_str, NotificationKind::parse);
    }

    /// The document's literals are the rules' constants.
    #[test]
    fn the_document_states_the_locale_and_url_rules() {
        let locale = &json_of::<NotificationPreferences>()["properties"]["locale"];
        assert_eq!(locale["pattern"], Locale::TAG_PATTERN);
        for tag in Locale::ALL.map(Locale::tag) {
            assert!(Locale::from_tag(tag).is_some(), "{tag}");
        }
        let url = &json_of::<NewWebhook>()["properties"]["url"];
        assert_eq!(url["maxLength"], service::MAX_URL_LEN);
        assert_eq!(url["format"], "uri");
    }
}
