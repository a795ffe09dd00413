//! The local key provider: KEKs and the blind-index key in a file outside the database.
//!
//! The file is created with mode 0600 and refused at load when group or others can read it.
//! Changes (rotation, retirement) happen under an exclusive lock and replace the file atomically
//! (write a sibling, fsync, rename), so a crash never leaves a half-written key file and two
//! processes never lose each other's versions.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use vial_crypto::{KekRecord, KeyMaterial, KeyProvider, SecretKeyBytes};
use zeroize::Zeroizing;

/// Why the key file could not be used. Messages name the path, never key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "key file {path} is readable by group or others (mode {mode:04o}); run `chmod 600 {path}`"
    )]
    Permissions { path: String, mode: u32 },
    #[error("key file {path} is missing; run `vial init` or restore it from backup")]
    Missing { path: String },
    #[error("key file {path} already exists")]
    Exists { path: String },
    #[error("key file {path} is malformed: {reason}")]
    Malformed { path: String, reason: String },
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("key version {0} cannot be retired: it is current or unknown")]
    NotRetirable(u32),
    #[error(transparent)]
    Crypto(#[from] vial_crypto::CryptoError),
}

#[derive(Serialize, Deserialize)]
struct FileKek {
    version: u32,
    created_at_ms: i64,
    retired_at_ms: Option<i64>,
    key: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct FileContents {
    format: u32,
    keks: Vec<FileKek>,
    blind_index_key: String,
    audit_signing_key: String,
}

impl Drop for FileContents {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.blind_index_key.zeroize();
        self.audit_signing_key.zeroize();
        for k in &mut self.keks {
            k.key.zeroize();
        }
    }
}

/// A key file at a path.
#[derive(Debug, Clone)]
pub struct LocalKeyFile {
    path: PathBuf,
}

impl LocalKeyFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn io(&self, source: std::io::Error) -> KeyFileError {
        KeyFileError::Io {
            path: self.display(),
            source,
        }
    }

    fn malformed(&self, reason: impl Into<String>) -> KeyFileError {
        KeyFileError::Malformed {
            path: self.display(),
            reason: reason.into(),
        }
    }

    /// Creates a new key file with a first KEK version and a blind-index key.
    pub fn create(&self, now_ms: i64) -> Result<(), KeyFileError> {
        let contents = FileContents {
            format: 1,
            keks: vec![FileKek {
                version: 1,
                created_at_ms: now_ms,
                retired_at_ms: None,
                key: Some(B64.encode(vial_crypto::generate_secret()?.expose())),
            }],
            blind_index_key: B64.encode(vial_crypto::generate_secret()?.expose()),
            audit_signing_key: B64.encode(vial_crypto::generate_secret()?.expose()),
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => KeyFileError::Exists {
                    path: self.display(),
                },
                _ => self.io(e),
            })?;
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(&contents).map_err(|e| self.malformed(e.to_string()))?,
        );
        file.write_all(&json).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))
    }

    fn read(&self) -> Result<FileContents, KeyFileError> {
        let meta = fs::metadata(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeyFileError::Missing {
                path: self.display(),
            },
            _ => self.io(e),
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: self.display(),
                mode,
            });
        }
        let bytes = Zeroizing::new(fs::read(&self.path).map_err(|e| self.io(e))?);
        let contents: FileContents =
            serde_json::from_slice(&bytes).map_err(|e| self.malformed(e.to_string()))?;
        if contents.format != 1 {
            return Err(self.malformed(format!("unknown format {}", contents.format)));
        }
        Ok(contents)
    }

    fn write(&self, contents: &FileContents) -> Result<(), KeyFileError> {
        let tmp = self.path.with_extension("json.new");
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| self.io(e))?;
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(contents).map_err(|e| self.malformed(e.to_string()))?,
        );
        file.write_all(&json).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        fs::rename(&tmp, &self.path).map_err(|e| self.io(e))?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Runs `change` on the contents under an exclusive lock and saves the result.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut FileContents) -> Result<T, KeyFileError>,
    ) -> Result<T, KeyFileError> {
        let lock_path = self.path.with_extension("lock");
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| self.io(e))?;
        lock.lock().map_err(|e| self.io(e))?;
        let mut contents = self.read()?;
        let out = change(&mut contents)?;
        self.write(&contents)?;
        Ok(out)
    }

    /// The file's modification time, to notice another process's rotation cheaply.
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }
}

impl KeyProvider for LocalKeyFile {
    type Error = KeyFileError;

    fn load(&self) -> Result<KeyMaterial, KeyFileError> {
        let contents = self.read()?;
        let decode = |s: &str, what: &str| -> Result<SecretKeyBytes, KeyFileError> {
            let bytes = Zeroizing::new(
                B64.decode(s)
                    .map_err(|_| self.malformed(format!("{what} is not base64")))?,
            );
            SecretKeyBytes::from_slice(&bytes)
                .map_err(|_| self.malformed(format!("{what} is not 32 bytes")))
        };
        let mut keks = Vec::with_capacity(contents.keks.len());
        for k in &contents.keks {
            let secret = match &k.key {
                Some(s) => Some(decode(s, &format!("KEK version {}", k.version))?),
                None => None,
            };
            keks.push(KekRecord {
                version: k.version,
                created_at_ms: k.created_at_ms,
                retired_at_ms: k.retired_at_ms,
                secret,
            });
        }
        Ok(KeyMaterial {
            keks,
            blind_index_key: decode(&contents.blind_index_key, "blind-index key")?,
            audit_signing_seed: decode(&contents.audit_signing_key, "audit signing key")?,
        })
    }

    fn rotate(&self, now_ms: i64) -> Result<u32, KeyFileError> {
        let secret = vial_crypto::generate_secret()?;
        self.update(|c| {
            let version = c.keks.iter().map(|k| k.version).max().unwrap_or(0) + 1;
            c.keks.push(FileKek {
                version,
                created_at_ms: now_ms,
                retired_at_ms: None,
                key: Some(B64.encode(secret.expose())),
            });
            Ok(version)
        })
    }

    fn retire(&self, version: u32, now_ms: i64) -> Result<(), KeyFileError> {
        self.update(|c| {
            let newest = c
                .keks
                .iter()
                .filter(|k| k.retired_at_ms.is_none())
                .map(|k| k.version)
                .max();
            if newest == Some(version) {
                return Err(KeyFileError::NotRetirable(version));
            }
            let kek = c
                .keks
                .iter_mut()
                .find(|k| k.version == version)
                .ok_or(KeyFileError::NotRetirable(version))?;
            if kek.retired_at_ms.is_none() {
                kek.retired_at_ms = Some(now_ms);
            }
            use zeroize::Zeroize;
            kek.key.zeroize();
            kek.key = None;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    #[test]
    fn created_private_loads_rotates_and_retires() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalKeyFile::new(dir.path().join("keys.json"));
        file.create(1).unwrap();
        let mode = fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(file.create(1), Err(KeyFileError::Exists { .. })));
        assert_eq!(file.rotate(2).unwrap(), 2);
        assert!(matches!(
            file.retire(2, 3),
            Err(KeyFileError::NotRetirable(2))
        ));
        file.retire(1, 3).unwrap();
        let material = file.load().unwrap();
        assert!(material.keks[0].secret.is_none());
        assert_eq!(material.keks[0].retired_at_ms, Some(3));
        assert!(material.keks[1].secret.is_some());
        assert_eq!(
            fs::metadata(file.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_readable_key_file_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalKeyFile::new(dir.path().join("keys.json"));
        file.create(1).unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let err = file.load().unwrap_err();
        assert!(matches!(err, KeyFileError::Permissions { mode: 0o644, .. }));
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn missing_and_corrupt_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalKeyFile::new(dir.path().join("keys.json"));
        assert!(matches!(file.load(), Err(KeyFileError::Missing { .. })));
        fs::write(file.path(), b"{not json").unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(file.load(), Err(KeyFileError::Malformed { .. })));
    }
}
