//! Game-days in-process: the console's state, the real exec runtime and its kube runner
//! against the fake API server, and the journal played in memory. Boundary violations are
//! refused before anything reaches the API; the kill switch and the abort delete every
//! experiment created; the verdict is asked for and recorded.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::mpsc;

use warroom::exec::gate::GateConfig;
use warroom::exec::runtime::ExecRuntime;
use warroom::gameday::{GameDay, Reading};
use warroom::incident::{Record, RecordKind};
use warroom::keymap::Keymap;
use warroom::state::{Effect, Event, JournalStatus, Mode, Overlay, State, update};

use crate::common::{at, key, screen, t0};
use crate::kube_fake::{Cluster, FakeApi};

/// A game-day whose boundary allows two pods at once, with three experiments.
pub const GAMEDAY: &str = r#"name: shop-chaos
hypothesis: The shop keeps its 5xx ratio under 5 % while one cart or db pod misbehaves.
boundary:
  context: staging
  namespace: shop
  max_pods: 2
  max_duration: 60s
abort:
  query: sum(rate(shop_errors_total[5s])) / sum(rate(shop_requests_total[5s]))
  comparison: ">"
  threshold: 0.05
  poll_interval: 1s
observation_window: 2m
experiments:
  - name: kill-cart
    manifest:
      apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata:
        name: gd-kill-cart
      spec:
        action: pod-kill
        mode: one
        duration: 30s
        selector:
          namespaces: [shop]
          labelSelectors:
            app: cart
  - name: delay-db
    manifest:
      apiVersion: chaos-mesh.org/v1alpha1
      kind: NetworkChaos
      metadata:
        name: gd-delay-db
      spec:
        action: delay
        mode: one
        duration: 45s
        selector:
          namespaces: [shop]
          labelSelectors:
            app: db
        delay:
          latency: 200ms
  - name: stress-cart
    manifest:
      apiVersion: chaos-mesh.org/v1alpha1
      kind: StressChaos
      metadata:
        name: gd-stress-cart
      spec:
        mode: one
        duration: 60s
        selector:
          namespaces: [shop]
          labelSelectors:
            app: cart
        stressors:
          cpu:
            workers: 1
"#;

pub fn gameday() -> GameDay {
    let a = warroom::gameday::model::analyse("shop-chaos.yaml", Some("shop-chaos"), GAMEDAY);
    a.gameday.unwrap_or_else(|| panic!("{:?}", a.diagnostics))
}

/// The console with the game-day open in an in-memory journal.
fn console(g: GameDay) -> State {
    let mut s = State::new(Mode::Live, Keymap::default(), false, t0());
    s.user = "alice".into();
    update(&mut s, Event::GameDayLoaded(Box::new(g)));
    let effects = warroom::state::gameday::open(&mut s);
    s.expect_replies(&effects);
    let rest = journal(&mut s, effects);
    assert!(rest.is_empty(), "{rest:?}");
    assert!(s.gameday.run.is_some());
    s
}

/// The journal thread, in memory: records come back as `Journaled`, in order. Returns
/// the other effects.
fn journal(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        let seq = state
            .incident
            .as_ref()
            .map_or(1, |i| i.records.len() as u64 + 1);
        let record = match e {
            Effect::OpenIncident { opened, by, .. } => {
                queue.extend(update(state, Event::JournalReady(JournalStatus::Writable)));
                Record::new(1, state.now, by, opened)
            }
            Effect::Journal { kind, by } => Record::new(seq, state.now, by, kind),
            other => {
                rest.push(other);
                continue;
            }
        };
        queue.extend(update(state, Event::Journaled(record)));
    }
    rest
}

fn records(state: &State) -> Vec<RecordKind> {
    state
        .incident
        .as_ref()
        .map(|i| i.records.iter().map(|r| r.kind.clone()).collect())
        .unwrap_or_default()
}

/// The console, the exec runtime and the fake API, with the runtime's answers folded in.
struct Rig {
    state: State,
    exec: ExecRuntime,
    rx: mpsc::Receiver<Event>,
    api: FakeApi,
}

impl Rig {
    async fn start(g: GameDay, gate: GateConfig) -> Rig {
        let api = FakeApi::start(Cluster::shop()).await;
        let (tx, rx) = mpsc::channel(256);
        let exec = ExecRuntime::with_runner(gate, "staging", api.runner(), tx);
        let mut state = console(g);
        update(&mut state, reading(t0(), Some(0.001)));
        Rig {
            state,
            exec,
            rx,
            api,
        }
    }

    /// Performs effects and folds the answers until nothing more is owed.
    async fn settle(&mut self, effects: Vec<Effect>) {
        let mut owed = 0usize;
        let mut queue: VecDeque<Effect> = journal(&mut self.state, effects).into();
        loop {
            while let Some(e) = queue.pop_front() {
                owed += match &e {
                    Effect::Gate { .. } | Effect::Execute { .. } => 1,
                    Effect::RemoveExperiments { targets, .. } => targets.len(),
                    _ => 0,
                };
                self.exec.perform(e);
            }
            if owed == 0 {
                return;
            }
            let ev = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("the runtime answers")
                .expect("the channel is open");
            if matches!(
                ev,
                Event::Gated(_) | Event::ExecDone(_) | Event::ExperimentRemoved(_)
            ) {
                owed -= 1;
            }
            let more = update(&mut self.state, ev);
            queue.extend(journal(&mut self.state, more));
        }
    }

    async fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let effects = update(&mut self.state, key(k));
            self.settle(effects).await;
        }
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.keys(&[&c.to_string()]).await;
        }
    }

    fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }

    /// Starts the selected experiment: the gate, the prompt, the typed name, the create.
    async fn start_selected(&mut self, object: &str) {
        self.keys(&["e"]).await;
        assert!(
            matches!(self.state.overlay, Some(Overlay::Mitigation(_))),
            "no prompt: {}",
            self.notice()
        );
        self.type_text(object).await;
        self.keys(&["enter"]).await;
    }

    fn customs(&self) -> Vec<String> {
        let c = self.api.cluster.lock().unwrap();
        c.custom
            .keys()
            .map(|k| format!("{}/{}", k.1, k.3))
            .collect()
    }
}

fn tick(state: &mut State, t: DateTime<Utc>) -> Vec<Effect> {
    update(state, Event::Tick(t))
}

fn reading(t: DateTime<Utc>, v: Option<f64>) -> Event {
    Event::AbortReading(Reading {
        at: t,
        value: Ok(v),
    })
}

/// Changes the first experiment's manifest, bypassing the file checks (as a file edited
/// after the console loaded it, or a bug upstream, would): the gate must still refuse.
fn with_manifest(edit: impl FnOnce(&mut serde_json::Value)) -> GameDay {
    let mut g = gameday();
    edit(&mut g.experiments[0].manifest);
    g
}

#[tokio::test]
async fn boundary_violations_are_refused_before_anything_reaches_the_api() {
    let cases: Vec<(&str, GameDay, GateConfig)> = vec![
        (
            "not a Chaos Mesh experiment kind",
            with_manifest(|m| m["kind"] = json!("Workflow")),
            GateConfig::default(),
        ),
        (
            "outside the boundary's namespace",
            with_manifest(|m| m["metadata"]["namespace"] = json!("kube-system")),
            GateConfig::default(),
        ),
        (
            "names \"payments\", outside",
            with_manifest(|m| m["spec"]["selector"]["namespaces"] = json!(["shop", "payments"])),
            GateConfig::default(),
        ),
        (
            "mode all hits a share",
            with_manifest(|m| m["spec"]["mode"] = json!("all")),
            GateConfig::default(),
        ),
        (
            "it can hit 3 pods",
            with_manifest(|m| {
                m["spec"]["mode"] = json!("fixed");
                m["spec"]["value"] = json!("3");
            }),
            GateConfig::default(),
        ),
        (
            "spec.duration 5m is longer",
            with_manifest(|m| m["spec"]["duration"] = json!("5m")),
            GateConfig::default(),
        ),
        (
            "spec.duration is missing",
            with_manifest(|m| {
                m["spec"].as_object_mut().unwrap().remove("duration");
            }),
            GateConfig::default(),
        ),
        (
            "context staging is protected",
            gameday(),
            GateConfig {
                protected_contexts: vec!["staging".into()],
                ..GateConfig::default()
            },
        ),
        (
            "Read-only",
            gameday(),
            GateConfig {
                read_only: true,
                ..GateConfig::default()
            },
        ),
    ];
    for (want, g, gate) in cases {
        let mut rig = Rig::start(g, gate).await;
        rig.keys(&["e"]).await;
        let said = rig.notice();
        assert!(said.contains(want), "{want}: {said}");
        assert!(rig.state.overlay.is_none(), "{want}: no prompt");
        assert!(
            rig.api.seen().is_empty(),
            "{want}: the API saw {:?}",
            rig.api.seen()
        );
        assert!(
            !records(&rig.state)
                .iter()
                .any(|r| matches!(r, RecordKind::MitigationIntent { .. })),
            "{want}: nothing journaled as confirmed"
        );
    }

    // Inside the boundary it is created, with the boundary's namespace and a label.
    let mut rig = Rig::start(gameday(), GateConfig::default()).await;
    rig.start_selected("gd-kill-cart").await;
    let posts: Vec<_> = rig
        .api
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(
        posts[0].path,
        "/apis/chaos-mesh.org/v1alpha1/namespaces/shop/podchaos?"
    );
    let body: serde_json::Value = serde_json::from_str(&posts[0].body).unwrap();
    assert_eq!(body["metadata"]["namespace"], "shop");
    assert_eq!(
        body["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "warroom"
    );
    // A second experiment while the first injects: 2 pods, the boundary's maximum...
    rig.start_selected("gd-delay-db").await;
    assert_eq!(rig.customs().len(), 2, "{}", rig.notice());
    // ...a third would be 3.
    rig.keys(&["e"]).await;
    assert!(
        rig.notice().contains("with this experiment 3 would be"),
        "{}",
        rig.notice()
    );
    assert_eq!(
        rig.api.seen().iter().filter(|s| s.method == "POST").count(),
        2
    );
}

#[tokio::test]
async fn the_kill_switch_deletes_every_experiment_created() {
    let mut rig = Rig::start(gameday(), GateConfig::default()).await;
    rig.start_selected("gd-kill-cart").await;
    rig.start_selected("gd-delay-db").await;
    assert_eq!(
        rig.customs(),
        vec!["networkchaos/gd-delay-db", "podchaos/gd-kill-cart"]
    );
    let text = screen(&rig.state, 120, 40);
    assert!(text.contains("INJECTING"), "{text}");
    rig.keys(&["K"]).await;
    assert!(rig.customs().is_empty(), "{:?}", rig.customs());
    let deletes: Vec<String> = rig
        .api
        .seen()
        .into_iter()
        .filter(|s| s.method == "DELETE")
        .map(|s| s.path)
        .collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(deletes.iter().any(|p| p.contains("/podchaos/gd-kill-cart")));
    assert!(
        deletes
            .iter()
            .any(|p| p.contains("/networkchaos/gd-delay-db"))
    );
    let recs = records(&rig.state);
    assert!(recs.iter().any(|r| matches!(r,
        RecordKind::GamedayKillSwitch { experiments } if experiments.len() == 2)));
    let removed: Vec<_> = recs
        .iter()
        .filter(|r| matches!(r, RecordKind::GamedayExperimentRemoved { reason, ok: true, .. } if reason == "kill switch"))
        .collect();
    assert_eq!(removed.len(), 2, "{recs:?}");
    let run = rig.state.gameday.run.as_ref().unwrap();
    assert!(run.in_cluster().is_empty());
    // Nothing left: the kill switch says so and asks nothing of the API.
    rig.keys(&["K"]).await;
    assert!(rig.notice().contains("no experiment"), "{}", rig.notice());
    assert_eq!(
        rig.api
            .seen()
            .iter()
            .filter(|s| s.method == "DELETE")
            .count(),
        2
    );
}

#[tokio::test]
async fn abandoning_a_game_day_runs_the_kill_switch_first_then_ends_it() {
    let mut rig = Rig::start(gameday(), GateConfig::default()).await;
    rig.start_selected("gd-kill-cart").await;
    rig.start_selected("gd-delay-db").await;
    assert_eq!(rig.customs().len(), 2);
    // A reason is required; the question after it defaults to No.
    rig.keys(&["A"]).await;
    rig.keys(&["enter"]).await;
    assert!(
        matches!(&rig.state.overlay, Some(Overlay::DrillInput(a)) if a.input.error.is_some()),
        "{:?}",
        rig.state.overlay
    );
    rig.type_text("payments on-call paged for a real incident")
        .await;
    rig.keys(&["enter"]).await;
    assert!(matches!(&rig.state.overlay,
        Some(Overlay::Confirm { title, .. }) if title == "Abandon the game-day?"));
    rig.keys(&["n"]).await;
    assert_eq!(rig.customs().len(), 2, "No deletes nothing");
    assert!(rig.state.incident_open());

    rig.keys(&["A"]).await;
    rig.type_text("payments on-call paged for a real incident")
        .await;
    rig.keys(&["enter", "y"]).await;
    assert!(rig.customs().is_empty(), "{:?}", rig.customs());
    let recs = records(&rig.state);
    let pos = |f: &dyn Fn(&RecordKind) -> bool| recs.iter().position(f).unwrap();
    let killed = pos(
        &|r| matches!(r, RecordKind::GamedayKillSwitch { experiments } if experiments.len() == 2),
    );
    let abandoned = pos(&|r| {
        matches!(r, RecordKind::GamedayAbandoned { reason }
        if reason == "payments on-call paged for a real incident")
    });
    let resolved = pos(&|r| matches!(r, RecordKind::IncidentResolved { .. }));
    assert!(killed < abandoned && abandoned < resolved, "{recs:?}");
    assert_eq!(
        recs.iter()
            .filter(|r| matches!(r, RecordKind::GamedayExperimentRemoved { ok: true, .. }))
            .count(),
        2
    );
    assert!(!rig.state.incident_open());
    let run = rig.state.gameday.run.as_ref().unwrap();
    assert!(run.abandoned.is_some() && run.verdict.is_none());
    let text = screen(&rig.state, 120, 40);
    assert!(text.contains("ABANDONED, no verdict"), "{text}");
    let pm = warroom::gameday::postmortem::section(&rig.state.incident.as_ref().unwrap().records);
    assert!(pm.contains("ABANDONED"), "{pm}");
    // Nothing starts any more, and the window's end asks for no verdict.
    rig.keys(&["e"]).await;
    assert!(rig.notice().contains("abandoned"), "{}", rig.notice());
    tick(&mut rig.state, at(3600));
    assert!(rig.state.overlay.is_none());
}

#[tokio::test]
async fn a_tripped_abort_deletes_at_once_and_records_why() {
    let mut rig = Rig::start(gameday(), GateConfig::default()).await;
    // Nothing starts while the abort condition cannot be seen.
    for (value, want) in [
        (
            Err("cannot connect".to_string()),
            "cannot be read (cannot connect)",
        ),
        (Ok(None), "returns no series"),
    ] {
        update(
            &mut rig.state,
            Event::AbortReading(Reading { at: t0(), value }),
        );
        rig.keys(&["e"]).await;
        assert!(rig.notice().contains(want), "{}", rig.notice());
    }
    assert!(rig.api.seen().is_empty());
    // Tripped with nothing in the cluster: nothing to do, and nothing may start.
    let effects = update(&mut rig.state, reading(at(1), Some(0.2)));
    assert!(effects.is_empty(), "{effects:?}");
    rig.keys(&["e"]).await;
    assert!(rig.notice().contains("tripped now"), "{}", rig.notice());
    assert!(rig.api.seen().is_empty());
    let effects = update(&mut rig.state, reading(at(2), Some(0.001)));
    assert!(effects.is_empty());
    rig.start_selected("gd-kill-cart").await;
    assert_eq!(rig.customs().len(), 1);
    // Under the threshold: nothing.
    assert!(update(&mut rig.state, reading(at(3), Some(0.04))).is_empty());
    // Over it: the deletion and the record, in one update, no prompt.
    let effects = update(&mut rig.state, reading(at(4), Some(0.12)));
    assert!(rig.state.overlay.is_none());
    assert!(
        matches!(effects.first(), Some(Effect::RemoveExperiments { reason, targets }) if reason == "abort" && targets.len() == 1),
        "{effects:?}"
    );
    assert!(effects.iter().any(|e| matches!(e,
        Effect::Journal { kind: RecordKind::GamedayAbortTripped { value: Some(v), threshold, comparison, observed_at, .. }, .. }
            if (*v - 0.12).abs() < 1e-12 && (*threshold - 0.05).abs() < 1e-12 && comparison == ">" && *observed_at == at(4))));
    // A second reading before the deletion answers asks for nothing more.
    assert!(update(&mut rig.state, reading(at(5), Some(0.2))).is_empty());
    rig.settle(effects).await;
    assert!(rig.customs().is_empty());
    let text = screen(&rig.state, 120, 40);
    assert!(text.contains("ABORTED"), "{text}");
    assert!(text.contains("TRIPPED"), "{text}");

    // Blind: no value for three polls while an experiment is in the cluster aborts too.
    update(&mut rig.state, reading(at(6), Some(0.0)));
    assert_eq!(
        rig.state.gameday.selected, 1,
        "the next experiment is selected"
    );
    rig.start_selected("gd-delay-db").await;
    assert_eq!(rig.customs().len(), 1, "{}", rig.notice());
    for s in 7..9 {
        assert!(update(&mut rig.state, reading(at(s), None)).is_empty());
    }
    let effects = update(
        &mut rig.state,
        Event::AbortReading(Reading {
            at: at(9),
            value: Err("cannot connect".into()),
        }),
    );
    assert!(
        matches!(effects.first(), Some(Effect::RemoveExperiments { .. })),
        "{effects:?}"
    );
    rig.settle(effects).await;
    assert!(rig.customs().is_empty());
    let trips: Vec<_> = records(&rig.state)
        .into_iter()
        .filter_map(|r| match r {
            RecordKind::GamedayAbortTripped { value, detail, .. } => Some((value, detail)),
            _ => None,
        })
        .collect();
    assert_eq!(trips.len(), 2);
    assert_eq!(trips[1].0, None);
    assert!(
        trips[1]
            .1
            .contains("unreadable for 3 polls (cannot connect)"),
        "{:?}",
        trips[1]
    );
    // A reading that has not been renewed for a while is no reading.
    update(&mut rig.state, reading(at(10), Some(0.001)));
    tick(&mut rig.state, at(40));
    rig.keys(&["e"]).await;
    assert!(rig.notice().contains("is 30s old"), "{}", rig.notice());
    assert!(rig.state.overlay.is_none());
}

fn intent(id: &str, name: &str) -> Effect {
    Effect::Journal {
        kind: RecordKind::MitigationIntent {
            id: id.into(),
            runbook: "gameday/shop-chaos".into(),
            name: name.into(),
            plan: String::new(),
        },
        by: Some("alice".into()),
    }
}

fn create_outcome(id: &str, outcome: &str) -> Effect {
    Effect::Journal {
        kind: RecordKind::MitigationOutcome {
            id: id.into(),
            exit_code: None,
            duration_ms: 5,
            outcome: outcome.into(),
        },
        by: None,
    }
}

/// The experiments a batch of effects deletes, with why.
fn deletions(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::RemoveExperiments { reason, targets } => Some(
                targets
                    .iter()
                    .map(|t| (reason.clone(), t.experiment.clone()))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn the_kill_switch_and_the_abort_catch_a_create_in_flight() {
    let mut s = console(gameday());
    update(&mut s, reading(t0(), Some(0.001)));
    // kill-cart's create is under way: confirmed, its intent journaled, no answer yet.
    assert!(journal(&mut s, vec![intent("m1", "kill-cart")]).is_empty());
    let effects = update(&mut s, key("K"));
    let notice = s.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("kill-cart deleted as soon as its create answers"),
        "{notice}"
    );
    let rest = journal(&mut s, effects);
    assert!(
        deletions(&rest).is_empty(),
        "nothing to delete yet: {rest:?}"
    );
    assert!(records(&s).iter().any(|r| matches!(r,
        RecordKind::GamedayKillSwitch { experiments } if experiments == &["kill-cart"])));
    let mut zoomed = s.clone();
    crate::common::press(&mut zoomed, &["backtab", "z"]);
    let text = screen(&zoomed, 120, 40);
    assert!(
        text.contains("STARTING: deleted when its create answers"),
        "{text}"
    );
    // The create lands: it is deleted at once, the abort condition quiet.
    let rest = journal(&mut s, vec![create_outcome("m1", "succeeded")]);
    assert_eq!(
        deletions(&rest),
        vec![("kill switch".to_string(), "kill-cart".to_string())]
    );

    // The abort trips while delay-db is being created; the create answers after the
    // condition has cleared: it is deleted all the same.
    assert!(journal(&mut s, vec![intent("m2", "delay-db")]).is_empty());
    let effects = update(&mut s, reading(at(1), Some(0.2)));
    assert!(deletions(&effects).is_empty(), "{effects:?}");
    assert!(
        effects.iter().any(|e| matches!(e,
        Effect::Journal { kind: RecordKind::GamedayAbortTripped { experiments, .. }, .. }
            if experiments == &["delay-db"])),
        "{effects:?}"
    );
    assert!(journal(&mut s, effects).is_empty());
    // Further trips do not record it again.
    assert!(update(&mut s, reading(at(2), Some(0.3))).is_empty());
    assert!(update(&mut s, reading(at(3), Some(0.001))).is_empty());
    let rest = journal(&mut s, vec![create_outcome("m2", "succeeded")]);
    assert_eq!(
        deletions(&rest),
        vec![("abort".to_string(), "delay-db".to_string())]
    );
    // A create that failed leaves nothing to delete.
    assert!(journal(&mut s, vec![intent("m3", "stress-cart")]).is_empty());
    let effects = update(&mut s, key("K"));
    assert!(journal(&mut s, effects).is_empty());
    let rest = journal(
        &mut s,
        vec![create_outcome("m3", "failed: 422 Invalid: bad spec")],
    );
    assert!(deletions(&rest).is_empty(), "{rest:?}");
}

/// A console killed with `kill -9` mid-create: a new console replays the journal, becomes
/// writable, and settles the intent left without an outcome, as `app` does at start.
fn restarted(records: Vec<Record>) -> (State, Vec<Effect>) {
    let mut s = State::new(Mode::Live, Keymap::default(), false, at(30));
    s.user = "alice".into();
    update(&mut s, Event::GameDayLoaded(Box::new(gameday())));
    for r in records {
        update(&mut s, Event::Journaled(r));
    }
    let mut effects = update(&mut s, Event::JournalReady(JournalStatus::Writable));
    effects.extend(warroom::state::mitigation::settle_unfinished(&mut s));
    let rest = journal(&mut s, effects);
    (s, rest)
}

#[test]
fn a_create_cut_short_counts_as_in_the_cluster_until_deleted() {
    use warroom::gameday::run::Status;
    let mut s = console(gameday());
    assert!(journal(&mut s, vec![intent("m1", "kill-cart")]).is_empty());
    let (mut s, rest) = restarted(s.incident.as_ref().unwrap().records.clone());
    assert!(
        deletions(&rest).is_empty(),
        "nobody asked to delete it: {rest:?}"
    );
    let run = s.gameday.run.as_ref().unwrap();
    assert_eq!(run.experiments[0].status, Status::Unknown);
    assert_eq!(run.in_cluster().len(), 1);
    // Its start is unknown: its pod counts against max_pods however long ago that was.
    assert_eq!(run.pods_in_use(at(3600)), 1);
    let mut zoomed = s.clone();
    crate::common::press(&mut zoomed, &["backtab", "z"]);
    let text = screen(&zoomed, 120, 40);
    assert!(text.contains("MAYBE IN CLUSTER"), "{text}");
    assert!(text.contains("1 pod(s) under chaos"), "{text}");
    // It cannot be started again on top of itself.
    update(&mut s, reading(at(30), Some(0.001)));
    s.gameday.selected = 0;
    assert!(update(&mut s, key("e")).is_empty());
    let notice = s.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("may already be in the cluster"), "{notice}");
    // The postmortem does not say it was never created.
    let pm = warroom::incident::postmortem::render(
        &s.incident.as_ref().unwrap().records,
        warroom::incident::postmortem::DEFAULT_TEMPLATE,
        at(60),
    )
    .unwrap();
    assert!(pm.contains("may have been in the cluster"), "{pm}");
    assert!(!pm.contains("not created"), "{pm}");
    // The abort deletes it...
    let effects = update(&mut s, reading(at(31), Some(0.5)));
    assert_eq!(
        deletions(&effects),
        vec![("abort".to_string(), "kill-cart".to_string())]
    );
    // ...and so does the kill switch, in a console where the abort did not fire.
    let mut s = console(gameday());
    assert!(journal(&mut s, vec![intent("m1", "kill-cart")]).is_empty());
    let (mut s, _) = restarted(s.incident.as_ref().unwrap().records.clone());
    let effects = update(&mut s, key("K"));
    assert_eq!(
        deletions(&effects),
        vec![("kill switch".to_string(), "kill-cart".to_string())]
    );
}

#[test]
fn a_kill_switch_pressed_before_a_kill_9_mid_create_is_carried_out_at_the_next_start() {
    let mut s = console(gameday());
    update(&mut s, reading(t0(), Some(0.001)));
    assert!(journal(&mut s, vec![intent("m1", "kill-cart")]).is_empty());
    let effects = update(&mut s, key("K"));
    assert!(journal(&mut s, effects).is_empty());
    // kill -9 here: the create's outcome is never written.
    let (_, rest) = restarted(s.incident.as_ref().unwrap().records.clone());
    assert_eq!(
        deletions(&rest),
        vec![("kill switch".to_string(), "kill-cart".to_string())]
    );
    // Killed after the create answered but before the deletion was recorded: the
    // resumed console deletes it as soon as it can write.
    let mut s = console(gameday());
    update(&mut s, reading(t0(), Some(0.001)));
    assert!(journal(&mut s, vec![intent("m1", "kill-cart")]).is_empty());
    let effects = update(&mut s, key("K"));
    assert!(journal(&mut s, effects).is_empty());
    let records: Vec<Record> = {
        let mut r = s.incident.as_ref().unwrap().records.clone();
        let n = r.len() as u64;
        r.push(Record::new(
            n + 1,
            at(2),
            None,
            RecordKind::MitigationOutcome {
                id: "m1".into(),
                exit_code: Some(0),
                duration_ms: 5,
                outcome: "succeeded".into(),
            },
        ));
        r
    };
    let (_, rest) = restarted(records);
    assert_eq!(
        deletions(&rest),
        vec![("kill switch".to_string(), "kill-cart".to_string())]
    );
}

#[test]
fn a_follower_watches_but_never_acts() {
    let mut s = console(gameday());
    // An experiment the writer started.
    let run = s.gameday.run.as_mut().unwrap();
    run.experiments[0].status = warroom::gameday::run::Status::Running;
    run.experiments[0].started_at = Some(t0());
    update(
        &mut s,
        Event::JournalReady(JournalStatus::ReadOnly("held by bob".into())),
    );
    assert!(update(&mut s, reading(at(1), Some(0.9))).is_empty());
    assert!(update(&mut s, key("K")).is_empty());
    assert!(s.notice.as_ref().unwrap().text.contains("Read-only"));
    assert!(update(&mut s, key("e")).is_empty());
    // The reading still shows.
    assert!(screen(&s, 120, 40).contains("TRIPPED"));
}

#[test]
fn the_verdict_is_asked_for_when_the_window_ends_and_recorded() {
    let mut s = console(gameday());
    // Without an experiment there is nothing to judge yet.
    update(&mut s, key("v"));
    assert!(s.overlay.is_none());
    // The experiment ran (its intent and outcome), starting the 2-minute window.
    let rest = journal(
        &mut s,
        vec![
            Effect::Journal {
                kind: RecordKind::MitigationIntent {
                    id: "m1".into(),
                    runbook: "gameday/shop-chaos".into(),
                    name: "kill-cart".into(),
                    plan: "create PodChaos/gd-kill-cart".into(),
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
        ],
    );
    assert!(rest.is_empty());
    // Selection moved on to the next experiment.
    assert_eq!(s.gameday.selected, 1);
    tick(&mut s, at(60));
    assert!(s.overlay.is_none());
    assert!(screen(&s, 120, 40).contains("observe 01:00/02:00"));
    tick(&mut s, at(120));
    assert!(matches!(s.overlay, Some(Overlay::Verdict(_))));
    let text = screen(&s, 120, 40);
    assert!(text.contains("Did the hypothesis hold?"), "{text}");
    // Esc leaves it for later; the tick does not bring it back; v does.
    update(&mut s, key("esc"));
    assert!(s.overlay.is_none());
    tick(&mut s, at(121));
    assert!(s.overlay.is_none());
    assert!(screen(&s, 120, 40).contains("VERDICT DUE"));
    // No new experiment once the window is over.
    update(&mut s, key("e"));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("observation window is over")
    );
    update(&mut s, key("v"));
    update(&mut s, key("y"));
    // An empty note is not accepted.
    assert!(update(&mut s, key("enter")).is_empty());
    assert!(screen(&s, 120, 40).contains("say why in a note"));
    for c in "carts recovered in 4s".chars() {
        update(&mut s, key(&c.to_string()));
    }
    let effects = update(&mut s, key("enter"));
    let rest = journal(&mut s, effects);
    // The pod-kill is still in the cluster: finishing the game-day deletes it.
    assert!(
        matches!(rest.as_slice(), [Effect::RemoveExperiments { reason, .. }] if reason == "game-day ended"),
        "{rest:?}"
    );
    let recs = records(&s);
    let n = recs.len();
    assert!(
        matches!(&recs[n - 2], RecordKind::GamedayVerdict { held: true, note } if note == "carts recovered in 4s")
    );
    assert!(
        matches!(&recs[n - 1], RecordKind::IncidentResolved { summary: Some(t) } if t.contains("held"))
    );
    let text = screen(&s, 120, 40);
    assert!(text.contains("HYPOTHESIS HELD"), "{text}");
    assert!(text.contains("GAME-DAY FINISHED"), "{text}");
    // The postmortem has the game-day section.
    let records: Vec<Record> = s.incident.as_ref().unwrap().records.clone();
    let pm = warroom::incident::postmortem::render(
        &records,
        warroom::incident::postmortem::DEFAULT_TEMPLATE,
        at(200),
    )
    .unwrap();
    assert!(pm.contains("## Game-day: shop-chaos"), "{pm}");
    assert!(pm.contains("**Hypothesis**: The shop keeps"), "{pm}");
    assert!(
        pm.contains("| kill-cart | PodChaos | gd-kill-cart |"),
        "{pm}"
    );
    assert!(pm.contains("**Verdict**: the hypothesis HELD"), "{pm}");
    assert!(
        pm.contains("Chaos experiment `kill-cart` confirmed"),
        "{pm}"
    );
}

#[test]
fn a_resumed_game_day_is_the_same_game_day() {
    let mut s = console(gameday());
    let rest = journal(
        &mut s,
        vec![Effect::Journal {
            kind: RecordKind::MitigationIntent {
                id: "m1".into(),
                runbook: "gameday/shop-chaos".into(),
                name: "kill-cart".into(),
                plan: String::new(),
            },
            by: None,
        }],
    );
    assert!(rest.is_empty());
    let records = s.incident.as_ref().unwrap().records.clone();
    let mut resumed = State::new(Mode::Live, Keymap::default(), false, t0());
    update(&mut resumed, Event::GameDayLoaded(Box::new(gameday())));
    for r in records {
        update(&mut resumed, Event::Journaled(r));
    }
    assert_eq!(resumed.gameday.run, s.gameday.run);
    assert!(resumed.warnings.is_empty(), "{:?}", resumed.warnings);
    // A changed file is pointed out.
    let mut changed = gameday();
    changed.digest = "0000000000000000".into();
    let mut again = State::new(Mode::Live, Keymap::default(), false, t0());
    update(&mut again, Event::GameDayLoaded(Box::new(changed)));
    for r in s.incident.as_ref().unwrap().records.clone() {
        update(&mut again, Event::Journaled(r));
    }
    assert!(again.warnings[0].contains("changed since this game-day started"));
}

/// `warroom gameday` refuses before it takes over the terminal.
fn gameday_cli(dir: &std::path::Path, config: &str, name: &str) -> (i32, String) {
    let cfg = dir.join("warroom.yaml");
    std::fs::write(&cfg, config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("--config")
        .arg(&cfg)
        .args(["gameday", name])
        .env("XDG_DATA_HOME", dir.join("data"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn warroom_gameday_refuses_unsafe_or_incomplete_setups_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let books = dir.path().join("runbooks");
    std::fs::create_dir_all(books.join("gamedays")).unwrap();
    let file = books.join("gamedays/shop-chaos.yaml");
    std::fs::write(&file, GAMEDAY).unwrap();
    let kube = dir.path().join("kubeconfig");
    std::fs::write(
        &kube,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: staging\n  context:\n    cluster: c\n    user: u\ncurrent-context: staging\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap();
    let base = format!(
        "runbooks_dir: {}\nkubeconfig: {}\nprometheus:\n  url: http://127.0.0.1:9\n",
        books.display(),
        kube.display()
    );
    let (code, err) = gameday_cli(
        dir.path(),
        &format!("{base}protected_contexts: [staging]\n"),
        "shop-chaos",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the boundary's context staging is protected"),
        "{err}"
    );
    let (code, err) = gameday_cli(
        dir.path(),
        &format!(
            "runbooks_dir: {}\nkubeconfig: {}\n",
            books.display(),
            kube.display()
        ),
        "shop-chaos",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("add a `prometheus:` section"), "{err}");
    let (code, err) = gameday_cli(
        dir.path(),
        &base.replace("kubeconfig:", "kubeconfig_unused_key_is_an_error:"),
        "shop-chaos",
    );
    assert_eq!(code, 2, "{err}");
    let (code, err) = gameday_cli(dir.path(), &base, "nope");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no game-day `nope`") && err.contains("there are: shop-chaos"),
        "{err}"
    );
    // A manifest outside the boundary: every finding, with its line.
    let bad = GAMEDAY.replace(
        "        mode: one\n        duration: 30s",
        "        mode: all\n        duration: 30s",
    );
    std::fs::write(&file, &bad).unwrap();
    let line = bad.lines().position(|l| l.contains("mode: all")).unwrap() + 1;
    let (code, err) = gameday_cli(dir.path(), &base, "shop-chaos");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "shop-chaos.yaml:{line}:9: error: experiment kill-cart: spec.mode all"
        )),
        "{err}"
    );
    // The kubeconfig must know the boundary's context.
    std::fs::write(
        &file,
        GAMEDAY.replace("context: staging", "context: staging-eu"),
    )
    .unwrap();
    let (code, err) = gameday_cli(dir.path(), &base, "shop-chaos");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the kubeconfig has no context staging-eu"),
        "{err}"
    );
}

/// A game-day mid-run: one experiment injecting, one aborted, a reading on screen.
fn mid_run() -> State {
    let mut s = console(gameday());
    let intent = |id: &str, name: &str| Effect::Journal {
        kind: RecordKind::MitigationIntent {
            id: id.into(),
            runbook: "gameday/shop-chaos".into(),
            name: name.into(),
            plan: String::new(),
        },
        by: Some("alice".into()),
    };
    let outcome = |id: &str| Effect::Journal {
        kind: RecordKind::MitigationOutcome {
            id: id.into(),
            exit_code: Some(0),
            duration_ms: 4,
            outcome: "succeeded".into(),
        },
        by: None,
    };
    journal(&mut s, vec![intent("m1", "kill-cart"), outcome("m1")]);
    tick(&mut s, at(10));
    let removed = Effect::Journal {
        kind: RecordKind::GamedayExperimentRemoved {
            experiment: "kill-cart".into(),
            object: "gd-kill-cart".into(),
            reason: "abort".into(),
            ok: true,
            outcome: "PodChaos/gd-kill-cart deleted".into(),
        },
        by: None,
    };
    journal(
        &mut s,
        vec![removed, intent("m2", "delay-db"), outcome("m2")],
    );
    tick(&mut s, at(25));
    update(&mut s, reading(at(24), Some(0.0132)));
    s
}

#[test]
fn game_day_pane_120x40() {
    insta::assert_snapshot!(screen(&mid_run(), 120, 40));
}

#[test]
fn game_day_pane_zoomed_80x24() {
    let mut s = mid_run();
    crate::common::press(&mut s, &["backtab", "z"]);
    insta::assert_snapshot!(screen(&s, 80, 24));
}

#[test]
fn game_day_screens_draw_at_every_size() {
    let mut states = vec![mid_run()];
    let mut verdict = mid_run();
    tick(&mut verdict, at(10 + 120));
    assert!(matches!(verdict.overlay, Some(Overlay::Verdict(_))));
    states.push(verdict.clone());
    update(&mut verdict, key("n"));
    states.push(verdict);
    let mut collapsed = mid_run();
    collapsed.focus = warroom::state::Pane::Alerts;
    states.push(collapsed);
    for s in &states {
        for w in (1..=130).step_by(9).chain([40, 80, 120]) {
            for h in (1..=45).step_by(5).chain([12, 24, 30]) {
                let t = crate::common::render(s, w, h);
                assert_eq!(t.backend().buffer().area.width, w);
            }
        }
    }
}
