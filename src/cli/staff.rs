//! `ritual-roast staff …`: manage staff accounts from a shell or an ECS `run-task` override. Passwords come
//! from `RR_STAFF_PASSWORD` (for run-task, e.g. injected from a secret) or from standard input, never from
//! an argument (arguments show up in process lists and shell history).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::Subcommand;
use clap::builder::PossibleValuesParser;

use crate::admin::passwords;
use crate::config::Settings;
use crate::db::{DbPool, staff};
use crate::domain::staff::{NAME_MAX, display_name, staff_email};
use crate::domain::{NotifyChoice, StaffRole};

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account (password from RR_STAFF_PASSWORD or standard input).
    Add {
        #[arg(long)]
        email: String,
        /// The name shown in the dashboard and the audit log.
        #[arg(long)]
        name: Option<String>,
        /// `admin` (may also manage staff, delete and export leads) or `staff`. Default: admin for the
        /// first account, staff for every later one.
        #[arg(long, value_parser = PossibleValuesParser::new(StaffRole::ALL.map(StaffRole::as_str)))]
        role: Option<String>,
        /// Emails about new leads: `each` (one per lead), `digest` (one a day) or `off` (the default).
        #[arg(long, value_parser = PossibleValuesParser::new(NotifyChoice::ALL.map(NotifyChoice::as_str)))]
        notify: Option<String>,
    },
    /// Set a new password (signs the account out everywhere).
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Disable an account (signs it out everywhere; its history stays).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Re-enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// List accounts (email, name, active or disabled, role).
    List,
}

pub async fn run(command: StaffCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = DbPool::connect_and_migrate(&settings.database).await?;
    match command {
        StaffCommand::Add {
            email,
            name,
            role,
            notify,
        } => {
            let email = normalise(&email)?;
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let Some(name) = display_name(&name) else {
                bail!("the name must be 1 to {NAME_MAX} characters");
            };
            let role = match role.as_deref().and_then(StaffRole::parse) {
                Some(role) => role,
                None if staff::count_users(&db).await? == 0 => StaffRole::Admin,
                None => StaffRole::Staff,
            };
            let hash = passwords::hash(read_password()?).await?;
            if !staff::create_user(&db, &email, &name, &hash, role).await? {
                bail!(
                    "an account for {email} exists already; use `staff reset-password --email {email}`"
                );
            }
            let notify = notify
                .as_deref()
                .and_then(NotifyChoice::parse)
                .unwrap_or(NotifyChoice::Off);
            if notify != NotifyChoice::Off {
                let user = staff::find_user_by_email(&db, &email).await?;
                if let Some(user) = user {
                    staff::set_notify(&db, user.id, notify).await?;
                }
            }
            println!(
                "created staff account {email} ({}, lead emails: {}); sign in at /admin/login",
                role.as_str(),
                notify.as_str()
            );
        }
        StaffCommand::ResetPassword { email } => {
            let email = normalise(&email)?;
            let hash = passwords::hash(read_password()?).await?;
            if !staff::set_password(&db, &email, &hash).await? {
                bail!("no staff account for {email}; `staff list` shows them");
            }
            println!("password changed for {email}; existing sessions were signed out");
        }
        StaffCommand::Disable { email } => toggle(&db, &email, true).await?,
        StaffCommand::Enable { email } => toggle(&db, &email, false).await?,
        StaffCommand::List => {
            for user in staff::list_users(&db).await? {
                let state = if user.disabled { "disabled" } else { "active" };
                let role = user.role.as_str();
                println!("{}\t{}\t{state}\t{role}", user.email, user.display_name);
            }
        }
    }
    Ok(())
}

async fn toggle(db: &DbPool, email: &str, disabled: bool) -> anyhow::Result<()> {
    let email = normalise(email)?;
    if !staff::set_disabled(db, &email, disabled).await? {
        bail!("no staff account for {email}; `staff list` shows them");
    }
    println!(
        "{email} is now {}",
        if disabled {
            "disabled (signed out everywhere)"
        } else {
            "active"
        }
    );
    Ok(())
}

fn normalise(email: &str) -> anyhow::Result<String> {
    staff_email(email).ok_or_else(|| anyhow::anyhow!("`{}` is not an email address", email.trim()))
}

fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("RR_STAFF_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprint!(
                    "New password (input is shown; min {} characters): ",
                    passwords::MIN_LENGTH
                );
                std::io::stderr().flush().ok();
            }
            let mut line = String::new();
            stdin
                .lock()
                .read_line(&mut line)
                .context("could not read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    passwords::check_policy(&password).map_err(|why| anyhow::anyhow!("password refused: {why}"))?;
    Ok(password)
}
