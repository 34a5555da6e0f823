//! `GET /admin/leads/export.csv`: the current filter as CSV, streamed in keyset batches so memory stays
//! constant however many leads match. Cells that a spreadsheet would run as a formula are defused.

use actix_web::{HttpResponse, web};
use futures_util::stream;

use super::guard::Staff;
use super::list_params::ListQuery;
use crate::db::DbPool;
use crate::db::lead_queries::{self, Cursor, LeadFilter, PagePlan, Sort, SortKey};
use crate::db::leads::Lead;
use crate::startup::AppState;

const BATCH: i64 = 1000;
const HEADER: &str =
    "id,received_at,name,email,phone,interest,status,consent,consent_at,message,notes\r\n";

pub async fn csv(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let filter = query.parse().filter;
    tracing::info!(staff_user_id = staff.user.id, "lead export started");
    let filename = format!("leads-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M"));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(rows(state.db.clone(), filter))
}

enum Step {
    Header,
    After(Option<Cursor>),
    Done,
}

fn rows(
    db: DbPool,
    filter: LeadFilter,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    let sort = Sort {
        key: SortKey::Created,
        ascending: false,
    };
    stream::unfold(Step::Header, move |step| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            let after = match step {
                Step::Done => return None,
                Step::Header => {
                    return Some((
                        Ok(web::Bytes::from_static(HEADER.as_bytes())),
                        Step::After(None),
                    ));
                }
                Step::After(after) => after,
            };
            match lead_queries::page(&db, &filter, sort, after.as_ref(), BATCH, PagePlan::Walk)
                .await
            {
                Ok(batch) if batch.is_empty() => None,
                Ok(batch) => {
                    let next = if (batch.len() as i64) < BATCH {
                        Step::Done
                    } else {
                        Step::After(batch.last().map(|last| Cursor::after(sort, last)))
                    };
                    let mut chunk = String::with_capacity(batch.len() * 160);
                    for lead in &batch {
                        write_row(&mut chunk, lead);
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

fn write_row(out: &mut String, lead: &Lead) {
    let consent_at = lead
        .consent_at
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let fields = [
        lead.id.to_string(),
        lead.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        lead.name.clone(),
        lead.email.clone(),
        lead.phone.clone(),
        lead.interest.clone(),
        lead.status.clone(),
        if lead.consent { "yes" } else { "no" }.to_owned(),
        consent_at,
        lead.message.clone(),
        lead.notes.clone(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, field);
    }
    out.push_str("\r\n");
}

/// RFC 4180 quoting, plus a leading `'` on cells starting with `= + - @` (CSV formula injection).
fn push_cell(out: &mut String, value: &str) {
    let defused = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = defused || value.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
    }
    if defused {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if needs_quotes {
        out.push('"');
    }
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
    fn cells_are_quoted_only_when_needed() {
        assert_eq!(cell("Ana"), "Ana");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+44 20"), "\"'+44 20\"");
    }
}
