//! What the staff asked the lead list for: the filters, the sort, and where a page starts. Plain data;
//! `lead_queries.rs` turns them into SQL.

use chrono::NaiveDate;

use super::leads::Lead;
use crate::domain::{Interest, LeadStatus};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub text: Option<String>,
    pub status: Option<LeadStatus>,
    pub interest: Option<Interest>,
    pub consent: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub owner: Option<OwnerFilter>,
    pub follow_up: Option<FollowUpFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    /// The viewer's own leads (their staff id).
    Mine(i64),
    Unassigned,
}

/// Follow-ups against the viewer's today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpFilter {
    /// Due today or earlier.
    Due(NaiveDate),
    /// Due before today.
    Overdue(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    Name,
    Email,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Created,
        SortKey::Name,
        SortKey::Email,
        SortKey::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Created => "created",
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::Status => "status",
        }
    }

    pub fn parse(value: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == value)
    }

    fn value_of(self, lead: &Lead) -> String {
        match self {
            // Full precision: a cursor rounded below the stored value would count its own row as past it.
            SortKey::Created => lead.created_at.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            SortKey::Name => lead.name.to_string(),
            SortKey::Email => lead.email.to_string(),
            // Workflow order, then newest first within a status (see `page`).
            SortKey::Status => format!(
                "{}|{}",
                lead.status.as_str(),
                SortKey::Created.value_of(lead)
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

impl Sort {
    /// The same order backwards: walking it from a page's first row finds the page before.
    pub fn reversed(self) -> Sort {
        Sort {
            ascending: !self.ascending,
            ..self
        }
    }
}

/// Where the next page starts: the sort value and id of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: String,
    pub id: i64,
}

impl Cursor {
    pub fn after(sort: Sort, lead: &Lead) -> Self {
        Cursor {
            value: sort.key.value_of(lead),
            id: lead.id,
        }
    }
}
