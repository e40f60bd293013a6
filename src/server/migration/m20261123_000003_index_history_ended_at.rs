use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SessionHistory {
    Table,
    EndedAt,
}

/// The admin figures read every user's sessions ended in the last 30 days, newest first.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_session_history_ended")
                    .table(SessionHistory::Table)
                    .col(SessionHistory::EndedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_session_history_ended")
                    .table(SessionHistory::Table)
                    .to_owned(),
            )
            .await
    }
}
