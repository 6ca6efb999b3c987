//! What `warroom gameday [NAME]` checks before it takes over the terminal: the file (every
//! finding, `file:line:col`), a boundary outside protected contexts, a kubeconfig that has
//! the boundary's context, and Prometheus for the abort condition.

use super::GameDay;
use crate::config::Config;

/// The game-day to run, or why not (a usage error).
pub fn load(config: &Config, demo: bool, name: Option<&str>) -> Result<GameDay, String> {
    if demo {
        let g = super::demo()?;
        return match name {
            Some(n) if n != g.name => Err(format!(
                "the demo plays one game-day, {}; leave out the name or use it",
                g.name
            )),
            _ => Ok(g),
        };
    }
    let dir = config
        .runbooks_dir()
        .map(|d| d.join(super::lint::DIR))
        .ok_or(
            "no runbooks directory: set runbooks_dir in the config, or run where ./runbooks exists",
        )?;
    let Some(name) = name else {
        let names: Vec<String> = super::model::list(&dir)
            .iter()
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
            .collect();
        return Err(format!(
            "name a game-day: warroom gameday NAME (in {}: {})",
            dir.display(),
            if names.is_empty() {
                "none yet".into()
            } else {
                names.join(", ")
            }
        ));
    };
    let path = super::model::find(&dir, name)?;
    let g = super::model::load(&path)?;
    let ctx = &g.boundary.context;
    if config.protected_contexts.iter().any(|c| c == ctx) {
        return Err(format!(
            "{}: the boundary's context {ctx} is protected (config: protected_contexts); game-days never run there",
            g.path
        ));
    }
    if config.prometheus.is_none() {
        return Err(format!(
            "{}: the abort condition is a PromQL query; add a `prometheus:` section with its url to the config",
            g.path
        ));
    }
    match crate::exec::kube::contexts(config.kubeconfig.as_deref()) {
        Ok((names, _)) if !names.iter().any(|n| n == ctx) => Err(format!(
            "{}: the kubeconfig has no context {ctx}, which the boundary names",
            g.path
        )),
        Ok(_) => Ok(g),
        Err(e) => Err(format!("{}: no kubeconfig: {e}", g.path)),
    }
}
