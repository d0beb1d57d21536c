//! Tests of the mock through a plain HTTP client (and of its sans-IO handler in memory).
//!
//! Every expected value comes from the wire contract, an RFC or a published vector (copied
//! into `fixtures/`), never from the mock's own output.

mod app_only;
mod binary;
mod closer_to_x;
mod connections;
mod fuzz_seeds;
mod hardening;
mod in_memory;
mod limits_faults;
mod oauth1;
mod pages;
mod pkce;
mod resources;
mod support;
mod world;
