//! Runtime configuration, all from environment variables with defaults: `Vars` declares each
//! variable and its default once (README.md's table is checked against it), and `Settings` is the
//! typed result the rest of the code reads.

use std::net::SocketAddr;
use std::time::Duration;

/// Days after delivery a return may be requested, unless `RETURN_WINDOW_DAYS` says otherwise.
pub const DEFAULT_RETURN_WINDOW_DAYS: u32 = 30;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `PARCELPORT_ADDR` (falls back to `LEPTOS_SITE_ADDR`, which cargo-leptos sets).
    pub listen_addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// `SESSION_TTL_HOURS`: how long a sign-in lasts.
    pub session_ttl: Duration,
    /// `API_TOKEN_TTL_DAYS`: how long a bearer token from `POST /api/v1/tokens` lasts.
    pub api_token_ttl: Duration,
    /// `SESSION_IDLE_STAFF_MINUTES`: a care agent's or manager's sign-in ends after this long
    /// without a request (ASVS 3.3.2), before its absolute lifetime.
    pub session_idle_staff: Duration,
    /// `SESSION_IDLE_CUSTOMER_MINUTES`: the same for customers.
    pub session_idle_customer: Duration,
    /// `CARRIER_TOKEN_TTL_DAYS`: how long a carrier's token from `create-carrier-token` lasts.
    pub carrier_token_ttl: Duration,
    /// `COOKIE_SECURE`: mark cookies `Secure` (set it behind HTTPS).
    pub cookie_secure: bool,
    /// `PUBLIC_ORIGINS`: extra origins (comma separated) allowed to make state-changing requests,
    /// besides the request's own host.
    pub public_origins: Vec<String>,
    /// `TRUST_PROXY`: take the client address from the right-most `X-Forwarded-For` hop (only
    /// behind a proxy, which adds it).
    pub trust_proxy: bool,
    /// `SIGN_IN_RATE_LIMIT`: attempts per window per client address and per email.
    pub sign_in_limit: u32,
    /// `SIGN_UP_RATE_LIMIT`: sign-ups per window per client address.
    pub sign_up_limit: u32,
    /// `TRACK_LOOKUP_LIMIT`: public tracking look-ups (page, API, track box, stream) per window
    /// per client address, so numbers cannot be harvested by trying them.
    pub track_lookup_limit: u32,
    /// `RATE_LIMIT_WINDOW_SECS`: the window of these limits.
    pub rate_limit_window: Duration,
    /// `UPLOADS_PER_DAY`: photos and attachments one customer may upload per day (UTC).
    pub uploads_per_day: u32,
    /// `UPLOAD_MB_PER_DAY`: megabytes one customer may upload per day (UTC), kept in bytes.
    pub upload_bytes_per_day: u64,
    /// `COMPLAINTS_PER_DAY`: complaints one customer may file per day (UTC).
    pub complaints_per_day: u32,
    /// `STREAMS_PER_CLIENT`: live tracking streams one client address may hold open at once
    /// (per server instance).
    pub streams_per_client: u32,
    /// `DEMO_DATA`: create demo customers and staff on first start.
    pub demo_data: bool,
    /// `SIMULATOR_SPEED`: with demo data, demo parcels travel this many times faster than real
    /// parcels would (a two-day route takes under an hour at 60); 0 turns the simulator off.
    pub simulator_speed: u32,
    /// `SMTP_URL`: the mail relay, e.g. `smtp://127.0.0.1:2525`; unset, email is held until a
    /// server with it starts.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender address of notification email.
    pub mail_from: String,
    /// `MAP_TILE_URL`: the tile template for maps.
    pub map_tile_url: String,
    /// `PUBLIC_URL`: where customers reach the portal; printed in label QR codes and emails.
    pub public_url: String,
    /// `NOTIFY_POLL_MS`: how often the sender looks for messages due.
    pub notify_poll: Duration,
    /// `NOTIFY_RETRY_BASE_MS`: the first pause after a failed send; it doubles per try.
    pub notify_retry_base: Duration,
    /// `WEBHOOK_ALLOW_PRIVATE`: accept webhook endpoints on loopback and private networks
    /// (development and tests only).
    pub webhook_allow_private: bool,
    /// `DELAY_SWEEP_SECS`: how often parcels near their promised window are checked for delays
    /// (zero: no sweep; every scan is still checked).
    pub delay_sweep: Duration,
    /// `UPLOAD_DIR`: where return photos and complaint attachments are kept (outside the
    /// database; served only to their owner and staff).
    pub upload_dir: std::path::PathBuf,
    /// `RETURN_WINDOW_DAYS`: days after delivery a return may be requested.
    pub return_window_days: u32,
    /// `TIER_RECOMPUTE_AT`: when (UTC, `HH:MM`) the daily tier recomputation runs, once a day
    /// across all instances; `off` never (managers can still recompute on demand).
    pub tier_recompute_at: Option<u32>,
    /// `REPORT_TIME_ZONE`: the IANA zone whose days the KPI reports count.
    pub report_time_zone: String,
    /// `SHUTDOWN_GRACE_SECS`: after SIGTERM or Ctrl-C, how long open requests and the
    /// background workers' rounds under way have to finish before the process exits anyway.
    pub shutdown_grace: Duration,
}

/// Every variable the settings are read from, each with its default: the one place either is
/// written (README.md's table is checked against it). Values stay text here and
/// `Settings::from_vars` parses them, so a bad value's error names its variable, as it always has.
#[derive(clap::Args)]
struct Vars {
    #[arg(long, env = "PARCELPORT_ADDR")]
    parcelport_addr: Option<String>,
    /// cargo-leptos sets it for the server it starts; `PARCELPORT_ADDR` wins over it.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    leptos_site_addr: String,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/parcelport.db"
    )]
    database_url: String,
    #[arg(long, env = "SESSION_TTL_HOURS", default_value = "168")]
    session_ttl_hours: String,
    #[arg(long, env = "API_TOKEN_TTL_DAYS", default_value = "90")]
    api_token_ttl_days: String,
    #[arg(long, env = "SESSION_IDLE_STAFF_MINUTES", default_value = "30")]
    session_idle_staff_minutes: String,
    #[arg(long, env = "SESSION_IDLE_CUSTOMER_MINUTES", default_value = "720")]
    session_idle_customer_minutes: String,
    #[arg(long, env = "CARRIER_TOKEN_TTL_DAYS", default_value = "365")]
    carrier_token_ttl_days: String,
    #[arg(long, env = "COOKIE_SECURE", default_value = "false")]
    cookie_secure: String,
    #[arg(long, env = "PUBLIC_ORIGINS")]
    public_origins: Option<String>,
    #[arg(long, env = "TRUST_PROXY", default_value = "false")]
    trust_proxy: String,
    #[arg(long, env = "SIGN_IN_RATE_LIMIT", default_value = "10")]
    sign_in_rate_limit: String,
    #[arg(long, env = "SIGN_UP_RATE_LIMIT", default_value = "20")]
    sign_up_rate_limit: String,
    #[arg(long, env = "TRACK_LOOKUP_LIMIT", default_value = "300")]
    track_lookup_limit: String,
    #[arg(long, env = "RATE_LIMIT_WINDOW_SECS", default_value = "900")]
    rate_limit_window_secs: String,
    #[arg(long, env = "UPLOADS_PER_DAY", default_value = "100")]
    uploads_per_day: String,
    #[arg(long, env = "UPLOAD_MB_PER_DAY", default_value = "200")]
    upload_mb_per_day: String,
    #[arg(long, env = "COMPLAINTS_PER_DAY", default_value = "20")]
    complaints_per_day: String,
    #[arg(long, env = "STREAMS_PER_CLIENT", default_value = "10")]
    streams_per_client: String,
    #[arg(long, env = "DEMO_DATA", default_value = "false")]
    demo_data: String,
    #[arg(long, env = "SIMULATOR_SPEED", default_value = "60")]
    simulator_speed: String,
    #[arg(long, env = "SMTP_URL")]
    smtp_url: Option<String>,
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Parcelport <no-reply@parcelport.test>"
    )]
    mail_from: String,
    #[arg(
        long,
        env = "MAP_TILE_URL",
        default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )]
    map_tile_url: String,
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:3000")]
    public_url: String,
    #[arg(long, env = "NOTIFY_POLL_MS", default_value = "1000")]
    notify_poll_ms: String,
    #[arg(long, env = "NOTIFY_RETRY_BASE_MS", default_value = "30000")]
    notify_retry_base_ms: String,
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value = "false")]
    webhook_allow_private: String,
    #[arg(long, env = "DELAY_SWEEP_SECS", default_value = "60")]
    delay_sweep_secs: String,
    #[arg(long, env = "UPLOAD_DIR", default_value = "data/uploads")]
    upload_dir: String,
    #[arg(
        long,
        env = "RETURN_WINDOW_DAYS",
        default_value_t = DEFAULT_RETURN_WINDOW_DAYS.to_string()
    )]
    return_window_days: String,
    #[arg(long, env = "TIER_RECOMPUTE_AT", default_value = "02:00")]
    tier_recompute_at: String,
    #[arg(long, env = "REPORT_TIME_ZONE", default_value = "Asia/Shanghai")]
    report_time_zone: String,
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value = "20")]
    shutdown_grace_secs: String,
}

impl Default for Settings {
    /// Every variable unset: the defaults `Vars` declares.
    fn default() -> Self {
        Self::from_lookup(|_| None).expect("the declared defaults are valid settings")
    }
}

/// A megabyte, as `UPLOAD_MB_PER_DAY` counts them.
const MB: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct SettingsError {
    pub name: &'static str,
    pub reason: String,
}

/// `v` (surrounding spaces aside) as a `T`, or an error naming the variable it came from.
fn parse<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    v.trim().parse().map_err(|e: T::Err| SettingsError {
        name,
        reason: format!("{v:?}: {e}"),
    })
}

impl Settings {
    /// The tile template, or `None` when `MAP_TILE_URL` is `none` (offline: no tiles).
    pub fn map_tiles(&self) -> Option<String> {
        let url = self.map_tile_url.trim();
        (!url.eq_ignore_ascii_case("none")).then(|| url.to_string())
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads through `lookup` so tests can supply variables without touching the process env.
    /// A variable that is unset, blank or not Unicode (for `from_env`) takes its default.
    ///
    /// clap is handed `--name=value` for each variable `lookup` gives and never reads the
    /// process env itself: `env` took a copy of it when the arguments were built, dropped here.
    /// So `from_env` and the tests take one path, and a blank variable means its default (clap
    /// would take an empty one as the value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut flags = Vec::new();
        let command = <Vars as clap::Args>::augment_args(clap::Command::new("parcelport"))
            .mut_args(|arg| {
                if let (Some(name), Some(long)) =
                    (arg.get_env().and_then(|n| n.to_str()), arg.get_long())
                {
                    flags.push((name.to_string(), long.to_string()));
                }
                arg.env(None::<&'static str>)
            });
        // `--name=value`, so a value starting with `-` is still taken as the value.
        let args = flags.iter().filter_map(|(name, long)| {
            lookup(name.as_str())
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("--{long}={v}"))
        });
        let matches = command
            .try_get_matches_from(std::iter::once("parcelport".to_string()).chain(args))
            .expect("every argument is an optional string passed as --name=value");
        let vars = <Vars as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("the matches come from the command Vars built");
        Self::from_vars(vars)
    }

    /// The typed settings from the variables' text, checked.
    fn from_vars(v: Vars) -> Result<Self, SettingsError> {
        let listen_addr = parse(
            "PARCELPORT_ADDR",
            v.parcelport_addr.as_deref().unwrap_or(&v.leptos_site_addr),
        )?;
        let database_url = v.database_url;
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(SettingsError {
                name: "DATABASE_URL",
                reason: "must start with sqlite: or postgres://".into(),
            });
        }
        Ok(Self {
            listen_addr,
            database_url,
            session_ttl: Duration::from_secs(
                parse::<u64>("SESSION_TTL_HOURS", &v.session_ttl_hours)? * 3600,
            ),
            api_token_ttl: Duration::from_secs(
                parse::<u64>("API_TOKEN_TTL_DAYS", &v.api_token_ttl_days)? * 24 * 3600,
            ),
            session_idle_staff: Duration::from_secs(
                parse::<u64>("SESSION_IDLE_STAFF_MINUTES", &v.session_idle_staff_minutes)? * 60,
            ),
            session_idle_customer: Duration::from_secs(
                parse::<u64>(
                    "SESSION_IDLE_CUSTOMER_MINUTES",
                    &v.session_idle_customer_minutes,
                )? * 60,
            ),
            carrier_token_ttl: Duration::from_secs(
                parse::<u64>("CARRIER_TOKEN_TTL_DAYS", &v.carrier_token_ttl_days)? * 24 * 3600,
            ),
            cookie_secure: parse("COOKIE_SECURE", &v.cookie_secure)?,
            public_origins: v
                .public_origins
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            trust_proxy: parse("TRUST_PROXY", &v.trust_proxy)?,
            sign_in_limit: parse("SIGN_IN_RATE_LIMIT", &v.sign_in_rate_limit)?,
            sign_up_limit: parse("SIGN_UP_RATE_LIMIT", &v.sign_up_rate_limit)?,
            track_lookup_limit: parse("TRACK_LOOKUP_LIMIT", &v.track_lookup_limit)?,
            rate_limit_window: Duration::from_secs(parse(
                "RATE_LIMIT_WINDOW_SECS",
                &v.rate_limit_window_secs,
            )?),
            uploads_per_day: parse("UPLOADS_PER_DAY", &v.uploads_per_day)?,
            upload_bytes_per_day: parse::<u64>("UPLOAD_MB_PER_DAY", &v.upload_mb_per_day)?
                .saturating_mul(MB),
            complaints_per_day: parse("COMPLAINTS_PER_DAY", &v.complaints_per_day)?,
            streams_per_client: parse("STREAMS_PER_CLIENT", &v.streams_per_client)?,
            demo_data: parse("DEMO_DATA", &v.demo_data)?,
            simulator_speed: parse("SIMULATOR_SPEED", &v.simulator_speed)?,
            smtp_url: v.smtp_url,
            mail_from: v.mail_from,
            map_tile_url: v.map_tile_url,
            public_url: v.public_url.trim().trim_end_matches('/').to_string(),
            notify_poll: Duration::from_millis(parse("NOTIFY_POLL_MS", &v.notify_poll_ms)?),
            notify_retry_base: Duration::from_millis(parse(
                "NOTIFY_RETRY_BASE_MS",
                &v.notify_retry_base_ms,
            )?),
            webhook_allow_private: parse("WEBHOOK_ALLOW_PRIVATE", &v.webhook_allow_private)?,
            delay_sweep: Duration::from_secs(parse("DELAY_SWEEP_SECS", &v.delay_sweep_secs)?),
            upload_dir: v.upload_dir.into(),
            return_window_days: parse("RETURN_WINDOW_DAYS", &v.return_window_days)?,
            tier_recompute_at: minute_of_day(&v.tier_recompute_at).map_err(|reason| {
                SettingsError {
                    name: "TIER_RECOMPUTE_AT",
                    reason,
                }
            })?,
            report_time_zone: time_zone(&v.report_time_zone)?,
            shutdown_grace: Duration::from_secs(parse(
                "SHUTDOWN_GRACE_SECS",
                &v.shutdown_grace_secs,
            )?),
        })
    }

    /// The reporting time zone (checked when the settings were read).
    pub fn report_tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.report_time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// An IANA time zone's name, checked.
fn time_zone(v: &str) -> Result<String, SettingsError> {
    jiff::tz::TimeZone::get(v.trim())
        .map(|_| v.trim().to_string())
        .map_err(|e| SettingsError {
            name: "REPORT_TIME_ZONE",
            reason: format!("{v:?}: {e}"),
        })
}

/// `HH:MM` as minutes after midnight, or `None` for `off`.
fn minute_of_day(v: &str) -> Result<Option<u32>, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let parsed = v.split_once(':').and_then(|(h, m)| {
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(h * 60 + m)
    });
    parsed
        .map(Some)
        .ok_or_else(|| format!("{v:?}: expected HH:MM (UTC) or off"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The variables `Vars` declares, each with its default (`None`: it has none).
    fn declared() -> BTreeMap<String, Option<String>> {
        <Vars as clap::Args>::augment_args(clap::Command::new("parcelport"))
            .get_arguments()
            .filter_map(|arg| {
                let name = arg.get_env()?.to_str()?.to_string();
                let default = arg.get_default_values().first();
                Some((name, default.map(|d| d.to_string_lossy().into_owned())))
            })
            .collect()
    }

    /// README.md's settings table (the first table under "## Configuration"): each variable
    /// with the default its second column starts with, a `code` span (`None` for "(none...").
    fn documented() -> Vec<(String, Option<String>)> {
        let readme = include_str!("../../../README.md");
        let (_, section) = readme
            .split_once("\n## Configuration\n")
            .expect("README.md has a Configuration section");
        let rows = section
            .lines()
            .skip_while(|line| !line.starts_with("| variable | default |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'));
        rows.map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
            let name = cells[0].strip_prefix('`').and_then(|n| n.strip_suffix('`'));
            let name = name.unwrap_or_else(|| panic!("one `VARIABLE` per row: {row}"));
            let default = if cells[1].starts_with("(none") {
                None
            } else {
                let value = cells[1].strip_prefix('`').and_then(|d| d.split_once('`'));
                let value = value.unwrap_or_else(|| panic!("a `default` or (none): {row}"));
                Some(value.0.to_string())
            };
            (name.to_string(), default)
        })
        .collect()
    }

    #[test]
    fn the_readme_lists_every_variable_with_its_default() {
        let documented = documented();
        let listed: BTreeMap<_, _> = documented.iter().cloned().collect();
        assert_eq!(listed.len(), documented.len(), "a variable listed twice");
        assert_eq!(listed, declared());
    }

    #[test]
    fn every_default_is_the_one_it_was() {
        let s = Settings::default();
        assert_eq!(s.listen_addr, SocketAddr::from(([127, 0, 0, 1], 3000)));
        assert_eq!(s.database_url, "sqlite://data/parcelport.db");
        assert_eq!(s.api_token_ttl, Duration::from_secs(90 * 24 * 3600));
        assert!(!s.cookie_secure);
        assert!(!s.trust_proxy);
        assert!(!s.webhook_allow_private);
        assert!(s.public_origins.is_empty());
        assert_eq!((s.sign_in_limit, s.sign_up_limit), (10, 20));
        assert_eq!(s.track_lookup_limit, 300);
        assert_eq!(s.rate_limit_window, Duration::from_secs(15 * 60));
        assert_eq!(s.simulator_speed, 60);
        assert_eq!(s.smtp_url, None);
        assert_eq!(s.mail_from, "Parcelport <no-reply@parcelport.test>");
        assert_eq!(
            s.map_tile_url,
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        );
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert_eq!(s.notify_poll, Duration::from_millis(1000));
        assert_eq!(s.notify_retry_base, Duration::from_secs(30));
        assert_eq!(s.delay_sweep, Duration::from_secs(60));
        assert_eq!(s.upload_dir, std::path::PathBuf::from("data/uploads"));
        assert_eq!(s.return_window_days, DEFAULT_RETURN_WINDOW_DAYS);
        assert_eq!(s.report_time_zone, "Asia/Shanghai");
    }

    #[test]
    fn blank_variables_take_the_default_and_values_reach_the_parser_whole() {
        let s = Settings::from_lookup(|_| Some(" ".into())).unwrap();
        assert_eq!(s.listen_addr.port(), 3000);
        assert_eq!(s.shutdown_grace, Duration::from_secs(20));

        let s = Settings::from_lookup(|k| match k {
            "PARCELPORT_ADDR" => Some("0.0.0.0:9000".into()),
            "LEPTOS_SITE_ADDR" => Some("0.0.0.0:8080".into()),
            "DATABASE_URL" => Some("postgres://pp@db/pp?sslmode=require&a=b".into()),
            "SMTP_URL" => Some("--help".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen_addr.port(), 9000);
        assert_eq!(s.database_url, "postgres://pp@db/pp?sslmode=require&a=b");
        assert_eq!(s.smtp_url.as_deref(), Some("--help"));
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.listen_addr.port(), 3000);
        assert!(s.database_url.starts_with("sqlite://data/"));
        assert_eq!(s.session_ttl, Duration::from_secs(168 * 3600));
        assert_eq!(s.session_idle_staff, Duration::from_secs(30 * 60));
        assert_eq!(s.session_idle_customer, Duration::from_secs(12 * 3600));
        assert_eq!(s.carrier_token_ttl, Duration::from_secs(365 * 24 * 3600));
        assert_eq!(s.tier_recompute_at, Some(120));
        assert_eq!(s.shutdown_grace, Duration::from_secs(20));
        // A first production start has no demo accounts: `scripts/run.sh` asks for them.
        assert!(!s.demo_data);
    }

    #[test]
    fn the_daily_recompute_time_is_a_utc_time_or_off() {
        assert_eq!(minute_of_day("02:30"), Ok(Some(150)));
        assert_eq!(minute_of_day("23:59"), Ok(Some(1439)));
        assert_eq!(minute_of_day("OFF"), Ok(None));
        assert!(minute_of_day("24:00").is_err());
        assert!(minute_of_day("2").is_err());
        let err = Settings::from_lookup(|k| (k == "TIER_RECOMPUTE_AT").then(|| "noon".into()))
            .unwrap_err();
        assert_eq!(err.name, "TIER_RECOMPUTE_AT");
    }

    #[test]
    fn variables_override_and_bad_values_name_the_variable() {
        let s = Settings::from_lookup(|k| match k {
            "LEPTOS_SITE_ADDR" => Some("0.0.0.0:8080".into()),
            "PUBLIC_ORIGINS" => Some("https://a.example/, https://b.example".into()),
            "SIGN_IN_RATE_LIMIT" => Some("3".into()),
            "SHUTDOWN_GRACE_SECS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen_addr.port(), 8080);
        assert_eq!(s.shutdown_grace, Duration::from_secs(5));
        assert_eq!(
            s.public_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(s.sign_in_limit, 3);

        let err =
            Settings::from_lookup(|k| (k == "COOKIE_SECURE").then(|| "maybe".into())).unwrap_err();
        assert_eq!(err.name, "COOKIE_SECURE");
        let err = Settings::from_lookup(|k| (k == "DATABASE_URL").then(|| "mysql://x".into()))
            .unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
    }

    #[test]
    fn quotas_have_defaults_and_read_megabytes_as_bytes() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.uploads_per_day, 100);
        assert_eq!(s.upload_bytes_per_day, 200 * 1024 * 1024);
        assert_eq!(s.complaints_per_day, 20);
        assert_eq!(s.streams_per_client, 10);

        let s = Settings::from_lookup(|k| match k {
            "UPLOADS_PER_DAY" => Some("7".into()),
            "UPLOAD_MB_PER_DAY" => Some(" 3 ".into()),
            "COMPLAINTS_PER_DAY" => Some("2".into()),
            "STREAMS_PER_CLIENT" => Some("4".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.uploads_per_day, 7);
        assert_eq!(s.upload_bytes_per_day, 3 * 1024 * 1024);
        assert_eq!(s.complaints_per_day, 2);
        assert_eq!(s.streams_per_client, 4);

        for name in [
            "UPLOADS_PER_DAY",
            "UPLOAD_MB_PER_DAY",
            "COMPLAINTS_PER_DAY",
            "STREAMS_PER_CLIENT",
        ] {
            let err = Settings::from_lookup(|k| (k == name).then(|| "-1".into())).unwrap_err();
            assert_eq!(err.name, name);
        }
    }
}
