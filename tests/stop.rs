//! Emergency stops (a game-day experiment's deletion by the kill switch or the abort) go
//! through the one gate: read-only mode refuses them before anything reaches the API, and
//! every deletion is journaled before (its intent on disk before the DELETE is sent) and
//! after (its outcome), without a prompt.

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use warroom::exec::gate::GateConfig;
use warroom::exec::runtime::ExecRuntime;
use warroom::incident::{Record, RecordKind};
use warroom::keymap::Keymap;
use warroom::state::{Effect, Event, JournalStatus, Mode, State, update};

use crate::common::{at, journal_in_memory, key, t0};
use crate::gameday::gameday;
use crate::kube_fake::{Cluster, FakeApi};

/// A game-day console whose `kill-cart` experiment is in the cluster (its create's intent
/// and outcome journaled, the object in the fake API).
async fn with_experiment_running(read_only: bool) -> (State, FakeApi) {
    let mut s = State::new(Mode::Live, Keymap::default(), read_only, t0());
    s.user = "alice".into();
    update(&mut s, Event::GameDayLoaded(Box::new(gameday())));
    let effects = warroom::state::gameday::open(&mut s);
    s.expect_replies(&effects);
    assert!(journal_in_memory(&mut s, effects).is_empty());
    let create = vec![
        Effect::Journal {
            kind: RecordKind::MitigationIntent {
                id: "m1".into(),
                runbook: "gameday/shop-chaos".into(),
                name: "kill-cart".into(),
                plan: String::new(),
            },
            by: Some("alice".into()),
        },
        Effect::Journal {
            kind: RecordKind::MitigationOutcome {
                id: "m1".into(),
                exit_code: Some(0),
                duration_ms: 5,
                outcome: "succeeded".into(),
            },
            by: None,
        },
    ];
    assert!(journal_in_memory(&mut s, create).is_empty());
    update(&mut s, reading(1, 0.001));
    let api = FakeApi::start(Cluster::shop()).await;
    api.cluster.lock().unwrap().custom.insert(
        (
            "chaos-mesh.org".into(),
            "podchaos".into(),
            "shop".into(),
            "gd-kill-cart".into(),
        ),
        json!({"metadata": {"name": "gd-kill-cart", "namespace": "shop"}}),
    );
    (s, api)
}

fn reading(secs: i64, v: f64) -> Event {
    Event::AbortReading(warroom::gameday::Reading {
        at: at(secs),
        value: Ok(Some(v)),
    })
}

fn deletes(api: &FakeApi) -> usize {
    api.seen().iter().filter(|s| s.method == "DELETE").count()
}

async fn next(rx: &mut mpsc::Receiver<Event>) -> Event {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the runtime answers")
        .expect("the channel is open")
}

fn records(s: &State) -> Vec<Record> {
    s.incident
        .as_ref()
        .map(|i| i.records.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_kill_switch_journals_each_deletion_before_the_delete_is_sent_and_after() {
    let (mut s, api) = with_experiment_running(false).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut exec = ExecRuntime::with_runner(GateConfig::default(), "staging", api.runner(), tx);
    let effects = update(&mut s, key("K"));
    let rest = journal_in_memory(&mut s, effects);
    let [remove @ Effect::RemoveExperiments { .. }] = rest.as_slice() else {
        panic!("{rest:?}")
    };
    exec.perform(remove.clone());
    // The gate's answer comes back first: nothing has reached the API yet.
    let gated = next(&mut rx).await;
    assert!(matches!(gated, Event::StopGated(_)), "{gated:?}");
    assert_eq!(deletes(&api), 0);
    let effects = update(&mut s, gated);
    // The intent goes to the journal, and nothing runs until it is on disk.
    assert!(
        matches!(effects.as_slice(), [Effect::Journal { kind: RecordKind::MitigationIntent { name, plan, .. }, by: Some(by) }]
            if name == "remove kill-cart" && by == "alice"
                && plan.contains("kube:      delete PodChaos/gd-kill-cart in shop")
                && plan.contains("stop:      emergency stop (kill switch)")),
        "{effects:?}"
    );
    let rest = journal_in_memory(&mut s, effects);
    let [stop @ Effect::ExecuteStop(_)] = rest.as_slice() else {
        panic!("{rest:?}")
    };
    assert_eq!(deletes(&api), 0);
    exec.perform(stop.clone());
    let done = next(&mut rx).await;
    assert_eq!(deletes(&api), 1);
    let effects = update(&mut s, done);
    let rest = journal_in_memory(&mut s, effects);
    assert!(rest.is_empty(), "{rest:?}");
    let recs = records(&s);
    let intent = recs
        .iter()
        .find_map(|r| match &r.kind {
            RecordKind::MitigationIntent { id, name, .. } if name == "remove kill-cart" => {
                Some(id.clone())
            }
            _ => None,
        })
        .expect("the deletion's intent");
    assert!(
        recs.iter().any(|r| matches!(&r.kind,
            RecordKind::MitigationOutcome { id, exit_code: Some(0), outcome, .. }
                if *id == intent && outcome.starts_with("succeeded"))),
        "{recs:?}"
    );
    assert!(recs.iter().any(|r| matches!(&r.kind,
        RecordKind::GamedayExperimentRemoved { ok: true, reason, .. } if reason == "kill switch")));
    assert!(api.cluster.lock().unwrap().custom.is_empty());
    // `warroom audit` lists it like every action.
    let audit = warroom::incident::audit::render("gd", &recs);
    assert!(
        audit.contains("gameday/shop-chaos / remove kill-cart"),
        "{audit}"
    );
    assert!(audit.contains("emergency stop (kill switch)"), "{audit}");
}

#[tokio::test]
async fn a_read_only_console_deletes_nothing_and_its_gate_refuses_every_deletion() {
    let (mut s, api) = with_experiment_running(true).await;
    // The kill switch and a tripped abort say so, and ask nothing of the runtime.
    let effects = update(&mut s, key("K"));
    assert!(effects.is_empty(), "{effects:?}");
    let notice = s
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("Read-only"), "{notice}");
    let effects = update(&mut s, reading(2, 0.5));
    assert!(effects.is_empty(), "{effects:?}");
    let notice = s
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.starts_with("ABORT") && notice.contains("Read-only"),
        "{notice}"
    );

    // Whatever asks for a deletion, the gate refuses it in read-only mode: nothing is sent.
    let (mut w, _) = with_experiment_running(false).await;
    let effects = update(&mut w, key("K"));
    let rest = journal_in_memory(&mut w, effects);
    let (tx, mut rx) = mpsc::channel(64);
    let ro = GateConfig {
        read_only: true,
        ..GateConfig::default()
    };
    let mut exec = ExecRuntime::with_runner(ro, "staging", api.runner(), tx);
    for e in rest {
        exec.perform(e);
    }
    let answer = next(&mut rx).await;
    let Event::ExperimentRemoved(stopped) = &answer else {
        panic!("{answer:?}")
    };
    assert!(!stopped.removed.ok);
    assert!(
        stopped.removed.outcome.starts_with("refused: Read-only"),
        "{}",
        stopped.removed.outcome
    );
    assert_eq!(deletes(&api), 0);
    assert_eq!(api.cluster.lock().unwrap().custom.len(), 1);
    let effects = update(&mut w, answer);
    let rest = journal_in_memory(&mut w, effects);
    assert!(rest.is_empty());
    // The refusal is recorded: the experiment is still in the cluster.
    assert!(records(&w).iter().any(|r| matches!(&r.kind,
        RecordKind::GamedayExperimentRemoved { ok: false, outcome, .. } if outcome.contains("Read-only"))));
    assert_eq!(w.gameday.run.as_ref().unwrap().in_cluster().len(), 1);
}

#[tokio::test]
async fn with_the_journal_failed_a_stop_still_deletes_and_says_it_is_unrecorded() {
    let (mut s, api) = with_experiment_running(false).await;
    update(&mut s, Event::JournalFailed("disk full".into()));
    let (tx, mut rx) = mpsc::channel(64);
    let mut exec = ExecRuntime::with_runner(GateConfig::default(), "staging", api.runner(), tx);
    let effects = update(&mut s, key("K"));
    assert!(
        matches!(effects.as_slice(), [Effect::RemoveExperiments { .. }]),
        "{effects:?}"
    );
    for e in effects {
        exec.perform(e);
    }
    let gated = next(&mut rx).await;
    let effects = update(&mut s, gated);
    assert!(
        matches!(effects.as_slice(), [Effect::ExecuteStop(run)] if run.id.is_none()),
        "{effects:?}"
    );
    let notice = s
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("without a journal record"), "{notice}");
    for e in effects {
        exec.perform(e);
    }
    let done = next(&mut rx).await;
    assert!(update(&mut s, done).is_empty());
    assert_eq!(deletes(&api), 1);
    assert!(s.gameday.run.as_ref().unwrap().in_cluster().is_empty());
}

/// An intent sent for a deletion whose write then fails: the deletion goes ahead.
#[tokio::test]
async fn a_stop_waiting_for_its_intent_when_the_journal_fails_goes_ahead() {
    let (mut s, api) = with_experiment_running(false).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut exec = ExecRuntime::with_runner(GateConfig::default(), "staging", api.runner(), tx);
    let effects = update(&mut s, key("K"));
    let rest = journal_in_memory(&mut s, effects);
    for e in rest {
        exec.perform(e);
    }
    let gated = next(&mut rx).await;
    let effects = update(&mut s, gated);
    assert!(matches!(effects.as_slice(), [Effect::Journal { .. }]));
    let effects = update(&mut s, Event::JournalFailed("disk full".into()));
    assert!(
        matches!(effects.as_slice(), [Effect::ExecuteStop(run)] if run.id.is_none()),
        "{effects:?}"
    );
    assert!(
        s.warnings.iter().any(|w| w.contains("without a record")),
        "{:?}",
        s.warnings
    );
    for e in effects {
        exec.perform(e);
    }
    let _ = next(&mut rx).await;
    assert_eq!(deletes(&api), 1);
    // Keep the journal's status as the console would see it.
    assert!(matches!(s.journal, JournalStatus::Failed(_)));
}
