//! Token sets are bearer secrets: sealed with XChaCha20-Poly1305 before they reach Redis.

use std::fmt;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use twitter_auth_std::SecretJson;
use zeroize::Zeroizing;

use crate::Error;

/// What a sealed value starts with: format 1, then the key id, the 24-byte nonce and the
/// ciphertext (with its 16-byte tag).
const MAGIC: &[u8; 4] = b"TAS1";
const NONCE: usize = 24;

/// Seals what the store writes and opens what it reads, with the app's keys.
///
/// A value is sealed with the current key and bound to the Redis key it is stored under (the
/// AEAD's associated data), so a sealed set cannot be moved to another user. Keys rotate: give
/// the new key as current and the old ones with [`with_old_key`](Self::with_old_key); values
/// sealed with an old key are read, and written back with the current one on their next
/// save. `Debug` shows key ids only.
#[derive(Clone)]
pub struct Sealer {
    current: Option<(u8, Zeroizing<[u8; 32]>)>,
    old: Vec<(u8, Zeroizing<[u8; 32]>)>,
}

impl Sealer {
    /// Seals with `key` (32 random bytes, kept like a password), known by `id`.
    #[must_use]
    pub fn new(id: u8, key: [u8; 32]) -> Self {
        Self {
            current: Some((id, Zeroizing::new(key))),
            old: Vec::new(),
        }
    }

    /// Also opens values sealed with an earlier key.
    #[must_use]
    pub fn with_old_key(mut self, id: u8, key: [u8; 32]) -> Self {
        self.old.push((id, Zeroizing::new(key)));
        self
    }

    /// Stores token sets **in clear**: anyone who can read the Redis database (a backup, a
    /// replica, `MONITOR`) can use every user's tokens. For tests and throwaway setups only.
    #[must_use]
    pub fn plaintext_insecure() -> Self {
        Self {
            current: None,
            old: Vec::new(),
        }
    }

    /// Whether values are stored in clear.
    #[must_use]
    pub fn is_plaintext(&self) -> bool {
        self.current.is_none()
    }

    fn key(&self, id: u8) -> Option<&[u8; 32]> {
        self.current
            .iter()
            .chain(&self.old)
            .find(|(k, _)| *k == id)
            .map(|(_, key)| &**key)
    }

    /// `plaintext` sealed for `redis_key`.
    pub(crate) fn seal(&self, redis_key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let Some((id, key)) = &self.current else {
            return Ok(plaintext.to_vec());
        };
        let cipher = XChaCha20Poly1305::new((&**key).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: redis_key,
                },
            )
            .map_err(|_| Error::Seal("sealing failed"))?;
        let mut value = Vec::with_capacity(MAGIC.len() + 1 + NONCE + sealed.len());
        value.extend_from_slice(MAGIC);
        value.push(*id);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&sealed);
        Ok(value)
    }

    /// The plaintext of `value`, stored under `redis_key`.
    pub(crate) fn open(&self, redis_key: &[u8], value: &[u8]) -> Result<SecretJson, Error> {
        let Some(rest) = value.strip_prefix(MAGIC) else {
            return if self.is_plaintext() {
                Ok(SecretJson::new(value.to_vec()))
            } else {
                Err(Error::Seal(
                    "a value is stored in clear but this store seals: refusing it",
                ))
            };
        };
        let [id, rest @ ..] = rest else {
            return Err(Error::Seal("a sealed value is truncated"));
        };
        if rest.len() < NONCE {
            return Err(Error::Seal("a sealed value is truncated"));
        }
        let key = self.key(*id).ok_or(Error::Seal(
            "a value is sealed with a key this store does not have",
        ))?;
        let (nonce, sealed) = rest.split_at(NONCE);
        XChaCha20Poly1305::new(key.into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: redis_key,
                },
            )
            .map(SecretJson::new)
            .map_err(|_| Error::Seal("a sealed value does not open (wrong key, or tampered)"))
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.as_ref().map(|(id, _)| id))
            .field(
                "old",
                &self.old.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}
