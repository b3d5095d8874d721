//! Slot templates, generation, and the atomic take / release of windows. Only windows and
//! templates: which shipment holds a window, and a shipment's destination area, are orders'
//! (`orders::delivery`), which owns the shipments' rows.
//!
//! Locking order, so concurrent changes never deadlock on PostgreSQL: a transaction touches
//! slot rows first, in ascending id order, and the shipment row after them.

// The parts, each re-exported here: callers name `slots::service::X` whichever part holds it.
mod pattern;
mod taking;
mod templates;
mod windows;

pub use pattern::{
    generate, parse_form, parse_template, today, unavailable, NewSlot, Pattern, AREA_CODE_PATTERN,
    MAX_AREA_CODE_CHARS, MAX_CAPACITY, MAX_CUTOFF_DAYS_BEFORE, MAX_DAYS_AHEAD, MAX_NAME_CHARS,
    MAX_POINT_CHARS, MAX_WINDOWS, TIME_PATTERN,
};
pub use taking::{free, free_for_cancelled, leave, take, template_of, Taken};
pub use templates::{ensure_generated, list_templates, load_templates, save, save_form, Stored};
pub(crate) use windows::local_hm;
pub use windows::{
    area_for, area_slots, asked_days, for_address, of_template, slot_by_id, update_slot,
    windows_for,
};

#[cfg(test)]
mod tests;
