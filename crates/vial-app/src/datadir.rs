//! The data directory: SQLite database, key file, sealed photo blobs (`blobs/`, unless object
//! storage is configured) and TLS material in one private folder.
//!
//! Initialization builds everything in a sibling temporary folder and renames it into place, so a
//! failed `vial init` (or first start) leaves nothing behind and a half-initialized directory
//! cannot exist.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vial_store::Store;
use vial_store_postgres::PgStore;
use vial_store_sqlite::SqliteStore;

use crate::{
    AppError, AuditPolicy, CheckpointExport, Clock, DirectoryExport, Keys, LocalKeyFile, System,
};

const LAYOUT_FILE: &str = "vial-data.json";
const LAYOUT_V1: &str = "{\"layout\": 1}\n";

/// Which database holds the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseChoice {
    /// `vial.db` inside the data directory.
    Embedded,
    /// A PostgreSQL server; `schema` isolates tenants or test runs (default `public`); `ca` is
    /// the practice's own CA (PEM) for a server off this machine, which must be `verify-full`.
    Postgres {
        url: String,
        schema: Option<String>,
        ca: Option<PathBuf>,
    },
}

/// A data directory's layout.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database_path(&self) -> PathBuf {
        self.root.join("vial.db")
    }

    pub fn key_file(&self) -> LocalKeyFile {
        LocalKeyFile::new(self.root.join("keys.json"))
    }

    /// Where signed audit checkpoints are exported by default.
    pub fn checkpoint_export(&self) -> DirectoryExport {
        DirectoryExport::new(self.root.join("audit-checkpoints"))
    }

    /// Where photos are stored (sealed) when no object storage is configured.
    pub fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.root.join("tls")
    }

    /// True when the directory exists and holds anything. An empty or absent directory is new;
    /// anything else is opened (and fails clearly if, say, its key file was lost), never
    /// re-initialized over existing data.
    pub fn is_initialized(&self) -> bool {
        fs::read_dir(&self.root).is_ok_and(|mut entries| entries.next().is_some())
    }

    /// Creates keys, database and whatever `extra` adds (TLS material) in a temporary sibling
    /// folder, then moves it into place. Refuses an already initialized or non-empty directory.
    pub async fn init<F>(
        &self,
        database: &DatabaseChoice,
        clock: &dyn Clock,
        extra: F,
    ) -> Result<(), AppError>
    where
        F: FnOnce(&DataDir) -> Result<(), String>,
    {
        let err = |what: &str, e: &dyn std::fmt::Display| {
            AppError::DataDir(format!("{}: {what}: {e}", self.root.display()))
        };
        if self.is_initialized() {
            return Err(AppError::DataDir(format!(
                "{} is already initialized (or not empty); choose an empty or new directory",
                self.root.display()
            )));
        }
        let name = self
            .root
            .file_name()
            .ok_or_else(|| AppError::DataDir("the data directory needs a name".into()))?;
        let parent = match self.root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| err("cannot create parent", &e))?;
        let staging = DataDir::new(parent.join(format!(
            ".{}.init-{}",
            name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        )));
        let built = async {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(staging.root())
                .map_err(|e| err("cannot create", &e))?;
            // A layout marker, so that a directory whose key file was lost is never mistaken
            // for an empty one and initialized over (with PostgreSQL nothing else may be here).
            fs::write(staging.root().join(LAYOUT_FILE), LAYOUT_V1)
                .map_err(|e| err("cannot write layout marker", &e))?;
            staging.key_file().create(clock.now_ms())?;
            let store = staging.open_store(database).await?;
            store.close().await;
            extra(&staging).map_err(AppError::DataDir)?;
            if self.root.exists() {
                fs::remove_dir(&self.root).map_err(|e| err("cannot replace", &e))?;
            }
            fs::rename(staging.root(), &self.root).map_err(|e| err("cannot move into place", &e))
        }
        .await;
        if built.is_err() {
            let _ = fs::remove_dir_all(staging.root());
        }
        built
    }

    async fn open_store(&self, database: &DatabaseChoice) -> Result<Arc<dyn Store>, AppError> {
        Ok(match database {
            DatabaseChoice::Embedded => Arc::new(SqliteStore::open(&self.database_path()).await?),
            DatabaseChoice::Postgres { url, schema, ca } => {
                let ca = ca.as_deref();
                Arc::new(match schema {
                    Some(schema) => PgStore::connect_url_in_schema(url, schema, ca).await?,
                    None => PgStore::connect_url(url, ca).await?,
                })
            }
        })
    }

    /// Opens an initialized directory: checks its permissions, loads keys (failing closed on any
    /// key-file problem), opens and migrates the database.
    pub async fn open(
        &self,
        database: &DatabaseChoice,
        clock: Arc<dyn Clock>,
    ) -> Result<System, AppError> {
        self.open_with(
            database,
            clock,
            AuditPolicy::default(),
            Arc::new(self.checkpoint_export()),
        )
        .await
    }

    /// [`DataDir::open`] with an explicit checkpoint policy and export target.
    pub async fn open_with(
        &self,
        database: &DatabaseChoice,
        clock: Arc<dyn Clock>,
        audit: AuditPolicy,
        export: Arc<dyn CheckpointExport>,
    ) -> Result<System, AppError> {
        if !self.is_initialized() {
            return Err(AppError::DataDir(format!(
                "{} is not initialized; run `vial init` or `vial serve`",
                self.root.display()
            )));
        }
        let mode = fs::metadata(&self.root)
            .map(|m| m.permissions().mode() & 0o777)
            .map_err(|e| AppError::DataDir(format!("{}: {e}", self.root.display())))?;
        if mode & 0o077 != 0 {
            return Err(AppError::DataDir(format!(
                "{} is accessible by group or others (mode {mode:04o}); run `chmod 700 {}`",
                self.root.display(),
                self.root.display()
            )));
        }
        let keys = Arc::new(Keys::load(self.key_file())?);
        let blobs = vial_blob::BlobStore::local(self.blob_dir())
            .map_err(|e| AppError::DataDir(format!("{}: {e}", self.blob_dir().display())))?;
        let store = self.open_store(database).await?;
        Ok(System::new(store, keys, clock, audit, export)
            .with_blob_store(blobs)
            .with_database_endpoint(database))
    }
}
