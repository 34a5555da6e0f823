//! Leads: the row type and the queries on it (storing new ones is `lead_insert.rs`). Every function runs unchanged on SQLite and MySQL.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub use super::lead_insert::{AddedBy, Stored, insert, insert_many};
use super::schema::leads;
use super::{DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::{Interest, LeadEmail, LeadField, LeadMessage, LeadName, LeadPhone, LeadStatus};

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
