use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    Day,
    SessionsStarted,
    SessionsEnded,
    PageViews,
    SignIns,
    SignInFailures,
    RateLimited,
}

/// One row per UTC day, rolled up by the sweeper from the per-hour figures in Redis (which
/// expire after two days), for the admin page's 30-day view.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DailyStats::Table)
                    .if_not_exists()
                    // The day's start, Unix milliseconds (UTC midnight).
                    .col(big_integer(DailyStats::Day).primary_key())
                    .col(big_integer(DailyStats::SessionsStarted).default(0))
                    .col(big_integer(DailyStats::SessionsEnded).default(0))
                    .col(big_integer(DailyStats::PageViews).default(0))
                    .col(big_integer(DailyStats::SignIns).default(0))
                    .col(big_integer(DailyStats::SignInFailures).default(0))
                    .col(big_integer(DailyStats::RateLimited).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DailyStats::Table).to_owned())
            .await
    }
}
