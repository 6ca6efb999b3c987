//! Lint rules about how a command block runs, checked with the same code the gate uses so
//! that lint and the console never disagree: shell syntax needs `shell=true`, `auto=true`
//! only on read-only checks, and a `kube=` block must hold a manifest the console can act
//! on.

use super::diagnostic::Diagnostic;
use super::model::{CommandKind, PrecheckKind, Runbook};
use crate::exec::{ActionKind, ActionSpec, gate, manifest, template};

pub fn lint(rb: &Runbook, read_only_tools: &[String], d: &mut Vec<Diagnostic>) {
    for step in &rb.steps {
        for c in &step.commands {
            let spec = ActionSpec::from_block(rb, c);
            if c.kube.is_some() {
                if !matches!(c.lang.as_str(), "yaml" | "yml") {
                    d.push(
                        Diagnostic::error(
                            "bad-manifest",
                            c.pos,
                            format!("`{}`: a kube= block holds a YAML manifest", c.name),
                        )
                        .hint("write the manifest in a ```yaml block"),
                    );
                }
                if c.shell {
                    d.push(Diagnostic::error(
                        "bad-manifest",
                        c.pos,
                        format!("`{}`: a manifest does not run through a shell", c.name),
                    ));
                }
                // Every placeholder counts as declared here: undeclared ones have their own rule.
                let all = template::placeholders(&c.code).unwrap_or_default();
                if let Err(e) = manifest::check_template(&c.code, &all) {
                    d.push(
                        Diagnostic::error("bad-manifest", c.pos, format!("`{}`: {e}", c.name))
                            .hint("apiVersion, kind (a Chaos Mesh experiment), metadata.name and metadata.namespace, with the selector in that namespace"),
                    );
                }
            } else if !c.shell
                && matches!(c.kind, CommandKind::Check | CommandKind::Mitigation)
                && let Some(why) = template::needs_shell(&c.code)
            {
                d.push(
                    Diagnostic::error("shell-syntax", c.pos, format!("`{}`: {why}", c.name))
                        .hint("without shell=true a block runs as one command, without a shell"),
                );
            }
            if c.lang != "promql"
                && matches!(c.kind, CommandKind::Check | CommandKind::Mitigation)
                && let Some(why) = gate::kubectl_problem(&spec)
            {
                d.push(
                    Diagnostic::error(
                        "unsupported-kubectl",
                        c.pos,
                        format!("`{}`: the console will refuse it: {why}", c.name),
                    )
                    .hint("changes the console makes: kubectl scale, rollout restart, cordon, uncordon, delete pod, delete a Chaos Mesh experiment, or a kube= manifest; reads: get, describe, logs, top, events, rollout status|history. Write anything else as a plain ``` block without attributes, to run by hand"),
                );
            }
            for p in &c.prechecks {
                if p.kind == PrecheckKind::Command
                    && let Some(why) = template::needs_shell(&p.code)
                {
                    d.push(
                        Diagnostic::error(
                            "shell-syntax",
                            p.pos,
                            format!("pre-check of `{}`: {why}", c.name),
                        )
                        .hint("a pre-check command runs without a shell: write one command"),
                    );
                }
            }
            if c.auto && (spec.kind != ActionKind::Check || c.kind != CommandKind::Check) {
                d.push(
                    Diagnostic::error(
                        "auto-mutating",
                        c.pos,
                        format!(
                            "`{}`: auto=true is only for read-only checks, never a mitigation",
                            c.name
                        ),
                    )
                    .hint("remove auto=true; a mitigation always waits for a person"),
                );
            } else if c.auto && gate::is_mutating(&spec, read_only_tools) {
                d.push(
                    Diagnostic::error(
                        "auto-mutating",
                        c.pos,
                        format!(
                            "`{}`: auto=true on a check that is not known to only read",
                            c.name
                        ),
                    )
                    .hint("a block that runs by itself may only read: kubectl get/describe/logs/..., dig, curl without data, a program in the config's read_only_tools; never a shell block or a wrapper such as env or sudo"),
                );
            }
        }
    }
}
