//! `vial init` and `vial serve`: first-start initialization, TLS, the background maintenance
//! task (keys; orphaned photo blobs at start and daily) and graceful shutdown on SIGTERM/SIGINT.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use vial_app::{
    AuditEvent, DataDir, DatabaseChoice, HashLimits, ORPHAN_GRACE, PhotoLimits, SessionPolicy,
    SystemClock,
};
use vial_web::{ServeOptions, TlsMaterial, TransportLimits};

use crate::cli::{Global, ServeArgs};

const SERVER_ACTOR: &str = "system:server";
const SWEEP_ACTOR: &str = "system:blob-sweep";
const NOTICE_ACTOR: &str = "system:notices";

/// How often queued notices are sent.
const NOTICES_EVERY: Duration = Duration::from_secs(15);

/// How often the maintenance task sweeps orphaned photo blobs.
const BLOB_SWEEP_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

pub async fn init(data_dir: &DataDir, database: &DatabaseChoice) -> anyhow::Result<()> {
    data_dir
        .init(database, &SystemClock, |staging| {
            vial_web::ensure_self_signed(&staging.tls_dir())
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await?;
    Ok(())
}

pub async fn run(data_dir: &DataDir, global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    if !data_dir.is_initialized() {
        init(data_dir, &global.database()).await?;
        tracing::info!(dir = %data_dir.root().display(), "initialized a new data directory");
    }
    let app = global
        .open(data_dir)
        .await?
        .with_session_policy(SessionPolicy {
            idle_ms: i64::from(args.session_idle_secs) * 1000,
            absolute_ms: i64::from(args.session_absolute_secs) * 1000,
            patient_mfa_required: args.require_patient_mfa,
            ..SessionPolicy::default()
        })
        .with_photo_limits(PhotoLimits {
            max_bytes: usize::try_from(args.photo_max_bytes)
                .context("--photo-max-bytes does not fit this machine")?,
            ..PhotoLimits::DEFAULT
        })
        .with_hash_limits(HashLimits {
            memory_bytes: args.hash_memory_mib * 1024 * 1024,
            ..HashLimits::default()
        });
    // No PHI flows to a host off this machine without a vendor's BAA in force (and in an
    // allowed region): refused here, naming the host, before anything is served.
    app.check_egress(SERVER_ACTOR).await?;
    let transport = transport_limits(&args);
    tracing::info!(
        max_connections = transport.max_connections,
        handshake_timeout_secs = args.handshake_timeout_secs,
        stall_timeout_secs = args.stall_timeout_secs,
        idle_timeout_secs = args.idle_timeout_secs,
        "connection limits"
    );
    let policy = global.rotation_policy();
    let material = match (args.cert, args.key) {
        (Some(cert), Some(key)) => TlsMaterial { cert, key },
        _ => vial_web::ensure_self_signed(&data_dir.tls_dir())?,
    };
    let (tls, fingerprint) = vial_web::server_config(&material)
        .with_context(|| format!("cannot use certificate {}", material.cert.display()))?;

    let maintenance = {
        let app = app.clone();
        let every = Duration::from_secs(args.key_maintenance_secs);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            let mut last_sweep: Option<tokio::time::Instant> = None;
            loop {
                ticker.tick().await;
                if let Err(e) = app.maintain_keys(&policy).await {
                    tracing::error!(error = %e, "key maintenance failed; will retry");
                }
                // At start (after a crash, say) and then daily; after a failure, next pass.
                if last_sweep.is_none_or(|at| at.elapsed() >= BLOB_SWEEP_EVERY) {
                    let swept = app.sweep_orphaned_blobs(SWEEP_ACTOR, ORPHAN_GRACE, false);
                    match swept.await {
                        Ok(_) => last_sweep = Some(tokio::time::Instant::now()),
                        Err(e) => tracing::error!(
                            error = %e,
                            "sweeping orphaned photo blobs failed; will retry"
                        ),
                    }
                }
            }
        })
    };

    let notices = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(NOTICES_EVERY);
            loop {
                ticker.tick().await;
                if let Err(e) = app.send_notices(NOTICE_ACTOR).await {
                    tracing::error!(error = %e, "sending notices failed; will retry");
                }
            }
        })
    };

    let (handle, server) = vial_web::serve(
        app.app().clone(),
        ServeOptions {
            listen: args.listen,
            tls,
            shutdown_grace: Duration::from_secs(10),
            login_rate: vial_web::LoginRateLimit::default(),
            transport,
        },
    );
    let server = tokio::spawn(server);
    let Some(addr) = handle.listening().await else {
        maintenance.abort();
        notices.abort();
        let outcome = server.await.context("server task failed")?;
        outcome.with_context(|| format!("cannot listen on {}", args.listen))?;
        anyhow::bail!("cannot listen on {}", args.listen);
    };
    // Listen for the stop signals before announcing the server, so that a SIGTERM sent as soon
    // as the address is printed stops it gracefully instead of killing it.
    let shutdown = shutdown_signal().context("cannot listen for SIGTERM/SIGINT")?;
    app.record(
        AuditEvent::new("server.start")
            .by_system(SERVER_ACTOR)
            .resource("listener", addr.to_string()),
    )
    .await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Vial is serving https://{addr}/")?;
        writeln!(out, "certificate SHA-256 fingerprint: {fingerprint}")?;
        out.flush()?;
    }

    shutdown.await;
    tracing::info!("shutting down: finishing in-flight requests");
    handle.shutdown();
    maintenance.abort();
    notices.abort();
    server.await.context("server task failed")??;
    app.record(AuditEvent::new("server.stop").by_system(SERVER_ACTOR))
        .await?;
    app.checkpoint_now().await?;
    app.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The connection cap (from the flag, else below this process's open-file limit) and timeouts.
fn transport_limits(args: &ServeArgs) -> TransportLimits {
    // No soft limit at all is as good as a very large one.
    let descriptors = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let mut limits = TransportLimits::for_descriptor_limit(descriptors);
    if let Some(max) = args.max_connections {
        limits.max_connections = usize::try_from(max).unwrap_or(limits.max_connections);
    }
    limits.handshake_timeout = Duration::from_secs(args.handshake_timeout_secs);
    limits.stall_timeout = Duration::from_secs(args.stall_timeout_secs);
    limits.idle_timeout = Duration::from_secs(args.idle_timeout_secs);
    limits
}

/// Registers the SIGTERM and SIGINT handlers now; the returned future completes at either.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}
