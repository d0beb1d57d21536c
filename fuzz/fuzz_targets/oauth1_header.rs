//! Fuzz target: AuthorizationHeader::parse and render (oauth1-sign). The property is
//! [`twitter_auth_fuzz::oauth1_props::header`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::oauth1_props::header(data));
