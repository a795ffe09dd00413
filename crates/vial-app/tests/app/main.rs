//! vial-app's use cases against real databases, one test binary: the audit log (`audit`) and
//! envelope encryption with key rotation (`envelope`), each scenario on SQLite and PostgreSQL.

mod audit;
mod envelope;
