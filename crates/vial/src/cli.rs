//! The command line, as one typed configuration: defaults < environment < flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use vial_app::{
    AuditPolicy, DataDir, DatabaseChoice, DirectoryExport, RotationPolicy, System, SystemClock,
};

#[derive(Debug, Parser)]
#[command(
    name = "vial",
    version,
    about = "Vial: HIPAA-first clinical platform for aesthetic practices"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Data directory: SQLite database, key file, TLS certificate.
    #[arg(
        long,
        env = "VIAL_DATA_DIR",
        default_value = "./vial-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, env = "VIAL_DATABASE_URL", global = true, value_parser = parse_database_url)]
    pub database_url: Option<String>,
    /// PostgreSQL schema for Vial's tables (default: the server's search path).
    #[arg(
        long,
        env = "VIAL_DATABASE_SCHEMA",
        global = true,
        requires = "database_url"
    )]
    pub database_schema: Option<String>,
    /// The practice's own CA (PEM) for a PostgreSQL server off this machine, which must be
    /// reached with `sslmode=verify-full` (checked against this CA and the public roots).
    #[arg(
        long,
        env = "VIAL_DATABASE_CA",
        global = true,
        requires = "database_url"
    )]
    pub database_ca: Option<PathBuf>,
    /// Rotate the key-encryption key when it is older than this many days.
    #[arg(long, env = "VIAL_KEY_MAX_AGE_DAYS", default_value_t = 90, global = true,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub key_max_age_days: u32,
    /// Directory that receives signed audit checkpoints (default: DATA_DIR/audit-checkpoints).
    #[arg(long, env = "VIAL_AUDIT_EXPORT_DIR", global = true)]
    pub audit_export_dir: Option<PathBuf>,
    /// Sign an audit checkpoint after this many entries …
    #[arg(long, env = "VIAL_AUDIT_CHECKPOINT_ENTRIES", default_value_t = 10_000, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_checkpoint_entries: u64,
    /// … or after this many seconds.
    #[arg(long, env = "VIAL_AUDIT_CHECKPOINT_SECS", default_value_t = 60, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_checkpoint_secs: u64,
    /// Retire a superseded key version only this many seconds after its successor appeared.
    #[arg(
        long,
        env = "VIAL_KEY_RETIRE_GRACE_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub key_retire_grace_secs: u32,
    #[command(flatten)]
    pub s3: S3Args,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

fn parse_database_url(s: &str) -> Result<String, String> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(s.to_owned())
    } else {
        Err("only postgres:// URLs are supported (omit it for the embedded SQLite)".to_owned())
    }
}

impl Global {
    pub fn database(&self) -> DatabaseChoice {
        match &self.database_url {
            Some(url) => DatabaseChoice::Postgres {
                url: url.clone(),
                schema: self.database_schema.clone(),
                ca: self.database_ca.clone(),
            },
            None => DatabaseChoice::Embedded,
        }
    }

    pub fn audit_policy(&self) -> AuditPolicy {
        AuditPolicy {
            checkpoint_every_entries: self.audit_checkpoint_entries,
            checkpoint_every: std::time::Duration::from_secs(self.audit_checkpoint_secs),
        }
    }

    pub fn checkpoint_export(&self, data_dir: &DataDir) -> DirectoryExport {
        match &self.audit_export_dir {
            Some(dir) => DirectoryExport::new(dir),
            None => data_dir.checkpoint_export(),
        }
    }

    /// Opens the data directory with the configured audit settings and photo storage.
    pub async fn open(&self, data_dir: &DataDir) -> anyhow::Result<System> {
        let system = data_dir
            .open_with(
                &self.database(),
                std::sync::Arc::new(SystemClock),
                self.audit_policy(),
                std::sync::Arc::new(self.checkpoint_export(data_dir)),
            )
            .await?;
        let system = match self.s3.config()? {
            Some(config) => {
                let blobs = vial_blob::BlobStore::s3(&config)
                    .map_err(|e| anyhow::anyhow!("photo storage (S3): {e}"))?;
                tracing::info!(bucket = %config.bucket, region = %config.region, "photos are stored in S3");
                system.with_blob_store(blobs)
            }
            None => system,
        };
        Ok(match self.smtp.relay()? {
            Some(relay) => system.with_mailer(&relay)?,
            None => system,
        })
    }

    pub fn rotation_policy(&self) -> RotationPolicy {
        RotationPolicy {
            max_age_ms: i64::from(self.key_max_age_days) * 24 * 60 * 60 * 1000,
            retire_grace_ms: i64::from(self.key_retire_grace_secs) * 1000,
            ..RotationPolicy::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory: keys, database and a self-signed certificate.
    Init,
    /// Serve HTTPS (initializing the data directory on first start).
    Serve(ServeArgs),
    /// Key management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// User management.
    #[command(subcommand)]
    User(UserCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The vendor registry: who may receive PHI, under which Business Associate Agreement.
    /// Works before `serve` will start, to register a remote database's vendor.
    #[command(subcommand)]
    Vendor(VendorCommand),
    /// A demo practice with synthetic patients (into a new data directory).
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Debug, Subcommand)]
pub enum VendorCommand {
    /// Register a vendor under a signed BAA; prints it as JSON.
    Add(VendorAddArgs),
    /// Every vendor and its BAA's standing today, as JSON.
    List,
    /// Record a renewed BAA's new expiry.
    Renew {
        /// The vendor's id (from `vial vendor list`).
        id: String,
        /// New expiry day, YYYY-MM-DD.
        #[arg(long)]
        baa_expires: String,
    },
    /// End a vendor: it receives no PHI from now on.
    End {
        /// The vendor's id (from `vial vendor list`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct VendorAddArgs {
    /// The vendor's name, e.g. "Acme Cloud".
    #[arg(long)]
    pub name: String,
    /// hosting, database, storage, email, sms, payments, analytics, backup, keys or other.
    #[arg(long)]
    pub service: String,
    /// Day the BAA was signed (in force from), YYYY-MM-DD.
    #[arg(long)]
    pub baa_signed: String,
    /// Last day the BAA is in force, YYYY-MM-DD.
    #[arg(long)]
    pub baa_expires: String,
    /// A host the vendor receives PHI at: an exact name or *.suffix; repeat for more.
    #[arg(long = "host", required = true)]
    pub hosts: Vec<String>,
    /// Where the vendor keeps the data: a region code (us, eu, us-east-1).
    #[arg(long)]
    pub region: String,
    /// The signed BAA as a PDF, stored encrypted (its SHA-256 is shown).
    #[arg(long)]
    pub baa_document: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Create demo accounts, a clinic, stock, patients, appointments, treatments and notes;
    /// prints the accounts (one password, each account's TOTP secret) as JSON.
    Seed,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and Merkle tree and check every checkpoint; exit 0 when intact,
    /// otherwise non-zero naming the first bad sequence number.
    Verify,
    /// Write entries FROM..=TO as JSON Lines with a signed checkpoint and inclusion proofs.
    Export {
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the public key that verifies checkpoints and exports (a C2SP note verifier key).
    PublicKey,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (HTTPS only).
    #[arg(long, env = "VIAL_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// PEM certificate chain; without it a self-signed certificate in the data directory is used.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Sign a session out after this many seconds without activity.
    #[arg(long, env = "VIAL_SESSION_IDLE_SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u32).range(30..=86_400))]
    pub session_idle_secs: u32,
    /// End every session this many seconds after login, active or not.
    #[arg(long, env = "VIAL_SESSION_ABSOLUTE_SECS", default_value_t = 43_200,
          value_parser = clap::value_parser!(u32).range(60..=604_800))]
    pub session_absolute_secs: u32,
    /// Seconds between background key-maintenance passes (rotation check, re-wrap, retirement).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub key_maintenance_secs: u64,
    /// Practice setting: patients, too, sign in with an authenticator code.
    #[arg(long, env = "VIAL_REQUIRE_PATIENT_MFA")]
    pub require_patient_mfa: bool,
    /// Largest photo upload in bytes (default 25 MiB).
    #[arg(long, env = "VIAL_PHOTO_MAX_BYTES", default_value_t = 25 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=256 * 1024 * 1024))]
    pub photo_max_bytes: u64,
    /// Connections served at once (TLS handshakes included); more wait to be accepted. Default:
    /// from the open-file limit (RLIMIT_NOFILE), a quarter (at least 64) kept in reserve and two
    /// descriptors counted per connection, at most 4096.
    #[arg(long, env = "VIAL_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub max_connections: Option<u32>,
    /// Seconds a client has to finish the TLS handshake.
    #[arg(long, env = "VIAL_HANDSHAKE_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub handshake_timeout_secs: u64,
    /// Seconds the server waits on a slow client: for a request's head (also how long an idle
    /// HTTP/1.1 connection stays open), between chunks of a request body, and for the client to
    /// take response bytes.
    #[arg(long, env = "VIAL_STALL_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub stall_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight.
    #[arg(long, env = "VIAL_IDLE_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
    /// MiB that password hashes (32 MiB each) may use together; sets how many logins hash at
    /// once. Logins beyond them and a short queue get 503 with Retry-After.
    #[arg(long, env = "VIAL_HASH_MEMORY_MIB", default_value_t = 128,
          value_parser = clap::value_parser!(u64).range(32..=65_536))]
    pub hash_memory_mib: u64,
}

/// Email notices ("you have a new secure message", never PHI) through an SMTP relay. The
/// password comes only from the environment (`VIAL_SMTP_PASSWORD`).
#[derive(Debug, Args)]
pub struct SmtpArgs {
    /// `smtps://[user@]host[:465]` (TLS), or `smtp://host[:587]` with STARTTLS required (plain
    /// only to this machine, e.g. `smtp://127.0.0.1:25` for a local Postfix).
    #[arg(long, env = "VIAL_SMTP_URL", global = true, requires = "smtp_from")]
    pub smtp_url: Option<String>,
    /// The notices' sender address.
    #[arg(long, env = "VIAL_SMTP_FROM", global = true, requires = "smtp_url")]
    pub smtp_from: Option<String>,
    /// A neutral sender name (a practice's name alone reveals the relationship).
    #[arg(
        long,
        env = "VIAL_SMTP_SENDER_NAME",
        global = true,
        requires = "smtp_url"
    )]
    pub smtp_sender_name: Option<String>,
    /// The practice's own CA (PEM) for the relay, trusted besides the public roots.
    #[arg(long, env = "VIAL_SMTP_CA", global = true, requires = "smtp_url")]
    pub smtp_ca: Option<PathBuf>,
    /// The server's address as patients reach it: notices link to its login page.
    #[arg(
        long,
        env = "VIAL_PUBLIC_URL",
        global = true,
        default_value = "https://127.0.0.1:8443"
    )]
    pub public_url: String,
}

impl SmtpArgs {
    /// The configured relay, if any.
    pub fn relay(&self) -> anyhow::Result<Option<vial_app::SmtpRelay>> {
        let (Some(url), Some(from)) = (&self.smtp_url, &self.smtp_from) else {
            return Ok(None);
        };
        Ok(Some(vial_app::SmtpRelay {
            url: url.clone(),
            from: from.clone(),
            sender_name: self.smtp_sender_name.clone(),
            password: std::env::var("VIAL_SMTP_PASSWORD")
                .ok()
                .map(zeroize::Zeroizing::new),
            ca_pem: read_ca("--smtp-ca", self.smtp_ca.as_deref())?,
            public_url: self.public_url.clone(),
        }))
    }
}

/// The PEM file a `--…-ca` option names, if any; an unreadable one is an error naming `flag`.
fn read_ca(flag: &str, path: Option<&std::path::Path>) -> anyhow::Result<Option<Vec<u8>>> {
    path.map(|path| {
        std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("{flag} {}: cannot read it ({e})", path.display()))
    })
    .transpose()
}

/// Photo storage in an S3-compatible bucket instead of `<data-dir>/blobs`. The secret access
/// key comes only from the environment (`VIAL_S3_SECRET_ACCESS_KEY`), never from a flag that
/// other users could read in the process list.
#[derive(Debug, Args)]
pub struct S3Args {
    /// S3 endpoint URL (https; http only to this machine: localhost, 127.0.0.0/8, ::1); AWS
    /// itself when omitted.
    #[arg(long, env = "VIAL_S3_ENDPOINT", global = true, requires = "s3_bucket")]
    pub s3_endpoint: Option<String>,
    /// Bucket for photos; setting it switches photo storage to S3.
    #[arg(long, env = "VIAL_S3_BUCKET", global = true,
          requires_all = ["s3_region", "s3_access_key_id"])]
    pub s3_bucket: Option<String>,
    /// Region the bucket is in (requests are signed for it).
    #[arg(long, env = "VIAL_S3_REGION", global = true, requires = "s3_bucket")]
    pub s3_region: Option<String>,
    /// Access key id; the secret is read from VIAL_S3_SECRET_ACCESS_KEY.
    #[arg(
        long,
        env = "VIAL_S3_ACCESS_KEY_ID",
        global = true,
        requires = "s3_bucket"
    )]
    pub s3_access_key_id: Option<String>,
    /// The practice's own CA (PEM) for an https endpoint, trusted besides the public roots.
    #[arg(long, env = "VIAL_S3_CA", global = true, requires = "s3_bucket")]
    pub s3_ca: Option<PathBuf>,
}

impl S3Args {
    /// The configured bucket, or `None` for the data directory's `blobs/` folder.
    pub fn config(&self) -> anyhow::Result<Option<vial_blob::S3Config>> {
        let (Some(bucket), Some(region), Some(access_key_id)) =
            (&self.s3_bucket, &self.s3_region, &self.s3_access_key_id)
        else {
            return Ok(None);
        };
        let secret = std::env::var("VIAL_S3_SECRET_ACCESS_KEY").map_err(|_| {
            anyhow::anyhow!("--s3-bucket needs the secret access key in VIAL_S3_SECRET_ACCESS_KEY")
        })?;
        Ok(Some(vial_blob::S3Config {
            endpoint: self.s3_endpoint.clone(),
            region: region.clone(),
            bucket: bucket.clone(),
            access_key_id: access_key_id.clone(),
            secret_access_key: secrecy::SecretString::from(secret),
            ca_pem: read_ca("--s3-ca", self.s3_ca.as_deref())?,
        }))
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Key versions, their ages and how many data keys each still wraps.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a new key version now and re-wrap every data key to it.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an active user (the operator's door: the bootstrap admin, a single-admin practice);
    /// prints `{user_id, totp_secret, recovery_codes}` as JSON.
    Add(UserAddArgs),
    /// Print a new one-time link for a person an admin invited (it replaces any earlier link),
    /// for the operator to hand to that person; prints `{url, expires_at_ms}` as JSON.
    Invitation(UserInvitationArgs),
}

#[derive(Debug, Args)]
pub struct UserInvitationArgs {
    /// The invited person's email, as the admin entered it.
    pub email: String,
    /// The server's address as the person's browser reaches it.
    #[arg(
        long,
        env = "VIAL_PUBLIC_URL",
        default_value = "https://127.0.0.1:8443"
    )]
    pub base_url: String,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    /// provider, staff, admin or patient.
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub name: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// For a patient account: the patient record it belongs to.
    #[arg(long)]
    pub patient_id: Option<String>,
    /// Practice setting (as for `serve`): patient accounts get an authenticator secret too.
    #[arg(long, env = "VIAL_REQUIRE_PATIENT_MFA")]
    pub require_patient_mfa: bool,
}
