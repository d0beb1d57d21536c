//! Integration tests of `twitter-auth-core`: every flow driven with canned X responses.

mod errors;
