//! The lead list's URL parameters, parsed once into a filter, a sort and a cursor (bad values are ignored
//! with a note rather than failing the page), and written back into links that keep them.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::lead_queries::{Cursor, LeadFilter, Sort, SortKey};
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
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub after_id: Option<i64>,
    /// Which page this is (the next-page link counts it; keyset paging has no offset to derive it from).
    #[serde(default)]
    pub page: Option<u32>,
}

pub struct ListParams {
    pub filter: LeadFilter,
    pub sort: Sort,
    pub after: Option<Cursor>,
    /// 1 for the first page; as the link said, otherwise (shown, never trusted for anything else).
    pub page: u32,
    /// Parameters that could not be understood, for a gentle note on the page.
    pub ignored: Vec<&'static str>,
}

impl ListQuery {
    pub fn parse(&self) -> ListParams {
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
        };
        let key = SortKey::parse(&self.sort).unwrap_or_default();
        // Newest first by default; names and emails read best A→Z.
        let ascending = match self.dir.as_str() {
            "asc" => true,
            "desc" => false,
            _ => key != SortKey::Created,
        };
        let after = self.after_id.map(|id| Cursor {
            value: self.after.clone(),
            id,
        });
        let page = match after {
            None => 1,
            Some(_) => self.page.unwrap_or(2).clamp(2, 100_000),
        };
        ListParams {
            filter,
            sort: Sort { key, ascending },
            after,
            page,
            ignored,
        }
    }
}

fn date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// The query string for `filter` + `sort` (+ `after`), so links keep what the staff member chose.
pub fn query_string(filter: &LeadFilter, sort: Sort, after: Option<&Cursor>) -> String {
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
    pairs.push(("sort", sort.key.as_str().into()));
    pairs.push(("dir", if sort.ascending { "asc" } else { "desc" }.into()));
    if let Some(cursor) = after {
        pairs.push(("after", cursor.value.clone()));
        pairs.push(("after_id", cursor.id.to_string()));
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
            sort: "name".into(),
            ..Default::default()
        };
        let params = query.parse();
        let back: ListQuery =
            serde_urlencoded::from_str(&query_string(&params.filter, params.sort, None)).unwrap();
        assert_eq!(back.parse().filter, params.filter);
        assert!(back.parse().sort.ascending, "names sort A→Z by default");
    }

    #[test]
    fn unknown_values_are_ignored_and_reported() {
        let params = ListQuery {
            status: "bogus".into(),
            from: "yesterday".into(),
            ..Default::default()
        }
        .parse();
        assert_eq!(params.filter, LeadFilter::default());
        assert_eq!(params.ignored, ["status", "from"]);
    }
}
