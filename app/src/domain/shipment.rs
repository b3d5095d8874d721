//! A shipment's service level and status: the words every capability shares.

crate::domain::vocabulary! {
    /// How a shipment travels and is handed over.
    #[derive(PartialOrd, Ord)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ServiceLevel {
        Standard,
        Express,
        /// Delivered in a window the recipient chose.
        Scheduled,
        /// Delivered to a locker or pickup point.
        PickupPoint,
    }
}

impl ServiceLevel {
    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            ServiceLevel::Standard => t.service_standard,
            ServiceLevel::Express => t.service_express,
            ServiceLevel::Scheduled => t.service_scheduled,
            ServiceLevel::PickupPoint => t.service_pickup_point,
        }
    }
}

crate::domain::vocabulary! {
    /// Normalised shipment status (DESIGN.md): every carrier scan maps onto one of these.
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum ShipmentStatus {
        Created,
        PickedUp,
        InTransit,
        AtHub,
        OutForDelivery,
        Delivered,
        Delayed,
        DeliveryFailed,
        Damaged,
        Lost,
        ReturnedToSender,
        Cancelled,
    }
}

impl ShipmentStatus {
    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            ShipmentStatus::Created => t.status_created,
            ShipmentStatus::PickedUp => t.status_picked_up,
            ShipmentStatus::InTransit => t.status_in_transit,
            ShipmentStatus::AtHub => t.status_at_hub,
            ShipmentStatus::OutForDelivery => t.status_out_for_delivery,
            ShipmentStatus::Delivered => t.status_delivered,
            ShipmentStatus::Delayed => t.status_delayed,
            ShipmentStatus::DeliveryFailed => t.status_delivery_failed,
            ShipmentStatus::Damaged => t.status_damaged,
            ShipmentStatus::Lost => t.status_lost,
            ShipmentStatus::ReturnedToSender => t.status_returned_to_sender,
            ShipmentStatus::Cancelled => t.status_cancelled,
        }
    }

    /// Whether a parcel in this status may move to `next` (a carrier's scan or the shipper's
    /// cancellation). Delivered, returned and cancelled parcels are done; scans may repeat where
    /// a parcel really passes several times (hubs, legs, delays, delivery attempts).
    pub fn can_become(self, next: ShipmentStatus) -> bool {
        use ShipmentStatus::*;
        match self {
            Created => matches!(next, PickedUp | Delayed | Lost | Cancelled),
            PickedUp => matches!(
                next,
                InTransit | AtHub | Delayed | Damaged | Lost | ReturnedToSender
            ),
            InTransit | AtHub | Delayed => matches!(
                next,
                InTransit | AtHub | OutForDelivery | Delayed | Damaged | Lost | ReturnedToSender
            ),
            OutForDelivery => matches!(
                next,
                Delivered | DeliveryFailed | AtHub | Delayed | Damaged | Lost
            ),
            DeliveryFailed => matches!(
                next,
                OutForDelivery | AtHub | Delayed | Lost | ReturnedToSender
            ),
            Damaged => matches!(
                next,
                InTransit | AtHub | OutForDelivery | Delivered | Lost | ReturnedToSender
            ),
            // A lost parcel may turn up again.
            Lost => matches!(next, InTransit | AtHub | ReturnedToSender),
            Delivered | ReturnedToSender | Cancelled => false,
        }
    }

    /// The delivery can still be planned (a window chosen or moved): the courier is not yet on
    /// the way.
    pub fn reschedulable(self) -> bool {
        matches!(
            self,
            ShipmentStatus::Created
                | ShipmentStatus::PickedUp
                | ShipmentStatus::InTransit
                | ShipmentStatus::AtHub
                | ShipmentStatus::Delayed
        )
    }

    /// Still on its way: not delivered, returned, cancelled or lost. Only these have an ETA and
    /// can be late.
    pub fn on_the_way(self) -> bool {
        !matches!(
            self,
            ShipmentStatus::Delivered
                | ShipmentStatus::Lost
                | ShipmentStatus::ReturnedToSender
                | ShipmentStatus::Cancelled
        )
    }

    /// The statuses `on_the_way`, as an SQL list: `('created', 'picked_up', ...)`.
    pub fn on_the_way_sql() -> String {
        Self::sql_list(Self::on_the_way)
    }

    /// The exception statuses ([`Self::is_exception`]), as an SQL list.
    pub fn exception_sql() -> String {
        Self::sql_list(Self::is_exception)
    }

    fn sql_list(which: fn(Self) -> bool) -> String {
        let names: Vec<String> = Self::ALL
            .into_iter()
            .filter(|s| which(*s))
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("({})", names.join(", "))
    }

    /// Something went wrong on the carrier's side: the exception rate counts shipments that
    /// ever entered one of these. A shipper's cancellation is not the carrier's exception.
    pub fn is_exception(self) -> bool {
        matches!(
            self,
            ShipmentStatus::Delayed
                | ShipmentStatus::DeliveryFailed
                | ShipmentStatus::Damaged
                | ShipmentStatus::Lost
                | ShipmentStatus::ReturnedToSender
        )
    }

    /// Only a shipment the carrier has not yet collected can be called off.
    pub fn cancellable(self) -> bool {
        self == ShipmentStatus::Created
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(ServiceLevel::as_str, ServiceLevel::parse);
        crate::domain::assert_serde_names(ShipmentStatus::as_str, ShipmentStatus::parse);
        assert_eq!(
            ShipmentStatus::on_the_way_sql(),
            "('created', 'picked_up', 'in_transit', 'at_hub', 'out_for_delivery', 'delayed', \
             'delivery_failed', 'damaged')"
        );
    }
}
