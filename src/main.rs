//! The `warroom` binary: parse the command line, load config and theme, set up logging and
//! the terminal's safety nets, then hand over to the runtime.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use warroom::app::{self, Options};
use warroom::cli::{Cli, Command, LintFormat};
use warroom::config::{Config, LogLevel};
use warroom::paths::Paths;
use warroom::sources::demo::Scenario;
use warroom::state::Mode;
use warroom::{logging, term, theme};

/// Exit code for bad configuration or usage, as opposed to a failure while running.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // kube and reqwest share one rustls provider; it must be chosen before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    if let Some(Command::Completions { shell }) = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "warroom",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Lint {
        paths,
        format,
        deny_warnings,
    }) = &cli.command
    {
        return lint(&cli, paths, *format == LintFormat::Json, *deny_warnings);
    }
    match console(cli) {
        Ok(code) => ExitCode::from(code),
        Err((code, msg)) => {
            eprintln!("warroom: {msg}");
            ExitCode::from(code)
        }
    }
}

/// `warroom lint`: runs before anything touches the terminal.
fn lint(cli: &Cli, paths: &[std::path::PathBuf], json: bool, deny_warnings: bool) -> ExitCode {
    let paths = if paths.is_empty() {
        let config = Config::load(
            cli.config.as_deref(),
            Paths::discover().map(|p| p.config_file()).as_deref(),
        );
        match config.map(|c| c.runbooks_dir()) {
            Ok(Some(dir)) => vec![dir],
            Ok(None) => {
                eprintln!(
                    "warroom: no runbooks directory: name files or directories, set runbooks_dir in the config, or run where ./runbooks exists"
                );
                return ExitCode::from(EXIT_USAGE);
            }
            Err(e) => {
                eprintln!("warroom: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    } else {
        paths.to_vec()
    };
    let today = chrono::Utc::now().date_naive();
    match warroom::runbook::command::run(&paths, json, deny_warnings, today, &mut std::io::stdout())
    {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("warroom: lint: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn console(cli: Cli) -> Result<u8, (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let paths = Paths::discover();
    let config = Config::load(
        cli.config.as_deref(),
        paths.as_ref().map(|p| p.config_file()).as_deref(),
    )
    .map_err(|e| usage(e.to_string()))?;
    let theme_name = cli
        .theme
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let mut theme = theme::load(
        &theme_name,
        paths.as_ref().map(|p| p.themes_dir()).as_deref(),
    )
    .map_err(|e| usage(e.to_string()))?;
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        theme = theme.monochrome();
    }
    let scenario = if cli.demo {
        Some(Scenario::embedded().map_err(|e| (1, e))?)
    } else {
        None
    };
    // Live mode reads the runbooks directory once, before the screen is taken over.
    let (runbooks, runbook_problems) = match (cli.demo, config.runbooks_dir()) {
        (false, Some(dir)) => {
            let (books, problems) =
                warroom::runbook::load::load_dir(&dir, chrono::Utc::now().date_naive());
            (Some(books), problems)
        }
        _ => (None, Vec::new()),
    };
    if !std::io::stdout().is_terminal() {
        return Err(usage(
            "standard output is not a terminal; the console needs one (see `warroom --help`)"
                .into(),
        ));
    }

    let level = cli.log_level.or(config.log_level).unwrap_or(LogLevel::Info);
    let _log_guard = match &paths {
        Some(p) => match logging::init(&p.log_dir(), level) {
            Ok((guard, file)) => {
                tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %file.display(), config = ?config.source, "starting");
                Some(guard)
            }
            Err(e) => {
                eprintln!("warroom: warning: {e}; continuing without a log file");
                None
            }
        },
        None => None,
    };

    for p in &runbook_problems {
        tracing::warn!("runbook: {p}");
    }
    let opts = Options {
        mode: if cli.demo { Mode::Demo } else { Mode::Live },
        scenario,
        theme,
        keymap: config.keymap,
        read_only: cli.read_only || config.read_only,
        runbooks,
        runbook_problems: runbook_problems.len(),
    };
    term::install_panic_hook();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| (1, format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(app::run(opts));
    let _ = term::restore();
    // Producers may be parked on a terminal read; do not wait for them.
    runtime.shutdown_background();
    result.map_err(|e| {
        tracing::error!("{e:#}");
        (1, format!("{e:#}"))
    })
}
