use std::io::BufRead;

use app::accounts::{service, Role};
use app::platform::Settings;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Parcelport: the carrier's customer portal. Configuration comes from environment variables
/// (see README.md).
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Create a care agent or manager. The password is read from PARCELPORT_STAFF_PASSWORD, or
    /// from the first line of standard input.
    CreateStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: StaffRole,
    },
    /// Create an API token for a carrier posting scans to `POST /api/v1/carrier/events`; it is
    /// printed once (only its hash is stored) and expires after CARRIER_TOKEN_TTL_DAYS.
    CreateCarrierToken {
        #[arg(long)]
        name: String,
    },
    /// List the carrier tokens: id, name, created, expires, and whether each still works.
    CarrierTokens,
    /// Revoke a carrier token at once (by the id `carrier-tokens` shows); its scans stay.
    RevokeCarrierToken {
        #[arg(long)]
        id: i64,
    },
    /// Recompute every customer's tier from its data now (as the daily job does) and print what
    /// changed.
    RecomputeTiers,
    /// Move the demo customers' parcels along their routes as a carrier would scan them,
    /// `speed` times faster than real, until stopped. A real customer's parcels are never moved.
    Simulate {
        #[arg(long, default_value_t = 60)]
        speed: u32,
        /// Seconds between steps.
        #[arg(long, default_value_t = 5)]
        every: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StaffRole {
    Agent,
    Manager,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let running = server::spawn(settings).await?;
            tracing::info!(
                "Parcelport listening on http://{} ({} database)",
                running.addr,
                running.state.db.kind.as_str()
            );
            let state = running.state.clone();
            // The server triggers the stop itself if it ends on its own.
            let signalled = tokio::select! {
                signal = server::stop_signal() => Some(signal),
                _ = state.shutdown.wait() => None,
            };
            let Some(signal) = signalled else {
                running.stop().await;
                return Err("the server stopped unexpectedly".into());
            };
            tracing::info!(
                "{signal}: stopping (open requests and rounds under way have {:?})",
                state.settings.shutdown_grace
            );
            finish(running.stop(), &state).await?;
        }
        Command::Migrate => {
            server::prepare(settings).await?;
            println!("migrations applied");
        }
        Command::CreateStaff { email, name, role } => {
            let password = match std::env::var("PARCELPORT_STAFF_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (first line of standard input):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let state = server::prepare(settings).await?;
            let role = match role {
                StaffRole::Agent => Role::Agent,
                StaffRole::Manager => Role::Manager,
            };
            match service::create_staff(&state.db, &email, &name, &password, role).await {
                Ok(user) => println!("created {} {} (id {})", role.as_str(), user.email, user.id),
                Err(e) => return Err(explain(&e).into()),
            }
        }
        Command::Simulate { speed, every } => {
            let state = server::prepare(settings).await?;
            println!("simulating at {speed}x; Ctrl-C stops");
            let db = state.db.clone();
            let worker = app::platform::lifecycle::supervise(
                "simulator",
                std::time::Duration::from_secs(every.max(1)),
                &state.shutdown,
                &state.workers,
                move |w| app::tracking::simulator::run(w, db.clone(), speed),
            );
            let signal = server::stop_signal().await;
            tracing::info!("{signal}: stopping after the step under way");
            let stopped = {
                let shutdown = state.shutdown.clone();
                let deadline = state.settings.shutdown_grace;
                async move {
                    shutdown.trigger();
                    tokio::time::timeout(deadline, worker).await.is_ok()
                }
            };
            finish(stopped, &state).await?;
        }
        Command::RecomputeTiers => {
            let state = server::prepare(settings).await?;
            match app::crm::segments::recompute(&state.db).await {
                Ok(s) => println!(
                    "{} customers assessed, {} changed tier, {} retention items opened",
                    s.customers, s.changed, s.retention_opened
                ),
                Err(e) => return Err(explain(&e).into()),
            }
        }
        Command::CreateCarrierToken { name } => {
            let state = server::prepare(settings).await?;
            let ttl = state.settings.carrier_token_ttl;
            match app::tracking::carrier::create_token(&state.db, &name, ttl).await {
                Ok(token) => println!("{token}"),
                Err(e) => return Err(explain(&e).into()),
            }
        }
        Command::CarrierTokens => {
            let state = server::prepare(settings).await?;
            let tokens = app::tracking::carrier::tokens(&state.db)
                .await
                .map_err(|e| explain(&e))?;
            let now = app::platform::now_ms();
            println!("id\tstate\tcreated\texpires\tname");
            for t in tokens {
                let state = match (t.revoked_at, t.is_live(now)) {
                    (Some(_), _) => "revoked",
                    (None, true) => "live",
                    (None, false) => "expired",
                };
                println!(
                    "{}\t{state}\t{}\t{}\t{}",
                    t.id,
                    app::ui::format_time(t.created_at),
                    app::ui::format_time(t.expires_at),
                    t.name
                );
            }
        }
        Command::RevokeCarrierToken { id } => {
            let state = server::prepare(settings).await?;
            match app::tracking::carrier::revoke_token(&state.db, id).await {
                Ok(()) => println!("revoked carrier token {id}"),
                Err(e) => return Err(explain(&e).into()),
            }
        }
    }
    Ok(())
}

/// Waits for `stopping` (true when everything finished within the grace period) unless a
/// second signal comes first; then closes the database pool.
async fn finish(
    stopping: impl std::future::Future<Output = bool>,
    state: &app::platform::AppState,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let clean = tokio::select! {
        clean = stopping => clean,
        signal = server::stop_signal() => {
            return Err(format!("{signal} again: stopped without waiting").into());
        }
    };
    if !clean {
        return Err(format!(
            "not everything finished within SHUTDOWN_GRACE_SECS ({}s)",
            state.settings.shutdown_grace.as_secs()
        )
        .into());
    }
    state.db.pool.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// A refusal for the terminal: each field and what is wrong with it.
fn explain(e: &app::error::AppError) -> String {
    e.fields()
        .map(|f| {
            f.iter()
                .map(|(k, v)| format!("{k}: {}", v.message(Default::default())))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_else(|| e.message(Default::default()))
}
