//! Tests of the std pieces.

mod loopback;
mod store;
