//! Integration tests: each test starts the real server on a free port against a fresh database,
//! SQLite by default or PostgreSQL when TEST_DATABASE_URL points at one. Tests use a
//! multi-threaded runtime, as the server does in production: on a single thread shared by
//! client and server, a page render occasionally stalled under load.

mod accounts;
mod addresses;
mod after_delivery;
mod complaints;
mod crm;
mod crm_customers;
mod crm_kpis;
mod crm_tiers;
mod delivery;
mod helpers;
mod lifecycle;
mod notifications;
mod orders;
mod pages;
mod ratings;
mod returns;
mod rpc;
mod rpc_bad_arguments;
mod rpc_foreign_ids;
mod security;
mod service;
mod shipments;
mod slots;
mod tracking;
mod tracking_carrier;
mod tracking_live;
mod tracking_page;
mod tracking_public;
