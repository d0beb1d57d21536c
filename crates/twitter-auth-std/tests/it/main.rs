//! Tests of the std pieces.
