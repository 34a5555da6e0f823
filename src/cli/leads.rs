//! `ritual-roast leads …`: work on leads from a shell or an ECS `run-task` override. `leads erase --email`
//! erases one person's data everywhere (the same as /admin/erase), leaving a tombstone that names who did it.

use anyhow::bail;
use clap::Subcommand;

use crate::config::Settings;
use crate::db::{DbPool, erasure};

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Erase everything stored under an email address (leads, notes, history, notifications, a news
    /// signup, sign-in attempts), leaving only a tombstone: when, by whom, how many rows. Cannot be undone.
    Erase {
        #[arg(long)]
        email: String,
        /// Who asked for it or ran it, for the tombstone (e.g. your name and the ticket number).
        #[arg(long, default_value = "operator")]
        by: String,
    },
}

pub async fn run(command: LeadsCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = DbPool::connect_and_migrate(&settings.database).await?;
    match command {
        LeadsCommand::Erase { email, by } => {
            if !email.contains('@') {
                bail!("`{}` is not an email address", email.trim());
            }
            let actor = format!("{} (command line)", by.trim());
            let erased = erasure::erase_by_email(&db, &email, &actor).await?;
            println!(
                "erased {} lead(s), {} news signup(s), {} sign-in attempt(s); tombstone written (by {actor})",
                erased.leads, erased.news_signups, erased.sign_in_attempts
            );
        }
    }
    Ok(())
}
