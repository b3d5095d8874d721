//! Tracking pages.
