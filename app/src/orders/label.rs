//! The shipping label: an A6 PDF page per parcel with both addresses, the service, the weight,
//! a Code 128 barcode and a QR code of the tracking number. Drawn as vectors (bars and modules
//! are rectangles), so it prints sharp on a 203 dpi thermal printer and on paper alike.

use barcoders::sym::code128::Code128;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};

use super::Shipment;
use crate::i18n::country_name;
use crate::i18n::Locale;

/// A6 in points (105 x 148 mm).
pub const WIDTH: f32 = 297.64;
pub const HEIGHT: f32 = 419.53;
const MARGIN: f32 = 14.0;

const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");
/// Chinese (and any other non-Latin text) through the standard Adobe-GB1 font every PDF
/// viewer maps to an installed Song/Ming face; no font file has to be embedded.
const CJK: Name = Name(b"F3");

/// Text in the one encoding each font understands: WinAnsi bytes for Helvetica when every
/// character is Latin-1, else UCS-2 big-endian for the CJK font.
fn encode(text: &str) -> (bool, Vec<u8>) {
    let latin = text
        .chars()
        .all(|c| matches!(c as u32, 0x20..=0x7e | 0xa0..=0xff));
    if latin {
        (false, text.chars().map(|c| c as u32 as u8).collect())
    } else {
        let bytes = text
            .chars()
            .flat_map(|c| {
                let unit = u16::try_from(c as u32).unwrap_or(u16::from(b'?'));
                unit.to_be_bytes()
            })
            .collect();
        (true, bytes)
    }
}

/// Cuts text to about what fits in `width` at `size` (Helvetica averages 0.55 em; CJK is 1 em).
fn fit(text: &str, size: f32, width: f32) -> String {
    let mut used = 0.0;
    let mut out = String::new();
    for c in text.chars() {
        let w = if (c as u32) < 0x2e80 { 0.56 } else { 1.0 } * size;
        if used + w > width {
            out.push('~');
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

struct Page {
    content: Content,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let text = fit(text, size, WIDTH - x - MARGIN);
        let (cjk, bytes) = encode(&text);
        let font = match (cjk, bold) {
            (true, _) => CJK,
            (false, true) => BOLD,
            (false, false) => REGULAR,
        };
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(1.2)
            .move_to(MARGIN, y)
            .line_to(WIDTH - MARGIN, y)
            .stroke();
    }

    fn bars(&mut self, x: f32, y: f32, module: f32, height: f32, modules: &[u8]) {
        for (i, m) in modules.iter().enumerate() {
            if *m == 1 {
                self.content.rect(x + i as f32 * module, y, module, height);
            }
        }
        self.content.fill_nonzero();
    }

    fn qr(&mut self, x: f32, y: f32, size: f32, code: &QrCode) {
        let n = code.width();
        let module = size / n as f32;
        for (i, color) in code.to_colors().iter().enumerate() {
            if *color == Color::Dark {
                let (col, row) = (i % n, i / n);
                self.content.rect(
                    x + col as f32 * module,
                    y + size - (row + 1) as f32 * module,
                    module,
                    module,
                );
            }
        }
        self.content.fill_nonzero();
    }
}

/// The label PDF: one page per parcel. `track_url` goes into the QR code.
pub fn render(shipment: &Shipment, track_url: &str) -> Vec<u8> {
    let t = Locale::En.texts();
    let tn = &shipment.tracking_number;
    let bars = Code128::new(format!("Ɓ{tn}"))
        .map(|c| c.encode())
        .unwrap_or_default();
    let qr = QrCode::with_error_correction_level(track_url.as_bytes(), EcLevel::M).ok();

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, cjk, cjk_cid, cjk_descriptor) = (
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
    );
    let mut next = 8;
    let mut pdf = Pdf::new();
    pdf.set_version(1, 4);
    let count = shipment.parcels.len().max(1);
    let mut page_ids = Vec::new();
    for index in 0..count {
        let (page_id, content_id) = (Ref::new(next), Ref::new(next + 1));
        next += 2;
        page_ids.push(page_id);
        let mut p = Page {
            content: Content::new(),
        };
        let top = HEIGHT - MARGIN;
        // Header: carrier and service, the service reversed out of a black band.
        p.text(MARGIN, top - 16.0, 16.0, true, "PARCELPORT");
        let service = shipment.service.label(t).to_uppercase();
        p.content.set_fill_gray(0.0);
        p.content
            .rect(WIDTH - MARGIN - 120.0, top - 22.0, 120.0, 26.0);
        p.content.fill_nonzero();
        p.content.set_fill_gray(1.0);
        p.text(WIDTH - MARGIN - 114.0, top - 15.0, 13.0, true, &service);
        p.content.set_fill_gray(0.0);
        p.rule(top - 28.0);

        // Sender, small.
        let mut y = top - 40.0;
        p.text(MARGIN, y, 7.0, true, "FROM");
        let s = &shipment.sender;
        for line in [
            s.name.as_str(),
            s.company.as_str(),
            s.line1.as_str(),
            s.line2.as_str(),
        ]
        .into_iter()
        .filter(|l| !l.is_empty())
        {
            y -= 10.0;
            p.text(MARGIN, y, 8.5, false, line);
        }
        y -= 10.0;
        p.text(
            MARGIN,
            y,
            8.5,
            false,
            &format!("{} {}, {}", s.postcode, s.city, country_name(t, &s.country)),
        );
        y -= 10.0;
        p.text(MARGIN, y, 8.5, false, &format!("Tel {}", s.phone));
        y -= 8.0;
        p.rule(y);

        // Recipient, large: what the courier reads.
        y -= 13.0;
        p.text(MARGIN, y, 8.0, true, "TO");
        let r = &shipment.recipient;
        y -= 17.0;
        p.text(MARGIN, y, 15.0, true, &r.name);
        for line in [r.company.as_str(), r.line1.as_str(), r.line2.as_str()]
            .into_iter()
            .filter(|l| !l.is_empty())
        {
            y -= 14.0;
            p.text(MARGIN, y, 11.5, false, line);
        }
        y -= 17.0;
        p.text(MARGIN, y, 15.0, true, &format!("{} {}", r.postcode, r.city));
        y -= 13.0;
        p.text(
            MARGIN,
            y,
            10.0,
            false,
            &format!("{} · Tel {}", country_name(t, &r.country), r.phone),
        );
        y -= 9.0;
        p.rule(y);

        // Parcel line: n of N, weight, booking date, reference.
        let weight = shipment.parcels.get(index).map(|p| p.weight_g).unwrap_or(0);
        y -= 13.0;
        let mut info = format!(
            "Parcel {}/{}   {} kg   {}",
            index + 1,
            count,
            crate::domain::kg(weight.max(0) as u64),
            crate::domain::format_date(shipment.created_at)
        );
        if let Some(reference) = &shipment.reference {
            info.push_str(&format!("   Ref {reference}"));
        }
        p.text(MARGIN, y, 9.0, true, &info);

        // Code 128 across the label with quiet zones, the number in words below.
        let module = ((WIDTH - 2.0 * MARGIN - 20.0) / bars.len().max(1) as f32).min(1.6);
        let bar_width = module * bars.len() as f32;
        let bar_x = (WIDTH - bar_width) / 2.0;
        p.bars(bar_x, 120.0, module, 58.0, &bars);
        let spaced = format!("{} {} {} {}", &tn[..2], &tn[2..6], &tn[6..11], &tn[11..]);
        p.text(WIDTH / 2.0 - 62.0, 104.0, 13.0, true, &spaced);
        p.rule(96.0);

        // QR code of the tracking page, and the promised window beside it.
        if let Some(qr) = &qr {
            p.qr(WIDTH - MARGIN - 78.0, MARGIN, 78.0, qr);
        }
        p.text(MARGIN, 76.0, 8.0, true, "DELIVERY");
        p.text(
            MARGIN,
            64.0,
            9.0,
            false,
            &fit(
                &format!("{} - {}", shipment.promised_from, shipment.promised_to),
                9.0,
                170.0,
            ),
        );
        p.text(MARGIN, 44.0, 8.0, true, "TRACK");
        p.text(MARGIN, 32.0, 7.0, false, &fit(track_url, 7.0, 180.0));

        pdf.page(page_id)
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .contents(content_id)
            .resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold)
            .pair(CJK, cjk);
        let data = p.content.finish();
        pdf.stream(content_id, &data);
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids).count(count as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type0_font(cjk)
        .base_font(Name(b"STSong-Light"))
        .encoding_predefined(Name(b"UniGB-UCS2-H"))
        .descendant_font(cjk_cid);
    pdf.cid_font(cjk_cid)
        .subtype(pdf_writer::types::CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(pdf_writer::types::SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"GB1"),
            supplement: 4,
        })
        .font_descriptor(cjk_descriptor)
        .default_width(1000.0)
        // Adobe-GB1 CIDs 1-95 are the half-width ASCII glyphs.
        .widths()
        .same(1, 95, 500.0);
    pdf.font_descriptor(cjk_descriptor)
        .name(Name(b"STSong-Light"))
        .flags(pdf_writer::types::FontFlags::SYMBOLIC)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(880.0)
        .stem_v(93.0);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addresses::AddressInput;
    use crate::orders::{ParcelInput, ServiceLevel, ShipmentStatus};

    fn shipment(parcels: usize) -> Shipment {
        let address = |name: &str, city: &str| AddressInput {
            name: name.into(),
            company: String::new(),
            phone: "+86 138 0013 8000".into(),
            line1: "9 Xinhua Road".into(),
            line2: String::new(),
            city: city.into(),
            postcode: "100080".into(),
            country: "CN".into(),
        };
        Shipment {
            tracking_number: "EP123456785CN".into(),
            status: ShipmentStatus::Created,
            service: ServiceLevel::Express,
            reference: Some("PO-1".into()),
            sender: address("Alice Chen", "Shanghai"),
            recipient: address("李雷", "Beijing"),
            parcels: vec![
                ParcelInput {
                    weight_g: 2_500,
                    length_cm: 30,
                    width_cm: 20,
                    height_cm: 10,
                    declared_value: 0,
                    contents: "lamp".into(),
                };
                parcels
            ],
            insured: false,
            currency: "CNY".into(),
            price_lines: vec![],
            total: 1_000,
            promised_from: "2026-11-26".into(),
            promised_to: "2026-11-27".into(),
            created_at: 0,
            delivery_slot: None,
            pickup_slot: None,
            pickup_point: None,
            events: vec![],
        }
    }

    #[test]
    fn one_a6_page_per_parcel_with_both_fonts() {
        let pdf = render(
            &shipment(3),
            "https://parcelport.example/track/EP123456785CN",
        );
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert_eq!(pages, 3);
        assert!(text.contains("/MediaBox [0 0 297.64 419.53]"));
        assert!(
            text.contains("/UniGB-UCS2-H"),
            "Chinese names use the CJK font"
        );
        assert!(text.contains("(PARCELPORT)"));
        assert!(text.contains("(Parcel 2/3   2.5 kg   1970-01-01   Ref PO-1)"));
    }

    #[test]
    fn latin_text_stays_single_byte_and_chinese_becomes_ucs2() {
        assert_eq!(encode("Müller"), (false, b"M\xfcller".to_vec()));
        assert_eq!(encode("李"), (true, vec![0x67, 0x4e]));
        assert!(fit(&"x".repeat(200), 10.0, 100.0).ends_with('~'));
        assert_eq!(fit("short", 10.0, 100.0), "short");
    }
}
