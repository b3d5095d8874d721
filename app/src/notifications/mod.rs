//! Notifications: an outbox row per message, written in the same transaction as the change that
//! causes it (a booking, a carrier scan, a recipient's change). The in-app centre reads it; the
//! email and webhook senders will work from the same rows.

#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::{fill, Texts};
use crate::orders::ShipmentStatus;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    BookingConfirmed,
    DeliveryChanged,
    OutForDelivery,
    Delivered,
    /// Delayed, failed attempt, damaged, lost or returned: `status` says which.
    Exception,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::BookingConfirmed => "booking_confirmed",
            NotificationKind::DeliveryChanged => "delivery_changed",
            NotificationKind::OutForDelivery => "out_for_delivery",
            NotificationKind::Delivered => "delivered",
            NotificationKind::Exception => "exception",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            NotificationKind::BookingConfirmed,
            NotificationKind::DeliveryChanged,
            NotificationKind::OutForDelivery,
            NotificationKind::Delivered,
            NotificationKind::Exception,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The message a carrier scan of this status sends, if any.
    pub fn for_status(status: ShipmentStatus) -> Option<Self> {
        match status {
            ShipmentStatus::OutForDelivery => Some(NotificationKind::OutForDelivery),
            ShipmentStatus::Delivered => Some(NotificationKind::Delivered),
            ShipmentStatus::Delayed
            | ShipmentStatus::DeliveryFailed
            | ShipmentStatus::Damaged
            | ShipmentStatus::Lost
            | ShipmentStatus::ReturnedToSender => Some(NotificationKind::Exception),
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
    /// Unix milliseconds.
    pub created_at: i64,
    pub read: bool,
}

impl Notification {
    /// The message in the reader's language.
    pub fn text(&self, t: &Texts) -> String {
        let tn = self.tracking_number.as_deref().unwrap_or("");
        match self.kind {
            NotificationKind::BookingConfirmed => fill(t.note_booking_confirmed, &[("tn", tn)]),
            NotificationKind::DeliveryChanged => fill(
                t.note_delivery_changed,
                &[
                    ("tn", tn),
                    (
                        "change",
                        &crate::tracking::pages::event_note(
                            t,
                            self.change.as_deref().unwrap_or(""),
                        ),
                    ),
                ],
            ),
            NotificationKind::OutForDelivery => fill(t.note_out_for_delivery, &[("tn", tn)]),
            NotificationKind::Delivered => fill(t.note_delivered, &[("tn", tn)]),
            NotificationKind::Exception => fill(
                t.note_exception,
                &[
                    ("tn", tn),
                    (
                        "status",
                        self.status.map(|s| s.label(t)).unwrap_or_default(),
                    ),
                ],
            ),
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
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    respond(service::list(&state.db, customer_id, 20).await)
}

#[server(prefix = "/rpc", endpoint = "notifications/read", input = server_fn::codec::Json)]
pub async fn mark_all_read() -> Result<NotificationList, AppError> {
    use crate::accounts::service::require_customer;
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let customer_id = respond(require_customer(&state.db, &parts.headers).await)?;
    respond(service::mark_all_read(&state.db, customer_id).await)?;
    respond(service::list(&state.db, customer_id, 20).await)
}
