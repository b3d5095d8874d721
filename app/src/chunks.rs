//! Every page that hydrates is a lazy route, and its code sits in the wasm chunk of its group
//! (cargo-leptos `--split`): a visit downloads the app's core and one group of pages, and staff
//! pages are downloaded by staff only. A group, not a page, per chunk: the splitter gives every
//! set of chunks that shares code a file of its own, so a chunk per page would mean hundreds of
//! small downloads on a first visit (one round trip each on a slow phone network).
//!
//! The server renders these routes as usual; the browser waits for the group's chunk
//! (preloaded by `HydrationScripts`) before it hydrates the page.

use leptos::prelude::*;
use leptos_router::LazyRoute;

/// Lazy routes whose code is one group's chunk: `Group { Route => page component }`. The
/// group's lazy function takes which page to show.
macro_rules! page_group {
    ($group:ident ($pages:ident, $preload:ident) { $($route:ident => $page:path),* $(,)? }) => {
        // The variants are the routes' names (the staff ones all start with `Staff`).
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum $group {
            $($route),*
        }

        #[leptos::lazy]
        fn $pages(page: $group) -> AnyView {
            match page {
                $($group::$route => $page().into_any()),*
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $pages($group::$route).await
                }

                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

page_group! {
    ShipPages (ship_pages, __preload_ship_pages) {
        Quote => crate::orders::pages::QuotePage,
        Booking => crate::orders::booking_page::BookingPage,
        Import => crate::orders::import_page::ImportPage,
        Dashboard => crate::pages::dashboard::DashboardPage,
        Shipments => crate::orders::shipments_page::ShipmentsPage,
        Shipment => crate::orders::shipments_page::ShipmentPage,
    }
}

page_group! {
    AfterDeliveryPages (after_delivery_pages, __preload_after_delivery_pages) {
        Rate => crate::ratings::pages::RatePage,
        Returns => crate::returns::pages::ReturnsPage,
        NewReturn => crate::returns::pages::NewReturnPage,
        Return => crate::returns::pages::ReturnPage,
        Complaints => crate::complaints::pages::ComplaintsPage,
        NewComplaint => crate::complaints::pages::NewComplaintPage,
        Complaint => crate::complaints::pages::ComplaintPage,
    }
}

page_group! {
    AccountPages (account_pages, __preload_account_pages) {
        SignUp => crate::accounts::pages::SignUpPage,
        Account => crate::accounts::pages::AccountPage,
        AddressBook => crate::addresses::pages::AddressBookPage,
        NotificationSettings => crate::notifications::pages::NotificationSettingsPage,
    }
}

page_group! {
    StaffPages (staff_pages, __preload_staff_pages) {
        StaffCustomers => crate::crm::pages::CustomersPage,
        StaffCustomer => crate::crm::pages::CustomerPage,
        StaffKpis => crate::crm::kpi_pages::KpisPage,
        StaffKpiItems => crate::crm::kpi_pages::KpiItemsPage,
        StaffSegments => crate::crm::pages::SegmentsPage,
        StaffRetention => crate::crm::pages::RetentionPage,
        StaffSlotTemplates => crate::slots::pages::SlotTemplatesPage,
        StaffQueue => crate::complaints::pages::QueuePage,
    }
}
