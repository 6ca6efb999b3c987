//! A drill run through the pure `update`, at a clock the test sets: the facilitator's key,
//! guards, phases, the RPO, "what was different", scoring and the log, with the journal
//! played in memory and the runtime's drill effects performed for real on temp files.

use std::path::Path;
use std::time::Duration;

use warroom::drill::{LogEntry, model};
use warroom::incident::{Record, RecordKind};
use warroom::keymap::Keymap;
use warroom::state::drill_flow::{Ask, DrillSetup};
use warroom::state::{Effect, Event, JournalStatus, Mode, Overlay, State, update};

use crate::common::{at, journal_in_memory, key, screen};

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/runbooks/drills/dr-cross-region.yaml"
);

/// A drill console on a copy of the shipped drill, logging into `dir`.
fn console(dir: &Path) -> State {
    let file = dir.join("drills/dr-cross-region.yaml");
    if !file.exists() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::copy(SHIPPED, &file).unwrap();
    }
    let loaded = model::load(&file).unwrap();
    let log = dir.join("drills/drill-log.md");
    let previous = warroom::drill::log::read(&log)
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.drill == "dr-cross-region");
    let mut s = State::new(Mode::Live, Keymap::default(), false, at(0));
    update(
        &mut s,
        Event::RunbooksLoaded(warroom::sources::demo::embedded_runbooks().unwrap()),
    );
    s.user = "fac".into();
    s.drill_setup = Some(Box::new(DrillSetup {
        drill: "dr-cross-region".into(),
        file,
        sha256: loaded.sha256,
        spec: loaded.drill,
        log,
        previous,
    }));
    s.focus = warroom::state::Pane::Drill;
    s
}

/// Plays the journal in memory and performs the drill effects as the runtime would: no
/// Prometheus (the RPO query fails), scoring and the log on the real files.
fn settle(s: &mut State, effects: Vec<Effect>) {
    let mut effects = effects;
    while !effects.is_empty() {
        let rest = journal_in_memory(s, effects);
        effects = Vec::new();
        for e in rest {
            let ev = match e {
                Effect::MeasureRpo { .. } => {
                    Event::RpoQueried(Err("no Prometheus is configured".into()))
                }
                Effect::ScoreDrill(req) => Event::DrillScored {
                    different: req.different.clone(),
                    result: req.score(),
                },
                Effect::AppendDrillLog { path, entry } => Event::DrillLogged(
                    warroom::drill::log::append(&path, &entry).map(|_| "logged".into()),
                ),
                other => panic!("unexpected effect {other:?}"),
            };
            effects.extend(update(s, ev));
        }
    }
}

/// Keys at second `t` of the test clock.
fn press_at(s: &mut State, t: i64, keys: &[&str]) {
    update(s, Event::Tick(at(t)));
    for k in keys {
        let e = update(s, key(k));
        settle(s, e);
    }
}

fn type_text(s: &mut State, t: i64, text: &str) {
    let keys: Vec<String> = text.chars().map(|c| c.to_string()).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    press_at(s, t, &keys);
}

fn records(s: &State) -> Vec<Record> {
    s.incident.as_ref().unwrap().records.clone()
}

/// The whole drill: start at 0, step 1 done at 30, guards 200-230, phase 2 at 235, step 2
/// done at 300, phase 3 at 400 (RPO typed at 420), step 3 done at 450, phase 4 at 500,
/// service restored at 700, "what was different" at 720.
fn full_run(s: &mut State, different: &str) {
    press_at(s, 0, &["p", "y"]);
    press_at(s, 30, &["enter"]);
    press_at(s, 200, &["p"]);
    press_at(s, 210, &["n"]);
    press_at(s, 220, &["n"]);
    press_at(s, 230, &["n"]);
    press_at(s, 235, &["y"]);
    press_at(s, 300, &["enter"]);
    press_at(s, 400, &["p", "y"]);
    type_text(s, 420, "42s");
    press_at(s, 420, &["enter"]);
    press_at(s, 450, &["enter"]);
    press_at(s, 500, &["p", "y"]);
    press_at(s, 700, &["p", "y"]);
    type_text(s, 720, different);
    press_at(s, 720, &["enter"]);
}

/// The journal of a whole drill run, scored (its journal resolved), as a console writes it.
pub fn scored_run(different: &str) -> (String, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    full_run(&mut s, different);
    assert!(!s.incident_open());
    (s.incident.as_ref().unwrap().id.clone(), records(&s))
}

#[test]
fn a_whole_drill_is_scored_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    assert!(screen(&s, 120, 40).contains("NOT STARTED"));
    press_at(&mut s, 0, &["p"]);
    assert!(matches!(s.overlay, Some(Overlay::Confirm { .. })));
    press_at(&mut s, 0, &["y"]);
    let d = s.drill.as_ref().unwrap();
    assert_eq!(
        d.clock.current_phase(),
        Some(0),
        "phase 1 starts with the drill"
    );
    assert_eq!(
        d.waiting_on.as_deref(),
        Some("step dr-region-failover#is-the-region-really-lost")
    );
    // The Runbook pane shows the phase's step, placeholders filled from the drill file.
    let step = s.current_step_anchor().unwrap();
    assert_eq!(step.1, "is-the-region-really-lost");
    assert_eq!(
        s.runbook.labels.get("region").map(String::as_str),
        Some("us-east")
    );

    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p"]);
    assert!(
        matches!(s.overlay, Some(Overlay::Guards(_))),
        "guards before phase 2"
    );
    // Enter is no answer: a guard needs y or n.
    press_at(&mut s, 205, &["enter"]);
    assert!(matches!(s.overlay, Some(Overlay::Guards(f)) if f.next == 0));
    press_at(&mut s, 210, &["n"]);
    press_at(&mut s, 220, &["n"]);
    press_at(&mut s, 230, &["n"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::Confirm { title, .. }) if title == "Start phase 2?")
    );
    press_at(&mut s, 235, &["y"]);
    assert_eq!(s.current_step_anchor().unwrap().1, "fail-over-dns");
    press_at(&mut s, 300, &["enter"]);
    press_at(&mut s, 400, &["p", "y"]);
    // Start of phase 3: the RPO query fails without Prometheus, so the facilitator is asked.
    assert!(
        matches!(&s.overlay, Some(Overlay::DrillInput(a)) if a.ask == Ask::Rpo),
        "{:?}",
        s.overlay
    );
    type_text(&mut s, 420, "soon");
    press_at(&mut s, 420, &["enter"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::DrillInput(a)) if a.input.error.as_deref().is_some_and(|e| e.contains("not a duration")))
    );
    press_at(&mut s, 420, &["ctrl-u"]);
    type_text(&mut s, 420, "42s");
    press_at(&mut s, 420, &["enter"]);
    let rpo = s.drill.as_ref().unwrap().rpo.clone().unwrap();
    assert_eq!(rpo.value, Duration::from_secs(42));
    assert_eq!(rpo.source, "facilitator");
    assert_eq!(
        rpo.measured_at,
        at(400),
        "measured for the start of phase 3"
    );
    assert!(rpo.note.unwrap().contains("no Prometheus"));
    press_at(&mut s, 450, &["enter"]);
    press_at(&mut s, 500, &["p", "y"]);
    press_at(&mut s, 700, &["p"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::Confirm { title, .. }) if title == "Service restored?")
    );
    press_at(&mut s, 700, &["y"]);
    // The clock has stopped; "what was different" is required.
    assert!(matches!(&s.overlay, Some(Overlay::DrillInput(a)) if a.ask == Ask::Different));
    press_at(&mut s, 720, &["enter"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::DrillInput(a)) if a.input.error.as_deref().is_some_and(|e| e.starts_with("Required")))
    );
    type_text(&mut s, 720, "one responder instead of three");
    press_at(&mut s, 720, &["enter"]);

    let d = s.drill.as_ref().unwrap();
    let (different, score) = d.finished.clone().unwrap();
    assert_eq!(different, "one responder instead of three");
    assert_eq!(score.rto_s, 700);
    // Human: 0-30 step 1, 200-230 guards, 230-235 "Start phase 2?", 235-300 step 2,
    // 400-450 step 3, 500-700 step 4.
    assert_eq!(score.human_s, 30 + 30 + 5 + 65 + 50 + 200);
    assert_eq!(score.machine_s, 700 - 380);
    assert_eq!(score.rpo_s, Some(42.0));
    assert!(score.passed && !score.theatrical && !score.file_changed);
    assert!(score.relaxed.is_empty() && score.previous_human_s.is_none());
    assert!(
        !s.incident_open(),
        "the run's journal is closed by its score"
    );

    let text = screen(&s, 120, 40);
    assert!(text.contains("DRILL PASSED"), "{text}");
    assert!(text.contains("RTO 11:40 / 30:00 PASS"), "{text}");
    assert!(text.contains("RPO 00:42 / 05:00 PASS"), "{text}");
    // The clock has stopped: the budget used, not a budget left.
    assert!(text.contains("RTO used 11:40 of 30:00"), "{text}");
    assert!(!text.contains("RTO left"), "{text}");

    let log = std::fs::read_to_string(dir.path().join("drills/drill-log.md")).unwrap();
    for line in [
        "[00:00] DRILL STARTED Cross-region DR failover us-east → us-west (dr-cross-region): RTO target 30:00, RPO target 05:00",
        "[03:30] GUARD phase 2: Has the provider given an ETA under 30 minutes for the region? no: proceed",
        "[03:55] PHASE 1 done in 03:55 / 05:00 ON TIME",
        "[03:55] PHASE 2 DNS failover",
        "[07:00] RPO 00:42 (facilitator)",
        "[11:40] SERVICE RESTORED",
        "[11:40] DRILL PASSED\n        RTO 11:40 / 30:00 PASS · RPO 00:42 / 05:00 PASS\n",
        "- rto: 11m 40s",
        "- human_action_time: 6m 20s",
        "- previous_human_action_time: none",
        "- different: one responder instead of three",
        "- banners: none",
    ] {
        assert!(log.contains(line), "missing {line:?} in\n{log}");
    }
    let entries = warroom::drill::log::read(&dir.path().join("drills/drill-log.md")).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].run, d.run.clone().unwrap());
}

#[test]
fn a_guard_that_says_stop_blocks_the_phase_until_answered_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 100, &["p", "n", "y"]);
    // "Is only one availability zone affected?" yes: do not proceed.
    assert!(s.overlay.is_none());
    let d = s.drill.as_ref().unwrap();
    assert_eq!(d.clock.current_phase(), Some(0), "phase 2 did not start");
    assert_eq!(d.guards(1), warroom::state::drill::Guards::Blocked(1));
    assert!(screen(&s, 120, 40).contains("PHASE 2 BLOCKED: do not proceed"));
    assert!(records(&s).iter().any(|r| matches!(
        &r.kind,
        RecordKind::GuardAnswered {
            guard: 2,
            proceed: false,
            ..
        }
    )));
    // Later the picture changes: the guards are asked again from the first.
    press_at(&mut s, 160, &["p", "n", "n", "n", "y"]);
    assert_eq!(s.drill.as_ref().unwrap().clock.current_phase(), Some(1));
}

#[test]
fn human_time_counts_only_what_was_put_to_a_human() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 40, &["enter"]);
    update(&mut s, Event::Tick(at(100)));
    let c = &s.drill.as_ref().unwrap().clock;
    assert_eq!(c.human_time(s.now), Duration::from_secs(40));
    assert_eq!(c.machine_time(s.now), Duration::from_secs(60));
    // Enter with nothing waiting changes nothing.
    press_at(&mut s, 110, &["enter"]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("Nothing is waiting")
    );
    // The guards (120-150) and "Start phase 2?" (150-160) wait on a human; the phase
    // starting answers them.
    press_at(&mut s, 120, &["p"]);
    press_at(&mut s, 150, &["n", "n", "n"]);
    press_at(&mut s, 160, &["y"]);
    let c = &s.drill.as_ref().unwrap().clock;
    assert_eq!(c.human_time(at(160)), Duration::from_secs(40 + 30 + 10));
    assert_eq!(
        c.human_time(at(190)),
        Duration::from_secs(40 + 30 + 10 + 30),
        "phase 2's step is now waiting on a human"
    );
}

/// Pre-checks that all pass, so the gate puts the plan to the prompt.
struct AllPass;

impl warroom::exec::gate::PreChecks for AllPass {
    async fn run(
        &self,
        check: &warroom::exec::PreCheck,
        _plan: &warroom::exec::plan::Plan,
        _labels: &std::collections::BTreeMap<String, String>,
    ) -> warroom::exec::gate::CheckResult {
        warroom::exec::gate::CheckResult {
            check: warroom::exec::plan::describe_check(check),
            ok: true,
            detail: "ok".into(),
        }
    }
}

/// Like [`settle`], and the gate answers for real (pre-checks pass); a command started is
/// left running: its id is returned, and the test ends it when its clock says.
fn settle_commands(s: &mut State, effects: Vec<Effect>) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut started = Vec::new();
    let mut effects = effects;
    while !effects.is_empty() {
        let rest = journal_in_memory(s, effects);
        effects = Vec::new();
        let mut others = Vec::new();
        for e in rest {
            match e {
                Effect::Gate {
                    spec,
                    alert,
                    labels,
                    dry_run,
                    read_only,
                } => {
                    // The drill's labels name cluster pg-main.
                    let cfg = warroom::exec::gate::GateConfig {
                        read_only,
                        region_contexts: [("pg-main".to_string(), "prod-us-west".to_string())]
                            .into(),
                        ..Default::default()
                    };
                    let req = warroom::exec::gate::Request {
                        spec: &spec,
                        alert: alert.as_deref(),
                        labels: &labels,
                        context: "prod-us-west",
                    };
                    let result = rt
                        .block_on(warroom::exec::gate::gate(&cfg, req, &AllPass))
                        .map_err(|r| r.to_string());
                    let answer = warroom::state::mitigation::GateAnswer {
                        dry_run,
                        labels,
                        result,
                    };
                    effects.extend(update(s, Event::Gated(Box::new(answer))));
                }
                Effect::Execute { id, .. } => started.push(id),
                other => others.push(other),
            }
        }
        settle(s, others);
    }
    started
}

/// The command `id` ends at second `t`.
fn command_done(s: &mut State, t: i64, id: &str) -> Vec<String> {
    update(s, Event::Tick(at(t)));
    let e = update(
        s,
        Event::ExecDone(warroom::state::mitigation::ExecDone {
            id: id.into(),
            exit_code: Some(0),
            duration_ms: 1000,
            outcome: "succeeded".into(),
            argv: Vec::new(),
        }),
    );
    settle_commands(s, e)
}

fn keys_at(s: &mut State, t: i64, keys: &[&str]) -> Vec<String> {
    update(s, Event::Tick(at(t)));
    let mut started = Vec::new();
    for k in keys {
        let e = update(s, key(k));
        started.extend(settle_commands(s, e));
    }
    started
}

fn waits(s: &State) -> Vec<(i64, String)> {
    records(s)
        .iter()
        .filter_map(|r| {
            let t = (r.at - at(0)).num_seconds();
            match &r.kind {
                RecordKind::HumanPrompted { what } => Some((t, format!("prompted {what}"))),
                RecordKind::HumanAnswered { what } => Some((t, format!("answered {what}"))),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn confirmations_are_human_time_and_a_confirmed_command_runs_on_machine_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    keys_at(&mut s, 0, &["p", "y"]);
    // Phase 1's check, asked for at 30: it runs at once (read-only), ending the step's wait.
    let ids = keys_at(&mut s, 30, &["x"]);
    assert_eq!(ids.len(), 1, "{:?}", s.notice);
    assert!(command_done(&mut s, 50, &ids[0]).is_empty());
    // Its output waits on the human until they move on: guards 60-80, "Start phase 2?" 85.
    keys_at(&mut s, 60, &["p"]);
    keys_at(&mut s, 80, &["n", "n", "n"]);
    keys_at(&mut s, 85, &["y"]);
    // Phase 2's mitigation: its typed confirmation is part of the step's wait, which the
    // confirmed intent ends; the run itself (110-200) is machine time.
    keys_at(&mut s, 100, &["x"]);
    let typed = match &s.overlay {
        Some(Overlay::Mitigation(p)) => p.gated.typed.clone().unwrap_or_else(|| "y".into()),
        other => panic!("no prompt: {other:?} {:?}", s.notice),
    };
    let keys: Vec<String> = typed.chars().map(|c| c.to_string()).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys_at(&mut s, 105, &keys);
    let ids = keys_at(&mut s, 110, &["enter"]);
    assert_eq!(ids.len(), 1, "the confirmed mitigation runs");
    let c = &s.drill.as_ref().unwrap().clock;
    assert_eq!(c.human_time(at(199)), Duration::from_secs(30 + 35 + 25));
    command_done(&mut s, 200, &ids[0]);
    keys_at(&mut s, 230, &["enter"]);
    // Nothing open: a command's prompt is a wait of its own, and turning it down ends it.
    // (The phase's one command has run: x on the Runbook pane runs the step's again.)
    s.focus = warroom::state::Pane::Runbook;
    keys_at(&mut s, 240, &["x"]);
    assert!(matches!(s.overlay, Some(Overlay::Mitigation(_))));
    keys_at(&mut s, 250, &["esc"]);
    // "Start phase 3?" is a wait too, answered by n...
    keys_at(&mut s, 260, &["p"]);
    keys_at(&mut s, 270, &["n"]);
    // ...or by y, which starts the phase.
    keys_at(&mut s, 300, &["p"]);
    keys_at(&mut s, 305, &["y"]);
    assert_eq!(
        waits(&s),
        vec![
            (
                0,
                "prompted step dr-region-failover#is-the-region-really-lost".to_string()
            ),
            (
                30,
                "answered step dr-region-failover#is-the-region-really-lost".into()
            ),
            (50, "prompted output of probe-from-outside".into()),
            (85, "answered output of probe-from-outside".into()),
            (85, "prompted step dr-region-failover#fail-over-dns".into()),
            (110, "answered step dr-region-failover#fail-over-dns".into()),
            (200, "prompted output of dns-failover".into()),
            (230, "answered output of dns-failover".into()),
            (240, "prompted confirm dns-failover".into()),
            (250, "answered confirm dns-failover".into()),
            (260, "prompted confirm phase 3".into()),
            (270, "answered confirm phase 3".into()),
            (300, "prompted confirm phase 3".into()),
            (305, "answered confirm phase 3".into()),
            (
                305,
                "prompted step dr-region-failover#promote-the-dr-database".into()
            ),
        ]
    );
    let c = &s.drill.as_ref().unwrap().clock;
    let human = 30 + 35 + 25 + 30 + 10 + 10 + 5;
    assert_eq!(c.human_time(at(305)), Duration::from_secs(human));
    assert_eq!(c.machine_time(at(305)), Duration::from_secs(305 - human));
}

#[test]
fn a_phase_runs_the_commands_it_names_through_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p", "n", "n", "n", "y"]);
    let text = screen(&s, 120, 40);
    assert!(
        text.contains("Commands dns-failover next · x runs the next"),
        "{text}"
    );
    // x on the Drill pane: the phase's command, through the gate and its prompt.
    keys_at(&mut s, 230, &["x"]);
    let typed = match &s.overlay {
        Some(Overlay::Mitigation(p)) => {
            assert_eq!(p.gated.plan.name, "dns-failover");
            p.gated.typed.clone().unwrap_or_else(|| "y".into())
        }
        other => panic!("no prompt: {other:?} {:?}", s.notice),
    };
    let keys: Vec<String> = typed.chars().map(|c| c.to_string()).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys_at(&mut s, 232, &keys);
    let ids = keys_at(&mut s, 233, &["enter"]);
    assert_eq!(ids.len(), 1);
    command_done(&mut s, 240, &ids[0]);
    assert!(screen(&s, 120, 40).contains("Commands dns-failover done"));
    // Every command has run: x says so and starts nothing.
    assert!(keys_at(&mut s, 250, &["x"]).is_empty());
    let notice = s.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("Every command of phase 2 has run"),
        "{notice}"
    );
    // Phase 4's check runs at once and is recorded, and marked as run.
    press_at(&mut s, 300, &["enter"]);
    press_at(&mut s, 400, &["p", "y"]);
    type_text(&mut s, 420, "42s");
    press_at(&mut s, 420, &["enter"]);
    press_at(&mut s, 450, &["enter"]);
    press_at(&mut s, 500, &["p", "y"]);
    let ids = keys_at(&mut s, 510, &["x"]);
    assert_eq!(ids.len(), 1, "{:?}", s.notice);
    command_done(&mut s, 515, &ids[0]);
    assert!(records(&s).iter().any(|r| matches!(&r.kind,
        RecordKind::CheckRun { name, .. } if name == "dr-health")));
    assert!(screen(&s, 120, 40).contains("Commands dr-health done"));
}

#[test]
fn nothing_different_twice_is_theatre_and_relaxed_targets_and_edits_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = console(dir.path());
    full_run(&mut first, "Nothing.");
    assert!(
        !first
            .drill
            .as_ref()
            .unwrap()
            .finished
            .as_ref()
            .unwrap()
            .1
            .theatrical
    );

    // The next drill: targets quietly loosened in the file, then edited again mid-drill.
    let file = dir.path().join("drills/dr-cross-region.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("rto: 30m", "rto: 45m")).unwrap();
    let mut second = console(dir.path());
    assert!(screen(&second, 120, 40).contains("Previous drill"));
    let b = 86_400; // the next day
    press_at(&mut second, b, &["p", "y"]);
    std::fs::write(&file, text.replace("rto: 30m", "rto: 50m")).unwrap();
    press_at(&mut second, b + 30, &["enter"]);
    press_at(&mut second, b + 200, &["p", "n", "n", "n", "y"]);
    press_at(&mut second, b + 400, &["p", "y"]);
    type_text(&mut second, b + 420, "42s");
    press_at(&mut second, b + 420, &["enter"]);
    press_at(&mut second, b + 500, &["p", "y"]);
    press_at(&mut second, b + 700, &["p", "y"]);
    type_text(&mut second, b + 720, "nothing");
    press_at(&mut second, b + 720, &["enter"]);

    let score = second.drill.as_ref().unwrap().finished.clone().unwrap().1;
    assert!(score.theatrical, "nothing, twice");
    assert_eq!(score.relaxed, vec!["RTO 30:00 → 45:00".to_string()]);
    assert!(score.file_changed);
    assert_eq!(score.previous_human_s, Some(380));
    let text = screen(&second, 120, 40);
    for banner in [
        "⚠ THEATRICAL DRILL",
        "⚠ TARGETS RELAXED (RTO 30:00 → 45:00)",
        "⚠ DRILL FILE CHANGED",
    ] {
        assert!(text.contains(banner), "{banner} in\n{text}");
    }
    let entries: Vec<LogEntry> =
        warroom::drill::log::read(&dir.path().join("drills/drill-log.md")).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[1].banners,
        vec![
            "THEATRICAL DRILL".to_string(),
            "TARGETS RELAXED (RTO 30:00 → 45:00)".into(),
            "DRILL FILE CHANGED".into()
        ]
    );
    assert_eq!(entries[1].previous_human, Some(Duration::from_secs(380)));
}

#[test]
fn a_replayed_run_has_the_same_clock_and_picks_up_where_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p", "n", "n", "n", "y"]);
    press_at(&mut s, 400, &["p", "y"]);
    // Killed while the RPO prompt was open.
    let journal = records(&s);

    let mut resumed = console(dir.path());
    update(&mut resumed, Event::Tick(at(460)));
    for r in &journal {
        assert!(
            update(&mut resumed, Event::Journaled(r.clone())).is_empty(),
            "replay asks nothing"
        );
    }
    let effects = update(&mut resumed, Event::JournalReady(JournalStatus::Writable));
    let d = resumed.drill.as_ref().unwrap();
    assert_eq!(
        d.clock.injected_at,
        at(0),
        "T+0 from the journal, not the restart"
    );
    assert_eq!(d.clock.elapsed(resumed.now), Duration::from_secs(460));
    assert_eq!(d.clock.current_phase(), Some(2));
    assert!(shows_t_plus(&screen(&resumed, 120, 40), "07:40"));
    // The RPO is still owed: the query is tried again.
    assert!(
        matches!(effects.as_slice(), [Effect::MeasureRpo { at: t, .. }] if *t == at(400)),
        "{effects:?}"
    );
    settle(&mut resumed, effects);
    assert!(matches!(&resumed.overlay, Some(Overlay::DrillInput(a)) if a.ask == Ask::Rpo));
}

/// Whether a line shows `T+` followed by `figure`, however far apart the column puts them.
fn shows_t_plus(text: &str, figure: &str) -> bool {
    text.lines().any(|l| {
        l.split_once("T+ ")
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(figure))
    })
}

#[test]
fn a_follower_sees_the_drill_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    let mut f = State::new(Mode::Live, Keymap::default(), false, at(0));
    update(
        &mut f,
        Event::RunbooksLoaded(warroom::sources::demo::embedded_runbooks().unwrap()),
    );
    for r in records(&s) {
        update(&mut f, Event::Journaled(r));
    }
    update(
        &mut f,
        Event::JournalReady(JournalStatus::ReadOnly("following".into())),
    );
    update(&mut f, Event::Tick(at(65)));
    let text = screen(&f, 80, 24);
    assert!(shows_t_plus(&text, "01:05"), "{text}");
    // The drill console's layout: the clock pane first and focused, the phase against its
    // target, what waits on a human, and the status bar saying this console follows.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("\"┏ ▶ Drill clock ━"), "{text}");
    assert!(
        text.contains("┃PHASE 1/4    01:05 / 05:00 ON TIME · Confirm region loss"),
        "{text}"
    );
    assert!(
        text.contains("┃WAITING ON HUMAN: step #is-the-region-really-lost"),
        "{text}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("\" LIVE   DRILL   FOLLOWING "),
        "{text}"
    );
    let e = update(&mut f, key("p"));
    assert!(e.is_empty());
    assert!(f.notice.as_ref().unwrap().text.starts_with("Read-only"));
}

#[test]
fn the_drill_console_screens() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p", "n"]);
    update(&mut s, Event::Tick(at(212)));
    let dir_name = dir.path().display().to_string();
    let redact = |t: String| t.replace(&dir_name, "[tmp]");
    insta::assert_snapshot!("drill_console_guards_120x40", redact(screen(&s, 120, 40)));
    press_at(&mut s, 220, &["n", "n", "y"]);
    update(&mut s, Event::Tick(at(290)));
    insta::assert_snapshot!("drill_console_phase2_80x24", redact(screen(&s, 80, 24)));
}

/// The drill console draws at every size from 1x1 up, with its overlays open.
#[test]
fn the_drill_console_draws_at_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut states = vec![console(dir.path())];
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 10, &["p"]);
    states.push(s.clone());
    press_at(&mut s, 20, &["n", "n", "n", "y", "p", "y"]);
    states.push(s.clone());
    full_run(&mut console(tempfile::tempdir().unwrap().path()), "x");
    let mut done = console(tempfile::tempdir().unwrap().path());
    full_run(&mut done, "nothing");
    states.push(done);
    for s in &states {
        for w in (1..=130).step_by(9).chain([40, 79, 80, 99, 100, 120]) {
            for h in (1..=45).step_by(5).chain([12, 22, 23, 24]) {
                let t = crate::common::render(s, w, h);
                assert_eq!(t.backend().buffer().area.height, h);
            }
        }
    }
}

/// A Prometheus that answers every instant query with the fixture; the requests it saw.
async fn fake_prometheus() -> (
    warroom::sources::prometheus::Prometheus,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body = include_str!("fixtures/prom_query_instant_at_time.json");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (seen_tx, seen) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = c.read(&mut buf).await.unwrap_or(0);
            let _ = seen_tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = c.write_all(resp.as_bytes()).await;
        }
    });
    let prom = warroom::sources::prometheus::Prometheus::new(
        &url,
        warroom::sources::http::HttpSettings::default(),
        Duration::from_secs(30),
        Vec::new(),
        Duration::from_secs(30 * 86_400),
    )
    .unwrap();
    (prom, seen)
}

/// The value in the fixture.
const FIXTURE_RPO: f64 = 670.845_614_035_087_7;

/// The runtime's RPO query: the first value Prometheus answers at the moment, or why not.
#[tokio::test]
async fn the_rpo_query_reads_prometheus_at_the_moment() {
    let (prom, mut seen) = fake_prometheus().await;
    let q = "max(cnpg_pg_replication_lag{namespace=\"db\"})";
    let v = warroom::app::measure_rpo(Some(&prom), q, at(400))
        .await
        .unwrap();
    assert!((v - FIXTURE_RPO).abs() < 1e-9, "{v}");
    let request = seen.recv().await.unwrap();
    let expected_time = format!("time={}.000", at(400).timestamp());
    assert!(
        request.contains(&expected_time),
        "evaluated at the moment: {request}"
    );
    assert!(request.contains("cnpg_pg_replication_lag"), "{request}");
    let none = warroom::app::measure_rpo(None, q, at(400))
        .await
        .unwrap_err();
    assert_eq!(none, "no Prometheus is configured");
}

/// The drill console's RPO through Prometheus: at the start of phase 3 the query runs for
/// that moment, its answer is recorded as measured by the query, and no one is asked.
#[tokio::test]
async fn the_drill_records_the_rpo_prometheus_answers() {
    let (prom, mut seen) = fake_prometheus().await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p", "n", "n", "n", "y"]);
    press_at(&mut s, 300, &["enter"]);
    update(&mut s, Event::Tick(at(400)));
    let mut effects = update(&mut s, key("p"));
    effects.extend(update(&mut s, key("y")));
    // The phase starts; its record landing asks Prometheus, answered 3 s later.
    let mut queried = Vec::new();
    while !effects.is_empty() {
        let rest = journal_in_memory(&mut s, effects);
        effects = Vec::new();
        for e in rest {
            match e {
                Effect::MeasureRpo { query, at: moment } => {
                    queried.push(moment);
                    let result = warroom::app::measure_rpo(Some(&prom), &query, moment).await;
                    update(&mut s, Event::Tick(at(403)));
                    effects.extend(update(&mut s, Event::RpoQueried(result)));
                }
                other => panic!("unexpected effect {other:?}"),
            }
        }
    }
    assert_eq!(
        queried,
        vec![at(400)],
        "queried once, for the start of phase 3"
    );
    let request = seen.recv().await.unwrap();
    assert!(
        request.contains(&format!("time={}.000", at(400).timestamp())),
        "{request}"
    );
    assert!(s.overlay.is_none(), "nobody is asked: {:?}", s.overlay);
    let rpo = s.drill.as_ref().unwrap().rpo.clone().unwrap();
    assert_eq!(rpo.source, "query");
    assert_eq!(rpo.measured_at, at(400));
    assert!(
        (rpo.value.as_secs_f64() - FIXTURE_RPO).abs() < 1e-6,
        "{rpo:?}"
    );
    assert!(rpo.note.is_none());
    let recorded = records(&s)
        .into_iter()
        .find_map(|r| match r.kind {
            RecordKind::RpoMeasured {
                seconds,
                source,
                measured_at,
                query,
                ..
            } => Some((r.at, seconds, source, measured_at, query)),
            _ => None,
        })
        .unwrap();
    assert_eq!(recorded.0, at(403), "recorded when the answer came");
    assert!((recorded.1 - FIXTURE_RPO).abs() < 1e-9);
    assert_eq!(recorded.2, "query");
    assert_eq!(recorded.3, at(400));
    assert_eq!(
        recorded.4.as_deref(),
        Some("max(cnpg_pg_replication_lag{namespace=\"db\", cluster=\"pg-main\"})")
    );
    // 11:10 of data lost against a 5-minute target.
    let text = screen(&s, 120, 40);
    assert!(text.contains("RPO 11:10"), "{text}");
}

#[test]
fn an_abandoned_drill_stops_its_clock_is_logged_as_abandoned_and_never_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    press_at(&mut s, 200, &["p", "n", "n", "n", "y"]);
    let before = records(&s).len();
    // A reason is required, and the question after it defaults to No.
    press_at(&mut s, 250, &["A"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::DrillInput(a)) if a.ask == Ask::AbandonDrill),
        "{:?}",
        s.overlay
    );
    press_at(&mut s, 251, &["enter"]);
    match &s.overlay {
        Some(Overlay::DrillInput(a)) => {
            assert!(a.input.error.as_deref().unwrap().starts_with("Required"))
        }
        other => panic!("{other:?}"),
    }
    type_text(&mut s, 255, "the DR region lost power too");
    press_at(&mut s, 256, &["enter"]);
    assert!(
        matches!(&s.overlay, Some(Overlay::Confirm { title, .. }) if title == "Abandon the drill?")
    );
    press_at(&mut s, 257, &["enter"]);
    assert!(s.overlay.is_some(), "enter alone answers nothing");
    press_at(&mut s, 258, &["n"]);
    assert_eq!(records(&s).len(), before, "No abandons nothing");
    assert!(s.drill.as_ref().unwrap().clock.is_running());

    press_at(&mut s, 300, &["A"]);
    type_text(&mut s, 301, "the DR region lost power too");
    press_at(&mut s, 302, &["enter"]);
    press_at(&mut s, 310, &["y"]);
    let d = s.drill.as_ref().unwrap();
    assert_eq!(d.abandoned.as_deref(), Some("the DR region lost power too"));
    assert!(!d.clock.is_running(), "the clock stopped");
    assert_eq!(d.clock.elapsed(at(999)), Duration::from_secs(310));
    assert!(d.finished.is_none(), "not scored");
    assert!(!s.incident_open(), "the run's journal is closed");
    assert!(records(&s).iter().any(|r| matches!(&r.kind,
        RecordKind::DrillAbandoned { reason } if reason == "the DR region lost power too")));
    let text = screen(&s, 120, 40);
    assert!(text.contains("DRILL ABANDONED · not scored"), "{text}");
    assert!(!text.contains("PASSED"), "{text}");

    // The log says ABANDONED, and an abandoned run is never "the previous drill".
    let log = dir.path().join("drills/drill-log.md");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("· ABANDONED\n"), "{text}");
    assert!(text.contains("- result: ABANDONED\n"), "{text}");
    assert!(
        text.contains("DRILL ABANDONED: the DR region lost power too"),
        "{text}"
    );
    let entries = warroom::drill::log::read(&log).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].abandoned && !entries[0].passed);
    assert_eq!(entries[0].rto, Duration::from_secs(310));
    assert_eq!(
        warroom::drill::log::previous(&entries, "dr-cross-region", "drill-next"),
        None
    );
    // p and A do nothing more.
    press_at(&mut s, 320, &["p"]);
    assert!(s.notice.as_ref().unwrap().text.contains("abandoned"));
    assert!(update(&mut s, key("A")).is_empty());
    assert!(s.overlay.is_none());

    // On disk the run is over: `warroom drill` does not resume it, and a replay of it
    // asks nothing.
    let root = dir.path().join("incidents");
    let id = s.incident.as_ref().unwrap().id.clone();
    let (mut j, _) = warroom::incident::Journal::open(&root.join(&id)).unwrap();
    for r in records(&s) {
        j.append(r.at, r.by.clone(), r.kind.clone()).unwrap();
    }
    assert!(warroom::incident::store::unfinished_drill(&root, "dr-cross-region").is_none());
    let mut again = console(dir.path());
    for r in records(&s) {
        update(&mut again, Event::Journaled(r));
    }
    let effects = update(&mut again, Event::JournalReady(JournalStatus::Writable));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(again.overlay.is_none());
}

/// A console that replays `journal` at second `t` and opens it for writing, as a restart
/// after `kill -9` does; returns what it asks for.
fn resumed_at(dir: &Path, journal: &[Record], t: i64) -> (State, Vec<Effect>) {
    let mut s = console(dir);
    update(&mut s, Event::Tick(at(t)));
    for r in journal {
        assert!(update(&mut s, Event::Journaled(r.clone())).is_empty());
    }
    let effects = update(&mut s, Event::JournalReady(JournalStatus::Writable));
    (s, effects)
}

#[test]
fn a_run_resumed_while_its_guards_were_open_puts_them_again_where_they_stood() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    press_at(&mut s, 0, &["p", "y"]);
    press_at(&mut s, 30, &["enter"]);
    // The guards for phase 2 are open, the first answered: then the console is killed.
    press_at(&mut s, 200, &["p"]);
    press_at(&mut s, 210, &["n"]);
    let (mut again, effects) = resumed_at(dir.path(), &records(&s), 300);
    assert!(effects.is_empty(), "{effects:?}");
    match &again.overlay {
        Some(Overlay::Guards(form)) => assert_eq!((form.phase, form.next), (1, 1)),
        other => panic!("the checklist is not open again: {other:?}"),
    }
    let text = screen(&again, 120, 40);
    assert!(
        text.contains("Is only one availability zone affected?"),
        "{text}"
    );
    // The rest of the checklist, then "Start phase 2?", as if nothing had happened; the
    // wait has been open since 200.
    press_at(&mut again, 310, &["n", "n"]);
    assert!(
        matches!(&again.overlay, Some(Overlay::Confirm { title, .. }) if title == "Start phase 2?")
    );
    let d = again.drill.as_ref().unwrap();
    assert_eq!(d.clock.human_time(at(310)), Duration::from_secs(30 + 110));
    press_at(&mut again, 320, &["y"]);
    let d = again.drill.as_ref().unwrap();
    assert_eq!(d.clock.current_phase(), Some(1));
    let answered: Vec<usize> = records(&again)
        .iter()
        .filter_map(|r| match &r.kind {
            RecordKind::GuardAnswered {
                phase: 2, guard, ..
            } => Some(*guard),
            _ => None,
        })
        .collect();
    assert_eq!(answered, vec![1, 2, 3], "each guard answered once");

    // Killed at "Start phase 3?" (the step done first): it is asked again.
    press_at(&mut again, 350, &["enter"]);
    press_at(&mut again, 400, &["p"]);
    let (resumed, _) = resumed_at(dir.path(), &records(&again), 420);
    assert!(
        matches!(&resumed.overlay, Some(Overlay::Confirm { title, .. }) if title == "Start phase 3?"),
        "{:?}",
        resumed.overlay
    );
}

#[test]
fn every_phase_of_the_shipped_drill_runs_its_commands_or_says_what_is_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = console(dir.path());
    let spec = s.drill_setup.as_ref().unwrap().spec.clone();
    for (i, p) in spec.phases.iter().enumerate() {
        assert!(
            !p.commands.is_empty() || !p.by_hand.is_empty(),
            "phase {} `{}` neither runs anything nor says what is done by hand",
            i + 1,
            p.name
        );
    }
    keys_at(&mut s, 0, &["p", "y"]);
    // Phase 1's probe, through the gate from the Drill pane: a check, it runs at once.
    assert!(screen(&s, 120, 40).contains("Commands probe-from-outside next"));
    let ids = keys_at(&mut s, 20, &["x"]);
    assert_eq!(ids.len(), 1, "{:?}", s.notice);
    command_done(&mut s, 25, &ids[0]);
    assert!(records(&s).iter().any(|r| matches!(&r.kind,
        RecordKind::CheckRun { name, .. } if name == "probe-from-outside")));
    keys_at(&mut s, 30, &["enter"]);
    keys_at(&mut s, 40, &["p", "n", "n", "n", "y"]);
    keys_at(&mut s, 60, &["enter"]);
    // Phase 3 is done by hand: the pane says what, and it is human time until enter.
    keys_at(&mut s, 100, &["p", "y"]);
    type_text(&mut s, 105, "42s");
    press_at(&mut s, 105, &["enter"]);
    let text = screen(&s, 120, 40);
    assert!(
        text.contains("BY HAND fence the old primary · kubectl cnpg promote pg-main "),
        "{text}"
    );
    let human = |s: &State, t: i64| s.drill.as_ref().unwrap().clock.human_time(at(t));
    let before = human(&s, 100);
    assert_eq!(human(&s, 250), before + Duration::from_secs(150));
    keys_at(&mut s, 250, &["enter"]);
    assert_eq!(
        human(&s, 400),
        before + Duration::from_secs(150),
        "done: machine time"
    );
    // Phase 4: its check runs through the gate, and the pod count is by hand.
    keys_at(&mut s, 400, &["p", "y"]);
    let text = screen(&s, 120, 40);
    assert!(text.contains("Commands dr-health next"), "{text}");
    assert!(
        text.contains("BY HAND pod counts match the pre-disaster snapshot"),
        "{text}"
    );
    assert_eq!(keys_at(&mut s, 410, &["x"]).len(), 1, "{:?}", s.notice);
}
