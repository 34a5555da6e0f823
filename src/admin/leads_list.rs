//! `GET /admin/leads`: search, filters, sortable columns, keyset pages of 50, bulk actions.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::guard::Staff;
use super::layout::{AdminFrame, csrf_field};
use super::list_params::{ListQuery, query_string};
use crate::db::lead_queries::{self, Cursor, LeadFilter, PagePlan, Sort, SortKey};
use crate::db::leads::Lead;
use crate::domain::{Interest, LeadStatus};
use crate::error::AppError;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// Beyond this the page says "10000+" instead of counting every match on every view.
const COUNT_CAP: i64 = 10_000;

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let params = query.parse();
    let mut rows = lead_queries::page(
        &state.db,
        &params.filter,
        params.sort,
        params.after.as_ref(),
        PAGE_SIZE + 1,
        if params.filter.text.is_some() {
            PagePlan::TopN
        } else {
            PagePlan::Walk
        },
    )
    .await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    // A first page that holds every match already is the count: a rare search term then reads the table
    // once instead of twice (substring searches cannot use an index).
    let (total, more) = if params.after.is_none() && !has_more {
        (rows.len() as i64, false)
    } else {
        lead_queries::count_up_to(&state.db, &params.filter, COUNT_CAP).await?
    };
    let next = has_more
        .then(|| rows.last().map(|last| Cursor::after(params.sort, last)))
        .flatten();
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
            a href={ "/admin/leads/export.csv?" (query_string(&params.filter, params.sort, None)) } data-testid="export" { "Export these as CSV" }
        }
        form method="post" action="/admin/leads/bulk" {
            (csrf_field(&staff))
            input type="hidden" name="return_to" value={ "/admin/leads?" (query_string(&params.filter, params.sort, params.after.as_ref())) };
            (table(&rows, &params.filter, params.sort))
            @if !rows.is_empty() {
                div.bulk-actions {
                    label for="bulk-action" { "With the selected leads:" }
                    select #bulk-action name="action" {
                        option value="" selected { "Choose an action…" }
                        @for status in LeadStatus::ALL {
                            option value={ "status:" (status.as_str()) } { "Set status to " (status.as_str()) }
                        }
                        option value="delete" { "Delete…" }
                    }
                    button.button type="submit" { "Apply" }
                }
            }
        }
        nav.pagination aria-label="Pages" {
            @if params.after.is_some() {
                a href={ "/admin/leads?" (query_string(&params.filter, params.sort, None)) } { "« First page" }
            }
            @if let Some(next) = &next {
                a href={ "/admin/leads?" (query_string(&params.filter, params.sort, Some(next))) "&page=" (params.page + 1) } rel="next" data-testid="next-page" { "Next page »" }
            }
        }
    };
    Ok(frame.page("Leads").render(content))
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
            div.field { label for="from" { "From" } input #from type="date" name="from" value=[filter.from.map(|d| d.to_string())]; }
            div.field { label for="to" { "To" } input #to type="date" name="to" value=[filter.to.map(|d| d.to_string())]; }
            input type="hidden" name="sort" value=(sort.key.as_str());
            input type="hidden" name="dir" value=(if sort.ascending { "asc" } else { "desc" });
            button.button type="submit" { "Filter" }
            a href="/admin/leads" { "Clear" }
        }
    }
}

fn table(rows: &[Lead], filter: &LeadFilter, sort: Sort) -> Markup {
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
                    th.col-optional scope="col" { "Consent" }
                } }
                tbody {
                    @for lead in rows {
                        tr data-testid="lead-row" {
                            // One shared label element for the group ("Select"), then the lead's name.
                            td { input type="checkbox" name="ids" value=(lead.id) aria-labelledby={ "select-label lead-name-" (lead.id) }; }
                            td.col-optional { (lead.created_at.format("%Y-%m-%d %H:%M")) }
                            td { a id={ "lead-name-" (lead.id) } href={ "/admin/leads/" (lead.id) } { (lead.name) } }
                            td.col-optional { (lead.email) }
                            td.col-optional { (lead.interest.label()) }
                            td { span class={ "badge badge--" (lead.status.as_str()) } { (lead.status.as_str()) } }
                            td.col-optional { @if lead.consent { "yes" } @else { "no" } }
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
            a href={ "/admin/leads?" (query_string(filter, next, None)) } {
                (label) @if active { @if current.ascending { " ▲" } @else { " ▼" } }
            }
        }
    }
}
