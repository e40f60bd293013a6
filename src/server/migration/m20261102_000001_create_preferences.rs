use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Preferences {
    Table,
    UserId,
    Theme,
    Language,
    Notifications,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Preferences::Table)
                    .if_not_exists()
                    .col(big_integer(Preferences::UserId).primary_key())
                    .col(string_len(Preferences::Theme, 16))
                    .col(string_len(Preferences::Language, 16))
                    .col(boolean(Preferences::Notifications))
                    .col(big_integer(Preferences::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_preferences_user")
                            .from(Preferences::Table, Preferences::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Preferences::Table).to_owned())
            .await
    }
}
