//! A lead's timeline: its notes and its history (status, owner and follow-up changes, edits) in one list,
//! newest first, ending with how the lead arrived.

use chrono::NaiveDateTime;
use maud::{Markup, html};

use crate::db::lead_events::LeadEvent;
use crate::db::lead_notes::LeadNote;
use crate::db::leads::Lead;
use crate::db::staff::StaffUser;
use crate::domain::TimeZone;
use crate::views::local_time;

enum Entry<'a> {
    Note(&'a LeadNote),
    Event(&'a LeadEvent),
}

impl Entry<'_> {
    fn at(&self) -> NaiveDateTime {
        match self {
            Entry::Note(note) => note.created_at,
            Entry::Event(event) => event.created_at,
        }
    }
}

/// The name staff know a colleague by; the sign-in email for an account that is gone.
fn known_as<'a>(staff: &'a [StaffUser], email: &'a str) -> &'a str {
    staff
        .iter()
        .find(|user| user.email == email)
        .map_or(email, |user| user.display_name.as_str())
}

pub(super) fn render(
    lead: &Lead,
    notes: &[LeadNote],
    history: &[LeadEvent],
    staff: &[StaffUser],
    tz: TimeZone,
) -> Markup {
    let mut entries: Vec<Entry> = notes
        .iter()
        .map(Entry::Note)
        .chain(history.iter().map(Entry::Event))
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at()));
    html! {
        ol.timeline data-testid="timeline" {
            @for entry in &entries {
                @match entry {
                    Entry::Note(note) => li.timeline__note {
                        p.timeline__meta { (local_time::minute(note.created_at, tz)) " · " strong { (known_as(staff, &note.author)) } " wrote" }
                        p.timeline__body { (note.body) }
                    },
                    Entry::Event(event) => li.timeline__event {
                        p.timeline__meta {
                            (local_time::minute(event.created_at, tz)) " · " (known_as(staff, &event.actor)) " · "
                            (event.action) ": " (event.detail)
                        }
                    },
                }
            }
            li.timeline__event { p.timeline__meta { (local_time::minute(lead.created_at, tz)) " · received through the website form" } }
        }
    }
}
