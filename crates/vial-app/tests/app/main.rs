//! vial-app's use cases against real databases, one test binary: the audit log (`audit`) and
//! envelope encryption with key rotation (`envelope`), each scenario on SQLite and PostgreSQL;
//! and the one-door rules checked on the source (`one_door`).

mod audit;
mod envelope;
mod one_door;
