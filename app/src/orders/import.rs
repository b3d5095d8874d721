//! Bulk booking from CSV: decode (UTF-8 with or without BOM, UTF-16 with BOM, GBK), check each
//! row like a booking form, report every problem by line and column, then book the valid rows,
//! each in its own transaction and under its own idempotency key.

use std::collections::HashMap;

use super::quote::{parse_scaled, price};
use super::shipments::{book_once, validate};
use super::{
    BookingRequest, CellError, ImportOutcome, ImportPreview, ImportResult, ImportRow, ParcelInput,
    ServiceLevel,
};
use crate::addresses::AddressInput;
use crate::error::{AppError, FieldError, FieldErrors};
use crate::i18n::Locale;
use crate::platform::Db;

pub const MAX_ROWS: usize = 10_000;
pub const MAX_BYTES: usize = super::IMPORT_MAX_BYTES;
pub const MAX_CELL_CHARS: usize = 200;

/// The columns, in template order, and whether a file must have them.
pub const COLUMNS: [(&str, bool); 25] = [
    ("reference", false),
    ("service", true),
    ("sender_name", true),
    ("sender_company", false),
    ("sender_phone", true),
    ("sender_line1", true),
    ("sender_line2", false),
    ("sender_city", true),
    ("sender_postcode", true),
    ("sender_country", true),
    ("recipient_name", true),
    ("recipient_company", false),
    ("recipient_phone", true),
    ("recipient_line1", true),
    ("recipient_line2", false),
    ("recipient_city", true),
    ("recipient_postcode", true),
    ("recipient_country", true),
    ("weight_kg", true),
    ("length_cm", true),
    ("width_cm", true),
    ("height_cm", true),
    ("declared_value", false),
    ("contents", true),
    ("insure", false),
];

/// The downloadable template: the header and one example row, UTF-8 with a BOM so that
/// spreadsheet programs open the Chinese example correctly.
pub fn template() -> String {
    let header: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    format!(
        "\u{feff}{}\r\nPO-1001,express,Alice Chen,Acme Trading,+86 21 5555 0000,1 Factory Road,,\
         Shanghai,200000,CN,李雷,,13800138000,9 Xinhua Road,Apt 3,Beijing,100080,CN,2.5,30,20,15,\
         199.00,\"Desk lamp, boxed\",yes\r\n",
        header.join(",")
    )
}

/// Decodes the file; the name of the encoding it was read as comes back with the text.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), AppError> {
    let file_error = |e| AppError::field("file", e);
    if bytes.len() > MAX_BYTES {
        return Err(file_error(FieldError::FileTooLarge {
            max_mb: (MAX_BYTES / 1024 / 1024) as u32,
        }));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), "utf-8"))
            .map_err(|_| file_error(FieldError::FileEncoding));
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        let (text, _, bad) = encoding_rs::UTF_16LE.decode(bytes);
        return if bad {
            Err(file_error(FieldError::FileEncoding))
        } else {
            Ok((text.into_owned(), "utf-16"))
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "utf-8"));
    }
    // Excel on Chinese Windows saves CSV as GBK; read it rather than refuse it.
    encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| (s.into_owned(), "gbk"))
        .ok_or_else(|| file_error(FieldError::FileEncoding))
}

/// A row's field names (as the booking checks name them) -> the CSV column.
fn column_of(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("sender.") {
        return format!("sender_{rest}");
    }
    if let Some(rest) = field.strip_prefix("recipient.") {
        return format!("recipient_{rest}");
    }
    match field.rsplit('.').next() {
        Some("weight_g") => "weight_kg".into(),
        Some(other) => other.to_string(),
        None => field.to_string(),
    }
}

fn cell_error(line: u64, column: &str, error: FieldError, locale: Locale) -> CellError {
    CellError {
        line,
        column: column.to_string(),
        code: error.code().to_string(),
        message: error.message(locale),
    }
}

fn yes_no(value: &str) -> Result<bool, FieldError> {
    match value.trim().to_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" | "否" => Ok(false),
        "yes" | "y" | "true" | "1" | "是" => Ok(true),
        _ => Err(FieldError::YesOrNo),
    }
}

/// Reads and checks every row. Whole-file problems (encoding, missing columns, no rows, too
/// many rows) are refused as a whole; row problems are reported per cell.
pub fn preview(bytes: &[u8], tier: &str, locale: Locale) -> Result<ImportPreview, AppError> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| AppError::field("file", FieldError::FileUnreadable))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_lowercase(), i))
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(AppError::field("file", FieldError::FileEmpty));
    }
    let mut missing = FieldErrors::new();
    for (column, required) in COLUMNS {
        if required && !index.contains_key(column) {
            missing.insert(format!("columns.{column}"), FieldError::Required);
        }
    }
    if !missing.is_empty() {
        missing.insert("file".into(), FieldError::ColumnsMissing);
        return Err(AppError::Validation(missing));
    }

    // Count first, so an oversized file is refused before any row is checked.
    let records = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .filter(|r| {
            r.as_ref()
                .map_or(true, |r| r.iter().any(|c| !c.trim().is_empty()))
        })
        .count();
    if records > MAX_ROWS {
        return Err(AppError::field(
            "file",
            FieldError::TooManyRows { max: MAX_ROWS },
        ));
    }
    // Lines are counted from byte offsets: csv's own counter misses CRLF line ends.
    let mut lines = LineCounter::new(&text);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = lines.at(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(line);
                rows.push(ImportRow {
                    line,
                    reference: None,
                    recipient: String::new(),
                    service: None,
                    total: None,
                    errors: vec![cell_error(line, "", FieldError::RowUnreadable, locale)],
                    booking: None,
                });
                continue;
            }
        }
        if record.iter().all(str::is_empty) {
            continue; // blank lines, often left at the end by spreadsheets
        }
        let line = record
            .position()
            .map(|p| lines.at(p.byte()))
            .unwrap_or(line);
        rows.push(check_row(&record, &index, line, tier, locale));
    }
    if rows.is_empty() {
        return Err(AppError::field("file", FieldError::FileEmpty));
    }
    let valid = rows.iter().filter(|r| r.errors.is_empty()).count();
    Ok(ImportPreview {
        encoding: encoding.to_string(),
        currency: super::pricing::RateCard::bundled().currency.clone(),
        invalid: rows.len() - valid,
        valid,
        rows,
        batch_key: String::new(),
    })
}

/// The 1-based line of a byte offset, for offsets that only move forward.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut byte = (byte as usize).min(self.text.len());
        // csv puts a record's start before the line end that precedes it (CRLF).
        while byte < self.text.len() && matches!(self.text[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte > self.byte {
            // csv ends a record at "\n", "\r\n" or a lone "\r" (old Mac spreadsheets): each is one
            // line, or rows on CR-only lines would share a line, and so a booking key.
            let seen = &self.text[self.byte..byte];
            self.line += seen
                .iter()
                .enumerate()
                .filter(|(i, b)| match **b {
                    b'\n' => true,
                    b'\r' => seen.get(i + 1) != Some(&b'\n'),
                    _ => false,
                })
                .count() as u64;
            self.byte = byte;
        }
        self.line
    }
}

fn check_row(
    record: &csv::StringRecord,
    index: &HashMap<String, usize>,
    line: u64,
    tier: &str,
    locale: Locale,
) -> ImportRow {
    let mut errors: Vec<CellError> = Vec::new();
    let mut cell = |column: &str| -> String {
        let value = index
            .get(column)
            .and_then(|i| record.get(*i))
            .unwrap_or("")
            .to_string();
        if value.chars().count() > MAX_CELL_CHARS {
            errors.push(cell_error(
                line,
                column,
                FieldError::TooLong {
                    max: MAX_CELL_CHARS,
                },
                locale,
            ));
            return String::new();
        }
        value
    };
    let mut party = |prefix: &str| AddressInput {
        name: cell(&format!("{prefix}_name")),
        company: cell(&format!("{prefix}_company")),
        phone: cell(&format!("{prefix}_phone")),
        line1: cell(&format!("{prefix}_line1")),
        line2: cell(&format!("{prefix}_line2")),
        city: cell(&format!("{prefix}_city")),
        postcode: cell(&format!("{prefix}_postcode")),
        country: cell(&format!("{prefix}_country")),
    };
    let sender = party("sender");
    let recipient = party("recipient");
    let reference = cell("reference");
    let service_text = cell("service");
    let numbers = [
        ("weight_kg", cell("weight_kg"), 3, false),
        ("length_cm", cell("length_cm"), 0, false),
        ("width_cm", cell("width_cm"), 0, false),
        ("height_cm", cell("height_cm"), 0, false),
        ("declared_value", cell("declared_value"), 2, true),
    ];
    let contents = cell("contents");
    let insure_text = cell("insure");

    let mut invalid = FieldErrors::new();
    let service = ServiceLevel::parse(&service_text.to_lowercase());
    if service.is_none() {
        invalid.insert(
            "service".into(),
            if service_text.is_empty() {
                FieldError::Required
            } else {
                FieldError::ServiceUnknown
            },
        );
    }
    let insure = yes_no(&insure_text).unwrap_or_else(|e| {
        invalid.insert("insure".into(), e);
        false
    });
    let mut values = [0_i64; 5];
    for (i, (column, text, decimals, optional)) in numbers.iter().enumerate() {
        values[i] = match parse_scaled(text, *decimals) {
            Ok(v) => v,
            Err(FieldError::Required) if *optional => 0,
            Err(e) => {
                invalid.insert(column.to_string(), e);
                0
            }
        };
    }
    let booking = BookingRequest {
        sender,
        recipient: recipient.clone(),
        parcels: vec![ParcelInput {
            weight_g: values[0],
            length_cm: values[1],
            width_cm: values[2],
            height_cm: values[3],
            declared_value: values[4],
            contents,
        }],
        service: service.unwrap_or(ServiceLevel::Standard),
        insure,
        reference: (!reference.is_empty()).then(|| reference.clone()),
        delivery_slot_id: None,
        pickup_slot_id: None,
    };
    let checked = validate(&booking);
    if let Err(AppError::Validation(fields)) = &checked {
        for (field, e) in fields {
            // A number that did not parse is reported as such, not again as "must be positive".
            invalid.entry(column_of(field)).or_insert(*e);
        }
    }
    let already: std::collections::HashSet<String> =
        errors.iter().map(|e| e.column.clone()).collect();
    for (column, e) in invalid {
        if !already.contains(&column) {
            errors.push(cell_error(line, &column, e, locale));
        }
    }
    errors.sort_by_key(|e| {
        COLUMNS
            .iter()
            .position(|(c, _)| *c == e.column)
            .unwrap_or(usize::MAX)
    });
    let total = match (&checked, errors.is_empty()) {
        (Ok(valid), true) => price(&valid.shipment, insure, tier)
            .options
            .into_iter()
            .find(|o| o.service == booking.service)
            .map(|o| o.total),
        _ => None,
    };
    ImportRow {
        line,
        reference: booking.reference.clone(),
        recipient: [recipient.name.trim(), recipient.city.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        service,
        total,
        booking: errors.is_empty().then_some(booking),
        errors,
    }
}

/// Books rows under `batch_key`: each row is its own booking with the key `batch_key:line`, so
/// resending a batch (after a dropped connection) books nothing twice. With the database out of
/// reach the whole batch is unavailable (503): every further row would wait for it in turn.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn book_rows(
    db: &Db,
    customer_id: i64,
    batch_key: &str,
    rows: &[(u64, BookingRequest)],
    locale: Locale,
) -> Result<Vec<ImportOutcome>, AppError> {
    let mut outcomes = Vec::with_capacity(rows.len());
    for (line, booking) in rows {
        let key = format!("{batch_key}:{line}");
        let outcome = match book_once(db, customer_id, &key, booking).await {
            Ok(booked) => ImportOutcome {
                line: *line,
                tracking_number: Some(booked.shipment.tracking_number),
                errors: vec![],
            },
            Err(AppError::Unavailable) => return Err(AppError::Unavailable),
            Err(e) => ImportOutcome {
                line: *line,
                tracking_number: None,
                errors: match e.fields() {
                    Some(fields) if !fields.is_empty() => fields
                        .iter()
                        .map(|(f, fe)| cell_error(*line, &column_of(f), *fe, locale))
                        .collect(),
                    _ => vec![CellError {
                        line: *line,
                        column: String::new(),
                        code: e.code().to_string(),
                        message: e.message(locale),
                    }],
                },
            },
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The API's one-call import: check the file and book every valid row; invalid rows are
/// reported and not booked.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn import(
    db: &Db,
    customer_id: i64,
    bytes: &[u8],
    batch_key: &str,
    locale: Locale,
) -> Result<ImportResult, AppError> {
    let tier = crate::accounts::store::tier(&db.pool, customer_id).await?;
    let preview = preview(bytes, tier.as_str(), locale)?;
    let valid: Vec<(u64, BookingRequest)> = preview
        .rows
        .iter()
        .filter_map(|r| r.booking.clone().map(|b| (r.line, b)))
        .collect();
    let mut booked = book_rows(db, customer_id, batch_key, &valid, locale).await?;
    let mut rows: Vec<ImportOutcome> = preview
        .rows
        .into_iter()
        .filter(|r| !r.errors.is_empty())
        .map(|r| ImportOutcome {
            line: r.line,
            tracking_number: None,
            errors: r.errors,
        })
        .collect();
    rows.append(&mut booked);
    rows.sort_by_key(|r| r.line);
    let ok = rows.iter().filter(|r| r.tracking_number.is_some()).count();
    Ok(ImportResult {
        encoding: preview.encoding,
        booked: ok,
        failed: rows.len() - ok,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        COLUMNS
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(",")
    }

    const GOOD: &str = "PO-1,express,Alice Chen,,+86 21 5555 0000,1 Factory Road,,Shanghai,\
        200000,CN,Li Lei,,13800138000,9 Xinhua Road,,Beijing,100080,CN,2.5,30,20,15,,lamp,no";

    fn run(text: &str) -> Result<ImportPreview, AppError> {
        preview(text.as_bytes(), "new", Locale::En)
    }

    fn file_error(r: Result<ImportPreview, AppError>) -> FieldError {
        r.unwrap_err()
            .field_error("file")
            .expect("a whole-file error")
    }

    #[test]
    fn the_template_reads_back_as_one_valid_row() {
        let p = preview(template().as_bytes(), "new", Locale::En).unwrap();
        assert_eq!(p.encoding, "utf-8");
        assert_eq!((p.valid, p.invalid), (1, 0), "{:?}", p.rows[0].errors);
        let b = p.rows[0].booking.as_ref().unwrap();
        assert_eq!(b.parcels[0].weight_g, 2_500);
        assert_eq!(b.parcels[0].declared_value, 19_900);
        // A quoted field keeps its comma.
        assert_eq!(b.parcels[0].contents, "Desk lamp, boxed");
        assert!(b.insure);
        assert_eq!(b.recipient.name, "李雷");
        assert!(p.rows[0].total.unwrap() > 0);
    }

    #[test]
    fn a_bom_and_crlf_are_accepted_and_columns_may_come_in_any_order() {
        let cols: Vec<&str> = COLUMNS.iter().rev().map(|(c, _)| *c).collect();
        let values: Vec<&str> = GOOD.split(',').rev().collect();
        let text = format!("\u{feff}{}\r\n{}\r\n\r\n", cols.join(","), values.join(","));
        let p = run(&text).unwrap();
        assert_eq!((p.valid, p.invalid), (1, 0), "{:?}", p.rows);
        assert_eq!(p.rows[0].line, 2);
    }

    #[test]
    fn gbk_files_are_read_and_undecodable_ones_refused() {
        let text = format!("{}\n{}\n", header(), GOOD.replace("Li Lei", "李雷"));
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let p = preview(&gbk, "new", Locale::En).unwrap();
        assert_eq!(p.encoding, "gbk");
        assert_eq!(p.rows[0].booking.as_ref().unwrap().recipient.name, "李雷");
        assert_eq!(
            file_error(preview(b"\x80\x80\xff\xfe\xfd", "new", Locale::En)),
            FieldError::FileEncoding
        );
    }

    #[test]
    fn an_empty_file_or_a_header_alone_is_refused() {
        assert_eq!(file_error(run("")), FieldError::FileEmpty);
        assert_eq!(
            file_error(run(&format!("{}\n", header()))),
            FieldError::FileEmpty
        );
        assert_eq!(
            file_error(run(&format!("{}\n\n\n", header()))),
            FieldError::FileEmpty
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let text = "reference,service,weight_kg\nA,express,1\n";
        let err = run(text).unwrap_err();
        let fields = err.fields().unwrap();
        assert_eq!(fields.get("file"), Some(&FieldError::ColumnsMissing));
        assert!(fields.contains_key("columns.recipient_postcode"));
        assert!(!fields.contains_key("columns.reference"));
    }

    #[test]
    fn bad_cells_are_named_by_line_and_column() {
        let bad_numbers = GOOD
            .replace(",2.5,30,", ",2.5kg,-3,")
            .replace("express", "teleport");
        let long_name = GOOD.replace("Li Lei", &"x".repeat(201));
        let bad_postcode = GOOD.replace("100080", "12");
        let text = format!(
            "{}\n{GOOD}\n{bad_numbers}\n{long_name}\n\"unterminated,{bad_postcode}\n",
            header()
        );
        let p = run(&text).unwrap();
        let errors = |line: u64| -> Vec<(String, String)> {
            p.rows
                .iter()
                .find(|r| r.line == line)
                .unwrap()
                .errors
                .iter()
                .map(|e| (e.column.clone(), e.code.clone()))
                .collect()
        };
        assert!(errors(2).is_empty());
        let e3 = errors(3);
        assert!(
            e3.contains(&("service".into(), "service_unknown".into())),
            "{e3:?}"
        );
        assert!(
            e3.contains(&("weight_kg".into(), "not_a_number".into())),
            "{e3:?}"
        );
        assert!(
            e3.contains(&("length_cm".into(), "not_a_number".into())),
            "{e3:?}"
        );
        assert_eq!(errors(4), [("recipient_name".into(), "too_long".into())]);
        // The unterminated quote swallows the rest of the file into one field.
        assert_eq!(p.valid, 1);
        assert!(p
            .rows
            .iter()
            .all(|r| r.errors.is_empty() == r.booking.is_some()));
        let msg = &p.rows[1].errors[0].message;
        assert!(!msg.is_empty());
    }

    #[test]
    fn ten_thousand_rows_are_accepted_and_one_more_refused() {
        let mut text = header();
        for _ in 0..MAX_ROWS {
            text.push('\n');
            text.push_str(GOOD);
        }
        let p = run(&text).unwrap();
        assert_eq!(p.valid, MAX_ROWS);
        text.push('\n');
        text.push_str(GOOD);
        assert_eq!(
            file_error(run(&text)),
            FieldError::TooManyRows { max: MAX_ROWS }
        );
    }

    #[test]
    fn lines_ended_by_a_lone_carriage_return_are_counted() {
        // csv reads a lone "\r" as a line end (old Mac spreadsheets save so); counted too, each
        // row has its own line and so its own booking key (`batch_key:line`).
        let text = format!("{}\r{GOOD}\r{}\r", header(), GOOD.replace("PO-1", "PO-2"));
        let p = run(&text).unwrap();
        assert_eq!((p.valid, p.invalid), (2, 0), "{:?}", p.rows);
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    }

    /// Inputs at the edges of the import, for the fuzz target `csv_import` (fuzz/, README
    /// "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        let bytes = |b: &[u8]| preview(b, "new", Locale::En);
        // A byte order mark alone is an empty file, in each encoding.
        let boms: [&[u8]; 3] = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"];
        for bom in boms {
            assert_eq!(file_error(bytes(bom)), FieldError::FileEmpty, "{bom:?}");
        }
        // An odd byte or a lone surrogate in UTF-16, or what follows a UTF-8 BOM not being
        // UTF-8, is refused rather than guessed at.
        let broken: [&[u8]; 4] = [
            b"\xff\xfea",
            b"\xff\xfe\x00\xd8",
            b"\xfe\xff\xdc\x00",
            b"\xef\xbb\xbf\xc0\xee",
        ];
        for b in broken {
            assert_eq!(file_error(bytes(b)), FieldError::FileEncoding, "{b:?}");
        }
        // GBK is read as GB18030: a four-byte sequence is a character too.
        assert_eq!(
            decode(b"a\x81\x30\x81\x30").unwrap(),
            ("a\u{80}".to_string(), "gbk")
        );
        // The same file in UTF-16 of either byte order reads as in UTF-8.
        let text = format!("{}\n{GOOD}\n", header());
        let utf8 = run(&text).unwrap();
        for unit in [u16::to_le_bytes, u16::to_be_bytes] {
            let mut utf16: Vec<u8> = unit(0xfeff).to_vec();
            utf16.extend(text.encode_utf16().flat_map(unit));
            let p = bytes(&utf16).unwrap();
            assert_eq!(p.encoding, "utf-16");
            assert_eq!(p.rows, utf8.rows);
        }
        // A quoted line break in the last field, and no line end after the last row.
        let text = format!("{},note\n{GOOD},\"one\ntwo\"\n{GOOD},\"three\"", header());
        let p = run(&text).unwrap();
        assert_eq!((p.valid, p.invalid), (2, 0), "{:?}", p.rows);
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        // Full-width digits are not a number.
        let wide = GOOD.replace(",2.5,30,", ",\u{ff12}.\u{ff15},30,");
        let p = run(&format!("{}\n{wide}\n", header())).unwrap();
        let cells: Vec<(&str, &str)> = p.rows[0]
            .errors
            .iter()
            .map(|e| (e.column.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(cells, [("weight_kg", "not_a_number")]);
        // A UK postcode with a non-ASCII letter panicked in `Postcode::parse`; it is a cell's
        // error now.
        let uk = GOOD.replace(",Beijing,100080,CN,", ",London,A\u{e9}12,GB,");
        let p = run(&format!("{}\n{uk}\n", header())).unwrap();
        assert!(
            p.rows[0]
                .errors
                .iter()
                .any(|e| e.column == "recipient_postcode" && e.code == "postcode_invalid"),
            "{:?}",
            p.rows[0].errors
        );
    }

    #[test]
    fn messages_follow_the_locale() {
        let text = format!("{}\n{}\n", header(), GOOD.replace("2.5", "abc"));
        let p = preview(text.as_bytes(), "new", Locale::ZhCn).unwrap();
        assert_eq!(
            p.rows[0].errors[0].message,
            FieldError::NotANumber.message(Locale::ZhCn)
        );
    }
}
