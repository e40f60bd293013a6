//! The database pool: opened once at start-up, migrated, then shared through `AppState`.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

use super::{config::DatabaseUrl, migration::Migrator};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot open the database: {0}")]
    Connect(DbErr),
    #[error("migrations failed: {0}")]
    Migrate(DbErr),
}

/// Opens the pool and applies pending migrations.
pub async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, DbSetupError> {
    let mut options = ConnectOptions::new(url.as_str());
    options
        .connect_timeout(Duration::from_secs(5))
        // A request waits at most this long for a connection, then fails with a 503.
        .acquire_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    match url {
        DatabaseUrl::Sqlite { dir, url } => {
            if let Some(dir) = dir {
                std::fs::create_dir_all(dir).map_err(|e| DbSetupError::Folder(dir.display().to_string(), e))?;
            }
            if url.contains(":memory:") || url.contains("mode=memory") {
                // Every connection to an in-memory database is a database of its own: keep
                // exactly one, forever.
                options
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            } else {
                // SQLite has one writer; a few readers are enough and WAL lets them run alongside.
                options.max_connections(4).map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(5))
                        .foreign_keys(true)
                });
            }
        }
        DatabaseUrl::Postgres { .. } => {
            options.max_connections(16).min_connections(1);
        }
    }
    let db = Database::connect(options).await.map_err(DbSetupError::Connect)?;
    Migrator::up(&db, None).await.map_err(DbSetupError::Migrate)?;
    Ok(db)
}
