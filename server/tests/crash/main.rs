//! Crash tests: the real server binary as a child process under a write load (bookings with
//! idempotency keys, delivery-window changes, complaint messages, carrier scans), killed with
//! SIGKILL at random moments and started again on the same database; or stopped with SIGTERM.
//! Afterwards the database must hold every write the server acknowledged, once, and nothing
//! it must not (a double booking, an overbooked window, an illegal tracking history). Two more
//! kill the server while it works through its own queues: the outbox's webhooks (`outbox`) and
//! a CSV import (`import`). One stops PostgreSQL under the load and starts it again
//! (`pg_restart`): 503s with `Retry-After` meanwhile, then the server recovers by itself and
//! live streams go on; it runs only on PostgreSQL, with a local cluster this user may stop.
//!
//! SQLite by default, PostgreSQL when TEST_DATABASE_URL points at one (a fresh database per
//! test). The short form runs with `cargo test`; `scripts/crash.sh` runs the long one. Tuned by
//! CRASH_KILLS (default 3), CRASH_SECONDS (seconds of load across all the server's runs,
//! default 20), CRASH_SEED (the kill moments and the clients' choices; printed, random when
//! unset) and CRASH_IMPORT_ROWS (the import's rows, default 2,000). `-- --nocapture` shows the
//! figures.

mod import;
mod load;
mod outbox;
mod pg_restart;
mod process;
mod verify;

use std::str::FromStr;
use std::time::Duration;

use load::{Shared, Target};
use process::{Server, World};

/// How long the killed server gets to stop cleanly at the end (its default).
const KILL_TEST_GRACE: Duration = Duration::from_secs(20);
/// The grace period of the SIGTERM test: long enough for every request under way.
const SIGTERM_TEST_GRACE: Duration = Duration::from_secs(10);
/// Process start-up and teardown on top of the grace period.
const EXIT_SLACK: Duration = Duration::from_secs(5);
/// Acknowledged bookings asked again at the end with their key (all those in doubt are too).
const REPLAY_SAMPLE: usize = 60;

/// One test's server at a time: the kill moments, the grace period and the import's pace are
/// each test's own, not shared with another server on the same cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Config {
    kills: u32,
    seconds: u64,
    seed: u64,
    /// Rows of the import test's file.
    import_rows: usize,
}

fn env_or<T: FromStr>(name: &str, default: T) -> T
where
    T::Err: std::fmt::Debug,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?}: {e:?}")),
        _ => default,
    }
}

impl Config {
    fn from_env() -> Config {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos() as u64;
        Config {
            kills: env_or("CRASH_KILLS", 3),
            seconds: env_or("CRASH_SECONDS", 20),
            seed: env_or("CRASH_SEED", clock),
            import_rows: env_or("CRASH_IMPORT_ROWS", 2_000),
        }
    }

    /// How long the server runs before the next kill: the load's seconds shared out over its
    /// runs, each run between half and one and a half times its share.
    fn uptime(&self, rng: &mut Rng) -> Duration {
        let share = self.seconds * 1000 / u64::from(self.kills + 1);
        Duration::from_millis(rng.between(share / 2, share + share / 2).max(200))
    }
}

/// SplitMix64: small, seedable, and good enough to pick moments and parcels.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator of its own for another task, drawn from this one.
    pub fn fork(&mut self) -> Rng {
        Rng(self.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get((self.next_u64() % items.len() as u64) as usize)
    }
}

/// Lets the load run for `config.seconds` in all while the server is killed with SIGKILL
/// `config.kills` times at moments drawn from `rng`, started again on the same database (on a
/// new free port, which `target` then names) each time; returns the server running at the end.
async fn kill_at_random_moments(
    config: &Config,
    rng: &mut Rng,
    world: &mut World,
    mut server: Server,
    target: &Target,
) -> Server {
    let mut uptimes = Vec::new();
    for _ in 0..config.kills {
        let uptime = config.uptime(rng);
        uptimes.push(uptime.as_millis());
        tokio::time::sleep(uptime).await;
        // SIGKILL: no handler runs, requests under way are cut off wherever they are.
        server.kill().await;
        server = world.start().await;
        target.set(&server.base);
    }
    tokio::time::sleep(config.uptime(rng)).await;
    println!(
        "killed after {} ms of uptime; {} starts",
        uptimes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        world.starts()
    );
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_the_server_keeps_every_acknowledged_write_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let config = Config::from_env();
    let mut rng = Rng::new(config.seed);
    let mut world = World::create("kill", KILL_TEST_GRACE).await;
    println!(
        "crash test on {}: seed {} (CRASH_SEED), {} kills (CRASH_KILLS), {} s of load \
         (CRASH_SECONDS); logs in {}",
        world.backend,
        config.seed,
        config.kills,
        config.seconds,
        world.dir.display()
    );
    let carrier = world.create_operators().await;
    let server = world.start().await;
    let fixtures = load::Fixtures::create(&server.base, carrier).await;
    let shared = Shared::new(&server.base, fixtures);
    let tasks = load::start(&shared, &mut rng);
    let server =
        kill_at_random_moments(&config, &mut rng, &mut world, server, &shared.target).await;
    load::finish(&shared, tasks).await;

    // Every acknowledged booking asked again: the same shipment; those in doubt are settled.
    let replayed = load::replay_bookings(&shared, &mut rng, REPLAY_SAMPLE).await;
    println!("{replayed}");

    // After all the kills, the server still stops cleanly.
    let (status, took) = server.terminate(KILL_TEST_GRACE + EXIT_SLACK).await;
    assert!(
        status.success(),
        "the last run stopped with {status} after {took:?}"
    );

    let ledger = shared.ledger_snapshot();
    println!("{}", ledger.summary());
    let (verified, mut problems) = verify::verify(&world.database_url, &ledger).await;
    println!("{verified}");
    problems.extend(ledger.unexpected.iter().cloned());
    world.print_log_errors();
    verify::assert_none(&problems, config.seed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_zero_within_the_grace_period_keeping_every_acknowledged_write() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let config = Config::from_env();
    let mut rng = Rng::new(config.seed);
    let mut world = World::create("sigterm", SIGTERM_TEST_GRACE).await;
    println!(
        "SIGTERM test on {}: seed {} (CRASH_SEED); logs in {}",
        world.backend,
        config.seed,
        world.dir.display()
    );
    let carrier = world.create_operators().await;
    let server = world.start().await;
    let fixtures = load::Fixtures::create(&server.base, carrier).await;
    let shared = Shared::new(&server.base, fixtures);
    let tasks = load::start(&shared, &mut rng);

    // Under way: some of every kind of write acknowledged, then a moment at random.
    let warmed_up = tokio::time::timeout(Duration::from_secs(90), async {
        while !shared.warmed_up() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        warmed_up.is_ok(),
        "the load got going within 90 s: {}",
        shared.summary()
    );
    tokio::time::sleep(Duration::from_millis(rng.between(0, 1500))).await;

    let (status, took) = server.terminate(SIGTERM_TEST_GRACE + EXIT_SLACK).await;
    println!("SIGTERM: exited with {status} after {took:?}");
    assert!(status.success(), "exit status {status} after {took:?}");
    assert!(
        took <= SIGTERM_TEST_GRACE + Duration::from_secs(2),
        "the server took {took:?} to stop; its grace period is {SIGTERM_TEST_GRACE:?}"
    );
    assert!(
        world.last_log().contains("stopped cleanly"),
        "the log says it stopped cleanly:\n{}",
        world.last_log()
    );
    load::finish(&shared, tasks).await;

    let ledger = shared.ledger_snapshot();
    println!("{}", ledger.summary());
    let (verified, mut problems) = verify::verify(&world.database_url, &ledger).await;
    println!("{verified}");
    problems.extend(ledger.unexpected.iter().cloned());
    world.print_log_errors();
    verify::assert_none(&problems, config.seed);
}
