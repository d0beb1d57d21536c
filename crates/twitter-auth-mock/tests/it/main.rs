//! Tests of the mock through a plain HTTP client.
