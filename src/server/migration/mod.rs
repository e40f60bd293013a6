//! Schema migrations, applied at start-up. Each runs unchanged on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261101_000001_create_users;
mod m20261102_000001_create_preferences;
mod m20261123_000001_create_session_history;
mod m20261123_000002_add_user_role;
mod m20261123_000003_index_history_ended_at;
mod m20261124_000001_create_daily_stats;
mod m20261124_000002_create_avatars;
mod m20261130_000001_normalize_emails;
mod m20261130_000002_add_last_sign_in;
mod m20261201_000001_create_mail;
mod m20261202_000001_create_security_log;
mod m20261203_000001_create_second_factors;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261101_000001_create_users::Migration),
            Box::new(m20261102_000001_create_preferences::Migration),
            Box::new(m20261123_000001_create_session_history::Migration),
            Box::new(m20261123_000002_add_user_role::Migration),
            Box::new(m20261123_000003_index_history_ended_at::Migration),
            Box::new(m20261124_000001_create_daily_stats::Migration),
            Box::new(m20261124_000002_create_avatars::Migration),
            Box::new(m20261130_000001_normalize_emails::Migration),
            Box::new(m20261130_000002_add_last_sign_in::Migration),
            Box::new(m20261201_000001_create_mail::Migration),
            Box::new(m20261202_000001_create_security_log::Migration),
            Box::new(m20261203_000001_create_second_factors::Migration),
        ]
    }
}
