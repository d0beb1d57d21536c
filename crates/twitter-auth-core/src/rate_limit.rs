//! Rate-limit headers.
