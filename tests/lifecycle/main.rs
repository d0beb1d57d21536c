//! The token lifecycle of an app with many users, against the fake X on loopback: many
//! processes sharing one file store, the refresh job, and refreshes killed at every step and at
//! random moments (how many grants survive, and where the lost ones were lost).
//!
//! Workers are the `grant-worker` binary (blocking adapter); kills are `SIGKILL`.

mod support;

mod crashes;
mod full_disk;
mod many_users;
mod redis;
