//! Shared harness of the cross-crate tests (grows with the mock and the adapters).
