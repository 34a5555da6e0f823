//! Leads: the row type and the queries on it. Every function runs unchanged on SQLite and MySQL.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::schema::leads;
use super::{DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::LeadSubmission;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub interest: String,
    pub message: String,
    pub consent: bool,
    pub consent_at: Option<NaiveDateTime>,
    pub status: String,
    pub notes: String,
    pub form_token: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

#[derive(Insertable)]
#[diesel(table_name = leads)]
struct NewLead<'a> {
    name: &'a str,
    email: &'a str,
    phone: &'a str,
    interest: &'a str,
    message: &'a str,
    consent: bool,
    consent_at: Option<NaiveDateTime>,
    status: &'a str,
    notes: &'a str,
    form_token: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Whether a submission created a lead or repeated one already stored under the same form token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Created(i64),
    AlreadyStored(i64),
}

impl Stored {
    pub fn id(self) -> i64 {
        match self {
            Stored::Created(id) | Stored::AlreadyStored(id) => id,
        }
    }
}

/// Stores a submission once: a second insert with the same form token and the same content finds the
/// first row instead (see [`LeadSubmission::idempotency_key`]).
/// (MySQL has no `RETURNING`, so the id is read back through the unique token on both backends.)
pub async fn insert(pool: &DbPool, lead: &LeadSubmission) -> DbResult<Stored> {
    let now = Utc::now().naive_utc();
    let key = lead
        .idempotency_key()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let form_token = key.as_str();
    let row = NewLead {
        name: &lead.name,
        email: &lead.email,
        phone: &lead.phone,
        interest: lead.interest.as_str(),
        message: &lead.message,
        consent: lead.consent,
        consent_at: lead.consent.then_some(now),
        status: "new",
        notes: "",
        form_token,
        created_at: now,
        updated_at: now,
    };
    db_run_retrying!(pool, |conn| {
        let created = match diesel::insert_into(leads::table)
            .values(&row)
            .execute(conn)
            .await
        {
            Ok(_) => true,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => false,
            Err(e) => return Err(e.into()),
        };
        let id = leads::table
            .filter(leads::form_token.eq(form_token))
            .select(leads::id)
            .first::<i64>(conn)
            .await?;
        Ok(if created {
            Stored::Created(id)
        } else {
            Stored::AlreadyStored(id)
        })
    })
}

pub async fn find(pool: &DbPool, id: i64) -> DbResult<Option<Lead>> {
    db_run_retrying!(pool, |conn| {
        Ok(leads::table
            .find(id)
            .select(Lead::as_select())
            .first(conn)
            .await
            .optional()?)
    })
}

pub async fn count(pool: &DbPool) -> DbResult<i64> {
    db_run_retrying!(pool, |conn| {
        Ok(leads::table.count().get_result(conn).await?)
    })
}
