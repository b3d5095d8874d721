//! Demo data for a fresh database, made through the same service functions a user's sign-up and
//! the `create-staff` subcommand call. The logins are listed in README.md.

use app::accounts::service::{create_staff, parse_sign_up, register_customer};
use app::accounts::{Role, SignUpRequest};
use app::error::AppError;
use app::platform::Db;

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
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    if users > 0 {
        return Ok(());
    }
    for c in &CUSTOMERS {
        let req = SignUpRequest {
            email: c.email.into(),
            password: DEMO_PASSWORD.into(),
            name: c.name.into(),
            company: c.company.into(),
            industry: c.industry.into(),
        };
        ignore_taken(register_customer(db, parse_sign_up(&req)?).await)?;
    }
    for (email, name, role) in STAFF {
        ignore_taken(create_staff(db, email, name, DEMO_PASSWORD, role).await)?;
    }
    tracing::info!("demo data created: 3 customers, 2 staff users");
    Ok(())
}

/// Another instance seeding at the same moment is not an error.
fn ignore_taken<T>(r: Result<T, AppError>) -> Result<(), AppError> {
    match r {
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
