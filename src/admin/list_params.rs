//! The lead list's URL parameters, parsed once into a filter, a sort and a cursor (bad values are ignored
//! with a note rather than failing the page), and written back into links that keep them.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::lead_queries::{Cursor, FollowUpFilter, LeadFilter, OwnerFilter, Sort, SortKey};
use crate::domain::{Interest, LeadStatus};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub interest: String,
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// `mine` or `unassigned`.
    #[serde(default)]
    pub owner: String,
    /// `due` (today or earlier) or `overdue` (before today).
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub after_id: Option<i64>,
    /// The first row of the page after the one wanted (the "previous page" link).
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub before_id: Option<i64>,
    /// Which page this is (the next-page link counts it; keyset paging has no offset to derive it from).
    #[serde(default)]
    pub page: Option<u32>,
}

/// Which way from a cursor the page lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart {
    First,
    After(Cursor),
    Before(Cursor),
}

pub struct ListParams {
    pub filter: LeadFilter,
    pub sort: Sort,
    pub start: PageStart,
    /// 1 for the first page; as the link said, otherwise (shown, never trusted for anything else).
    pub page: u32,
    /// Parameters that could not be understood, for a gentle note on the page.
    pub ignored: Vec<&'static str>,
}

impl ListQuery {
    /// The list as the viewer asked for it: "mine" is `viewer_id`'s, "due" is against their `today`.
    pub fn parse(&self, viewer_id: i64, today: NaiveDate) -> ListParams {
        let mut ignored = Vec::new();
        let mut pick = |value: &str, name: &'static str, parse: &dyn Fn(&str) -> bool| {
            if !value.is_empty() && !parse(value) {
                ignored.push(name);
            }
        };
        pick(&self.status, "status", &|v| LeadStatus::parse(v).is_some());
        pick(&self.interest, "interest", &|v| {
            Interest::parse(v).is_some()
        });
        pick(&self.consent, "consent", &|v| v == "yes" || v == "no");
        pick(&self.from, "from", &|v| date(v).is_some());
        pick(&self.to, "to", &|v| date(v).is_some());
        pick(&self.sort, "sort", &|v| SortKey::parse(v).is_some());
        pick(&self.owner, "owner", &|v| v == "mine" || v == "unassigned");
        pick(&self.follow_up, "follow_up", &|v| {
            v == "due" || v == "overdue"
        });
        let text = self.q.trim();
        let filter = LeadFilter {
            text: (!text.is_empty()).then(|| text.chars().take(200).collect()),
            status: LeadStatus::parse(&self.status),
            interest: Interest::parse(&self.interest),
            consent: match self.consent.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            from: date(&self.from),
            to: date(&self.to),
            owner: match self.owner.as_str() {
                "mine" => Some(OwnerFilter::Mine(viewer_id)),
                "unassigned" => Some(OwnerFilter::Unassigned),
                _ => None,
            },
            follow_up: match self.follow_up.as_str() {
                "due" => Some(FollowUpFilter::Due(today)),
                "overdue" => Some(FollowUpFilter::Overdue(today)),
                _ => None,
            },
        };
        let key = SortKey::parse(&self.sort).unwrap_or_default();
        // Newest first by default; names and emails read best A→Z.
        let ascending = match self.dir.as_str() {
            "asc" => true,
            "desc" => false,
            _ => key != SortKey::Created,
        };
        let cursor = |value: &str, id| Cursor {
            value: value.to_owned(),
            id,
        };
        let start = match (self.after_id, self.before_id) {
            (Some(id), _) => PageStart::After(cursor(&self.after, id)),
            (None, Some(id)) => PageStart::Before(cursor(&self.before, id)),
            (None, None) => PageStart::First,
        };
        let page = match start {
            PageStart::First => 1,
            _ => self.page.unwrap_or(2).clamp(1, 100_000),
        };
        ListParams {
            filter,
            sort: Sort { key, ascending },
            start,
            page,
            ignored,
        }
    }
}

fn date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// The query string for `filter` + `sort` (+ where the page starts), so links keep what the staff member
/// chose.
pub fn query_string(filter: &LeadFilter, sort: Sort, start: &PageStart) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(text) = &filter.text {
        pairs.push(("q", text.clone()));
    }
    if let Some(status) = filter.status {
        pairs.push(("status", status.as_str().into()));
    }
    if let Some(interest) = filter.interest {
        pairs.push(("interest", interest.as_str().into()));
    }
    if let Some(consent) = filter.consent {
        pairs.push(("consent", if consent { "yes" } else { "no" }.into()));
    }
    if let Some(from) = filter.from {
        pairs.push(("from", from.to_string()));
    }
    if let Some(to) = filter.to {
        pairs.push(("to", to.to_string()));
    }
    match filter.owner {
        Some(OwnerFilter::Mine(_)) => pairs.push(("owner", "mine".into())),
        Some(OwnerFilter::Unassigned) => pairs.push(("owner", "unassigned".into())),
        None => {}
    }
    match filter.follow_up {
        Some(FollowUpFilter::Due(_)) => pairs.push(("follow_up", "due".into())),
        Some(FollowUpFilter::Overdue(_)) => pairs.push(("follow_up", "overdue".into())),
        None => {}
    }
    pairs.push(("sort", sort.key.as_str().into()));
    pairs.push(("dir", if sort.ascending { "asc" } else { "desc" }.into()));
    let mut cursor = |(value, id): (&'static str, &'static str), c: &Cursor| {
        pairs.push((value, c.value.clone()));
        pairs.push((id, c.id.to_string()));
    };
    match start {
        PageStart::First => {}
        PageStart::After(c) => cursor(("after", "after_id"), c),
        PageStart::Before(c) => cursor(("before", "before_id"), c),
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_round_trips_through_parse() {
        let query = ListQuery {
            q: "ana".into(),
            status: "won".into(),
            consent: "yes".into(),
            from: "2026-01-01".into(),
            owner: "mine".into(),
            follow_up: "overdue".into(),
            sort: "name".into(),
            ..Default::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let params = query.parse(7, today);
        let back: ListQuery = serde_urlencoded::from_str(&query_string(
            &params.filter,
            params.sort,
            &PageStart::First,
        ))
        .unwrap();
        assert_eq!(back.parse(7, today).filter, params.filter);
        assert!(
            back.parse(7, today).sort.ascending,
            "names sort A→Z by default"
        );
    }

    #[test]
    fn unknown_values_are_ignored_and_reported() {
        let params = ListQuery {
            status: "bogus".into(),
            from: "yesterday".into(),
            ..Default::default()
        }
        .parse(1, NaiveDate::MIN);
        assert_eq!(params.filter, LeadFilter::default());
        assert_eq!(params.ignored, ["status", "from"]);
    }
}
