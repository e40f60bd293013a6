use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum SessionHistory {
    Table,
    Id,
    SessionKey,
    UserId,
    StartedAt,
    EndedAt,
    DurationSecs,
    PageCount,
    FirstPages,
    EndReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SessionHistory::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SessionHistory::Id))
                    // SHA-256 of the session id: unique, so a session is archived at most once
                    // however many archivers race; never the id itself.
                    .col(string_len_uniq(SessionHistory::SessionKey, 64))
                    .col(big_integer_null(SessionHistory::UserId))
                    .col(big_integer(SessionHistory::StartedAt))
                    .col(big_integer(SessionHistory::EndedAt))
                    .col(big_integer(SessionHistory::DurationSecs))
                    .col(big_integer(SessionHistory::PageCount))
                    .col(text(SessionHistory::FirstPages))
                    .col(string_len(SessionHistory::EndReason, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_history_user")
                            .from(SessionHistory::Table, SessionHistory::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A user's history, newest first, read by (ended_at, id) cursor.
        manager
            .create_index(
                Index::create()
                    .name("idx_session_history_user_ended")
                    .table(SessionHistory::Table)
                    .col(SessionHistory::UserId)
                    .col(SessionHistory::EndedAt)
                    .col(SessionHistory::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SessionHistory::Table).to_owned())
            .await
    }
}
