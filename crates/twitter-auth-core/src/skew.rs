//! Clock skew.
