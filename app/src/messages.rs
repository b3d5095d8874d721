//! The words of every notification. Each producer words its own kinds (`notification_text` in
//! orders, tracking, returns and complaints); this module, above them all, implements
//! notifications' port by asking the one whose kind it is, so `notifications` imports no
//! producer.

use crate::i18n::Texts;
use crate::notifications::{MessageText, Notification, NotificationKind as K};

impl MessageText for Notification {
    fn text(&self, t: &Texts) -> String {
        match self.kind {
            K::BookingConfirmed | K::DeliveryChanged => crate::orders::notification_text(self, t),
            K::OutForDelivery | K::Delivered | K::Exception | K::DelayAlert | K::DelayRecovered => {
                crate::tracking::notification_text(self, t)
            }
            K::ReturnUpdate => crate::returns::notification_text(self, t),
            K::ComplaintUpdate => crate::complaints::notification_text(self, t),
        }
    }
}
