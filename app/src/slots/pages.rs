//! Slot pages.
