//! Each table's one owner (lib.rs's top comment), checked: every SQL statement in the sources
//! is read, and a write or a standalone read of a table outside its owner fails the test.
//!
//! - Writes (`INSERT INTO`, `UPDATE`, `DELETE FROM`) only in the owner. Another module asks the
//!   owner's store, in its own transaction.
//! - Reads (`FROM t`) only in the owner, or in a read model ([`READ_MODELS`]).
//! - A `JOIN` of another module's table for a display column (a customer's name beside a
//!   complaint) is a read in one statement; it may only join a table whose owner comes before
//!   the module in the layer order, so a query never reaches up.

use std::collections::BTreeSet;
use std::path::Path;

use crate::layer_order::{rank, sources, CORES};

/// The tables, by the module that reads and writes them.
const OWNERS: &[(&str, &[&str])] = &[
    ("platform", &["rate_limits", "link_keys", "uploads"]),
    (
        "kpi_rollup",
        &["kpi_daily", "kpi_calendar", "kpi_customer_daily"],
    ),
    (
        "accounts",
        &["customers", "users", "sessions", "api_tokens"],
    ),
    ("addresses", &["addresses"]),
    (
        "notifications",
        &[
            "notifications",
            "notification_preferences",
            "webhooks",
            "notification_deliveries",
            "delivery_attempts",
        ],
    ),
    ("slots", &["slot_templates", "slots"]),
    (
        "orders",
        &["shipments", "tracking_events", "idempotency_keys"],
    ),
    ("ratings", &["ratings"]),
    ("returns", &["returns", "return_items", "return_steps"]),
    (
        "tracking",
        &["carrier_tokens", "delay_alerts", "courier_positions"],
    ),
    ("complaints", &["complaints", "complaint_messages"]),
    (
        "crm",
        &[
            "tier_assessments",
            "tier_changes",
            "retention_items",
            "customer_notes",
            "job_runs",
        ],
    ),
];

/// Modules that report across every capability (the KPI counters, the care console's KPIs,
/// customer 360 and segments): one aggregate over five tables is one statement, where a call
/// per owner would fetch every row into Rust. They may read any table and write only their own.
/// `kpi_rollup` sits low in the order because the writers call it inside their transactions.
const READ_MODELS: &[&str] = &["kpi_rollup", "crm"];

fn owner_of(table: &str) -> Option<&'static str> {
    OWNERS
        .iter()
        .find(|(_, tables)| tables.contains(&table))
        .map(|(owner, _)| *owner)
}

/// What a statement does to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Write,
    Read,
    Join,
}

/// Each `(line, access, table)` in `source`'s SQL: a known table's name after `INSERT INTO`,
/// `UPDATE`, `DELETE FROM`, `FROM` or `JOIN` (a statement may break its line anywhere), or
/// given to the builders and the row lock (`Insert::into`, `Update::table`, `lock_row`);
/// outside comments and the unit tests' inline module.
fn accesses(source: &str) -> Vec<(usize, Access, String)> {
    let code = without_inline_tests(source);
    let words: Vec<(usize, &str)> = code
        .lines()
        .enumerate()
        .flat_map(|(index, line)| {
            let code = line.split("//").next().unwrap_or_default();
            code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(move |w| (index + 1, w))
        })
        .collect();
    let mut found = Vec::new();
    for at in 1..words.len() {
        let (line, word) = words[at];
        if owner_of(word).is_none() {
            continue;
        }
        let before = |back: usize| at.checked_sub(back).map(|b| words[b].1);
        let access = match (before(1), before(2)) {
            (Some("FROM"), Some("DELETE")) | (Some("INTO"), _) | (Some("UPDATE"), _) => {
                Access::Write
            }
            (Some("into"), Some("Insert")) | (Some("table"), Some("Update")) => Access::Write,
            (Some("FROM"), _) => Access::Read,
            (Some("JOIN"), _) => Access::Join,
            _ if (2..=4).any(|back| before(back) == Some("lock_row")) => Access::Write,
            _ => continue,
        };
        found.push((line, access, word.to_string()));
    }
    found
}

/// `source` without its inline unit tests (`#[cfg(test)] mod tests { ... }`), whose fixtures may
/// touch any table; the rest of the file, after them too, is kept.
fn without_inline_tests(source: &str) -> String {
    const START: &str = "#[cfg(test)]\nmod tests {";
    let Some(from) = source.find(START) else {
        return source.to_string();
    };
    let mut depth = 0;
    for (offset, c) in source[from + START.len() - 1..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            let to = from + START.len() - 1 + offset + 1;
            // The lines stay, empty, so the line numbers after them hold.
            let blank = "\n".repeat(source[from..to].lines().count().saturating_sub(1));
            return format!("{}{blank}{}", &source[..from], &source[to..]);
        }
    }
    source[..from].to_string()
}

/// Whether `module` may make `access` to a table `owner` owns.
fn allowed(module: &str, access: Access, owner: &str) -> bool {
    if module == owner {
        return true;
    }
    match access {
        Access::Write => false,
        Access::Read => READ_MODELS.contains(&module),
        Access::Join => READ_MODELS.contains(&module) || rank(owner, None) < rank(module, None),
    }
}

/// The statements against the rules in the sources under `root`. `crate_module` names the
/// module every file there is in (the server crate owns no table), or `None` for the app's
/// sources, whose files are in the module their path starts with.
fn violations(root: &Path, crate_module: Option<&str>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (relative, source) in sources(root) {
        let module = crate_module.unwrap_or_else(|| {
            relative
                .trim_end_matches(".rs")
                .split('/')
                .next()
                .unwrap_or_default()
        });
        // The tool itself, and unit tests kept in a file of their own.
        if module == "table_owners" || relative.ends_with("/tests.rs") {
            continue;
        }
        for (line, access, table) in accesses(&source) {
            let owner = owner_of(&table).expect("only owned tables are found");
            if !allowed(module, access, owner) {
                wrong.push(format!(
                    "{}{relative}:{line}: {access:?} of `{table}`, which `{owner}` owns: ask \
                     `{owner}`'s store",
                    crate_module
                        .map(|m| format!("{m}/src/"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    wrong
}

#[test]
fn every_table_is_written_and_read_through_its_owner() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = violations(&app.join("src"), None);
    wrong.extend(violations(&app.join("../server/src"), Some("server")));
    assert!(
        wrong.is_empty(),
        "{} statements outside a table's owner (table_owners.rs):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_table_has_one_owner_in_the_order() {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(migrations)
        .expect("the migrations are readable")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    // The tables the migrations leave, in the order they run.
    let mut created = BTreeSet::new();
    for file in files {
        let sql = std::fs::read_to_string(file).expect("readable");
        let words: Vec<&str> = sql.split_whitespace().collect();
        for (at, pair) in words.windows(2).enumerate() {
            let name = || {
                let name = words[at + 2..]
                    .iter()
                    .find(|w| !["IF", "NOT", "EXISTS"].contains(w))
                    .expect("a table name");
                name.trim_end_matches(['(', ';']).to_string()
            };
            match pair {
                ["CREATE", "TABLE"] => created.insert(name()),
                ["DROP", "TABLE"] => created.remove(&name()),
                _ => false,
            };
        }
    }
    let owned: Vec<&str> = OWNERS.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    let unique: BTreeSet<&str> = owned.iter().copied().collect();
    assert_eq!(owned.len(), unique.len(), "a table listed under two owners");
    let owned: BTreeSet<String> = unique.into_iter().map(String::from).collect();
    assert_eq!(
        created, owned,
        "the migrations' tables and table_owners.rs's owners"
    );
    for (owner, _) in OWNERS {
        assert!(CORES.contains(owner), "`{owner}` is no module of the order");
    }
}

#[test]
fn a_statement_outside_its_owner_is_found() {
    let found = |s: &str| {
        accesses(s)
            .into_iter()
            .map(|(_, a, t)| (a, t))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        found("sqlx::query(\"SELECT id FROM shipments WHERE tracking_number = $1\")"),
        vec![(Access::Read, "shipments".to_string())]
    );
    assert_eq!(
        found("\"DELETE FROM slots WHERE id = $1\""),
        vec![(Access::Write, "slots".to_string())]
    );
    assert_eq!(
        found("\"SELECT c.id FROM complaints c JOIN customers k ON k.id = c.customer_id\""),
        vec![
            (Access::Read, "complaints".to_string()),
            (Access::Join, "customers".to_string())
        ]
    );
    assert_eq!(found("// SELECT id FROM shipments"), vec![]);
    assert_eq!(
        found("\"SELECT id FROM\\\n         shipments WHERE id = $1\""),
        vec![(Access::Read, "shipments".to_string())]
    );
    assert_eq!(
        found("let (sql, args) = Insert::into(\"shipments\").value(\"id\", 1).build(\"\")?;"),
        vec![(Access::Write, "shipments".to_string())]
    );
    assert_eq!(
        found("Update::table(\"addresses\").set(\"name\", n)"),
        vec![(Access::Write, "addresses".to_string())]
    );
    assert_eq!(
        found("crate::platform::db::lock_row(&mut *tx, \"customers\", \"updated_at\", id)"),
        vec![(Access::Write, "customers".to_string())]
    );
    // A unit test module's fixtures are skipped, what follows it is not.
    assert_eq!(
        found("#[cfg(test)]\nmod tests {\n    \"DELETE FROM slots\";\n}\n\"UPDATE slots SET\";"),
        vec![(Access::Write, "slots".to_string())]
    );
    assert_eq!(
        accesses("#[cfg(test)]\nmod tests {\n    fn f() {}\n}\n\"FROM slots\"")[0].0,
        5
    );
    assert_eq!(found("let from = shipments;"), vec![]);
    // Complaints may join accounts' customers (below it); slots may not join orders' shipments.
    assert!(allowed("complaints", Access::Join, "accounts"));
    assert!(!allowed("slots", Access::Join, "orders"));
    assert!(!allowed("returns", Access::Read, "orders"));
    assert!(!allowed("crm", Access::Write, "accounts"));
    assert!(allowed("crm", Access::Read, "returns"));
}
