//! Fuzz target: the verifier, challenge and state constructors and verify (pkce). The property is
//! [`twitter_auth_fuzz::pkce_props::pkce`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::pkce_props::pkce(data));
