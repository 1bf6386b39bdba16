//! The command line: `deals [--config FILE] [serve|worker|scheduler|migrate|backup|seed|admin|config|openapi]`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use deals_core::{Email, Password, Role};
use deals_store::repo::users::NewUser;

use crate::config::Settings;
use crate::startup::{Application, connect_store, shutdown_signal};
use crate::telemetry::init_logging;

/// A self-hosted AI deal agent.
#[derive(Debug, Parser)]
#[command(name = "deals", version, about)]
pub struct Cli {
    /// TOML configuration file (layered between the defaults and `DEALS_*` variables).
    #[arg(long, global = true, env = "DEALS_CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which parts of the product a `serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProcessRole {
    /// API, web UI, worker and scheduler in one process.
    All,
    /// HTTP API and web UI only.
    Api,
    /// Background job worker only.
    Worker,
    /// Scheduler only.
    Scheduler,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the product (default).
    Serve {
        /// Parts to run in this process.
        #[arg(long, value_enum, default_value = "all")]
        role: ProcessRole,
    },
    /// Run a background job worker.
    Worker {
        /// Jobs run at once (default: `jobs.concurrency`).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Run the scheduler that enqueues periodic jobs.
    Scheduler,
    /// Serve the simulated five-store marketplace alone (all stores under `/{store}`).
    MarketSim {
        /// Port to listen on (127.0.0.1).
        #[arg(long, default_value_t = 8100)]
        port: u16,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to a new file while the service runs
    /// (PostgreSQL: use `pg_dump`, see docs/operations.md).
    Backup {
        /// The file to create (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Load the demo data (idempotent: does nothing if the demo user exists).
    Seed,
    /// Administrative tasks.
    Admin {
        /// The task.
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Print the OpenAPI document.
    Openapi,
}

/// Administrative tasks.
#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Create an administrator, or promote an existing account. The password is read from the
    /// first line of standard input (required for a new account; replaces the old one if given).
    CreateAdmin {
        /// E-mail address of the account.
        #[arg(long)]
        email: String,
        /// Display name for a new account.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    match cli.command.unwrap_or(Command::Serve {
        role: ProcessRole::All,
    }) {
        Command::Config => {
            println!("{}", pretty_settings(&settings)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            println!(
                "{}",
                crate::http::router::openapi_document().to_pretty_json()?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { role } => serve(settings, role).await,
        Command::Worker { concurrency } => {
            let _guard = init_logging(&settings)?;
            let n = concurrency.unwrap_or(settings.jobs.concurrency);
            crate::startup::run_background(settings, Some(n), false, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scheduler => {
            let _guard = init_logging(&settings)?;
            crate::startup::run_background(settings, None, true, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::MarketSim { port } => {
            let _guard = init_logging(&settings)?;
            let world = crate::startup::sim_world(&settings);
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, "simulated marketplace: http://{addr}/{{amazon,walmart,bestbuy,target,ebay}}");
            axum::serve(
                listener,
                deals_markets::sim::router_all(std::sync::Arc::new(world)),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let _guard = init_logging(&settings)?;
            let mut s = settings;
            s.database.migrate_on_start = true;
            connect_store(&s).await?;
            tracing::info!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { to } => backup(settings, &to).await,
        Command::Seed => {
            let _guard = init_logging(&settings)?;
            let store = connect_store(&settings).await?;
            crate::seed::load_demo(&store, &crate::startup::sim_world(&settings)).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            task: AdminTask::CreateAdmin { email, name },
        } => create_admin(&settings, &email, name).await,
    }
}

async fn serve(settings: Settings, role: ProcessRole) -> anyhow::Result<ExitCode> {
    let _guard = init_logging(&settings)?;
    match role {
        ProcessRole::Worker => {
            let n = settings.jobs.concurrency;
            crate::startup::run_background(settings, Some(n), false, shutdown_signal()).await?;
            return Ok(ExitCode::SUCCESS);
        }
        ProcessRole::Scheduler => {
            crate::startup::run_background(settings, None, true, shutdown_signal()).await?;
            return Ok(ExitCode::SUCCESS);
        }
        ProcessRole::All | ProcessRole::Api => {}
    }
    let mut app = Application::build(settings).await?;
    if role == ProcessRole::Api {
        app = app.api_only();
    }
    let addr = app.local_addr()?;
    tracing::info!(%addr, "agentic-deals is serving on http://{addr} (API docs at /docs)");
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn backup(mut settings: Settings, to: &std::path::Path) -> anyhow::Result<ExitCode> {
    let _guard = init_logging(&settings)?;
    if settings.database.url.expose().starts_with("postgres") {
        eprintln!(
            "error: database.url is PostgreSQL; back it up with pg_dump (docs/operations.md, \"Backup and restore\")"
        );
        return Ok(ExitCode::from(2));
    }
    // A backup reads the database as it is: it never migrates it.
    settings.database.migrate_on_start = false;
    let store = connect_store(&settings).await?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    store
        .backup_to(to)
        .await
        .with_context(|| format!("backup to {} failed", to.display()))?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    tracing::info!(to = %to.display(), bytes, "backup written");
    println!("backup written to {} ({bytes} bytes)", to.display());
    Ok(ExitCode::SUCCESS)
}

async fn create_admin(
    settings: &Settings,
    email: &str,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let _guard = init_logging(settings)?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let line = line.trim_end_matches(['\r', '\n']);
    let password = if line.is_empty() {
        None
    } else {
        Some(Password::parse(line).map_err(|e| anyhow::anyhow!("password {e}"))?)
    };
    let store = connect_store(settings).await?;
    match store.find_user_by_email(&email).await? {
        Some(user) => {
            let hash = match password {
                Some(p) => crate::auth::password::hash(p).await?,
                None => user.password_hash,
            };
            store
                .update_user_credentials(user.id, Role::Admin, hash)
                .await?;
            println!("{email} is now an administrator");
        }
        None => {
            let password = password.context("a new account needs a password on standard input")?;
            let password_hash = crate::auth::password::hash(password).await?;
            store
                .create_user(NewUser {
                    email: email.clone(),
                    name,
                    password_hash,
                    role: Role::Admin,
                })
                .await?;
            println!("created administrator {email}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings as pretty JSON (secrets already serialise as `[redacted]`).
fn pretty_settings(settings: &Settings) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(settings)?)
}
