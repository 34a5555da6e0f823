//! `GET /admin/news`: who asked for news by email, newest first, so staff can copy them into the mailing tool.

use actix_web::{HttpResponse, web};
use maud::html;

use super::guard::Staff;
use super::layout::AdminFrame;
use crate::db::news_signups;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const SHOWN: i64 = 500;

pub async fn list(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let (signups, total) = news_signups::newest(&state.db, SHOWN).await?;
    Ok(frame.page("News signups").render(html! {
        h1 { "News signups" }
        p data-testid="news-count" {
            (total) " address(es) asked for news by email."
            @if total > SHOWN { " The newest " (SHOWN) " are shown." }
        }
        @if signups.is_empty() {
            p { "Nobody has signed up yet." }
        } @else {
            div.table-scroll {
                table.data-table data-testid="news-table" {
                    thead { tr { th scope="col" { "Email" } th scope="col" { "Signed up (consent given)" } } }
                    tbody {
                        @for signup in &signups {
                            tr {
                                td.wrap-anywhere { (signup.email) }
                                td { (local_time::minute(signup.consent_at, staff.user.time_zone)) }
                            }
                        }
                    }
                }
            }
        }
    }))
}
