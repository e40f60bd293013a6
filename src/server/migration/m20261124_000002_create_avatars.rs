use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Avatars {
    Table,
    UserId,
    Hash,
    ContentType,
    Data,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Avatar {
    Avatar,
}

/// A user's avatar: the re-encoded image, at most one per user, found by its content hash
/// (the URL it is served at). `users.avatar` holds the current hash, so a profile read needs
/// no join.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Avatars::Table)
                    .if_not_exists()
                    .col(big_integer(Avatars::UserId).primary_key())
                    .col(string_len_uniq(Avatars::Hash, 64))
                    .col(string_len(Avatars::ContentType, 32))
                    .col(blob(Avatars::Data))
                    .col(big_integer(Avatars::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_avatars_user")
                            .from(Avatars::Table, Avatars::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Avatar::Avatar, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Avatar::Avatar)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(Avatars::Table).to_owned()).await
    }
}
