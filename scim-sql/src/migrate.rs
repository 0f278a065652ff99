//! Versioned, forward-only migrations of the `scim_` tables, safe to run
//! from several processes at once.
//!
//! Kept in `scim_migrations`, not sqlx's `_sqlx_migrations`, so that the
//! SCIM tables can live in an app's own database beside the app's own
//! migrations without either history seeing the other's.

use crate::SetupError;
use crate::engine::{Arg, Col, Db, DbError, Dialect};

/// One migration: its version, what it does, and its statements per
/// engine.
struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "resources, unique values, memberships, value rows",
        sqlite: include_str!("migrations/sqlite_0001_init.sql"),
        postgres: include_str!("migrations/postgres_0001_init.sql"),
    },
    // Whatever the features: a database migrated by a build without
    // `admin` has the schema of one with it.
    Migration {
        version: 2,
        description: "admin store: connections, tokens, activity, domains",
        sqlite: include_str!("migrations/sqlite_0002_admin.sql"),
        postgres: include_str!("migrations/postgres_0002_admin.sql"),
    },
    Migration {
        version: 3,
        description: "resource counts per tenant, type, owner and deletion; PostgreSQL value rows without a foreign key",
        sqlite: include_str!("migrations/sqlite_0003_counts.sql"),
        postgres: include_str!("migrations/postgres_0003_counts.sql"),
    },
    Migration {
        version: 4,
        description: "memberships by member id folded as filters compare it",
        sqlite: include_str!("migrations/sqlite_0004_members_folded.sql"),
        postgres: include_str!("migrations/postgres_0004_members_folded.sql"),
    },
    Migration {
        version: 5,
        description: "PostgreSQL: creation order (`seq`) apart from the row id, row ids from a sequence",
        sqlite: include_str!("migrations/sqlite_0005_creation_order.sql"),
        postgres: include_str!("migrations/postgres_0005_creation_order.sql"),
    },
    Migration {
        version: 6,
        description: "a connection's resources in creation order",
        sqlite: include_str!("migrations/sqlite_0006_owner_order.sql"),
        postgres: include_str!("migrations/postgres_0006_owner_order.sql"),
    },
    Migration {
        version: 7,
        description: "PostgreSQL: value rows updated in place, a string index of strings only, unique values without a foreign key",
        sqlite: include_str!("migrations/sqlite_0007_write_costs.sql"),
        postgres: include_str!("migrations/postgres_0007_write_costs.sql"),
    },
];

/// The newest schema version this library writes.
pub(crate) const LATEST: i64 = 7;

/// Arbitrary, fixed: the PostgreSQL advisory lock that serializes
/// migrations across processes ("scim" in ASCII).
const PG_LOCK: i64 = 0x7363_696d;

/// The statements of a migration file: split at `;` ending a line,
/// comment lines dropped. A PostgreSQL function body (between `$$`) and a
/// SQLite trigger body (`BEGIN` to a line `END;`) stay whole.
fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_dollars = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if !in_dollars && (trimmed.starts_with("--") || trimmed.is_empty()) {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.matches("$$").count() % 2 == 1 {
            in_dollars = !in_dollars;
        }
        let in_trigger = current.trim_start().starts_with("CREATE TRIGGER")
            && current.contains("\nBEGIN\n")
            && trimmed != "END;";
        if !in_dollars && !in_trigger && trimmed.ends_with(';') {
            out.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// Brings the schema to [`LATEST`]: every pending migration in one
/// transaction, under a lock (PostgreSQL's advisory lock, SQLite's write
/// lock) so that concurrent callers apply each migration once.
pub(crate) async fn run(db: &Db) -> Result<(), SetupError> {
    let mut tx = db.begin().await.map_err(setup)?;
    if db.dialect() == Dialect::Postgres {
        tx.exec("SELECT pg_advisory_xact_lock($1)", vec![Arg::I64(PG_LOCK)])
            .await
            .map_err(setup)?;
    }
    tx.exec(
        "CREATE TABLE IF NOT EXISTS scim_migrations (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        Vec::new(),
    )
    .await
    .map_err(setup)?;
    let applied = tx
        .rows(
            "SELECT COALESCE(MAX(version), 0) FROM scim_migrations",
            Vec::new(),
            &[Col::I64],
        )
        .await
        .map_err(setup)?
        .first()
        .map_or(0, |r| r[0].i64());
    if applied > LATEST {
        return Err(SetupError::SchemaTooNew {
            found: applied,
            known: LATEST,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let text = match db.dialect() {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        for statement in statements(text) {
            tx.exec(&statement, Vec::new()).await.map_err(setup)?;
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        tx.exec(
            "INSERT INTO scim_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
            vec![Arg::I64(m.version), m.description.into(), Arg::I64(now)],
        )
        .await
        .map_err(setup)?;
    }
    // The cursor key, once for every process sharing the database.
    let key: String = {
        let a = *uuid::Uuid::new_v4().as_bytes();
        let b = *uuid::Uuid::new_v4().as_bytes();
        a.iter().chain(&b).map(|x| format!("{x:02x}")).collect()
    };
    tx.exec(
        "INSERT INTO scim_keys (name, value) VALUES ('cursor', $1) ON CONFLICT DO NOTHING",
        vec![key.into()],
    )
    .await
    .map_err(setup)?;
    tx.commit().await.map_err(setup)?;
    Ok(())
}

/// The cursor key `migrate` stored.
pub(crate) async fn cursor_key(db: &Db) -> Result<[u8; 32], SetupError> {
    let rows = db
        .rows(
            "SELECT value FROM scim_keys WHERE name = 'cursor'",
            Vec::new(),
            &[Col::Text],
        )
        .await
        .map_err(setup)?;
    let hex = rows
        .into_iter()
        .next()
        .map(|mut r| r[0].take_text())
        .ok_or(SetupError::NotMigrated)?;
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or(SetupError::NotMigrated)?;
    }
    Ok(key)
}

fn setup(e: DbError) -> SetupError {
    match e {
        DbError::Retry(e) | DbError::Other(e) => SetupError::Database(e),
        DbError::Unique | DbError::ForeignKey => SetupError::Database(sqlx::Error::Protocol(
            "constraint violated while migrating".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_files_split_into_statements() {
        for m in MIGRATIONS {
            for text in [m.sqlite, m.postgres] {
                let s = statements(text);
                // Only SQLite's migrations 5 and 7 have nothing to do.
                assert!(!s.is_empty() || matches!(m.version, 5 | 7), "{s:?}");
                for st in &s {
                    let body = st.starts_with("CREATE TRIGGER")
                        || st.starts_with("CREATE FUNCTION")
                        || st.starts_with("DO $$");
                    assert!(body || !st.contains(';'), "{st}");
                    assert!(!st.ends_with(';'), "{st}");
                }
            }
        }
    }

    #[test]
    fn function_and_trigger_bodies_stay_whole() {
        let pg = statements(include_str!("migrations/postgres_0003_counts.sql"));
        let function = pg
            .iter()
            .find(|s| s.starts_with("CREATE FUNCTION"))
            .unwrap();
        assert!(function.ends_with("$$"), "{function}");
        assert_eq!(function.matches("$$").count(), 2);
        let sqlite = statements(include_str!("migrations/sqlite_0003_counts.sql"));
        let triggers: Vec<_> = sqlite
            .iter()
            .filter(|s| s.starts_with("CREATE TRIGGER"))
            .collect();
        assert_eq!(triggers.len(), 3);
        assert!(triggers.iter().all(|t| t.ends_with("END")), "{triggers:?}");
    }
}
