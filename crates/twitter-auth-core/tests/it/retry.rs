//! retry flow tests.
