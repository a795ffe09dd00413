//! The local directory backend's file-system duties that `object_store` leaves to us: a private
//! folder (0700) per kind, stored files restricted to their owner (0600) and flushed to disk.
//!
//! `LocalFileSystem` writes each object to a temporary sibling and renames it into place with
//! the process umask (often 0644); since every folder is 0700, no other user can reach the file
//! before [`restrict_and_sync`] narrows it to 0600.

use std::fs::{self, DirBuilder, File, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{BlobError, BlobKind};

/// Creates `dir` (0700) and a 0700 folder per [`BlobKind`] if missing, refuses any of them
/// that other users can read or enter, and returns the canonical root.
pub(crate) fn prepare(dir: &Path) -> Result<PathBuf, BlobError> {
    create_private_dir(dir)?;
    let root = fs::canonicalize(dir).map_err(|e| io_error("resolve blob directory", &e))?;
    for kind in BlobKind::ALL {
        create_private_dir(&root.join(kind.prefix()))?;
    }
    Ok(root)
}

fn create_private_dir(dir: &Path) -> Result<(), BlobError> {
    match DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) => return Err(io_error("create blob directory", &e)),
    }
    let meta = fs::metadata(dir).map_err(|e| io_error("inspect blob directory", &e))?;
    if !meta.is_dir() {
        return Err(BlobError::Insecure(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(BlobError::Insecure(format!(
            "{} has mode {mode:o}; it must not be accessible to group or others (chmod 700)",
            dir.display()
        )));
    }
    Ok(())
}

/// Narrows a freshly stored file to 0600 and flushes it and its folder entry to disk.
pub(crate) fn restrict_and_sync(path: &Path) -> io::Result<()> {
    let file = File::open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    file.sync_all()?;
    if let Some(parent) = path.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

fn io_error(what: &str, e: &io::Error) -> BlobError {
    BlobError::Backend(format!("{what}: {e}"))
}
