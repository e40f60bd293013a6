//! Databases for tests: a fresh one per test (in-memory SQLite, or a new PostgreSQL database
//! when `TEST_DATABASE_URL` is set), or one several instances can open.

use sea_orm::{ConnectionTrait, Database};

use super::unique;

/// Creates a fresh database for one test: in-memory SQLite, or a new PostgreSQL database next
/// to `TEST_DATABASE_URL` (named `porch_t_…`; the test script drops old ones).
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = unique("porch_t_");
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            format!("{base}/{name}")
        }
        _ => "sqlite::memory:".into(),
    }
}

/// A database more than one process can open: a fresh PostgreSQL database when the run has
/// one, else a SQLite file.
pub async fn shared_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => fresh_database_url().await,
        _ => {
            let dir = std::env::temp_dir().join(unique("porch-shared"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/shared.db?mode=rwc", dir.display())
        }
    }
}
