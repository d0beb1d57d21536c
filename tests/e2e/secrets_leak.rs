//! Leak scan.
