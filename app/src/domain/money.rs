//! Amounts and weights as a person reads them, on labels and pages alike.

/// `12345` fen -> `¥123.45`.
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let symbol = match currency {
        "CNY" => "¥",
        other => other,
    };
    format!(
        "{sign}{symbol}{}.{:02}",
        minor.abs() / 100,
        minor.abs() % 100
    )
}

/// Grams as kilograms to one decimal (`2500` -> `2.5`).
pub fn kg(grams: u64) -> String {
    format!("{}.{}", grams / 1000, (grams % 1000) / 100)
}
