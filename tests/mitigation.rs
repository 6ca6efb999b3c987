//! The mitigation flow through `update`, with the real gate, a real journal on disk and the
//! demo's simulated cluster: the prompt defaults to No, a typed confirmation is needed on a
//! protected context, the intent is on disk before anything runs, the outcome after.

use std::collections::BTreeMap;

use warroom::exec::gate::{self, GateConfig, Request};
use warroom::exec::plan::Target;
use warroom::exec::sim::{SIM_CONTEXT, SimCluster};
use warroom::incident::{Journal, RecordKind, store};
use warroom::state::mitigation::{ExecDone, GateAnswer};
use warroom::state::{Effect, Event, JournalStatus, Overlay, State, update};

use crate::common::{demo_state, press};

fn demo_gate() -> GateConfig {
    GateConfig {
        region_contexts: [("us-east".to_string(), SIM_CONTEXT.to_string())].into(),
        protected_contexts: vec![SIM_CONTEXT.into()],
        ..GateConfig::default()
    }
}

/// The runtime, in miniature: journal writes go to disk and come back as records, the gate
/// runs for real, kube actions go to the simulated cluster. Returns every `Execute` seen.
struct World {
    journal: Option<Journal>,
    dir: tempfile::TempDir,
    cluster: SimCluster,
    cfg: GateConfig,
    /// Mutating runs (mitigations).
    executed: Vec<Effect>,
    /// Read-only runs (checks).
    checks: Vec<Effect>,
    /// Every stage an action went through, in order: the gate's, then `prompt`,
    /// `intent` (on disk), `execute`, `outcome` (on disk).
    trace: Vec<String>,
}

impl World {
    fn new() -> World {
        World {
            journal: None,
            dir: tempfile::tempdir().unwrap(),
            cluster: SimCluster::demo(),
            cfg: demo_gate(),
            executed: Vec::new(),
            checks: Vec::new(),
            trace: Vec::new(),
        }
    }

    fn perform(&mut self, state: &mut State, effects: Vec<Effect>) {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            let event = match e {
                Effect::OpenIncident { id, opened, by } => {
                    let (mut j, _) = Journal::open(&self.dir.path().join(&id)).unwrap();
                    let r = j.append(state.now, by, opened).unwrap();
                    self.journal = Some(j);
                    update(state, Event::JournalReady(JournalStatus::Writable));
                    Event::Journaled(r)
                }
                Effect::Journal { kind, by } => {
                    let r = self
                        .journal
                        .as_mut()
                        .unwrap()
                        .append(state.now, by, kind)
                        .unwrap();
                    match r.kind {
                        RecordKind::MitigationIntent { .. } => self.trace.push("intent".into()),
                        RecordKind::MitigationOutcome { .. } => self.trace.push("outcome".into()),
                        _ => {}
                    }
                    Event::Journaled(r)
                }
                Effect::Gate {
                    spec,
                    alert,
                    labels,
                    dry_run,
                    read_only,
                } => {
                    let cfg = GateConfig {
                        read_only,
                        ..self.cfg.clone()
                    };
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    // As in the demo: the simulated cluster answers the runbook's PromQL and
                    // kube pre-checks from its state, and says so.
                    let _ = rustls::crypto::ring::default_provider().install_default();
                    let checks = warroom::exec::checks::LiveChecks {
                        kube: None,
                        prometheus: None,
                        simulated: Some(std::sync::Arc::new(std::sync::Mutex::new(
                            self.cluster.clone(),
                        ))),
                    };
                    let mut stages = Vec::new();
                    let result = rt
                        .block_on(gate::gate_traced(
                            &cfg,
                            Request {
                                spec: &spec,
                                alert: alert.as_deref(),
                                labels: &labels,
                                context: SIM_CONTEXT,
                            },
                            &checks,
                            &mut |st| stages.push(format!("{st:?}")),
                        ))
                        .map_err(|r| r.to_string());
                    self.trace.extend(stages);
                    let more = update(
                        state,
                        Event::Gated(Box::new(GateAnswer {
                            dry_run,
                            labels,
                            result,
                        })),
                    );
                    if matches!(state.overlay, Some(Overlay::Mitigation(_))) {
                        self.trace.push("prompt".into());
                    }
                    queue.extend(more);
                    continue;
                }
                Effect::Execute {
                    ref id,
                    ref plan,
                    ref confirmation,
                    dry_run,
                } => {
                    assert!(
                        dry_run
                            || !plan.plan.mutating()
                            || confirmation.as_ref().is_some_and(|c| c.binds(plan)),
                        "a mitigation runs only with a confirmation bound to its plan"
                    );
                    let said = match &plan.plan.target {
                        Target::Kube(action) => vec![self.cluster.apply(action, dry_run).unwrap()],
                        Target::KubeRead(read) => self.cluster.read(read).0,
                        other => panic!("the demo runs kube actions and reads, not {other:?}"),
                    };
                    let id = id.clone();
                    self.trace.push("execute".into());
                    if plan.plan.mutating() {
                        self.executed.push(e);
                    } else {
                        self.checks.push(e);
                    }
                    for line in said {
                        queue.extend(update(state, Event::ExecLine(line)));
                    }
                    Event::ExecDone(ExecDone {
                        id,
                        exit_code: Some(0),
                        duration_ms: 5,
                        outcome: "succeeded".into(),
                        argv: Vec::new(),
                    })
                }
                other => panic!("unexpected effect {other:?}"),
            };
            queue.extend(update(state, event));
        }
    }

    fn journal_types(&self) -> Vec<String> {
        let inc = store::list(self.dir.path());
        let records = store::read_records(&inc[0].dir).unwrap();
        records
            .iter()
            .map(|r| {
                serde_json::to_value(&r.kind).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }
}

fn keys(w: &mut World, s: &mut State, k: &[&str]) {
    for key in k {
        let e = press(s, &[*key]);
        w.perform(s, e);
    }
}

/// Demo at 90 s; ack the payments P1 (opens the incident), back to the catalog alert, open
/// its runbook and walk to "Scale out the catalog".
fn at_the_scale_step() -> (World, State) {
    let mut w = World::new();
    let mut s = demo_state(90);
    keys(
        &mut w,
        &mut s,
        &["j", "a", "k", "enter", "enter", "1", "1", "1"],
    );
    assert!(s.incident_open());
    let rb = &s.runbooks[s.runbook.runbook.unwrap()];
    assert_eq!(
        rb.steps[s.runbook.current_step().unwrap()].anchor,
        "scale-out-the-catalog"
    );
    (w, s)
}

fn replicas(w: &World) -> i32 {
    w.cluster
        .workloads
        .iter()
        .find(|(k, _)| k.2 == "catalog")
        .map(|(_, n)| *n)
        .unwrap()
}

#[test]
fn a_typed_confirmation_runs_the_mitigation_between_its_journal_records() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x"]);
    let Some(Overlay::Mitigation(p)) = &s.overlay else {
        panic!("no prompt: {:?}", s.notice);
    };
    assert_eq!(p.gated.typed.as_deref(), Some("catalog"));
    let shown = p.gated.prompt_lines().join("\n");
    assert!(
        shown.contains("scale deployment/catalog in catalog to 12 replicas"),
        "{shown}"
    );
    assert!(shown.contains("context:   demo-sim"));
    assert!(shown.contains("Does the cluster have room"));
    // A stray Enter does nothing; the prompt stays.
    keys(&mut w, &mut s, &["enter"]);
    assert!(matches!(s.overlay, Some(Overlay::Mitigation(_))));
    // `y` is not the name: it is typed into the input, and Enter with it is No.
    keys(&mut w, &mut s, &["y", "enter"]);
    assert!(s.overlay.is_none());
    assert!(w.executed.is_empty());
    assert_eq!(replicas(&w), 8);
    assert!(!w.journal_types().contains(&"mitigation_intent".to_string()));

    keys(
        &mut w,
        &mut s,
        &["x", "c", "a", "t", "a", "l", "o", "g", "enter"],
    );
    assert_eq!(w.executed.len(), 1);
    assert_eq!(replicas(&w), 12);
    let types = w.journal_types();
    let intent = types.iter().position(|t| t == "mitigation_intent").unwrap();
    let outcome = types
        .iter()
        .position(|t| t == "mitigation_outcome")
        .unwrap();
    assert!(intent < outcome);
    assert!(
        s.exec
            .output
            .iter()
            .any(|l| l.contains("scaled from 8 to 12"))
    );
    assert!(s.exec.running.is_none());
}

#[test]
fn a_mitigation_passes_every_stage_of_the_gate_then_the_prompt_intent_execution_and_outcome() {
    let (mut w, mut s) = at_the_scale_step();
    w.trace.clear();
    keys(&mut w, &mut s, &["x"]);
    keys(
        &mut w,
        &mut s,
        &["c", "a", "t", "a", "l", "o", "g", "enter"],
    );
    assert_eq!(replicas(&w), 12);
    assert_eq!(
        w.trace,
        [
            "ReadOnly",
            "ProtectedContexts",
            "WrongCluster",
            "Template",
            "PreCheck(\"promql sum(kube_node_status_allocatable{resource=\\\"cpu\\\"}) - sum(kube_pod_container_resource_requests{resource=\\\"cpu\\\"}) > 4\")",
            "prompt",
            "intent",
            "execute",
            "outcome",
        ]
    );
}

#[test]
fn the_demos_pre_checks_are_answered_from_the_simulated_cluster_and_can_fail() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x"]);
    let Some(Overlay::Mitigation(p)) = &s.overlay else {
        panic!("no prompt: {:?}", s.notice);
    };
    let shown = p.gated.prompt_lines().join("\n");
    assert!(
        shown.contains("> 4: 1 series (simulated cluster)"),
        "{shown}"
    );
    keys(&mut w, &mut s, &["esc"]);
    // The simulated cluster fills up: 20 catalog pods leave no 4 CPU free.
    for (k, n) in w.cluster.workloads.iter_mut() {
        if k.2 == "catalog" {
            *n = 20;
        }
    }
    keys(&mut w, &mut s, &["x"]);
    assert!(s.overlay.is_none(), "no prompt for a failing pre-check");
    let notice = s
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.starts_with("Pre-check failed: promql sum(kube_node_status_allocatable")
            && notice.ends_with("0 series (simulated cluster)"),
        "{notice}"
    );
    assert!(w.executed.is_empty());
}

#[test]
fn esc_and_other_keys_are_no_and_dry_run_changes_nothing() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x", "esc"]);
    assert!(s.overlay.is_none());
    keys(&mut w, &mut s, &["X"]);
    assert!(matches!(&s.overlay, Some(Overlay::Mitigation(p)) if p.dry_run));
    keys(
        &mut w,
        &mut s,
        &["c", "a", "t", "a", "l", "o", "g", "enter"],
    );
    assert_eq!(w.executed.len(), 1);
    assert_eq!(replicas(&w), 8, "a dry run changes nothing");
    assert!(s.exec.output.iter().any(|l| l.contains("(server dry run)")));
    assert!(!w.journal_types().contains(&"mitigation_intent".to_string()));
}

#[test]
fn read_only_consoles_are_refused_before_any_prompt() {
    let (mut w, mut s) = at_the_scale_step();
    s.read_only = true;
    keys(&mut w, &mut s, &["x"]);
    assert!(s.overlay.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.starts_with("Read-only"))
    );
    assert!(w.executed.is_empty());
}

#[test]
fn injected_labels_are_refused_before_any_prompt_and_nothing_runs() {
    for bad in [
        "catalog; reboot",
        "$(reboot)",
        "`x`",
        "-n",
        "cata\u{200B}log",
        "a\nb",
    ] {
        let (mut w, mut s) = at_the_scale_step();
        let fp = s.alerts.selected_alert().unwrap().fingerprint.clone();
        let mut alerts = s.alerts.alerts.clone();
        for a in &mut alerts {
            if a.fingerprint == fp {
                std::sync::Arc::make_mut(a)
                    .labels
                    .insert("namespace".into(), bad.into());
            }
        }
        let now = s.now;
        let e = update(
            &mut s,
            Event::Alerts {
                source: "demo".into(),
                at: now,
                alerts,
            },
        );
        w.perform(&mut s, e);
        keys(&mut w, &mut s, &["x"]);
        assert!(s.overlay.is_none(), "{bad:?}");
        assert!(
            s.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("refused")),
            "{bad:?}: {:?}",
            s.notice
        );
        assert!(w.executed.is_empty());
    }
}

#[test]
fn a_changed_alert_closes_the_prompt() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x"]);
    assert!(matches!(s.overlay, Some(Overlay::Mitigation(_))));
    let fp = s.alerts.selected_alert().unwrap().fingerprint.clone();
    let mut alerts = s.alerts.alerts.clone();
    for a in &mut alerts {
        if a.fingerprint == fp {
            let labels: &mut warroom::state::Labels = &mut std::sync::Arc::make_mut(a).labels;
            labels.insert("tenant".into(), "globex".into());
        }
    }
    let now = s.now;
    let e = update(
        &mut s,
        Event::Alerts {
            source: "demo".into(),
            at: now,
            alerts,
        },
    );
    w.perform(&mut s, e);
    assert!(s.overlay.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("changed"))
    );
    assert!(w.executed.is_empty());
}

#[test]
fn replayed_or_followed_intents_never_run_anything() {
    let mut s = demo_state(90);
    let record = warroom::incident::Record::new(
        7,
        s.now,
        Some("alice".into()),
        warroom::incident::RecordKind::MitigationIntent {
            id: "m1".into(),
            runbook: "catalog-p99-latency".into(),
            name: "scale-catalog".into(),
            plan: "kube: scale deployment/catalog".into(),
        },
    );
    let effects = update(&mut s, Event::Journaled(record));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute { .. })),
        "{effects:?}"
    );
    assert!(s.exec.running.is_none());
}

/// The demo at 90 s with the payments P1 acked (the incident is open), on the catalog
/// alert's runbook at "Is it real?", whose `catalog-pods` check is `auto=true`.
fn at_is_it_real() -> (World, State) {
    let mut w = World::new();
    let mut s = demo_state(90);
    keys(&mut w, &mut s, &["j", "a", "k", "enter", "enter"]);
    let rb = &s.runbooks[s.runbook.runbook.unwrap()];
    assert_eq!(
        rb.steps[s.runbook.current_step().unwrap()].anchor,
        "is-it-real"
    );
    (w, s)
}

fn auto_runs(w: &World) -> Vec<&Effect> {
    w.checks
        .iter()
        .filter(|e| matches!(e, Effect::Execute { plan, .. } if plan.plan.name == "catalog-pods"))
        .collect()
}

#[test]
fn an_auto_check_runs_once_when_its_step_is_first_shown_and_is_journaled() {
    let (mut w, mut s) = at_is_it_real();
    let runs = auto_runs(&w);
    assert_eq!(runs.len(), 1, "{:?}", w.checks);
    let Effect::Execute { plan, .. } = runs[0] else {
        unreachable!()
    };
    assert!(
        matches!(plan.plan.target, Target::KubeRead(_)),
        "{:?}",
        plan.plan.target
    );
    assert!(
        s.exec
            .output
            .iter()
            .any(|l| l.starts_with("catalog-7d9f8-0")),
        "{:?}",
        s.exec.output
    );
    assert!(w.journal_types().contains(&"check_run".to_string()));
    // Back and forth: the step is shown again, the check does not run again.
    keys(&mut w, &mut s, &["bs", "enter"]);
    assert_eq!(auto_runs(&w).len(), 1);
}

#[test]
fn auto_checks_never_run_on_replay_resume_or_for_a_follower() {
    let (w, _) = at_is_it_real();
    let inc = store::list(w.dir.path());
    let records = store::read_records(&inc[0].dir).unwrap();
    assert!(
        records
            .iter()
            .any(|r| matches!(r.kind, warroom::incident::RecordKind::StepViewed { .. }))
    );
    // Resume: the records are replayed, then the journal becomes writable.
    let mut s = demo_state(90);
    let mut effects = Vec::new();
    for r in &records {
        effects.extend(update(&mut s, Event::Journaled(r.clone())));
    }
    effects.extend(update(&mut s, Event::JournalReady(JournalStatus::Writable)));
    assert!(
        s.runbook.runbook.is_some(),
        "the replay reached the runbook"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Gate { .. } | Effect::Execute { .. })),
        "{effects:?}"
    );
    // A follower: read-only, then each record as it lands.
    let mut f = demo_state(90);
    update(
        &mut f,
        Event::JournalReady(JournalStatus::ReadOnly("following".into())),
    );
    let mut effects = Vec::new();
    for r in &records {
        effects.extend(update(&mut f, Event::Journaled(r.clone())));
    }
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Gate { .. } | Effect::Execute { .. })),
        "{effects:?}"
    );
}

#[test]
fn a_read_only_console_runs_no_auto_check_and_the_gate_refuses_mutating_ones() {
    let mut s = State::new(
        warroom::state::Mode::Demo,
        warroom::keymap::Keymap::default(),
        true,
        demo_state(0).now,
    );
    let demo = demo_state(90);
    s.runbooks = demo.runbooks.clone();
    s.alerts = demo.alerts.clone();
    let effects = press(&mut s, &["enter", "enter"]);
    assert!(s.runbook.runbook.is_some());
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Gate { .. })),
        "{effects:?}"
    );
    // What an automatic run asks the gate for: read-only, so a mutating block is refused.
    let rb = &demo
        .runbooks
        .iter()
        .find(|r| r.id == "catalog-p99-latency")
        .unwrap();
    let block = rb
        .steps
        .iter()
        .flat_map(|st| &st.commands)
        .find(|c| c.name == "scale-catalog")
        .unwrap();
    let spec = warroom::exec::ActionSpec::from_block(rb, block);
    let cfg = GateConfig {
        read_only: true,
        ..demo_gate()
    };
    let labels: BTreeMap<String, String> =
        [("namespace".to_string(), "catalog".to_string())].into();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let r = rt.block_on(gate::gate(
        &cfg,
        Request {
            spec: &spec,
            alert: None,
            labels: &labels,
            context: SIM_CONTEXT,
        },
        &gate::NoPreChecks,
    ));
    assert!(matches!(r, Err(gate::Refusal::ReadOnly(_))), "{r:?}");
}

/// A runbook with one `kind=check` block of this code, `auto=true` on it when `auto`.
fn one_check_runbook(code: &str, shell: bool, auto: bool) -> warroom::runbook::parse::Parsed {
    let attrs = format!(
        "name=probe kind=check{}{}",
        if shell { " shell=true" } else { "" },
        if auto { " auto=true" } else { "" }
    );
    let text = format!(
        "---\nalerts: [CartDown]\nlast_reviewed: 2026-11-01\nlabels: [namespace, pod, node]\n---\n\n# Cart down\n\n## Alert\n\nCart.\n\n## Check\n\n### Is it real?\n\n```sh {{{attrs}}}\n{code}\n```\n\n## Diagnose\n\nLook.\n\n## Mitigate\n\nAct.\n\n## Postmortem\n\nWrite.\n"
    );
    warroom::runbook::parse::parse("cart-down", "cart-down.md", &text).unwrap()
}

/// Checks that are not known to only read: kubectl by a path, behind a wrapper or in a
/// script, other programs, curl that sends. Each is refused by a read-only console's gate
/// (so an automatic run never starts it), and lint refuses `auto=true` on it.
#[test]
fn checks_not_known_to_only_read_are_refused_in_read_only_mode_and_never_auto_run() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let labels: BTreeMap<String, String> = [
        ("namespace".to_string(), "shop".to_string()),
        ("pod".to_string(), "cart-1".to_string()),
        ("node".to_string(), "node-1".to_string()),
    ]
    .into();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (code, shell) in [
        (
            "/usr/bin/kubectl -n {{namespace}} delete pod {{pod}}",
            false,
        ),
        ("env kubectl -n {{namespace}} delete pod {{pod}}", false),
        ("sudo kubectl cordon {{node}}", false),
        ("timeout 5 kubectl -n {{namespace}} get pods", false),
        ("env sh -c 'kubectl delete pod x'", false),
        ("helm -n {{namespace}} rollback cart", false),
        ("curl -X POST http://flags.example/off", false),
        ("curl -fsSd on=0 http://flags.example/", false),
        (
            "kubectl -n {{namespace}} get pods | xargs kubectl delete",
            true,
        ),
        ("kubectl -n {{namespace}} get pods | grep {{pod}}", true),
    ] {
        let parsed = one_check_runbook(code, shell, true);
        let lint = warroom::runbook::lint::lint(&parsed, today);
        assert!(
            lint.iter().any(|d| d.code == "auto-mutating"),
            "{code}: {lint:?}"
        );
        let rb = &parsed.runbook;
        let block = &rb.steps.iter().flat_map(|s| &s.commands).next().unwrap();
        let spec = warroom::exec::ActionSpec::from_block(rb, block);
        let cfg = GateConfig {
            read_only: true,
            ..demo_gate()
        };
        let r = rt.block_on(gate::gate(
            &cfg,
            Request {
                spec: &spec,
                alert: None,
                labels: &labels,
                context: SIM_CONTEXT,
            },
            &gate::NoPreChecks,
        ));
        assert!(
            matches!(r, Err(gate::Refusal::ReadOnly(_))),
            "{code}: {r:?}"
        );
    }
    // What does only read stays a plain check: no lint error, and the gate lets it run.
    for code in [
        "kubectl -n {{namespace}} get pods",
        "/usr/bin/kubectl -n {{namespace}} describe pod {{pod}}",
        "curl -fsS -o /dev/null -w '%{http_code}' https://status.example/healthz",
        "dig +short cart.example",
    ] {
        let parsed = one_check_runbook(code, false, true);
        let lint = warroom::runbook::lint::lint(&parsed, today);
        assert!(lint.is_empty(), "{code}: {lint:?}");
    }
}

/// Types the catalog's name at the open prompt and presses Enter, but returns the effects
/// (the intent record on its way) instead of performing them.
fn confirm_catalog(w: &mut World, s: &mut State) -> Vec<Effect> {
    keys(w, s, &["x", "c", "a", "t", "a", "l", "o", "g"]);
    assert!(matches!(s.overlay, Some(Overlay::Mitigation(_))));
    let effects = press(s, &["enter"]);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Journal {
                kind: warroom::incident::RecordKind::MitigationIntent { .. },
                ..
            }
        )),
        "{effects:?}"
    );
    effects
}

fn last_outcome(w: &World) -> String {
    let inc = store::list(w.dir.path());
    store::read_records(&inc[0].dir)
        .unwrap()
        .iter()
        .rev()
        .find_map(|r| match &r.kind {
            warroom::incident::RecordKind::MitigationOutcome { outcome, .. } => {
                Some(outcome.clone())
            }
            _ => None,
        })
        .unwrap()
}

fn set_label(w: &mut World, s: &mut State, label: &str, value: &str) {
    let fp = s.alerts.selected_alert().unwrap().fingerprint.clone();
    let mut alerts = s.alerts.alerts.clone();
    for a in &mut alerts {
        if a.fingerprint == fp {
            std::sync::Arc::make_mut(a)
                .labels
                .insert(label.into(), value.into());
        }
    }
    let now = s.now;
    let e = update(
        s,
        Event::Alerts {
            source: "demo".into(),
            at: now,
            alerts,
        },
    );
    w.perform(s, e);
}

#[test]
fn a_plan_that_changed_between_the_confirmation_and_its_intent_record_does_not_run() {
    // The alert's namespace changes while the intent is on its way to the disk.
    let (mut w, mut s) = at_the_scale_step();
    let effects = confirm_catalog(&mut w, &mut s);
    set_label(&mut w, &mut s, "namespace", "catalog-b");
    w.perform(&mut s, effects);
    assert!(w.executed.is_empty(), "the changed plan never ran");
    assert_eq!(replicas(&w), 8);
    assert!(
        last_outcome(&w).starts_with("not run: the plan changed"),
        "{}",
        last_outcome(&w)
    );
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("ask again"))
    );
    assert!(!s.exec.busy());

    // The runbook block changes (a reload with another replica count).
    let (mut w, mut s) = at_the_scale_step();
    let effects = confirm_catalog(&mut w, &mut s);
    for rb in &mut s.runbooks {
        for step in &mut rb.steps {
            for c in &mut step.commands {
                if c.name == "scale-catalog" {
                    c.code = c.code.replace("--replicas=12", "--replicas=40");
                }
            }
        }
    }
    w.perform(&mut s, effects);
    assert!(w.executed.is_empty());
    assert!(
        last_outcome(&w).contains("plan changed"),
        "{}",
        last_outcome(&w)
    );

    // The alert resolves meanwhile.
    let (mut w, mut s) = at_the_scale_step();
    let effects = confirm_catalog(&mut w, &mut s);
    let fp = s.alerts.selected_alert().unwrap().fingerprint.clone();
    s.alerts.alerts.retain(|a| a.fingerprint != fp);
    w.perform(&mut s, effects);
    assert!(w.executed.is_empty());
    assert!(
        last_outcome(&w).contains("the alert is gone"),
        "{}",
        last_outcome(&w)
    );

    // A label the plan does not use changes: the plan is the same, so it runs.
    let (mut w, mut s) = at_the_scale_step();
    let effects = confirm_catalog(&mut w, &mut s);
    set_label(&mut w, &mut s, "team", "catalog-2");
    w.perform(&mut s, effects);
    assert_eq!(w.executed.len(), 1);
    assert_eq!(replicas(&w), 12);
}

#[test]
fn an_old_prompt_or_a_runbook_reload_asks_again() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x", "c", "a", "t", "a", "l", "o", "g"]);
    let later = s.now + chrono::Duration::minutes(6);
    update(&mut s, Event::Tick(later));
    keys(&mut w, &mut s, &["enter"]);
    assert!(s.overlay.is_none());
    assert!(w.executed.is_empty());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("too old")),
        "{:?}",
        s.notice
    );
    assert!(!w.journal_types().contains(&"mitigation_intent".to_string()));

    keys(&mut w, &mut s, &["x"]);
    assert!(matches!(s.overlay, Some(Overlay::Mitigation(_))));
    let runbooks = s.runbooks.clone();
    update(&mut s, Event::RunbooksLoaded(runbooks));
    assert!(s.overlay.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("reloaded"))
    );
    assert!(w.executed.is_empty());
}

#[test]
fn a_failed_intent_write_frees_the_console_and_runs_nothing() {
    let (mut w, mut s) = at_the_scale_step();
    let _lost = confirm_catalog(&mut w, &mut s);
    assert!(s.exec.busy());
    update(&mut s, Event::JournalFailed("disk full".into()));
    assert!(!s.exec.busy(), "the console is not busy forever");
    assert!(s.exec.awaiting_intent.is_none());
    assert!(w.executed.is_empty());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("was not run")),
        "{:?}",
        s.notice
    );
}

#[test]
fn esc_at_a_typed_prompt_is_a_plain_no_even_when_the_name_is_empty() {
    let (mut w, mut s) = at_the_scale_step();
    keys(&mut w, &mut s, &["x"]);
    // A target whose name is empty: nothing typed, and no Esc, may confirm it.
    if let Some(Overlay::Mitigation(p)) = &mut s.overlay {
        p.gated.typed = Some(String::new());
    }
    keys(&mut w, &mut s, &["esc"]);
    assert!(s.overlay.is_none());
    assert!(w.executed.is_empty());
    assert!(!w.journal_types().contains(&"mitigation_intent".to_string()));
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Not confirmed"))
    );
}

#[test]
fn intent_ids_stay_unique_across_a_restart_in_the_same_second() {
    let (mut w, mut s) = at_the_scale_step();
    keys(
        &mut w,
        &mut s,
        &["x", "c", "a", "t", "a", "l", "o", "g", "enter"],
    );
    assert_eq!(w.executed.len(), 1);
    // The console restarts at the same second and replays its journal.
    let inc = store::list(w.dir.path());
    let records = store::read_records(&inc[0].dir).unwrap();
    let mut s2 = demo_state(90);
    s2.now = s.now;
    for r in &records {
        update(&mut s2, Event::Journaled(r.clone()));
    }
    update(&mut s2, Event::JournalReady(JournalStatus::Writable));
    // Its counter where the first console's was when it confirmed (an automatic check ran
    // in each): a per-start counter and the time of day would give the same id again.
    s2.exec.next_id = s.exec.next_id - 1;
    assert_eq!(
        s2.current_step_anchor().map(|a| a.1).as_deref(),
        Some("scale-out-the-catalog")
    );
    keys(
        &mut w,
        &mut s2,
        &["x", "c", "a", "t", "a", "l", "o", "g", "enter"],
    );
    let ids: Vec<String> = store::read_records(&inc[0].dir)
        .unwrap()
        .iter()
        .filter_map(|r| match &r.kind {
            warroom::incident::RecordKind::MitigationIntent { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_ne!(ids[0], ids[1]);
}

/// Every command of a step can be run: `c` selects the next one for `x` and `X`, the pane
/// marks it, and the help lists the key.
#[test]
fn the_next_command_key_reaches_every_command_of_a_step() {
    let text = "---\nalerts: [NodeDown]\nlast_reviewed: 2026-11-01\nlabels: [node]\n---\n\n# Node down\n\n## Alert\n\nA node.\n\n## Check\n\nLook.\n\n## Diagnose\n\nLook.\n\n## Mitigate\n\n### Move the pods off\n\n```sh {name=node-pods kind=check}\nkubectl get pods -A --field-selector spec.nodeName={{node}}\n```\n\n```sh {name=cordon-node kind=mitigation}\nkubectl cordon {{node}}\n```\n\n> **Safety:** Is the node really gone?\n\n```sh {name=uncordon-node kind=mitigation}\nkubectl uncordon {{node}}\n```\n\n> **Safety:** Is it back?\n\n## Postmortem\n\nWrite.\n";
    let parsed = warroom::runbook::parse::parse("node-down", "node-down.md", text).unwrap();
    let mut s = demo_state(0);
    s.runbooks = vec![parsed.runbook];
    let labels: BTreeMap<String, String> = [("node".to_string(), "node-1".to_string())].into();
    s.runbook.open(0, None, labels);
    let step = s.runbooks[0]
        .steps
        .iter()
        .position(|st| st.anchor == "move-the-pods-off")
        .unwrap();
    s.runbook.go(step);
    let asked = |s: &mut State, key: &str| -> String {
        let effects = press(s, &[key]);
        s.exec.gating = false;
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Gate { spec, .. } => Some(spec.name.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    // By default the first mitigation, as before.
    assert_eq!(asked(&mut s, "x"), "cordon-node");
    let screen = crate::common::screen(&s, 120, 40);
    assert!(screen.contains("▶ MITIGATION  cordon-node"), "{screen}");
    assert!(screen.contains("c next command"), "{screen}");
    assert_eq!(asked(&mut s, "c"), "");
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("uncordon-node selected"))
    );
    assert_eq!(asked(&mut s, "x"), "uncordon-node");
    assert_eq!(asked(&mut s, "X"), "uncordon-node");
    // Round to the check, then back to the first mitigation.
    asked(&mut s, "c");
    assert_eq!(asked(&mut s, "x"), "node-pods");
    asked(&mut s, "c");
    assert_eq!(asked(&mut s, "x"), "cordon-node");
    assert!(
        warroom::keymap::Action::ALL
            .iter()
            .any(|a| a.config_name() == "next_command")
    );
}
