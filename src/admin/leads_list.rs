//! `GET /admin/leads`: search, filters, sortable columns, keyset pages of 50, bulk actions.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::guard::Staff;
use super::layout::{AdminFrame, csrf_field};
use super::list_params::{ListQuery, PageStart, query_string};
use crate::db::lead_queries::{
    self, Cursor, FollowUpFilter, LeadFilter, OwnerFilter, Sort, SortKey,
};
use crate::db::leads::Lead;
use crate::db::staff::{self, StaffUser};
use crate::domain::{Interest, LeadStatus, TimeZone};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const PAGE_SIZE: i64 = 50;
/// Beyond this the page says "1000+" instead of counting every match on every view: counting reads every
/// match it counts, and this keeps a page of the list under 10 ms at a million leads (docs/performance.md).
const COUNT_CAP: i64 = 1_000;
/// The most leads one bulk action on "all matching" changes (one transaction, one audit line each).
pub(super) const MAX_MATCHING: i64 = 2_000;

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let params = query.parse(staff.user.id, staff.today());
    // The page before a cursor is the walk backwards from it, turned round.
    let (walk, from) = match &params.start {
        PageStart::First => (params.sort, None),
        PageStart::After(cursor) => (params.sort, Some(cursor)),
        PageStart::Before(cursor) => (params.sort.reversed(), Some(cursor)),
    };
    let planned = lead_queries::plan(&state.db, params.filter.clone()).await?;
    let mut rows = lead_queries::page(&state.db, &planned, walk, from, PAGE_SIZE + 1).await?;
    let beyond = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let backwards = matches!(params.start, PageStart::Before(_));
    if backwards {
        rows.reverse();
    }
    // Walking forwards, a row beyond the page means a next page; backwards, a page before this one.
    let (has_next, has_previous) = match params.start {
        PageStart::First => (beyond, false),
        PageStart::After(_) => (beyond, true),
        PageStart::Before(_) => (true, beyond || params.page > 1),
    };
    // A first page that holds every match already is the count: a rare search term then reads the table
    // once instead of twice (substring searches cannot use an index).
    let (total, more) = if params.start == PageStart::First && !has_next {
        (rows.len() as i64, false)
    } else {
        lead_queries::count_up_to(&state.db, &planned, COUNT_CAP).await?
    };
    let link = |start: PageStart, page: u32| {
        format!(
            "/admin/leads?{}&page={page}",
            query_string(&params.filter, params.sort, &start)
        )
    };
    let next = has_next
        .then(|| {
            rows.last().map(|last| {
                link(
                    PageStart::After(Cursor::after(params.sort, last)),
                    params.page + 1,
                )
            })
        })
        .flatten();
    let previous = has_previous
        .then(|| {
            rows.first().map(|first| {
                link(
                    PageStart::Before(Cursor::after(params.sort, first)),
                    params.page.saturating_sub(1).max(1),
                )
            })
        })
        .flatten();
    let owners = staff::list_users(&state.db).await?;
    let here = format!(
        "/admin/leads?{}",
        query_string(&params.filter, params.sort, &params.start)
    );
    let every_match = query_string(&params.filter, params.sort, &PageStart::First);
    let content = html! {
        h1 { "Leads" }
        (filter_form(&params.filter, params.sort))
        @if !params.ignored.is_empty() {
            p.notice role="status" { "Ignored filters that could not be read: " (params.ignored.join(", ")) }
        }
        p.results-summary data-testid="results-count" {
            (total) @if more { "+" } " lead" @if total != 1 || more { "s" } " match"
            @if !rows.is_empty() {
                @let first = (params.page as i64 - 1) * PAGE_SIZE + 1;
                span data-testid="position" {
                    " · page " (params.page) ", showing " (first) "–" (first + rows.len() as i64 - 1)
                }
            }
            ". "
            @if staff.user.is_admin() {
                a href={ "/admin/leads/export.csv?" (every_match) } data-testid="export" { "Export these as CSV" }
            }
        }
        form method="post" action="/admin/leads/bulk" {
            (csrf_field(&staff))
            input type="hidden" name="return_to" value=(here);
            input type="hidden" name="matching" value=(every_match);
            (table(&rows, &params.filter, params.sort, &owners, staff.user.time_zone))
            @if !rows.is_empty() {
                (bulk_actions(total, more, &owners, staff.user.is_admin()))
            }
        }
        nav.pagination aria-label="Pages" {
            @if params.start != PageStart::First {
                a href={ "/admin/leads?" (every_match) } { "« First page" }
            }
            @if let Some(previous) = &previous {
                a href=(previous) rel="prev" data-testid="previous-page" { "‹ Previous page" }
            }
            @if let Some(next) = &next {
                a href=(next) rel="next" data-testid="next-page" { "Next page ›" }
            }
        }
    };
    Ok(frame.page("Leads").render(content))
}

/// What to do (status, owner, delete) and to which leads: the ticked ones, or every match when there are
/// more than one page's worth (and few enough to change in one go).
fn bulk_actions(total: i64, more: bool, owners: &[StaffUser], can_delete: bool) -> Markup {
    html! {
        div.bulk-actions {
            @if total > PAGE_SIZE && !more && total <= MAX_MATCHING {
                fieldset.bulk-scope {
                    legend { "Apply to" }
                    label { input type="radio" name="scope" value="selected" checked; " The ticked leads" }
                    label { input type="radio" name="scope" value="matching" data-testid="scope-matching"; " All " (total) " matching" }
                }
            }
            label for="bulk-action" { "With the selected leads:" }
            select #bulk-action name="action" {
                option value="" selected { "Choose an action…" }
                optgroup label="Status" {
                    @for status in LeadStatus::ALL {
                        option value={ "status:" (status.as_str()) } { "Set status to " (status.as_str()) }
                    }
                }
                optgroup label="Owner" {
                    @for owner in owners.iter().filter(|o| !o.disabled) {
                        option value={ "owner:" (owner.id) } { "Assign to " (owner.display_name) }
                    }
                    option value="owner:none" { "Leave unassigned" }
                }
                @if can_delete { option value="delete" { "Delete…" } }
            }
            button.button type="submit" { "Apply" }
        }
    }
}

fn filter_form(filter: &LeadFilter, sort: Sort) -> Markup {
    html! {
        form.filters method="get" action="/admin/leads" role="search" data-testid="filters" {
            div.field { label for="q" { "Search" } input #q type="search" name="q" value=[filter.text.as_deref()] placeholder="name, email, phone or message"; }
            div.field {
                label for="status" { "Status" }
                select #status name="status" {
                    option value="" { "Any" }
                    @for s in LeadStatus::ALL { option value=(s.as_str()) selected[filter.status == Some(s)] { (s.as_str()) } }
                }
            }
            div.field {
                label for="interest" { "Interest" }
                select #interest name="interest" {
                    option value="" { "Any" }
                    @for i in Interest::ALL { option value=(i.as_str()) selected[filter.interest == Some(i)] { (i.label()) } }
                }
            }
            div.field {
                label for="consent" { "Marketing consent" }
                select #consent name="consent" {
                    option value="" { "Any" }
                    option value="yes" selected[filter.consent == Some(true)] { "Yes" }
                    option value="no" selected[filter.consent == Some(false)] { "No" }
                }
            }
            div.field {
                label for="owner" { "Owner" }
                select #owner name="owner" {
                    option value="" { "Anyone" }
                    option value="mine" selected[matches!(filter.owner, Some(OwnerFilter::Mine(_)))] { "Mine" }
                    option value="unassigned" selected[filter.owner == Some(OwnerFilter::Unassigned)] { "Unassigned" }
                }
            }
            div.field {
                label for="follow_up" { "Follow-up" }
                select #follow_up name="follow_up" {
                    option value="" { "Any" }
                    option value="due" selected[matches!(filter.follow_up, Some(FollowUpFilter::Due(_)))] { "Due (today or earlier)" }
                    option value="overdue" selected[matches!(filter.follow_up, Some(FollowUpFilter::Overdue(_)))] { "Overdue" }
                }
            }
            div.field { label for="from" { "From" } input #from type="date" name="from" value=[filter.from.map(|d| d.to_string())]; }
            div.field { label for="to" { "To" } input #to type="date" name="to" value=[filter.to.map(|d| d.to_string())]; }
            input type="hidden" name="sort" value=(sort.key.as_str());
            input type="hidden" name="dir" value=(if sort.ascending { "asc" } else { "desc" });
            button.button type="submit" { "Filter" }
            a href="/admin/leads" { "Clear" }
        }
    }
}

fn table(
    rows: &[Lead],
    filter: &LeadFilter,
    sort: Sort,
    owners: &[StaffUser],
    tz: TimeZone,
) -> Markup {
    let owner_name = |lead: &Lead| {
        lead.owner_id
            .and_then(|id| owners.iter().find(|o| o.id == id))
            .map(|o| o.display_name.as_str())
    };
    html! {
        @if rows.is_empty() {
            p data-testid="no-results" { "No leads match these filters." }
        } @else {
            span #select-label hidden { "Select" }
            table.data-table data-testid="leads-table" {
                caption.visually-hidden { "Leads, sortable by column" }
                thead { tr {
                    th scope="col" {
                        input type="checkbox" data-testid="select-all" aria-label="Select all leads on this page" hidden;
                    }
                    (sortable("Received", SortKey::Created, filter, sort, true))
                    (sortable("Name", SortKey::Name, filter, sort, false))
                    (sortable("Email", SortKey::Email, filter, sort, true))
                    th.col-optional scope="col" { "Interest" }
                    (sortable("Status", SortKey::Status, filter, sort, false))
                    th.col-optional scope="col" { "Owner" }
                    th.col-optional scope="col" { "Follow-up" }
                } }
                tbody {
                    @for lead in rows {
                        tr data-testid="lead-row" {
                            // One shared label element for the group ("Select"), then the lead's name.
                            td { input type="checkbox" name="ids" value=(lead.id) aria-labelledby={ "select-label lead-name-" (lead.id) }; }
                            td.col-optional { (local_time::minute(lead.created_at, tz)) }
                            td { a id={ "lead-name-" (lead.id) } href={ "/admin/leads/" (lead.id) } { (lead.name) } }
                            td.col-optional { (lead.email) }
                            td.col-optional { (lead.interest.label()) }
                            td { span class={ "badge badge--" (lead.status.as_str()) } { (lead.status.as_str()) } }
                            td.col-optional { @if let Some(name) = owner_name(lead) { (name) } @else { "—" } }
                            td.col-optional { @if let Some(day) = lead.follow_up_on { (day) } @else { "—" } }
                        }
                    }
                }
            }
        }
    }
}

fn sortable(
    label: &str,
    key: SortKey,
    filter: &LeadFilter,
    current: Sort,
    optional: bool,
) -> Markup {
    let active = current.key == key;
    let next = Sort {
        key,
        ascending: if active {
            !current.ascending
        } else {
            key != SortKey::Created
        },
    };
    let aria = match (active, current.ascending) {
        (false, _) => None,
        (true, true) => Some("ascending"),
        (true, false) => Some("descending"),
    };
    html! {
        th.col-optional[optional] scope="col" aria-sort=[aria] {
            a href={ "/admin/leads?" (query_string(filter, next, &PageStart::First)) } {
                (label) @if active { @if current.ascending { " ▲" } @else { " ▼" } }
            }
        }
    }
}
