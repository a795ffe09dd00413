//! The `vial` binary: parses the command line into one typed configuration, wires the crates
//! together and turns every failure into one line on stderr and a non-zero exit.

mod cli;
mod demo;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use vial_app::{AuditEvent, DataDir, NewUserInput, PatientId, Role};

use crate::cli::{
    AuditCommand, Cli, Command, DemoCommand, KeysCommand, UserCommand, VendorCommand,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIAL_LOG")
                // The server narrates its life; one-shot commands print only their result or
                // one error line.
                .unwrap_or_else(|_| {
                    let level = if matches!(cli.command, Command::Serve(_)) {
                        "info"
                    } else {
                        "warn"
                    };
                    tracing_subscriber::EnvFilter::new(level)
                }),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How the command line appears in the audit log: an operator with shell access to the data.
const CLI_ACTOR: &str = "system:cli";

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `vial vendor …`: the registry for headless set-ups, printed as JSON.
async fn vendor(app: &vial_app::System, command: VendorCommand) -> anyhow::Result<()> {
    let vendor = match command {
        VendorCommand::List => {
            let all = app.vendors().await?;
            return print_json(&serde_json::Value::Array(
                all.iter().map(vendor_json).collect(),
            ));
        }
        VendorCommand::Add(args) => {
            let baa_document = args
                .baa_document
                .as_ref()
                .map(|path| {
                    std::fs::read(path).with_context(|| {
                        format!("--baa-document {}: cannot read it", path.display())
                    })
                })
                .transpose()?;
            let new = vial_app::NewVendor {
                name: args.name,
                service: args.service,
                hosts: args.hosts,
                region: args.region,
                baa_signed: args.baa_signed,
                baa_expires: args.baa_expires,
                baa_document,
            };
            app.add_vendor(new, CLI_ACTOR).await?
        }
        VendorCommand::Renew { id, baa_expires } => {
            app.renew_vendor(&id, &baa_expires, CLI_ACTOR).await?
        }
        VendorCommand::End { id } => app.end_vendor(&id, CLI_ACTOR).await?,
    };
    print_json(&vendor_json(&vendor))
}

fn vendor_json(v: &vial_app::VendorView) -> serde_json::Value {
    serde_json::json!({
        "id": v.id,
        "name": v.name,
        "service": v.service,
        "hosts": v.hosts,
        "region": v.region,
        "baa_signed": v.baa_signed,
        "baa_expires": v.baa_expires,
        "baa_sha256": v.baa_sha256,
        "status": v.status.as_str(),
        "days_left": v.days_left,
        "region_allowed": v.region_allowed,
        "ended_at_ms": v.ended_at_ms,
    })
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = DataDir::new(&cli.global.data_dir);
    let database = cli.global.database();
    match cli.command {
        Command::Init => {
            serve::init(&data_dir, &database).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "initialized {}", data_dir.root().display())?;
            Ok(())
        }
        Command::Serve(options) => serve::run(&data_dir, &cli.global, options).await,
        Command::Demo(DemoCommand::Seed) => {
            if !data_dir.is_initialized() {
                serve::init(&data_dir, &database).await?;
            }
            let app = cli.global.open(&data_dir).await?;
            let seeded = demo::seed(&app).await;
            app.close().await;
            seeded
        }
        Command::Audit(AuditCommand::Verify) => {
            let app = cli.global.open(&data_dir).await?;
            let export = cli.global.checkpoint_export(&data_dir);
            let result = app.verify_audit(&export).await;
            // The verification run itself is audited, whatever it found.
            let event = AuditEvent::new("audit.verify").by_system(CLI_ACTOR);
            let event = match &result {
                Ok(_) => event.reason("intact"),
                Err(vial_app::AppError::AuditBroken { seq, .. }) => {
                    event.reason(&format!("broken_at_seq={seq}"))
                }
                Err(_) => event.reason("failed"),
            };
            app.record(event).await?;
            let report = result?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "audit log intact: {} entries, {} checkpoints, exported checkpoint at size {}; \
                 verified in {:.2} s ({:.0} entries/s)",
                report.entries,
                report.checkpoints,
                report
                    .exported_tree_size
                    .map_or_else(|| "none".to_owned(), |s| s.to_string()),
                report.seconds,
                report.entries_per_second
            )?;
            Ok(())
        }
        Command::Audit(AuditCommand::Export { from, to, out }) => {
            let app = cli.global.open(&data_dir).await?;
            let bundle = app.export_audit(from, to).await?;
            app.record(
                AuditEvent::new("audit.export")
                    .by_system(CLI_ACTOR)
                    .resource("audit_range", format!("{from}-{to}")),
            )
            .await?;
            match out {
                Some(path) => std::fs::write(&path, bundle)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(bundle.as_bytes())?,
            }
            Ok(())
        }
        Command::Vendor(command) => vendor(&cli.global.open(&data_dir).await?, command).await,
        Command::Audit(AuditCommand::PublicKey) => {
            let app = cli.global.open(&data_dir).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", app.audit_public_key())?;
            Ok(())
        }
        Command::Keys(KeysCommand::Status { json }) => {
            let app = cli.global.open(&data_dir).await?;
            let status = app.key_status().await?;
            if json {
                return print_json(&serde_json::to_value(&status)?);
            }
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:>7}  {:>8}  {:>8}  {:<8}",
                "version", "age_days", "deks", "state"
            )?;
            for v in &status.versions {
                let state = match (v.current, v.retired_at_ms) {
                    (true, _) => "current",
                    (false, Some(_)) => "retired",
                    (false, None) => "previous",
                };
                writeln!(
                    out,
                    "{:>7}  {:>8}  {:>8}  {:<8}",
                    v.version, v.age_days, v.deks, state
                )?;
            }
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate) => {
            let app = cli.global.open(&data_dir).await?;
            let policy = cli.global.rotation_policy();
            let version = app.rotate_keys(CLI_ACTOR).await?;
            let report = app
                .rewrap_all(&policy, |r| {
                    tracing::info!(rewrapped = r.rewrapped, "re-wrapping data keys");
                })
                .await?;
            let retired = app.retire_unused(&policy).await?;
            print_json(&serde_json::json!({
                "current_version": version,
                "rewrapped": report.rewrapped,
                "skipped": report.skipped,
                "unreadable": report.unreadable,
                "retired": retired,
            }))?;
            anyhow::ensure!(
                report.unreadable == 0,
                "{} data keys are wrapped by a missing key version and cannot be read",
                report.unreadable
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let role = Role::parse(&args.role).map_err(|_| {
                anyhow::anyhow!("role must be one of provider, staff, admin, patient")
            })?;
            anyhow::ensure!(
                args.password_stdin,
                "the password is read from standard input only: pass --password-stdin"
            );
            let mut password = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let trimmed =
                zeroize::Zeroizing::new(password.trim_end_matches(['\r', '\n']).to_owned());
            let app =
                cli.global
                    .open(&data_dir)
                    .await?
                    .with_session_policy(vial_app::SessionPolicy {
                        patient_mfa_required: args.require_patient_mfa,
                        ..vial_app::SessionPolicy::default()
                    });
            let added = app
                .add_user(
                    NewUserInput {
                        email: args.email,
                        name: args.name,
                        role,
                        password: trimmed,
                        patient_id: args.patient_id.map(PatientId::from),
                    },
                    CLI_ACTOR,
                )
                .await?;
            let mut value = serde_json::json!({ "user_id": added.user_id, "role": role.as_str() });
            if let Some(secret) = &added.totp_secret {
                value["totp_secret"] = serde_json::Value::String(secret.to_string());
                value["recovery_codes"] = added.recovery_codes.iter().map(|c| c.as_str()).collect();
            }
            print_json(&value)
        }
        Command::User(UserCommand::Invitation(args)) => {
            let base = args.base_url.trim_end_matches('/');
            anyhow::ensure!(
                base.starts_with("https://") && !base.contains(char::is_whitespace),
                "--base-url must be the server's https:// address"
            );
            let app = cli.global.open(&data_dir).await?;
            let link = app.issue_invitation(&args.email, CLI_ACTOR).await?;
            let url = format!("{base}/invitation/{}", link.token.as_str());
            print_json(&serde_json::json!({ "url": url, "expires_at_ms": link.expires_at_ms }))
        }
    }
}
