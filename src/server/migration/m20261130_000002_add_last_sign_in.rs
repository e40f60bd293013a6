use sea_orm_migration::{prelude::*, schema::*};

use super::m20261101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NewColumns {
    LastSignInAt,
    LastSignInAgent,
    SignInCount,
}

/// When and from which browser each account last signed in (seed 003's `lastLogin`; empty until
/// the next sign-in), and how many signed-in sessions it has had (seed 003's `totalSessions`),
/// counted from the history so far. One column per statement: SQLite alters one at a time.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            big_integer_null(NewColumns::LastSignInAt),
            text_null(NewColumns::LastSignInAgent),
            big_integer(NewColumns::SignInCount).default(0).to_owned(),
        ] {
            manager
                .alter_table(Table::alter().table(Users::Table).add_column(column).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET sign_in_count = \
                 (SELECT COUNT(*) FROM session_history WHERE session_history.user_id = users.id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            NewColumns::LastSignInAt,
            NewColumns::LastSignInAgent,
            NewColumns::SignInCount,
        ] {
            manager
                .alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
