//! Integration tests of `oauth1-sign`: published vectors and properties.

mod prop;
mod rules;
mod vectors;
