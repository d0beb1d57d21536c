//! Fuzz target: AuthorizationHeader::verify against any request and secrets (oauth1-sign). The property is
//! [`twitter_auth_fuzz::oauth1_props::verify`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::oauth1_props::verify(data));
