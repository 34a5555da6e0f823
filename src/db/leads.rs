//! Leads: the row type and the queries on it. Every function runs unchanged on SQLite and MySQL.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::lead_events::NewEvent;
use super::lead_search;
use super::outbox::{Notify, enqueue_notifications};
use super::schema::{lead_events, leads};
use super::{DbError, DbPool, DbResult, inserted};
use crate::db_run_retrying;
use crate::domain::{
    Interest, LeadEmail, LeadField, LeadMessage, LeadName, LeadPhone, LeadStatus, LeadSubmission,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: i64,
    pub name: LeadName,
    pub email: LeadEmail,
    pub phone: LeadPhone,
    pub interest: Interest,
    pub message: LeadMessage,
    pub consent: bool,
    pub consent_at: Option<NaiveDateTime>,
    pub status: LeadStatus,
    pub form_token: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    pub consent_withdrawn_at: Option<NaiveDateTime>,
    /// The staff member working this lead (`staff_users.id`), if anyone is.
    pub owner_id: Option<i64>,
    /// When to get back to them.
    pub follow_up_on: Option<NaiveDate>,
}

#[derive(Insertable)]
#[diesel(table_name = leads)]
struct NewLead<'a> {
    name: &'a LeadName,
    email: &'a LeadEmail,
    phone: &'a LeadPhone,
    interest: Interest,
    message: &'a LeadMessage,
    consent: bool,
    consent_at: Option<NaiveDateTime>,
    status: LeadStatus,
    form_token: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Lead {
    /// A field's value as text (for exports and plain displays): choices as their wire value, consent as
    /// `yes`/`no`.
    pub fn text(&self, field: LeadField) -> &str {
        match field {
            LeadField::Name => self.name.as_str(),
            LeadField::Email => self.email.as_str(),
            LeadField::Phone => self.phone.as_str(),
            LeadField::Interest => self.interest.as_str(),
            LeadField::Message => self.message.as_str(),
            LeadField::Consent => {
                if self.consent {
                    "yes"
                } else {
                    "no"
                }
            }
        }
    }
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

/// Who is storing a lead: a visitor through the public form, or a staff member (whose "created" entry
/// in the lead's history is written by the same transaction as the lead).
#[derive(Debug, Clone, Copy)]
pub enum AddedBy<'a> {
    Visitor,
    Staff(&'a str),
}

/// Stores a submission once: a second insert with the same form token and the same content finds the
/// first row instead (see [`LeadSubmission::idempotency_key`]).
/// (MySQL has no `RETURNING`, so the id is read back through the unique token on both backends.)
/// With notifications on, the staff who asked to hear about new leads get their outbox rows in the same
/// transaction (`outbox.rs`): a stored lead always has its notifications, a repeat adds none.
pub async fn insert(
    pool: &DbPool,
    lead: &LeadSubmission,
    added_by: AddedBy<'_>,
    notify: Notify,
) -> DbResult<Stored> {
    let now = Utc::now().naive_utc();
    let key = lead
        .idempotency_key()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let form_token = key.as_str();
    let no_email = LeadEmail::from_stored(String::new());
    let row = NewLead {
        name: &lead.name,
        email: lead.email.as_ref().unwrap_or(&no_email),
        phone: &lead.phone,
        interest: lead.interest,
        message: &lead.message,
        consent: lead.consent,
        consent_at: lead.consent.then_some(now),
        status: LeadStatus::New,
        form_token,
        created_at: now,
        updated_at: now,
    };
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let created = inserted(
                diesel::insert_into(leads::table)
                    .values(&row)
                    .execute(conn)
                    .await,
            )?;
            let id = leads::table
                .filter(leads::form_token.eq(form_token))
                .select(leads::id)
                .first::<i64>(conn)
                .await?;
            if !created {
                return Ok(Stored::AlreadyStored(id));
            }
            if let Some(sql) = lead_search::index_statement(
                id,
                lead.name.as_str(),
                row.email.as_str(),
                lead.phone.as_str(),
                lead.message.as_str(),
            ) {
                diesel::sql_query(sql).execute(conn).await?;
            }
            if let AddedBy::Staff(actor) = added_by {
                diesel::insert_into(lead_events::table)
                    .values(NewEvent::new(
                        id,
                        actor,
                        "created",
                        "created by staff".to_owned(),
                    ))
                    .execute(conn)
                    .await?;
            }
            enqueue_notifications!(conn, id, notify, now);
            Ok(Stored::Created(id))
        })
        .await
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

/// An earlier lead from the same person, as far as their email address or phone number tell.
#[derive(Debug, Clone, Queryable)]
pub struct EarlierLead {
    pub id: i64,
    pub name: LeadName,
    pub created_at: NaiveDateTime,
}

/// Up to `limit` earlier leads (lower ids) with the same non-empty email address or phone number, newest
/// first. Both columns are indexed, so this is two index lookups, not a scan.
pub async fn earlier_from_same_contact(
    pool: &DbPool,
    lead: &Lead,
    limit: i64,
) -> DbResult<Vec<EarlierLead>> {
    let email = lead.email.as_str();
    let phone = lead.phone.as_str();
    if email.is_empty() && phone.is_empty() {
        return Ok(Vec::new());
    }
    let id = lead.id;
    db_run_retrying!(pool, |conn| {
        let same_email = leads::email.eq(email).and(leads::email.ne(""));
        let same_phone = leads::phone.eq(phone).and(leads::phone.ne(""));
        Ok(leads::table
            .filter(leads::id.lt(id))
            .filter(same_email.or(same_phone))
            .order(leads::id.desc())
            .limit(limit)
            .select((leads::id, leads::name, leads::created_at))
            .load(conn)
            .await?)
    })
}

/// The leads either side of `lead` in the list's default order (newest first): `(newer, older)`. Two
/// seeks on the (created_at, id) index.
pub async fn neighbours(pool: &DbPool, lead: &Lead) -> DbResult<(Option<i64>, Option<i64>)> {
    let (at, id) = (lead.created_at, lead.id);
    db_run_retrying!(pool, |conn| {
        let newer = leads::table
            .filter(leads::created_at.ge(at))
            .filter(leads::created_at.gt(at).or(leads::id.gt(id)))
            .order((leads::created_at.asc(), leads::id.asc()))
            .select(leads::id)
            .first(conn)
            .await
            .optional()?;
        let older = leads::table
            .filter(leads::created_at.le(at))
            .filter(leads::created_at.lt(at).or(leads::id.lt(id)))
            .order((leads::created_at.desc(), leads::id.desc()))
            .select(leads::id)
            .first(conn)
            .await
            .optional()?;
        Ok((newer, older))
    })
}
