//! rate_limit flow tests.
