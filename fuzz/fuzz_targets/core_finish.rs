//! Fuzz target: every Exchange::finish of twitter-auth-core on any answer. The property is
//! [`twitter_auth_fuzz::core_props::finish`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::core_props::finish(data));
