//! The server binary as a child process: its database, configuration, start, SIGKILL and
//! SIGTERM, and its operator subcommands.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::process::{Child, Command};

/// The binary `cargo test` built beside this test.
const BINARY: &str = env!("CARGO_BIN_EXE_server");
/// How long a debug build may take to migrate and listen.
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub const MANAGER: &str = "manager@crash.example";
pub const PASSWORD: &str = "a-long-enough-password";

/// One test's database and folder (uploads, one log per server start), kept across restarts.
pub struct World {
    pub backend: &'static str,
    pub database_url: String,
    pub dir: PathBuf,
    grace: Duration,
    /// Settings of this test's own, over those `configure` gives every test.
    env: Vec<(&'static str, String)>,
    logs: Vec<PathBuf>,
}

/// See [`World::probe`].
pub struct Probe(sqlx::AnyConnection);

impl Probe {
    /// The one number `sql` (a `SELECT COUNT(*) ...`) answers.
    pub async fn count(&mut self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut self.0)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// A running server process.
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl World {
    /// A fresh database on the backend this run tests, as the API tests make theirs (the
    /// `pp_test_` prefix lets `scripts/test.sh` drop leftovers).
    pub async fn create(label: &str, grace: Duration) -> World {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .subsec_nanos();
        let name = format!("pp_test_crash_{label}_{}_{nanos}", std::process::id());
        let dir = std::env::temp_dir().join("parcelport-tests").join(&name);
        std::fs::create_dir_all(&dir).expect("create the test folder");
        let (backend, database_url) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
                ("PostgreSQL", format!("{base}/{name}"))
            }
            _ => (
                "SQLite",
                format!("sqlite://{}", dir.join("crash.db").display()),
            ),
        };
        World {
            backend,
            database_url,
            dir,
            grace,
            env: Vec::new(),
            logs: Vec::new(),
        }
    }

    /// The settings every run of the binary gets: a free port, no demo data, no daily job,
    /// limits out of the load's way, and only the server's own log lines (not every request).
    fn configure(&self, cmd: &mut Command) {
        cmd.env("DATABASE_URL", &self.database_url)
            .env("PARCELPORT_ADDR", "127.0.0.1:0")
            .env("UPLOAD_DIR", self.dir.join("uploads"))
            .env("DEMO_DATA", "false")
            .env("TIER_RECOMPUTE_AT", "off")
            .env("COMPLAINTS_PER_DAY", "1000000")
            .env("SIGN_UP_RATE_LIMIT", "1000")
            .env("SIGN_IN_RATE_LIMIT", "1000")
            .env("SHUTDOWN_GRACE_SECS", self.grace.as_secs().to_string())
            .env("RUST_LOG", "warn,server=info")
            .env("NO_COLOR", "1")
            .env_remove("SMTP_URL")
            .stdin(Stdio::null());
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
    }

    /// A setting every later run of the binary gets (over the defaults above).
    pub fn set_env(&mut self, name: &'static str, value: &str) {
        self.env.push((name, value.to_string()));
    }

    /// A connection of the test's own to the server's database, to watch its progress while
    /// it runs (and after it was killed).
    pub async fn probe(&self) -> Probe {
        sqlx::any::install_default_drivers();
        let conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("connect to the test database");
        Probe(conn)
    }

    /// Runs a subcommand to completion and returns what it printed.
    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut cmd = Command::new(BINARY);
        self.configure(&mut cmd);
        cmd.args(args);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let out = cmd.output().await.expect("run the server binary");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "server {args:?} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// What an operator sets up with the binary's subcommands (the database is migrated by the
    /// first): a manager, and a carrier token, which is returned.
    pub async fn create_operators(&self) -> String {
        self.run(
            &[
                "create-staff",
                "--email",
                MANAGER,
                "--name",
                "Crash Manager",
                "--role",
                "manager",
            ],
            &[("PARCELPORT_STAFF_PASSWORD", PASSWORD)],
        )
        .await;
        let out = self
            .run(&["create-carrier-token", "--name", "Crash Carrier"], &[])
            .await;
        // Log lines may come before it on the same output.
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with("pc_"))
            .unwrap_or_else(|| panic!("no carrier token in:\n{out}"))
            .to_string()
    }

    /// Starts `server serve` on a free port and waits until its log says where it listens.
    pub async fn start(&mut self) -> Server {
        let log = self.dir.join(format!("server-{}.log", self.logs.len() + 1));
        let out = std::fs::File::create(&log).expect("create the server log");
        let err = out.try_clone().expect("share the server log");
        let mut cmd = Command::new(BINARY);
        self.configure(&mut cmd);
        cmd.arg("serve")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            // A failing test leaves no server behind.
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start the server binary");
        self.logs.push(log.clone());
        let started = Instant::now();
        loop {
            if let Some(addr) = listening_addr(&log) {
                return Server {
                    child,
                    base: format!("http://{addr}"),
                    log,
                };
            }
            if let Some(status) = child.try_wait().expect("the server's status") {
                panic!(
                    "the server exited ({status}) before listening:\n{}",
                    tail(&log)
                );
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the server did not listen within {START_TIMEOUT:?}:\n{}",
                tail(&log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn starts(&self) -> usize {
        self.logs.len()
    }

    /// The log of the last start.
    pub fn last_log(&self) -> String {
        self.logs
            .last()
            .and_then(|l| std::fs::read_to_string(l).ok())
            .unwrap_or_default()
    }

    /// Errors the server logged in any run (a failure behind a refusal, a worker that failed
    /// after a restart): shown, for whoever reads a failure or a surprising figure.
    pub fn print_log_errors(&self) {
        let mut errors = Vec::new();
        for text in self
            .logs
            .iter()
            .filter_map(|l| std::fs::read_to_string(l).ok())
        {
            errors.extend(
                text.lines()
                    .filter(|l| l.contains(" ERROR "))
                    .map(str::to_string),
            );
        }
        println!("server log errors: {}", errors.len());
        for line in errors.iter().take(20) {
            println!("  {line}");
        }
    }
}

impl Server {
    /// The exit status, if the process has ended (it should not have, unless told to).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the server's status")
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and reaps the process.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL the server");
    }

    /// SIGTERM, then waits up to `within` for the exit: its status and how long it took.
    pub async fn terminate(mut self, within: Duration) -> (ExitStatus, Duration) {
        let pid = self.child.id().expect("the server is running").to_string();
        let started = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", pid.as_str()])
            .status()
            .await
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}: {sent}");
        let exited = tokio::time::timeout(within, self.child.wait()).await;
        match exited {
            Ok(status) => (status.expect("the server's exit status"), started.elapsed()),
            Err(_) => panic!(
                "the server had not exited {within:?} after SIGTERM:\n{}",
                tail(&self.log)
            ),
        }
    }
}

/// `127.0.0.1:PORT` from the server's "listening on http://..." line, once the line is whole.
fn listening_addr(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let (_, rest) = text.split_once("listening on http://")?;
    let (line, _) = rest.split_once('\n')?;
    line.split_whitespace().next().map(str::to_string)
}

/// The end of a log, for a failure message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
