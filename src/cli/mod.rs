//! The command line. In a scratch image the binary is the only program, so everything an operator needs is
//! a subcommand (run it on ECS with a `run-task` command override).

use std::process::ExitCode;

mod leads;
mod staff;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::DbPool;
use crate::startup::Application;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "ritual-roast",
    version,
    about = "Ritual Roast web app: marketing site, lead form, staff dashboard, /health.html",
    long_about = "Ritual Roast web app: marketing site, lead form, staff dashboard, /health.html.\n\n\
        With no arguments it serves (the same as `serve`). Configuration comes from built-in defaults, an \
        optional file named by RR_CONFIG, RR_<SECTION>__<KEY> variables and the seed's names (PORT, DB_SERVER, \
        DB_DATABASE, SECRET_NAME, AWS_REGION, DATABASE_URL); see README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP until SIGTERM (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted) and exit; non-zero if it is invalid.
    CheckConfig,
    /// Manage staff accounts for the /admin dashboard.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Work on leads: erase one person's data on request.
    #[command(subcommand)]
    Leads(leads::LeadsCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ritual-roast: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    // Dropped last, after the runtime: waits until the final lines ("stopped cleanly", an error) are written.
    let _flush_logs = telemetry::init(&settings.log);
    let runtime = actix_web::rt::System::new();
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "exiting");
            eprintln!("ritual-roast: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(
                port = app.port(),
                backend = app.backend(),
                version = env!("CARGO_PKG_VERSION"),
                "listening"
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped cleanly");
            Ok(())
        }
        Command::Migrate => {
            let pool = DbPool::connect(&settings.database).await?;
            let lock_wait =
                std::time::Duration::from_secs(settings.database.migration_lock_wait_secs);
            let applied = pool.migrate(lock_wait).await?;
            println!(
                "{} migration(s) applied; schema is up to date",
                applied.len()
            );
            Ok(())
        }
        Command::Staff(command) => staff::run(command, &settings).await,
        Command::Leads(command) => leads::run(command, &settings).await,
        Command::CheckConfig => {
            println!("{settings:#?}");
            Ok(())
        }
    }
}
