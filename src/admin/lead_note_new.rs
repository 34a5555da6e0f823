//! `POST /admin/leads/{id}/notes`: adds a note to a lead's timeline. Notes are only ever added, so there is
//! no version to check: two people writing at once both keep theirs.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::AdminFrame;
use super::lead_page::{Draft, load, page_path};
use super::session::redirect_with_flash;
use crate::db::lead_notes::{self, NOTE_MAX_CHARS, NoteOutcome};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

pub async fn add(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let body = form.0.body;
    let problem = if body.trim().is_empty() {
        Some("Write something first: the note is empty.".to_owned())
    } else if body.chars().count() > NOTE_MAX_CHARS {
        Some(format!(
            "A note can be at most {NOTE_MAX_CHARS} characters: shorten it or split it in two."
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        let lead = load(&state, *id).await?;
        let draft = Draft {
            note: Some(body),
            note_problem: Some(problem),
            ..Draft::default()
        };
        return draft.refused(&frame, &state, &staff, lead, None).await;
    }
    match lead_notes::add(&state.db, *id, &staff.user.email, body.trim_end()).await? {
        NoteOutcome::LeadNotFound => Err(AppError::NotFound),
        NoteOutcome::Added | NoteOutcome::AlreadyAdded => Ok(redirect_with_flash(
            &state,
            &req,
            &page_path(*id),
            "Note added.",
        )),
    }
}
