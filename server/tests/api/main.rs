//! Integration tests: each test starts the real server on a free port against a fresh database,
//! SQLite by default or PostgreSQL when TEST_DATABASE_URL points at one.

mod accounts;
mod addresses;
mod helpers;
mod orders;
mod pages;
mod security;
mod service;
