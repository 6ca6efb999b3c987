//! The `warroom` binary: parse the command line, load config and theme, set up logging and
//! the terminal's safety nets, then hand over to the runtime.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use warroom::app::{self, Options};
use warroom::cli::{Cli, Command};
use warroom::config::{Config, LogLevel};
use warroom::paths::Paths;
use warroom::sources::alertmanager::Alertmanager;
use warroom::sources::demo::Scenario;
use warroom::sources::prometheus::{Prometheus, load_sloth};
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
    match console(cli) {
        Ok(code) => ExitCode::from(code),
        Err((code, msg)) => {
            eprintln!("warroom: {msg}");
            ExitCode::from(code)
        }
    }
}

/// The Alertmanager and Prometheus clients the config asks for; SLO specs are read here so
/// a bad spec stops the start with its file and line.
fn live_sources(
    config: &Config,
) -> Result<(Option<Alertmanager>, Option<Prometheus>), (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let am = match &config.alertmanager {
        None => None,
        Some(s) => Some(
            Alertmanager::new(
                s.urls.clone(),
                s.http.clone(),
                s.interval,
                config.severity.clone(),
            )
            .map_err(|e| usage(format!("alertmanager: {e}")))?,
        ),
    };
    let prom = match &config.prometheus {
        None => None,
        Some(s) => {
            let mut slos = Vec::new();
            for path in &config.slo_specs {
                slos.extend(load_sloth(path).map_err(|e| usage(e.to_string()))?);
            }
            for def in &mut slos {
                def.latency_query = config.latency_queries.get(&def.name).cloned();
            }
            let mut p = Prometheus::new(
                &s.urls[0],
                s.http.clone(),
                s.interval,
                slos,
                config.slo_window,
            )
            .map_err(|e| usage(format!("prometheus: {e}")))?;
            p.history = s.history;
            p.step = s.step;
            Some(p)
        }
    };
    Ok((am, prom))
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
    // Live sources (SLO specs, token, CA) are checked before the terminal, so a mistake
    // is reported even when there is none.
    let (alertmanager, prometheus) = if cli.demo {
        (None, None)
    } else {
        live_sources(&config)?
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

    let user = config
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    let opts = Options {
        mode: if cli.demo { Mode::Demo } else { Mode::Live },
        scenario,
        theme,
        keymap: config.keymap,
        read_only: cli.read_only || config.read_only,
        user: warroom::sanitize::escape_truncated(&user, 64),
        alertmanager,
        prometheus,
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
