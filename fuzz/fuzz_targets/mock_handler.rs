//! Fuzz target: the mock's sans-IO Handler on any request. The property is
//! [`twitter_auth_fuzz::mock_props::handler`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::mock_props::handler(data));
