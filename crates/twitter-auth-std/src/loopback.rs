//! Placeholder: the loopback receiver is being written.

/// Why no callback arrived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// Placeholder.
    #[error("not yet implemented")]
    Unimplemented,
}

/// Placeholder.
#[derive(Debug)]
pub struct LoopbackReceiver;

/// Placeholder.
pub fn read_pasted_redirect() {}
