//! Fuzz target: percent-encoding and decoding (oauth1-sign). The property is
//! [`twitter_auth_fuzz::oauth1_props::percent`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::oauth1_props::percent(data));
