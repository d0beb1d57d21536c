//! Fuzz target: Signer::authorization of any request: what is signed parses and verifies (oauth1-sign). The property is
//! [`twitter_auth_fuzz::oauth1_props::sign`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twitter_auth_fuzz::oauth1_props::sign(data));
