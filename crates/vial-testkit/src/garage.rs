//! A throw-away Garage (S3-compatible object store) for tests: one node on loopback with random
//! free ports, its data in a temporary directory, set up through Garage's own CLI (layout, key,
//! bucket) and killed when dropped.
//!
//! Without a `garage` binary the S3 tests fail, unless the developer opts out with
//! `VIAL_SKIP_S3=1` (then they print a notice and pass). `VIAL_GARAGE_BIN` points at a binary
//! outside `PATH` and `~/.cargo/bin`.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long Garage gets to start answering, and the pause between polls.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(100);

pub const REGION: &str = "garage";
pub const BUCKET: &str = "vial-test";
const KEY_NAME: &str = "vial-test";

/// A running Garage node with one bucket and one key allowed to use it.
pub struct Garage {
    child: Child,
    bin: PathBuf,
    config: PathBuf,
    dir: tempfile::TempDir,
    pub s3_endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Garage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Garage")
            .field("s3_endpoint", &self.s3_endpoint)
            .finish_non_exhaustive()
    }
}

impl Garage {
    /// Starts and sets up Garage, or returns `None` when `VIAL_SKIP_S3=1`; panics when no
    /// binary is installed.
    pub fn start() -> Option<Garage> {
        if crate::skipped("VIAL_SKIP_S3", "S3 (Garage)") {
            return None;
        }
        let Some(bin) = find_binary() else {
            panic!(
                "no `garage` binary was found (PATH, ~/.cargo/bin, VIAL_GARAGE_BIN); install it \
                 with `cargo install garage --version 2.5.0 --locked --no-default-features \
                 --features bundled-libs,sqlite`, or set VIAL_SKIP_S3=1 to skip the S3 tests"
            );
        };
        Some(Self::start_with(bin))
    }

    fn start_with(bin: PathBuf) -> Garage {
        let dir = tempfile::tempdir().expect("temp dir");
        let [rpc_port, s3_port, admin_port] = free_ports();
        let config = dir.path().join("garage.toml");
        let text = format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{rpc_secret}"

[s3_api]
api_bind_addr = "127.0.0.1:{s3_port}"
s3_region = "{REGION}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
admin_token = "{admin_token}"
"#,
            meta = dir.path().join("meta").display(),
            data = dir.path().join("data").display(),
            rpc_secret = random_hex(32),
            admin_token = random_hex(32),
        );
        write_private(&config, &text);

        let log =
            |name: &str| std::fs::File::create(dir.path().join(name)).expect("garage log file");
        let child = Command::new(&bin)
            .arg("-c")
            .arg(&config)
            .arg("server")
            .env("RUST_LOG", "garage=info")
            .stdin(Stdio::null())
            .stdout(log("garage.out"))
            .stderr(log("garage.err"))
            .spawn()
            .expect("start garage server");
        let mut garage = Garage {
            child,
            bin,
            config,
            dir,
            s3_endpoint: format!("http://127.0.0.1:{s3_port}"),
            access_key_id: String::new(),
            secret_access_key: String::new(),
        };
        garage.wait_until_up();
        garage.set_up_cluster();
        garage
    }

    /// Runs `garage -c <config> <args>` and returns its output, whatever its status.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .output()
            .expect("run garage cli")
    }

    /// Runs a CLI command that must succeed and returns its trimmed standard output.
    fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "`garage {}` failed: {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn wait_until_up(&mut self) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("garage server exited early ({status})\n{}", self.logs());
            }
            if self.cli(&["status"]).status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "garage did not answer within {BOOT_TIMEOUT:?}\n{}",
                self.logs()
            );
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn set_up_cluster(&mut self) {
        // `node id` prints `<64 hex>@<addr>`.
        let node = self.cli_ok(&["node", "id", "-q"]);
        let node_id = node.split('@').next().unwrap_or_default().to_owned();
        assert_eq!(node_id.len(), 64, "unexpected node id {node:?}");
        self.cli_ok(&["layout", "assign", "-z", "dc1", "-c", "1G", &node_id]);
        self.cli_ok(&["layout", "apply", "--version", "1"]);
        self.cli_ok(&["key", "create", KEY_NAME]);
        self.access_key_id = self.cli_ok(&["key", "info", KEY_NAME, "--key-id"]);
        self.secret_access_key = self.cli_ok(&["key", "info", KEY_NAME, "--secret-key"]);
        assert!(
            self.access_key_id.starts_with("GK") && !self.secret_access_key.is_empty(),
            "unexpected key info output"
        );
        self.cli_ok(&["bucket", "create", BUCKET]);
        self.cli_ok(&[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", KEY_NAME,
        ]);
    }

    /// The server's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["garage.out", "garage.err"] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            let _ = writeln!(out, "--- {name} (last lines) ---");
            for line in tail.iter().rev() {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("VIAL_GARAGE_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join("garage"))
        .find(|bin| bin.is_file())
}

/// Three distinct free loopback ports (held open together so they differ, then released).
fn free_ports() -> [u16; 3] {
    let listeners = [(); 3].map(|()| TcpListener::bind("127.0.0.1:0").expect("bind"));
    listeners.map(|l| l.local_addr().expect("local addr").port())
}

fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut bytes).expect("random");
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .expect("create garage config");
    file.write_all(text.as_bytes())
        .expect("write garage config");
}
