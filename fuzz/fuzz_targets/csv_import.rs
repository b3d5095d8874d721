//! The CSV import (`app::orders::import::preview`): the bytes as uploaded, then the same text in
//! every encoding the import reads (UTF-8 with a BOM, UTF-16LE, UTF-16BE, GBK).
#![no_main]

use app::error::AppError;
use app::i18n::Locale;
use app::orders::import::{decode, preview, MAX_ROWS};
use app::orders::shipments::validate;
use app::orders::ImportPreview;
use libfuzzer_sys::fuzz_target;

type Checked = Result<ImportPreview, AppError>;

/// `preview`, and what must hold of any answer it gives.
fn checked(bytes: &[u8]) -> Checked {
    let result = preview(bytes, "new", Locale::En);
    match &result {
        Ok(p) => {
            assert!(matches!(p.encoding.as_str(), "utf-8" | "utf-16" | "gbk"));
            assert!(!p.rows.is_empty() && p.rows.len() <= MAX_ROWS);
            assert_eq!(p.valid + p.invalid, p.rows.len());
            assert_eq!(
                p.valid,
                p.rows.iter().filter(|r| r.errors.is_empty()).count()
            );
            let lines: Vec<u64> = p.rows.iter().map(|r| r.line).collect();
            // After the header (line 1), each row on lines of its own: a row's line is its
            // booking key (`batch_key:line`), so two rows on one line would book once.
            assert!(
                lines[0] > 1 && lines.windows(2).all(|w| w[0] < w[1]),
                "{lines:?}"
            );
            for row in &p.rows {
                assert!(row.errors.iter().all(|e| e.line == row.line));
                assert_eq!(row.errors.is_empty(), row.booking.is_some());
                match &row.booking {
                    // A row found valid is a booking the booking checks accept.
                    Some(booking) => assert!(validate(booking).is_ok(), "{booking:?}"),
                    None => assert_eq!(row.total, None),
                }
            }
        }
        // What is refused as a whole names the file.
        Err(e) => assert!(e.field_error("file").is_some(), "{e:?}"),
    }
    result
}

/// The answer without the encoding's name, to compare one text read from two encodings.
fn unnamed(result: Checked) -> Checked {
    result.map(|p| ImportPreview {
        encoding: String::new(),
        ..p
    })
}

/// `text` in UTF-16 after its byte order mark, each unit in the order `unit` writes.
fn utf16(text: &str, unit: fn(u16) -> [u8; 2]) -> Vec<u8> {
    unit(0xfeff)
        .into_iter()
        .chain(text.encode_utf16().flat_map(unit))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    // The bytes as uploaded: BOM sniffing, UTF-8, GBK (as GB18030), or refused.
    let _ = checked(data);

    // One text in each encoding with a byte order mark: each decodes to exactly `text` (one BOM
    // is taken off), so the answers may differ only in the encoding they name.
    let text = String::from_utf8_lossy(data);
    let with_bom = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
    let utf16le = utf16(&text, u16::to_le_bytes);
    let utf16be = utf16(&text, u16::to_be_bytes);
    for bytes in [&with_bom, &utf16le, &utf16be] {
        let (decoded, _) = decode(bytes).expect("a BOM names the encoding");
        assert_eq!(decoded, text);
    }
    let reference = unnamed(checked(&with_bom));
    assert_eq!(unnamed(checked(&utf16le)), reference);
    assert_eq!(unnamed(checked(&utf16be)), reference);

    // GBK has no BOM: it is read as GBK only when it is not UTF-8 (GBK bytes may be, or may
    // start like a UTF-8 BOM), and compared only when every character has a GBK spelling.
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    if !unmappable {
        if let Ok((decoded, "gbk")) = decode(&gbk) {
            assert_eq!(decoded, text);
            assert_eq!(unnamed(checked(&gbk)), reference);
        }
    }
});
