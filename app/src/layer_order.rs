//! The crate's dependency order (lib.rs's top comment), checked: every `crate::` path, and every
//! `super::` path from a capability's core to its pages, is read from the sources and must
//! name a module at or below the one it is written in.

use std::path::{Path, PathBuf};

/// The cores, lowest first: a module may use the ones before it.
pub(crate) const CORES: &[&str] = &[
    "i18n",
    "error",
    "domain",
    "platform",
    "kpi_rollup",
    "accounts",
    "addresses",
    "notifications",
    "slots",
    "orders",
    "ratings",
    "returns",
    "tracking",
    "complaints",
    "crm",
];

/// Above every core, below every capability's pages: the shared page components.
const UI: &str = "ui";

/// The router and what only it may know: free to use anything.
const TOP: &[&str] = &[
    "pages",
    "layout",
    "chunks",
    "messages",
    "lib",
    "layer_order",
    "table_owners",
];

/// Where a module sits: its core's place, `ui`, then each capability's pages in the cores'
/// order, then the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    Core(usize),
    Ui,
    Pages(usize),
    Top,
}

/// A capability's page files: `pages.rs`, `*_page.rs`, `*_pages.rs`.
fn is_page_file(name: &str) -> bool {
    name == "pages" || name.ends_with("_page") || name.ends_with("_pages")
}

/// The rank of `module`, or of its submodule `inner` when that is a page file. A name that is
/// no module (an item of lib.rs) is the top.
pub(crate) fn rank(module: &str, inner: Option<&str>) -> Rank {
    if module == UI {
        return Rank::Ui;
    }
    match CORES.iter().position(|m| *m == module) {
        Some(i) if inner.is_some_and(is_page_file) => Rank::Pages(i),
        Some(i) => Rank::Core(i),
        None => Rank::Top,
    }
}

fn name(rank: Rank) -> String {
    match rank {
        Rank::Core(i) => CORES[i].to_string(),
        Rank::Ui => UI.to_string(),
        Rank::Pages(i) => format!("{}'s pages", CORES[i]),
        Rank::Top => "the top (lib.rs, pages/, layout, chunks, messages)".to_string(),
    }
}

/// The identifier at the start of `s`, and the rest.
fn ident(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// The items of a `{...}` group at its top level; `s` starts just after the `{`.
fn group(s: &str) -> Vec<&str> {
    let (mut depth, mut from, mut items) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&s[from..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The first two segments of each path in the use tree or path `s` (what follows `crate::`):
/// `a::b::C` is `(a, Some(b))`, `{a, b::{c, d}}` is `(a, None), (b, Some(c)), (b, Some(d))`.
fn heads(s: &str, out: &mut Vec<(String, Option<String>)>) {
    let s = s.trim_start();
    if let Some(inside) = s.strip_prefix('{') {
        for item in group(inside) {
            heads(item, out);
        }
        return;
    }
    let (first, rest) = ident(s);
    if first.is_empty() || first == "self" {
        return;
    }
    match rest.trim_start().strip_prefix("::").map(str::trim_start) {
        Some(inner) if inner.starts_with('{') => {
            for item in group(&inner[1..]) {
                let (second, _) = ident(item.trim_start());
                out.push((first.into(), (!second.is_empty()).then(|| second.into())));
            }
        }
        Some(inner) => out.push((first.into(), Some(ident(inner).0.into()))),
        None => out.push((first.into(), None)),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the sources are readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every Rust source under `root`, in path order: its path from `root` (with `/`) and its text.
pub(crate) fn sources(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            let source = std::fs::read_to_string(&path).expect("a readable source");
            (relative, source)
        })
        .collect()
}

/// Each reference in `source` (written in a file of rank `from`, of module `module`) that
/// points above it: `(line, path, rank it points to)`.
fn upward(source: &str, module: &str, from: Rank) -> Vec<(usize, String, Rank)> {
    let mut found = Vec::new();
    for (line_index, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut refs = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let preceded = code[..at].chars().next_back();
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            heads(
                &source_from(source, line_index, at + "crate::".len()),
                &mut refs,
            );
        }
        // A core reaching its own pages through `super::`.
        if matches!(from, Rank::Core(_)) {
            for (at, _) in code.match_indices("super::") {
                let (inner, _) = ident(&code[at + "super::".len()..]);
                if is_page_file(inner) {
                    refs.push((module.to_string(), Some(inner.to_string())));
                }
            }
        }
        for (first, second) in refs {
            let to = rank(&first, second.as_deref());
            if to > from {
                let path = match second {
                    Some(s) => format!("{first}::{s}"),
                    None => first,
                };
                found.push((line_index + 1, path, to));
            }
        }
    }
    found
}

/// The text of `source` from column `column` of line `line`, to the end: a use tree may span
/// lines.
fn source_from(source: &str, line: usize, column: usize) -> String {
    let start: usize = source.lines().take(line).map(|l| l.len() + 1).sum();
    source[start + column..].to_string()
}

fn violations(root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    for (relative, source) in sources(root) {
        let mut parts = relative.trim_end_matches(".rs").split('/');
        let module = parts.next().expect("a file has a name");
        if TOP.contains(&module) {
            continue;
        }
        assert!(
            module == UI || CORES.contains(&module),
            "{relative}: the module `{module}` has no place in the order: add it to lib.rs's \
             top comment and to layer_order.rs"
        );
        let from = rank(module, parts.next());
        for (line, reference, to) in upward(&source, module, from) {
            wrong.push(format!(
                "{relative}:{line}: `{reference}`: {} may not use {}, which comes after it",
                name(from),
                name(to)
            ));
        }
    }
    wrong
}

#[test]
fn no_module_uses_one_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let wrong = violations(&root);
    assert!(
        wrong.is_empty(),
        "{} references against the order in lib.rs's top comment:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn an_upward_reference_is_found_in_every_form_it_is_written() {
    let slots = rank("slots", Some("service"));
    for source in [
        "use crate::orders::Shipment;",
        "use crate::{domain::Tier, orders::{Shipment, ShipmentStatus}};",
        "use crate::{\n    domain::Tier,\n    orders::Shipment,\n};",
        "let s = crate::orders::shipments::get(db, id).await?;",
        "use crate::ui::Field;",
        "use crate::slots::pages::SlotPicker;",
        "let p = crate::page_scripts(path);",
    ] {
        assert!(!upward(source, "slots", slots).is_empty(), "{source}");
    }
    for source in [
        "use crate::domain::ShipmentStatus;",
        "use crate::{accounts::User, error::AppError};",
        "// crate::orders::Shipment in a comment",
        "use crate::slots::Slot;",
        "let x = my_crate::orders::Shipment;",
    ] {
        assert_eq!(upward(source, "slots", slots), vec![], "{source}");
    }
    // A core reaching its own pages through `super::`; a page file may.
    let orders_core = rank("orders", Some("label"));
    assert!(!upward("super::pages::kg(w)", "orders", orders_core).is_empty());
    let orders_pages = rank("orders", Some("booking_page"));
    assert_eq!(
        upward("use super::pages::money;", "orders", orders_pages),
        vec![]
    );
    // Pages may use any core and the pages of capabilities below theirs.
    assert_eq!(
        upward(
            "use crate::crm::Tier; use crate::slots::pages::SlotPicker;",
            "orders",
            orders_pages
        ),
        vec![]
    );
    assert!(!upward(
        "use crate::tracking::pages::Timeline;",
        "orders",
        orders_pages
    )
    .is_empty());
}
