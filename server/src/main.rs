//! `server`: the portal's HTTP server and admin CLI.
use anyhow::Context;
use app::auth::password::PasswordService;

use app::i18n::Locale;
use app::org::{import, service, ImportOutcome};
use clap::{Parser, Subcommand};
use server::config::Config;
use server::{demo, open_database, Application};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Rundschreiben-Portal: web server and admin CLI. Configuration comes from environment variables (see README)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Seed the demo city if the database is empty, and print the demo accounts.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Write brotli and gzip copies of the built browser files (run after `cargo leptos
    /// build`; `make build-release` does).
    Precompress {
        /// Folder of the built files (default: `<LEPTOS_SITE_ROOT>/pkg`).
        dir: Option<std::path::PathBuf>,
    },
    /// Create a user, e.g. the first admin of a real deployment.
    CreateUser(CreateUserArgs),
    /// Remove a person's second factor and end their sessions (audited), e.g. when the
    /// only admin lost their phone and recovery codes.
    ResetSecondFactor {
        #[arg(long)]
        email: String,
    },
    /// Import org units or users from a CSV file (all or nothing).
    ImportOrg { file: std::path::PathBuf },
    /// Seed the demo city "Stadt Musterstadt" into an empty database.
    SeedDemo,
    /// Seed a large synthetic city into an empty database (for benchmarks).
    SeedLarge {
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        #[arg(long, default_value_t = 200)]
        circulars: usize,
        /// Devices in all (default: one per employee).
        #[arg(long)]
        devices: Option<usize>,
        /// Acknowledgments in all (default: every other employee for the first 20
        /// circulars); e.g. 10000000 with --circulars 400 for the 10-million city.
        #[arg(long)]
        acknowledgments: Option<usize>,
    },
    /// Time the acknowledgment roll-up for the root unit and for one Amt (p50/p95/p99).
    BenchRollup {
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Pseudonymise acknowledgments whose retention period has passed (also runs hourly
    /// inside `serve`).
    Retention {
        /// Handle at most this many acknowledgments.
        #[arg(long)]
        max: Option<usize>,
    },
    /// Issue, list or revoke API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run the compliance job once (it also runs every few minutes inside `serve`).
    ComplianceRun,
    /// Act as an MDM: post inventory reports for the demo devices through the real API.
    SimulateMdm {
        /// Base URL of a running portal.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// API token with `inventory:write` (default: environment MDM_TOKEN, else a token
        /// named "MDM-Simulator" is issued in the database).
        #[arg(long, env = "MDM_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Report only this many devices.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Recompute the evidence chain; exit code 1 names the first broken entry.
    /// Seal every pending record into the evidence chain (also done by `serve` in the
    /// background).
    SealEvidence,
    VerifyEvidence {
        /// Seal pending records first (otherwise only what is sealed is checked).
        #[arg(long)]
        seal: bool,
    },
}

#[derive(clap::Args)]
struct CreateUserArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// Org unit code; defaults to the root unit. In an empty database a root unit
    /// named by --city is created.
    #[arg(long)]
    unit: Option<String>,
    /// City name for the root unit when the database has none yet.
    #[arg(long, default_value = "Stadt")]
    city: String,
    /// Role(s) besides employee: admin, auditor (city-wide) or head@CODE, publisher@CODE.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Read the password from this environment variable instead of generating one.
    #[arg(long)]
    password_env: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token; the secret is printed once and only its hash is stored.
    Create {
        #[arg(long)]
        name: String,
        /// inventory:write, devices:write or access:read (repeat or separate by commas).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

/// mimalloc instead of glibc's malloc: glibc keeps one arena per thread that ever
/// allocated, and under load the freed memory of tokio's workers and blocking threads stays
/// in them (measured: about 200 MB of the server's RSS after the acknowledgment benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command {
        Command::Serve { demo } => {
            let db = open_database(&config).await?;
            if demo && !demo::is_seeded(&db).await? {
                println!("Seeding the demo city …");
                demo::seed(&db, &config.settings.base_url(config.bind_addr)).await?;
            }
            let mailer = app::notifications::outbox::Mailer::new(
                config.smtp.clone(),
                &config.mail_from,
                config.mail_dir.clone(),
            )?;
            let (settings, intervals) = (config.settings.clone(), config.jobs.clone());
            let app = Application::build(config, db.clone()).await?;
            let jobs = server::jobs::all(server::jobs::Context {
                db,
                intervals,
                compliance: settings.compliance.clone(),
                links: app::compliance::engine::Links {
                    base_url: app.public_url.clone(),
                },
                mailer,
                reminders: settings.reminders(&app.public_url),
            });
            for job in jobs {
                job.spawn();
            }
            println!(
                "\nRundschreiben-Portal is running at http://{}/\n",
                app.addr
            );
            if demo {
                println!("{}", demo::accounts_table());
            }
            app.run().await
        }
        Command::ResetSecondFactor { email } => {
            let db = open_database(&config).await?;
            let account = app::org::repo::find_login(&db, email.trim())
                .await?
                .with_context(|| format!("no user with e-mail {email}"))?;
            let now = chrono::Utc::now();
            match app::auth::service::reset_by_operator(&db, account.id, now).await {
                Ok(()) => {}
                Err(app::error::AppError::Validation(_)) => {
                    anyhow::bail!("{email} has no second factor")
                }
                Err(other) => return Err(server::cli::cli_error(other, &[])),
            }
            println!("Second factor of {email} removed and sessions ended; they set it up again on 'Mein Profil' after signing in.");
            Ok(())
        }
        Command::Precompress { dir } => {
            let dir = dir.unwrap_or_else(|| std::path::Path::new(&config.site_root).join("pkg"));
            let started = std::time::Instant::now();
            let files = server::assets::precompress(&dir)
                .with_context(|| format!("cannot precompress {}", dir.display()))?;
            println!(
                "Precompressed {} files in {} in {:.1} s.",
                files.len(),
                dir.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Migrate => {
            open_database(&config).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::SeedDemo => {
            let db = open_database(&config).await?;
            demo::seed(&db, &config.settings.base_url(config.bind_addr)).await?;
            println!("{}", demo::accounts_table());
            Ok(())
        }
        Command::SeedLarge {
            employees,
            circulars,
            devices,
            acknowledgments,
        } => {
            let db = open_database(&config).await?;
            let start = std::time::Instant::now();
            let (units, people, circs, acks) = server::large::seed(
                &db,
                &server::large::LargeCity {
                    employees,
                    circulars,
                    devices: devices.unwrap_or(employees).max(employees),
                    acknowledgments,
                },
            )
            .await?;
            println!("Seeded {units} units, {people} employees, {circs} circulars, {acks} acknowledgments in {:.1} s.", start.elapsed().as_secs_f64());
            Ok(())
        }
        Command::BenchRollup { runs } => {
            let db = open_database(&config).await?;
            // The oldest whole-city circular (it has acknowledgments), the root, and one Amt.
            let (version, root, amt) = app::tracking::repo::bench_targets(&db).await?;
            for (label, unit) in [("root unit", root), ("one Amt", amt)] {
                let t = server::large::bench_rollup(&db, version, unit.0, runs).await?;
                let p = |q: f64| t[((t.len() as f64 - 1.0) * q).round() as usize];
                println!("roll-up {label:<10} runs {runs}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms", p(0.5), p(0.95), p(0.99), t[t.len() - 1]);
            }
            Ok(())
        }
        Command::Retention { max } => {
            let db = open_database(&config).await?;
            let report = app::evidence::retention::apply(&db, chrono::Utc::now(), max).await?;
            println!(
                "Pseudonymised {} acknowledgments; {} still due.",
                report.pseudonymised, report.remaining
            );
            Ok(())
        }
        Command::Token { command } => {
            let db = open_database(&config).await?;
            server::cli::token(&db, command_args(command)).await
        }
        Command::ComplianceRun => {
            let db = open_database(&config).await?;
            let links = app::compliance::engine::Links {
                base_url: config.settings.base_url(config.bind_addr),
            };
            let run = app::compliance::engine::run_job(
                &db,
                &config.settings.compliance,
                &links,
                chrono::Utc::now(),
            )
            .await?;
            println!(
                "Checked {} devices, {} state changes.",
                run.devices, run.transitions
            );
            Ok(())
        }
        Command::SimulateMdm { url, token, limit } => {
            let db = open_database(&config).await?;
            server::cli::simulate_mdm(&db, &url, token, limit).await
        }
        Command::SealEvidence => {
            let db = open_database(&config).await?;
            let n = app::evidence::repo::seal_pending(&db).await?;
            println!("Sealed {n} pending records.");
            Ok(())
        }
        Command::VerifyEvidence { seal } => {
            let db = open_database(&config).await?;
            if seal {
                let n = app::evidence::repo::seal_pending(&db).await?;
                println!("Sealed {n} pending records.");
            }
            let report = app::evidence::repo::verify(&db).await?;
            println!(
                "Entries: {} ({} acknowledgments, {} audit entries, {} compliance transitions); not yet sealed: {}\nHead hash: {}",
                report.entries, report.acknowledgments, report.audit_entries, report.compliance_transitions, report.pending, report.head_hash
            );
            match report.broken {
                None => {
                    println!("OK: the evidence chain is intact.");
                    Ok(())
                }
                Some(b) => {
                    eprintln!(
                        "BROKEN at entry {} ({} {}): {}",
                        b.seq, b.kind, b.ref_id, b.reason
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::ImportOrg { file } => {
            let db = open_database(&config).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match import::import(&db, None, &bytes)
                .await
                .map_err(|e| anyhow::anyhow!("import failed: {e}"))?
            {
                ImportOutcome::Imported { created, updated } => {
                    println!("Imported: {created} created, {updated} updated.");
                    Ok(())
                }
                ImportOutcome::Rejected(errors) => {
                    eprintln!("Nothing was imported. Fix these rows:");
                    for e in errors {
                        eprintln!("  line {}: {}", e.line, e.describe(Locale::En));
                    }
                    std::process::exit(2);
                }
            }
        }
        Command::CreateUser(args) => {
            let db = open_database(&config).await?;
            create_user(&db, &config, args).await
        }
    }
}

async fn create_user(
    db: &app::db::Db,
    config: &Config,
    args: CreateUserArgs,
) -> anyhow::Result<()> {
    let CreateUserArgs {
        email,
        name,
        unit,
        city,
        roles,
        password_env,
    } = args;
    let en = Locale::En;
    let grants = import::parse_roles(&roles.join(";"))
        .map_err(|p| anyhow::anyhow!("--role: {}", p.message(en)))?;
    let (password, generated) = match password_env {
        Some(var) => (
            std::env::var(&var)
                .with_context(|| format!("environment variable {var} is not set"))?,
            false,
        ),
        None => {
            use rand::Rng;
            const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            let mut rng = rand::thread_rng();
            (
                (0..16)
                    .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
                    .collect(),
                true,
            )
        }
    };
    let passwords = PasswordService::new(config.hash_concurrency);
    let account = service::NewAccount {
        email: email.clone(),
        display_name: name,
        unit_code: unit,
        city,
        grants,
        password: password.clone(),
    };
    let id = service::create_account(db, &passwords, account)
        .await
        .map_err(|e| server::cli::cli_error(e, &[]))?;
    println!("Created user {email} (id {}).", id.0);
    if roles.iter().any(|r| r.trim().eq_ignore_ascii_case("admin")) {
        println!("Admin rights apply once they have set up a second factor on 'Mein Profil' (right after the first sign-in).");
    }
    if generated {
        println!("Initial password (shown once): {password}");
    }
    Ok(())
}

fn command_args(c: TokenCommand) -> server::cli::TokenArgs {
    match c {
        TokenCommand::Create { name, scopes } => server::cli::TokenArgs::Create { name, scopes },
        TokenCommand::List => server::cli::TokenArgs::List,
        TokenCommand::Revoke { id } => server::cli::TokenArgs::Revoke(id),
    }
}
