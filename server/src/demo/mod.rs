//! Demo data for a fresh database, made through the same service functions a user's sign-up and
//! the `create-staff` subcommand call. The logins are listed in README.md.

mod after_delivery;
mod areas;
mod bookings;

/// A year of the demo's past, made through the services a customer, a carrier and an agent use,
/// each step at its own clock: bookings, scans (mostly on time, some late, a few delayed,
/// damaged or missed at the door), ratings, complaints worked by the demo agent, and returns.
/// Every customer's year follows from a fixed pseudo-random sequence, so every first start
/// makes the same one.
pub(crate) mod history;

mod places;

use after_delivery::seed_after_delivery;
use app::accounts::service::{create_staff, mark_demo_customer, parse_sign_up, register_customer};
use app::accounts::store::{customer_ids_in_tiers, has_users, user_id_by_email};
use app::accounts::{Role, SignUpRequest};
use app::domain::Tier;
use app::error::{AppError, OrInternal};
use app::platform::Db;
use areas::seed_slot_templates;
use bookings::seed_shipments;

pub const DEMO_PASSWORD: &str = "parcelport-demo";

struct DemoCustomer {
    email: &'static str,
    name: &'static str,
    company: &'static str,
    industry: &'static str,
}

const CUSTOMERS: [DemoCustomer; 3] = [
    DemoCustomer {
        email: "shipper@acme.example",
        name: "Alice Chen",
        company: "Acme Manufacturing",
        industry: "manufacturing",
    },
    DemoCustomer {
        email: "orders@lotus-shop.example",
        name: "王芳",
        company: "莲花网店",
        industry: "ecommerce",
    },
    DemoCustomer {
        email: "li.lei@example.com",
        name: "李雷",
        company: "",
        industry: "other",
    },
];

const STAFF: [(&str, &str, Role); 2] = [
    ("agent@parcelport.example", "Sam Care", Role::Agent),
    ("manager@parcelport.example", "Morgan Lead", Role::Manager),
];

/// Seeds once: does nothing when any user exists. Safe when several instances start together.
pub async fn seed_if_empty(db: &Db) -> Result<(), AppError> {
    if has_users(&db.pool).await? {
        return Ok(());
    }
    seed_slot_templates(db).await?;
    for (email, name, role) in STAFF {
        ignore_taken(create_staff(db, email, name, DEMO_PASSWORD, role).await)?;
    }
    let mut booked = 0;
    let mut acme = None;
    for (i, c) in CUSTOMERS.iter().enumerate() {
        let req = SignUpRequest {
            email: c.email.into(),
            password: DEMO_PASSWORD.into(),
            name: c.name.into(),
            company: c.company.into(),
            industry: c.industry.into(),
        };
        match register_customer(db, parse_sign_up(&req)?).await {
            Ok(user) => {
                if let Some(customer) = user.customer {
                    mark_demo_customer(db, customer.id).await?;
                    booked += seed_shipments(db, customer.id, i).await?;
                    if i == 0 {
                        acme = Some(customer.id);
                    }
                }
            }
            // Another instance is seeding at this moment: it makes the rest.
            Err(AppError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    let Some(acme) = acme else {
        return Ok(());
    };
    // A year of history through the same services at clocks in the past, its customers
    // assessed as it goes, then the tiers it earns today. What follows the first assessment happens as it would in life: a soured customer's
    // bad answers, and Acme's after-delivery data with its bad rating, turn those valuable
    // customers at_risk and open their retention items at the second.
    let told = app::notifications::service::last_id(db).await?;
    let past = history::History::new(db).await?;
    let (historic, soured) = past.seed(acme).await?;
    app::crm::segments::recompute(db).await?;
    // The demo agent manages the valuable accounts: their complaints and retention calls go to
    // it first, and they see who it is on their dashboard.
    let agent = demo_agent_id(db).await?;
    let valuable = customer_ids_in_tiers(&db.pool, &[Tier::Vip, Tier::Key]).await?;
    for customer_id in valuable {
        app::crm::service::set_account_manager(db, customer_id, Some(agent)).await?;
    }
    for customer_id in soured {
        past.sour(customer_id).await?;
    }
    app::notifications::service::forget_after(db, told).await?;
    seed_after_delivery(db, acme).await?;
    app::crm::segments::recompute(db).await?;
    tracing::info!(
        "demo data created: {} customers with {booked} shipments now and {historic} over the \
         past year, 2 staff users",
        CUSTOMERS.len() + history::PASTS.len() - 1
    );
    Ok(())
}

/// The demo agent's user id: it works the demo's complaints and returns and manages its
/// valuable accounts.
async fn demo_agent_id(db: &Db) -> Result<i64, AppError> {
    user_id_by_email(&db.pool, STAFF[0].0)
        .await?
        .or_internal("the demo agent")
}

/// The id of the demo carrier token named `name` (the first, should two instances have made
/// one each).
async fn carrier_token_id(db: &Db, name: &str) -> Result<i64, AppError> {
    app::tracking::carrier::tokens(db)
        .await?
        .into_iter()
        .find(|token| token.name == name)
        .map(|token| token.id)
        .or_internal("the demo carrier token")
}

/// Another instance seeding at the same moment is not an error.
fn ignore_taken<T>(r: Result<T, AppError>) -> Result<(), AppError> {
    match r {
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
