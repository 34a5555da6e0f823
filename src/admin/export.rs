//! `GET /admin/leads/export.csv`: the current filter as CSV, streamed in keyset batches so memory stays
//! constant however many leads match. Every cell is quoted, so `;`-delimited spreadsheets (Excel in many
//! locales, LibreOffice) split it as well as `,`-delimited ones; cells that a spreadsheet would run as a
//! formula are defused; a UTF-8 byte-order mark makes Excel read `Zoë` as UTF-8. Times are UTC (ISO 8601
//! with `Z`, and the column names say so), whatever the exporting staff member's time zone.

use actix_web::{HttpResponse, ResponseError, web};
use futures_util::stream;

use super::guard::Staff;
use super::list_params::ListQuery;
use std::fmt::Write;
use std::sync::Arc;

use crate::db::lead_queries::{self, PlannedFilter};
use crate::db::leads::Lead;
use crate::db::{DbError, DbPool, DbResult, staff};
use crate::domain::LeadField;
use crate::error::AppError;
use crate::state::AppState;

/// Leads per database round trip (a million-row export is 2,000 batches); a batch's rows and text, and the
/// next batch's rows, are held at once, so this also bounds the export's memory (tests/process_serving.rs).
const BATCH: i64 = 500;
pub async fn csv(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let filter = query.parse(staff.user.id, staff.today()).filter;
    let owners = match staff::list_users(&state.db).await {
        Ok(users) => users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        Err(error) => return AppError::from(error).error_response(),
    };
    // Planned once for the whole export, not once per batch.
    let planned = match lead_queries::plan(&state.db, filter).await {
        Ok(planned) => planned,
        Err(error) => return AppError::from(error).error_response(),
    };
    tracing::info!(staff_user_id = staff.user.id, "lead export started");
    let filename = format!("leads-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M"));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(rows(state.db.clone(), Arc::new(planned), Arc::new(owners)))
}

enum Step {
    Header,
    /// The next batch, already on its way: fetched while the previous one is written and sent.
    Fetching(tokio::task::JoinHandle<DbResult<Vec<Lead>>>),
    Done,
}

/// Staff ids and names, for the owner column.
type Owners = Vec<(i64, String)>;

/// Leads below `before` (all, at first), fetched in a task of its own so the database reads the next
/// batch while this one is turned into CSV (SQLite runs the query on a blocking thread: the two overlap).
fn fetch(
    db: &DbPool,
    planned: &Arc<PlannedFilter>,
    before: Option<i64>,
) -> tokio::task::JoinHandle<DbResult<Vec<Lead>>> {
    let (db, planned) = (db.clone(), planned.clone());
    tokio::task::spawn_local(async move {
        lead_queries::export_batch(&db, &planned, before, BATCH).await
    })
}

fn rows(
    db: DbPool,
    planned: Arc<PlannedFilter>,
    owners: Arc<Owners>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    stream::unfold(Step::Header, move |step| {
        let (db, planned, owners) = (db.clone(), planned.clone(), owners.clone());
        async move {
            let fetching = match step {
                Step::Done => return None,
                Step::Header => {
                    let first = fetch(&db, &planned, None);
                    return Some((Ok(web::Bytes::from(header())), Step::Fetching(first)));
                }
                Step::Fetching(fetching) => fetching,
            };
            let fetched = fetching.await.unwrap_or_else(|e| {
                Err(DbError::Unavailable(format!(
                    "the export task stopped: {e}"
                )))
            });
            match fetched {
                Ok(batch) if batch.is_empty() => None,
                Ok(batch) => {
                    let next = match batch.last() {
                        Some(last) if batch.len() as i64 == BATCH => {
                            Step::Fetching(fetch(&db, &planned, Some(last.id)))
                        }
                        _ => Step::Done,
                    };
                    let mut chunk = String::with_capacity(batch.len() * 160);
                    for lead in &batch {
                        write_row(&mut chunk, lead, &owners);
                    }
                    Some((Ok(web::Bytes::from(chunk)), next))
                }
                Err(error) => {
                    // Headers are gone already: all we can do is end the body early and log why.
                    tracing::error!(error = %error, "lead export failed part-way");
                    Some((
                        Err(actix_web::error::ErrorServiceUnavailable(
                            "export interrupted",
                        )),
                        Step::Done,
                    ))
                }
            }
        }
    })
}

/// One lead's line, written straight into the batch's buffer (no per-cell allocations: at a million rows
/// they were a third of the export's time).
fn write_row(out: &mut String, lead: &Lead, owners: &Owners) {
    push_quoted(out, |out| write!(out, "{}", lead.id));
    out.push(',');
    push_quoted(out, |out| push_timestamp(out, lead.created_at));
    for field in LeadField::ALL {
        out.push(',');
        push_cell(out, lead.text(field));
    }
    out.push(',');
    push_cell(out, lead.status.as_str());
    out.push(',');
    push_quoted(out, |out| match lead.consent_at {
        Some(at) => push_timestamp(out, at),
        None => Ok(()),
    });
    out.push(',');
    let owner = lead
        .owner_id
        .and_then(|id| owners.iter().find(|(known, _)| *known == id))
        .map_or("", |(_, name)| name.as_str());
    push_cell(out, owner);
    out.push(',');
    push_quoted(out, |out| match lead.follow_up_on {
        Some(day) => write!(out, "{day}"),
        None => Ok(()),
    });
    out.push_str("\r\n");
}

/// A cell of our own making (an id, a time, a date: digits and `-:TZ`, nothing to defuse or escape),
/// written in place.
fn push_quoted(out: &mut String, write: impl FnOnce(&mut String) -> std::fmt::Result) {
    out.push('"');
    let _ = write(out);
    out.push('"');
}

/// The header row: the byte-order mark, then the same columns as [`write_row`].
fn header() -> String {
    let mut out = String::from("\u{FEFF}");
    let columns = ["id", "received_at_utc"]
        .into_iter()
        .chain(LeadField::ALL.map(LeadField::key))
        .chain(["status", "consent_at_utc", "owner", "follow_up_on"]);
    for (i, column) in columns.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(&mut out, column);
    }
    out.push_str("\r\n");
    out
}

/// `2026-12-04T14:05:09Z`, from the parts (chrono's `format` parses its pattern on every call).
fn push_timestamp(out: &mut String, at: chrono::NaiveDateTime) -> std::fmt::Result {
    use chrono::{Datelike, Timelike};
    write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// RFC 4180 quoting of every cell. A cell whose first visible character would start a formula (`= + - @`,
/// tab, CR) gets a leading `'` (OWASP's defusing), except a phone number: digits and `+ - ( ) .` only can
/// hold no formula, so it gets a leading space instead and stays readable (and dialable) as `+44 …`.
fn push_cell(out: &mut String, value: &str) {
    out.push('"');
    let first = value.trim_start_matches(' ').chars().next();
    if matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')) {
        out.push(if is_phone_number(value) { ' ' } else { '\'' });
    }
    for (i, part) in value.split('"').enumerate() {
        if i > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

fn is_phone_number(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || b" +-().".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::push_cell;

    fn cell(v: &str) -> String {
        let mut s = String::new();
        push_cell(&mut s, v);
        s
    }

    #[test]
    fn every_cell_is_quoted_so_semicolon_spreadsheets_split_it_right() {
        assert_eq!(cell("Ana"), "\"Ana\"");
        assert_eq!(cell("a,b;c"), "\"a,b;c\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell(""), "\"\"");
    }

    #[test]
    fn formula_like_cells_are_defused_even_behind_spaces() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("  =1+1"), "\"'  =1+1\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("-2+3;cmd"), "\"'-2+3;cmd\"");
        assert_eq!(cell("+1 (555) 0100 =x"), "\"'+1 (555) 0100 =x\"");
    }

    #[test]
    fn international_phone_numbers_stay_readable() {
        assert_eq!(cell("+44 7700 900123"), "\" +44 7700 900123\"");
        assert_eq!(cell("07700 900123"), "\"07700 900123\"");
    }

    #[test]
    fn the_file_starts_with_a_byte_order_mark_and_a_quoted_header() {
        let header = super::header();
        assert!(header.starts_with("\u{FEFF}\"id\",\"received_at_utc\""));
        assert!(header.ends_with("\"follow_up_on\"\r\n"));
    }

    #[test]
    fn every_lead_field_has_a_column_named_by_its_key() {
        let header = super::header();
        for field in crate::domain::LeadField::ALL {
            assert!(
                header.contains(&format!("\"{}\"", field.key())),
                "{field:?}"
            );
        }
    }
}
