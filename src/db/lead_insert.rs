//! Storing new leads, several to a transaction: the lead intake (`state::lead_intake`) hands over every
//! submission waiting at that moment, and one commit makes them all durable (group commit). A staff
//! member's phone enquiry is a batch of one. The same code runs on SQLite and MySQL.
//!
//! Idempotency: each lead's form token (with its content, [`LeadSubmission::idempotency_key`]) is unique in
//! `leads`. A token already stored, or twice in one batch, answers the first lead's id as
//! [`Stored::AlreadyStored`] and writes nothing.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use super::lead_events::NewEvent;
use super::lead_search;
use super::outbox::{Notify, enqueue_notifications};
use super::schema::{lead_events, leads};
use super::{DbError, DbPool, DbResult, SqliteConn};
use crate::db_run_retrying;
use crate::domain::{
    Interest, LeadEmail, LeadMessage, LeadName, LeadPhone, LeadStatus, LeadSubmission,
};

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

#[derive(Insertable)]
#[diesel(table_name = leads)]
pub(super) struct NewLead<'a> {
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

static NO_EMAIL: std::sync::LazyLock<LeadEmail> =
    std::sync::LazyLock::new(|| LeadEmail::from_stored(String::new()));

impl<'a> NewLead<'a> {
    fn new(lead: &'a LeadSubmission, form_token: &'a str, now: NaiveDateTime) -> Self {
        NewLead {
            name: &lead.name,
            email: lead.email.as_ref().unwrap_or(&NO_EMAIL),
            phone: &lead.phone,
            interest: lead.interest,
            message: &lead.message,
            consent: lead.consent,
            consent_at: lead.consent.then_some(now),
            status: LeadStatus::New,
            form_token,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Where the backends differ in storing a batch.
pub(super) trait LeadWriter {
    /// Takes the write lock before the transaction's first read. SQLite (WAL) cannot turn a read into a
    /// write once another writer has committed since ("database is locked", not a wait), so two writers
    /// must queue at the start; MySQL locks rows as it goes and needs nothing.
    async fn claim_writer(&mut self) -> QueryResult<()>;
    /// Several rows in as few statements as the backend allows: one multi-row `INSERT` on MySQL (one
    /// round trip); on SQLite, in process, one statement per row (diesel-async's SQLite wrapper takes no
    /// batch).
    async fn insert_leads(&mut self, rows: &[NewLead<'_>]) -> QueryResult<usize>;
}

impl LeadWriter for AsyncMysqlConnection {
    async fn claim_writer(&mut self) -> QueryResult<()> {
        Ok(())
    }

    async fn insert_leads(&mut self, rows: &[NewLead<'_>]) -> QueryResult<usize> {
        diesel::insert_into(leads::table)
            .values(rows)
            .execute(self)
            .await
    }
}

impl LeadWriter for SqliteConn {
    async fn claim_writer(&mut self) -> QueryResult<()> {
        // A write that changes nothing still begins a write transaction (and waits out busy_timeout).
        diesel::sql_query("UPDATE leads SET id = id WHERE 0")
            .execute(self)
            .await
            .map(drop)
    }

    async fn insert_leads(&mut self, rows: &[NewLead<'_>]) -> QueryResult<usize> {
        for row in rows {
            diesel::insert_into(leads::table)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(rows.len())
    }
}

/// Stores one lead (see [`insert_many`]).
pub async fn insert(
    pool: &DbPool,
    lead: &LeadSubmission,
    added_by: AddedBy<'_>,
    notify: Notify,
) -> DbResult<Stored> {
    let mut results = insert_many(pool, std::slice::from_ref(lead), added_by, notify).await;
    results.pop().expect("one result per lead")
}

/// Stores `submissions` in one transaction and answers one result per submission, in order. With
/// notifications on, the staff who asked to hear about new leads get their outbox rows in the same
/// transaction (`outbox.rs`): a stored lead always has its notifications, a repeat adds none.
///
/// A batch the database refuses as a whole (a query error, or another task storing one of these tokens
/// at the same instant) is stored again one lead per transaction, so one lead's trouble is never another
/// visitor's; a database that is down fails them all alike.
pub async fn insert_many(
    pool: &DbPool,
    submissions: &[LeadSubmission],
    added_by: AddedBy<'_>,
    notify: Notify,
) -> Vec<DbResult<Stored>> {
    match store_together(pool, submissions, added_by, notify).await {
        Ok(stored) => stored.into_iter().map(Ok).collect(),
        Err(DbError::Query(_)) => {
            let mut results = Vec::with_capacity(submissions.len());
            for lead in submissions {
                let one = std::slice::from_ref(lead);
                results.push(store_alone(pool, one, added_by, notify).await);
            }
            results
        }
        Err(error) => submissions.iter().map(|_| Err(error.duplicate())).collect(),
    }
}

/// One lead in its own transaction, tried a second time when another task stored the same token between
/// this transaction's look-up and its insert (the second look-up finds that row).
async fn store_alone(
    pool: &DbPool,
    one: &[LeadSubmission],
    added_by: AddedBy<'_>,
    notify: Notify,
) -> DbResult<Stored> {
    let stored = match store_together(pool, one, added_by, notify).await {
        Err(error) if is_unique_violation(&error) => {
            store_together(pool, one, added_by, notify).await
        }
        other => other,
    };
    stored.map(|mut stored| stored.pop().expect("one result per lead"))
}

fn is_unique_violation(error: &DbError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
    )
}

/// The ids of the leads stored under these form tokens, by token. A macro: the query is expanded for each
/// backend's connection inside `db_run!`.
macro_rules! ids_by_token {
    ($conn:expr, $tokens:expr) => {
        leads::table
            .filter(leads::form_token.eq_any($tokens))
            .select((leads::form_token, leads::id))
            .load::<(String, i64)>($conn)
            .await?
            .into_iter()
            .collect::<HashMap<String, i64>>()
    };
}

async fn store_together(
    pool: &DbPool,
    submissions: &[LeadSubmission],
    added_by: AddedBy<'_>,
    notify: Notify,
) -> DbResult<Vec<Stored>> {
    let now = Utc::now().naive_utc();
    let keys: Vec<String> = submissions
        .iter()
        .map(|lead| {
            lead.idempotency_key()
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
        })
        .collect();
    // The first submission of each key is the one stored; later ones in the batch repeat it.
    let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        first_of.entry(key.as_str()).or_insert(i);
    }
    let distinct: Vec<&str> = keys
        .iter()
        .enumerate()
        .filter(|(i, key)| first_of[key.as_str()] == *i)
        .map(|(_, key)| key.as_str())
        .collect();
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            conn.claim_writer().await?;
            let before = ids_by_token!(conn, &distinct);
            let new_rows: Vec<NewLead> = distinct
                .iter()
                .copied()
                .filter(|&key| !before.contains_key(key))
                .map(|key| NewLead::new(&submissions[first_of[key]], key, now))
                .collect();
            let mut created = HashMap::new();
            if !new_rows.is_empty() {
                conn.insert_leads(&new_rows).await?;
                let new_keys: Vec<&str> = new_rows.iter().map(|row| row.form_token).collect();
                created = ids_by_token!(conn, &new_keys);
                let index = lead_search::index_statement_many(new_rows.iter().map(|row| {
                    let id = created[row.form_token];
                    (
                        id,
                        row.name.as_str(),
                        row.email.as_str(),
                        row.phone.as_str(),
                        row.message.as_str(),
                    )
                }));
                if let Some(sql) = index {
                    diesel::sql_query(sql).execute(conn).await?;
                }
                for row in &new_rows {
                    let id = created[row.form_token];
                    if let AddedBy::Staff(actor) = added_by {
                        let event = NewEvent::new(id, actor, "created", "created by staff".into());
                        diesel::insert_into(lead_events::table)
                            .values(event)
                            .execute(conn)
                            .await?;
                    }
                    enqueue_notifications!(conn, id, notify, now);
                }
            }
            let mut answered = std::collections::HashSet::new();
            keys.iter()
                .map(|key| match (created.get(key), before.get(key)) {
                    (Some(&id), _) if answered.insert(key.as_str()) => Ok(Stored::Created(id)),
                    (Some(&id), _) | (None, Some(&id)) => Ok(Stored::AlreadyStored(id)),
                    (None, None) => Err(DbError::Query(diesel::result::Error::NotFound)),
                })
                .collect()
        })
        .await
    })
}
