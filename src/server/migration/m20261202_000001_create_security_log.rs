use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    UserId,
    Kind,
    At,
    Ip,
    Device,
    Detail,
}

/// The security log: one row per event on an account's credentials and sessions, deleted with
/// the account and after 90 days.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SecurityEvents::Id))
                    .col(big_integer(SecurityEvents::UserId))
                    .col(string_len(SecurityEvents::Kind, 40))
                    .col(big_integer(SecurityEvents::At))
                    .col(string_len_null(SecurityEvents::Ip, 64))
                    .col(string_len_null(SecurityEvents::Device, 200))
                    .col(string_len_null(SecurityEvents::Detail, 320))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_security_events_user")
                            .from(SecurityEvents::Table, SecurityEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The log page's question (one account, newest first), and the pruning's (oldest rows).
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_user_at")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::UserId)
                    .col(SecurityEvents::At)
                    .col(SecurityEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_at")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SecurityEvents::Table).to_owned())
            .await
    }
}
