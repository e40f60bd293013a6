use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    CredentialId,
    Name,
    Passkey,
    SignCount,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Ceremonies {
    Table,
    TokenHash,
    UserId,
    Kind,
    State,
    ExpiresAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // the columns' own names
enum NewColumns {
    TotpSecret,
    TotpEnabledAt,
    TotpLastStep,
}

/// Second factors: each account's authenticator (TOTP) secret, when it was turned on and the
/// last time step a code was accepted for (no code works twice), and its recovery codes (stored
/// as keyed digests; each works once); passkeys (WebAuthn credentials, with their signature
/// counters), and the WebAuthn ceremonies under way (each challenge's state, single use).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text_null(NewColumns::TotpSecret),
            big_integer_null(NewColumns::TotpEnabledAt),
            big_integer_null(NewColumns::TotpLastStep),
        ] {
            // One column per statement: SQLite adds one at a time.
            manager
                .alter_table(Table::alter().table(Users::Table).add_column(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RecoveryCodes::Id))
                    .col(big_integer(RecoveryCodes::UserId))
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(big_integer(RecoveryCodes::CreatedAt))
                    .col(big_integer_null(RecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_user")
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user_hash")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .col(RecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Passkeys::Id))
                    .col(big_integer(Passkeys::UserId))
                    .col(string_len(Passkeys::CredentialId, 1400).unique_key())
                    .col(string_len(Passkeys::Name, 100))
                    .col(text(Passkeys::Passkey))
                    .col(big_integer(Passkeys::SignCount).default(0))
                    .col(big_integer(Passkeys::CreatedAt))
                    .col(big_integer_null(Passkeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkeys_user")
                            .from(Passkeys::Table, Passkeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkeys_user")
                    .table(Passkeys::Table)
                    .col(Passkeys::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ceremonies::Table)
                    .if_not_exists()
                    .col(string_len(Ceremonies::TokenHash, 64).primary_key())
                    .col(big_integer_null(Ceremonies::UserId))
                    .col(string_len(Ceremonies::Kind, 24))
                    .col(text(Ceremonies::State))
                    .col(big_integer(Ceremonies::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ceremonies_user")
                            .from(Ceremonies::Table, Ceremonies::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Ceremonies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Passkeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        for column in [
            NewColumns::TotpSecret,
            NewColumns::TotpEnabledAt,
            NewColumns::TotpLastStep,
        ] {
            manager
                .alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
