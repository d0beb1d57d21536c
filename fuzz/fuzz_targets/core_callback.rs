//! Fuzz target: the OAuth 1.0a and PKCE callback parsers of twitter-auth-core. The property is
//! [`twitter_auth_fuzz::core_props::callback`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::core_props::callback(data));
