use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

use crate::model::Email;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
}

/// Addresses are compared in one Unicode normal form from now on (`model::Email`): an address
/// stored in another form (typed decomposed at sign-up) is rewritten to it, or it could never
/// be signed in to. An address whose normal form is already taken by another account is left
/// as it was and logged (two accounts that only differed by how an accent was typed).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let select = Query::select()
            .columns([Users::Id, Users::Email])
            .from(Users::Table)
            .to_owned();
        let rows = db.query_all(&select).await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let stored: String = row.try_get("", "email")?;
            let Ok(normal) = Email::parse(&stored) else {
                continue;
            };
            if normal.as_str() == stored {
                continue;
            }
            // Checked first rather than left to the unique index: on PostgreSQL a failed
            // statement would abort the migration's transaction, and the start-up with it.
            let taken = Query::select()
                .column(Users::Id)
                .from(Users::Table)
                .and_where(Expr::col(Users::Email).eq(normal.as_str()))
                .to_owned();
            if db.query_one(&taken).await?.is_some() {
                tracing::warn!(
                    user = id,
                    "email left in its stored form: its normal form is another account's"
                );
                continue;
            }
            let update = Query::update()
                .table(Users::Table)
                .value(Users::Email, normal.as_str())
                .and_where(Expr::col(Users::Id).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The normal form is an equally valid spelling of each address: nothing to undo.
        Ok(())
    }
}
