//! Buffers for the JSON of stored secrets (token sets, profiles): wiped when dropped, and never
//! reallocated, so no copy of a token lingers in freed memory.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use zeroize::Zeroizing;

/// The bytes of a stored secret's JSON (a token set, a profile): zeroed when dropped.
///
/// Every store in the workspace holds what it writes and what it reads back in this type
/// ([`FileStore`](crate::FileStore), `twitter-auth-redis`, `twauth`'s profiles), filled by
/// [`to_secret_json`] or [`read_secret_file`], which size it once: a `Vec` that grew would have
/// left its earlier, shorter copies in freed memory.
pub type SecretJson = Zeroizing<Vec<u8>>;

/// `value` as compact JSON, in a [`SecretJson`] allocated once at its exact length.
///
/// # Errors
///
/// What `serde_json` reports if `value` cannot be serialized (a map with non-string keys, or a
/// failing `Serialize` impl).
pub fn to_secret_json<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<SecretJson, serde_json::Error> {
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut json = SecretJson::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *json, value)?;
    Ok(json)
}

/// `value` as pretty-printed JSON ending in a newline (a file a person may open), in a
/// [`SecretJson`] allocated once at its exact length.
///
/// # Errors
///
/// As [`to_secret_json`].
pub fn to_secret_json_pretty<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<SecretJson, serde_json::Error> {
    let mut count = Count(0);
    serde_json::to_writer_pretty(&mut count, value)?;
    let mut json = SecretJson::new(Vec::with_capacity(count.0 + 1));
    serde_json::to_writer_pretty(&mut *json, value)?;
    json.push(b'\n');
    Ok(json)
}

/// The whole content of the file at `path`, in a [`SecretJson`].
///
/// Sized from the file's length; should the file grow while it is read, the buffer is moved to
/// a larger one and the old one zeroed, never reallocated in place.
///
/// # Errors
///
/// The file's open or read error, as [`std::fs::read`] gives them (`NotFound` for a missing
/// file).
pub fn read_secret_file(path: &Path) -> io::Result<SecretJson> {
    let file = File::open(path)?;
    let hint = file
        .metadata()
        .map_or(0, |m| usize::try_from(m.len()).unwrap_or(0));
    read_secret(file, hint)
}

/// Reads `reader` to its end into a [`SecretJson`] of `hint` bytes (plus one, to see the end
/// without growing), moving to a doubled, fresh buffer whenever it is full.
fn read_secret(mut reader: impl Read, hint: usize) -> io::Result<SecretJson> {
    let mut buf = SecretJson::new(vec![0; hint.saturating_add(1)]);
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            let mut larger = SecretJson::new(vec![0; buf.len().max(32) * 2]);
            larger[..filled].copy_from_slice(&buf[..filled]);
            buf = larger; // the full one is zeroed as it drops
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                buf.truncate(filled); // the tail stays allocated, and is zeroed with the rest
                return Ok(buf);
            }
            Ok(n) => filled = (filled + n).min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A writer that only counts the bytes it is given.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only while [`SecretJson`] is a `Zeroizing` buffer.
    fn zeroizing(json: SecretJson) -> Zeroizing<Vec<u8>> {
        json
    }

    #[test]
    fn serialized_json_is_exactly_sized_and_zeroizing() {
        let value = serde_json::json!({"access_token": "a".repeat(1000), "expires_in": 7200});
        let json = zeroizing(to_secret_json(&value).unwrap());
        assert_eq!(json.capacity(), json.len());
        assert_eq!(*json, serde_json::to_vec(&value).unwrap());

        let pretty = zeroizing(to_secret_json_pretty(&value).unwrap());
        assert_eq!(pretty.capacity(), pretty.len());
        let mut expected = serde_json::to_vec_pretty(&value).unwrap();
        expected.push(b'\n');
        assert_eq!(*pretty, expected);
    }

    /// A reader that hands out at most `step` bytes a call, and is interrupted once.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        interrupted: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.data.len().min(self.step).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn reading_is_whole_whatever_the_size_hint() {
        let data: Vec<u8> = (0..10_000_u32).map(|i| (i % 251) as u8).collect();
        for hint in [0, 1, 31, 9_999, 10_000, 20_000] {
            for step in [1, 7, 4096, 100_000] {
                let reader = Trickle {
                    data: &data,
                    step,
                    interrupted: false,
                };
                let read = zeroizing(read_secret(reader, hint).unwrap());
                assert_eq!(*read, data, "hint {hint}, step {step}");
            }
        }
        assert!(read_secret(io::empty(), 0).unwrap().is_empty());
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let missing = std::env::temp_dir().join("twitter-auth-std-no-such-file.json");
        let err = read_secret_file(&missing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
