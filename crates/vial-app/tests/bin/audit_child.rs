//! The second OS process of vial-app's audit tests, not a test itself: appends audit events to
//! the data directory and database it is given, as units and read units in turn, and prints
//! `ack <id>` once each is durable. Built only with `test-support` (see the crate's manifest).
//!
//! Arguments: `<data dir> <postgres url> <postgres schema, or "" for SQLite> <count, 0 = forever>`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a test helper

use std::sync::Arc;

use vial_app::{AuditEvent, AuditPolicy, Audited, DataDir, DatabaseChoice, SystemClock};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, url, schema, count] = args.as_slice() else {
        panic!("usage: audit-child <data dir> <postgres url> <schema or \"\"> <count>");
    };
    let count: u64 = count.parse().unwrap();
    let database = if schema.is_empty() {
        DatabaseChoice::Embedded
    } else {
        DatabaseChoice::Postgres {
            url: url.clone(),
            schema: Some(schema.clone()),
            ca: None,
        }
    };
    let data = DataDir::new(root);
    // The same policy as the parent's System, so that both append to one chain the same way.
    let app = data
        .open_with(
            &database,
            Arc::new(SystemClock),
            AuditPolicy {
                checkpoint_every_entries: 1_000_000,
                ..AuditPolicy::default()
            },
            Arc::new(data.checkpoint_export()),
        )
        .await
        .unwrap();
    let mut i = 0u64;
    while count == 0 || i < count {
        let id = format!("child-{i}");
        let event = AuditEvent::new("test.child").resource("w", &id);
        if i % 2 == 1 {
            app.transact_read(|work| {
                Box::pin(async move {
                    work.audit(event);
                    Ok(())
                })
            })
            .await
            .unwrap();
        } else {
            app.record(event).await.unwrap();
        }
        println!("ack {id}");
        i += 1;
    }
}
