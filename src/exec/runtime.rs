//! The runtime's half of running commands: performs [`Effect::Gate`], [`Effect::Execute`],
//! [`Effect::CancelExec`], [`Effect::RemoveExperiments`] and [`Effect::ExecuteStop`] on tasks and reports back as
//! events, so the loop never blocks on a process or the API.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::checks::LiveChecks;
use super::gate::{self, GateConfig, NoPreChecks, Request};
use super::kube::{KubeError, KubeRunner};
use super::plan::{DryRun, KubeAction, Target};
use super::process;
use super::sim::{SIM_CONTEXT, SimCluster};
use super::{ActionSpec, REMOVE_TIMEOUT};
use crate::sources::prometheus::Prometheus;
use crate::state::gameday::{RemoveTarget, Removed};
use crate::state::mitigation::{ExecDone, GateAnswer, plan_argv};
use crate::state::stop::{StopGated, StopRun, Stopped};
use crate::state::{Effect, Event};

/// Where kube actions go.
#[derive(Clone)]
pub enum Cluster {
    Api(KubeRunner),
    /// The demo's in-process cluster.
    Sim(Arc<Mutex<SimCluster>>),
    /// No usable kubeconfig: kube actions fail with this reason.
    Unavailable(String),
}

impl Cluster {
    async fn apply(&self, action: &KubeAction, dry_run: bool) -> Result<String, KubeError> {
        match self {
            Cluster::Api(k) => k.apply(action, dry_run).await,
            Cluster::Sim(s) => match s.lock() {
                Ok(mut c) => c.apply(action, dry_run),
                Err(_) => Err(KubeError::Other("simulated cluster unavailable".into())),
            },
            Cluster::Unavailable(why) => Err(KubeError::Other(why.clone())),
        }
    }
}

pub struct ExecRuntime {
    gate: GateConfig,
    context: String,
    cluster: Cluster,
    /// Answers PromQL pre-checks: the configured Prometheus, when there is one.
    prometheus: Option<Prometheus>,
    tx: mpsc::Sender<Event>,
    cancel: Option<oneshot::Sender<()>>,
}

impl ExecRuntime {
    /// Live: the kubeconfig's current context, or `context` when given (a game-day acts in
    /// the context its boundary names, whatever the current one is). Without one, kube
    /// actions say why.
    pub async fn live(
        gate: GateConfig,
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        tx: mpsc::Sender<Event>,
    ) -> ExecRuntime {
        let (context, cluster) = match super::kube::contexts(kubeconfig) {
            Ok((names, _)) if context.is_some_and(|c| !names.iter().any(|n| n == c)) => {
                let c = context.unwrap_or_default().to_string();
                let why = format!("the kubeconfig has no context {c}");
                (c, Cluster::Unavailable(why))
            }
            Ok((_, current)) if context.or(current.as_deref()).is_some() => {
                let ctx = context.map(String::from).or(current).unwrap_or_default();
                match KubeRunner::for_context(kubeconfig, &ctx).await {
                    Ok(k) => (ctx, Cluster::Api(k)),
                    Err(e) => (ctx, Cluster::Unavailable(e.to_string())),
                }
            }
            Ok((_, _)) => (
                String::new(),
                Cluster::Unavailable("the kubeconfig has no current context".into()),
            ),
            Err(e) => (
                context.unwrap_or_default().to_string(),
                Cluster::Unavailable(format!("no kubeconfig: {e}")),
            ),
        };
        ExecRuntime {
            gate,
            context,
            cluster,
            prometheus: None,
            tx,
            cancel: None,
        }
    }

    /// The demo: a simulated cluster whose context every demo region maps to, protected so
    /// the typed confirmation can be tried. A demo game-day's cluster answers to the context
    /// its boundary names instead, unprotected (game-days never run in protected ones).
    pub fn demo(
        mut gate: GateConfig,
        regions: &[String],
        gameday_context: Option<&str>,
        tx: mpsc::Sender<Event>,
    ) -> ExecRuntime {
        let context = gameday_context.unwrap_or(SIM_CONTEXT).to_string();
        for r in regions {
            gate.region_contexts.insert(r.clone(), context.clone());
        }
        if gameday_context.is_none() {
            gate.protected_contexts.push(SIM_CONTEXT.into());
        }
        ExecRuntime {
            gate,
            context,
            cluster: Cluster::Sim(Arc::new(Mutex::new(SimCluster::demo()))),
            prometheus: None,
            tx,
            cancel: None,
        }
    }

    /// PromQL pre-checks ask this Prometheus (the one the SLO panel reads).
    pub fn set_prometheus(&mut self, prometheus: Option<Prometheus>) {
        self.prometheus = prometheus;
    }

    /// Kube actions through this client, in `context` (tests, against a fake API server).
    pub fn with_runner(
        gate: GateConfig,
        context: &str,
        runner: KubeRunner,
        tx: mpsc::Sender<Event>,
    ) -> ExecRuntime {
        ExecRuntime {
            gate,
            context: context.into(),
            cluster: Cluster::Api(runner),
            prometheus: None,
            tx,
            cancel: None,
        }
    }

    /// The simulated cluster, in the demo (its error ratio feeds the demo's abort condition).
    pub fn simulated(&self) -> Option<Arc<Mutex<SimCluster>>> {
        match &self.cluster {
            Cluster::Sim(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The context kube actions run in.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Performs one exec effect; others are ignored.
    pub fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Gate {
                spec,
                alert,
                labels,
                dry_run,
                read_only,
            } => {
                let cfg = GateConfig {
                    read_only: self.gate.read_only || read_only,
                    ..self.gate.clone()
                };
                let context = self.context.clone();
                let checks = LiveChecks {
                    kube: match &self.cluster {
                        Cluster::Api(k) => Some(k.clone()),
                        _ => None,
                    },
                    prometheus: self.prometheus.clone(),
                    simulated: self.simulated(),
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let req = Request {
                        spec: &spec,
                        alert: alert.as_deref(),
                        labels: &labels,
                        context: &context,
                    };
                    let result = gate::gate(&cfg, req, &checks)
                        .await
                        .map_err(|r| r.to_string());
                    let answer = GateAnswer {
                        dry_run,
                        labels,
                        result,
                    };
                    let _ = tx.send(Event::Gated(Box::new(answer))).await;
                });
            }
            Effect::Execute {
                id,
                plan,
                confirmation,
                dry_run,
            } => {
                let (cancel_tx, cancel_rx) = oneshot::channel();
                self.cancel = Some(cancel_tx);
                if plan.plan.mutating()
                    && !dry_run
                    && confirmation.as_ref().is_some_and(|c| c.binds(&plan))
                {
                    // From here on an exit records it as interrupted, not as never started.
                    let runner = match plan.plan.target {
                        Target::Kube(_) => super::interrupt::Runner::Kube,
                        Target::Process { .. } | Target::KubeRead(_) => {
                            super::interrupt::Runner::Process
                        }
                    };
                    super::interrupt::started(&id, runner);
                }
                let tx = self.tx.clone();
                let cluster = self.cluster.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let argv = plan_argv(&plan);
                    let done = |exit_code, outcome: String| {
                        Event::ExecDone(ExecDone {
                            id: id.clone(),
                            exit_code,
                            duration_ms: started.elapsed().as_millis() as u64,
                            outcome,
                            argv: argv.clone(),
                        })
                    };
                    // A mutating plan runs only with a confirmation bound to this very plan.
                    let bound = confirmation.as_ref().is_some_and(|c| c.binds(&plan));
                    if plan.plan.mutating() && !dry_run && !bound {
                        let _ = tx
                            .send(done(None, "not run: no confirmation for this plan".into()))
                            .await;
                        return;
                    }
                    let timeout = plan.plan.timeout;
                    // The demo's read-only kubectl checks are answered by its cluster.
                    if let (Cluster::Sim(sim), Target::Process { argv }) =
                        (&cluster, &plan.plan.target)
                        && argv
                            .first()
                            .is_some_and(|p| super::tools::program_name(p) == "kubectl")
                    {
                        let answer = sim.lock().map(|c| c.kubectl_read(argv));
                        let (lines, code) = answer.unwrap_or_else(|_| (Vec::new(), 1));
                        for l in lines {
                            let _ = tx
                                .send(Event::ExecLine(crate::sanitize::escape(&l).into_owned()))
                                .await;
                        }
                        let _ = tx.send(done(Some(code), "exited".into())).await;
                        return;
                    }
                    if let Target::KubeRead(read) = &plan.plan.target {
                        let answer = match &cluster {
                            // A read changes nothing: cancelling it only stops the wait.
                            Cluster::Api(k) => tokio::select! {
                                r = k.read(read) => r.map_err(|e| e.to_string()),
                                _ = tokio::time::sleep(timeout) => Err("timed out".to_string()),
                                _ = cancelled(cancel_rx) => Err(CANCELLED.to_string()),
                            },
                            Cluster::Sim(s) => s
                                .lock()
                                .map(|c| c.read(read))
                                .map_err(|_| "simulated cluster unavailable".to_string()),
                            Cluster::Unavailable(why) => Err(why.clone()),
                        };
                        let event = match answer {
                            Ok((lines, code)) => {
                                for l in lines {
                                    let _ = tx
                                        .send(Event::ExecLine(crate::sanitize::escape_truncated(
                                            &l,
                                            process::MAX_LINE_CHARS,
                                        )))
                                        .await;
                                }
                                done(Some(code), "exited".into())
                            }
                            Err(e) if e == CANCELLED => done(None, e),
                            Err(e) => {
                                let e = crate::sanitize::escape(&e).into_owned();
                                let _ = tx.send(Event::ExecLine(format!("! {e}"))).await;
                                done(None, format!("failed: {e}"))
                            }
                        };
                        let _ = tx.send(event).await;
                        return;
                    }
                    let event = match (&plan.plan.target, dry_run) {
                        (Target::Process { argv }, false) => {
                            run_process(argv, timeout, &tx, cancel_rx, &done).await
                        }
                        (Target::Process { .. }, true) => match &plan.plan.dry_run {
                            DryRun::Process { argv } => {
                                run_process(argv, timeout, &tx, cancel_rx, &done).await
                            }
                            _ => done(None, "not run: the block declares no dry-run".into()),
                        },
                        (Target::Kube(action), dry) => {
                            run_kube(&cluster, action, dry, timeout, &tx, cancel_rx, &done).await
                        }
                        (Target::KubeRead(_), _) => done(None, "not run".into()),
                    };
                    let _ = tx.send(event).await;
                });
            }
            Effect::CancelExec => {
                if let Some(c) = self.cancel.take() {
                    let _ = c.send(());
                }
            }
            Effect::RemoveExperiments { reason, targets } => {
                for t in targets {
                    let tx = self.tx.clone();
                    let cfg = self.gate.clone();
                    let context = self.context.clone();
                    let reason = reason.clone();
                    tokio::spawn(async move {
                        let event = gate_stop(&cfg, &context, t, reason).await;
                        let _ = tx.send(event).await;
                    });
                }
            }
            Effect::ExecuteStop(run) => {
                let tx = self.tx.clone();
                let cluster = self.cluster.clone();
                tokio::spawn(async move {
                    let stopped = execute_stop(&cluster, *run).await;
                    let _ = tx.send(Event::ExperimentRemoved(stopped)).await;
                });
            }
            _ => {}
        }
    }
}

/// Attempts at deleting one experiment before the console reports it could not.
const REMOVE_ATTEMPTS: u32 = 3;

/// An experiment's deletion at the gate, as an emergency stop: read-only mode and the
/// rest refuse it like any action ([`Event::ExperimentRemoved`], not deleted); what
/// passes goes back for its intent record ([`Event::StopGated`]).
async fn gate_stop(cfg: &GateConfig, context: &str, t: RemoveTarget, reason: String) -> Event {
    let Some((spec, labels)) = ActionSpec::removal(&t.runbook, &t.experiment, &reason, &t.action)
    else {
        return refused_stop(&t, &reason, "not a chaos experiment's deletion");
    };
    let req = Request {
        spec: &spec,
        alert: None,
        labels: &labels,
        context,
    };
    match gate::gate(cfg, req, &NoPreChecks).await {
        Ok(gated) if gated.plan.target == Target::Kube(t.action.clone()) => {
            Event::StopGated(Box::new(StopGated {
                reason,
                target: t,
                gated,
            }))
        }
        Ok(_) => refused_stop(&t, &reason, "the plan is not the deletion asked for"),
        Err(why) => {
            tracing::warn!(experiment = %t.experiment, "deletion refused: {why}");
            refused_stop(&t, &reason, &why.to_string())
        }
    }
}

fn refused_stop(t: &RemoveTarget, reason: &str, why: &str) -> Event {
    Event::ExperimentRemoved(Stopped {
        intent: None,
        duration_ms: 0,
        removed: crate::state::stop::refused(t, reason, why),
    })
}

/// Carries out a gated emergency stop: only with its own confirmation, only the deletion
/// the gate passed.
async fn execute_stop(cluster: &Cluster, run: StopRun) -> Stopped {
    let started = Instant::now();
    let StopRun {
        id,
        reason,
        target,
        gated,
        confirmation,
    } = run;
    let bound = confirmation.binds(&gated)
        && gated.confirm_emergency().is_some()
        && gated.plan.target == Target::Kube(target.action.clone());
    if !bound {
        return Stopped {
            intent: id,
            duration_ms: 0,
            removed: crate::state::stop::refused(&target, &reason, "not the stop the gate passed"),
        };
    }
    if let Some(id) = &id {
        // From here on an exit records it as interrupted, its effect unknown.
        super::interrupt::started(id, super::interrupt::Runner::Kube);
    }
    let removed = remove(cluster, target, reason).await;
    Stopped {
        intent: id,
        duration_ms: started.elapsed().as_millis() as u64,
        removed,
    }
}

/// Deletes one experiment the gate passed. A 404 means it is already gone; other
/// failures are retried a few times.
async fn remove(cluster: &Cluster, t: RemoveTarget, reason: String) -> Removed {
    let object = t.action.target_name();
    let mut last = String::new();
    for attempt in 1..=REMOVE_ATTEMPTS {
        match tokio::time::timeout(REMOVE_TIMEOUT, cluster.apply(&t.action, false)).await {
            Ok(Ok(said)) => {
                tracing::info!(experiment = %t.experiment, %reason, "experiment deleted");
                return Removed {
                    experiment: t.experiment,
                    object,
                    reason,
                    ok: true,
                    outcome: crate::sanitize::escape(&said).into_owned(),
                };
            }
            Ok(Err(KubeError::Api { code: 404, .. })) => {
                return Removed {
                    experiment: t.experiment,
                    object,
                    reason,
                    ok: true,
                    outcome: "already gone (404 NotFound)".into(),
                };
            }
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = format!("no answer within {}s", REMOVE_TIMEOUT.as_secs()),
        }
        tracing::warn!(experiment = %t.experiment, attempt, "experiment not deleted: {last}");
        if attempt < REMOVE_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
    }
    Removed {
        experiment: t.experiment,
        object,
        reason,
        ok: false,
        outcome: last,
    }
}

async fn run_process(
    argv: &[String],
    timeout: Duration,
    tx: &mpsc::Sender<Event>,
    cancel: oneshot::Receiver<()>,
    done: &impl Fn(Option<i32>, String) -> Event,
) -> Event {
    let (ltx, mut lrx) = mpsc::channel::<process::Line>(256);
    let out = tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(l) = lrx.recv().await {
            let prefix = match l.stream {
                process::Stream::Stdout => "",
                process::Stream::Stderr => "! ",
            };
            let _ = out
                .send(Event::ExecLine(format!("{prefix}{}", l.text)))
                .await;
        }
    });
    let fin = process::run(argv, timeout, ltx, cancel).await;
    let _ = forward.await;
    done(fin.exit_code, fin.outcome.as_str())
}

async fn run_kube(
    cluster: &Cluster,
    action: &KubeAction,
    dry_run: bool,
    timeout: Duration,
    tx: &mpsc::Sender<Event>,
    cancel: oneshot::Receiver<()>,
    done: &impl Fn(Option<i32>, String) -> Event,
) -> Event {
    tokio::select! {
        r = cluster.apply(action, dry_run) => match r {
            Ok(said) => {
                let _ = tx.send(Event::ExecLine(crate::sanitize::escape(&said).into_owned())).await;
                done(Some(0), "succeeded".into())
            }
            Err(e) => {
                let _ = tx.send(Event::ExecLine(format!("! {e}"))).await;
                done(None, format!("failed: {e}"))
            }
        },
        _ = tokio::time::sleep(timeout) => done(None, "timed out".into()),
        // The request may already be at the API server: dropping it calls nothing back.
        _ = cancelled(cancel) => done(None, if dry_run {
            CANCELLED.to_string()
        } else {
            format!(
                "{CANCELLED}: the API call may have gone through: {}, check it",
                super::interrupt::EFFECT_UNKNOWN
            )
        }),
    }
}

/// What a cancelled run's outcome starts with.
const CANCELLED: &str = "cancelled";

/// Resolves when the cancel key is pressed; never, if the sender is dropped.
async fn cancelled(cancel: oneshot::Receiver<()>) {
    if cancel.await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::gate::{GatedPlan, NoPreChecks};
    use crate::exec::{ActionKind, ActionSpec, Danger};
    use std::collections::BTreeMap;

    async fn gated(replicas: u32) -> GatedPlan {
        gated_code(
            &format!("kubectl -n catalog scale deployment/catalog --replicas={replicas}"),
            ActionKind::Mitigation,
        )
        .await
    }

    async fn gated_code(code: &str, kind: ActionKind) -> GatedPlan {
        let spec = ActionSpec {
            runbook: "rb".into(),
            name: "scale".into(),
            kind,
            danger: Danger::Low,
            code: code.to_string(),
            dry_run: None,
            timeout: None,
            shell: false,
            safety_question: None,
            declared_labels: Vec::new(),
            prechecks: Vec::new(),
            manifest: None,
            experiment: None,
            emergency: None,
        };
        let labels = BTreeMap::new();
        let cfg = GateConfig::default();
        gate::gate(
            &cfg,
            Request {
                spec: &spec,
                alert: None,
                labels: &labels,
                context: SIM_CONTEXT,
            },
            &NoPreChecks,
        )
        .await
        .unwrap()
    }

    async fn execute(rt: &mut ExecRuntime, rx: &mut mpsc::Receiver<Event>, e: Effect) -> String {
        rt.perform(e);
        loop {
            match rx.recv().await {
                Some(Event::ExecDone(d)) => return d.outcome,
                Some(_) => continue,
                None => panic!("no answer"),
            }
        }
    }

    fn replicas(rt: &ExecRuntime) -> i32 {
        match &rt.cluster {
            Cluster::Sim(s) => s
                .lock()
                .unwrap()
                .workloads
                .iter()
                .find(|(k, _)| k.2 == "catalog")
                .map(|(_, n)| *n)
                .unwrap(),
            _ => panic!("not the simulated cluster"),
        }
    }

    #[tokio::test]
    async fn a_mitigation_never_runs_without_a_confirmation_for_its_own_plan() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut rt = ExecRuntime::demo(GateConfig::default(), &[], None, tx);
        let plan = gated(12).await;
        let other = gated(2).await;
        let exec = |confirmation| Effect::Execute {
            id: "m1".into(),
            plan: Box::new(plan.clone()),
            confirmation,
            dry_run: false,
        };
        let out = execute(&mut rt, &mut rx, exec(None)).await;
        assert!(out.starts_with("not run"), "{out}");
        // Confirmed for a different plan: refused too.
        let out = execute(&mut rt, &mut rx, exec(other.confirm("y"))).await;
        assert!(out.starts_with("not run"), "{out}");
        assert_eq!(replicas(&rt), 8);
        let out = execute(&mut rt, &mut rx, exec(plan.confirm("y"))).await;
        assert_eq!(out, "succeeded");
        assert_eq!(replicas(&rt), 12);
    }

    /// An API server that takes connections and never answers.
    async fn stalled_api() -> (KubeRunner, tokio::task::JoinHandle<()>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((c, _)) = l.accept().await {
                held.push(c);
            }
        });
        (KubeRunner::for_url(&url).unwrap(), task)
    }

    #[tokio::test]
    async fn the_cancel_key_ends_api_reads_and_calls_and_a_cancelled_call_is_of_unknown_effect() {
        let (runner, task) = stalled_api().await;
        let (tx, mut rx) = mpsc::channel(16);
        let mut rt = ExecRuntime::with_runner(GateConfig::default(), SIM_CONTEXT, runner, tx);
        let read = gated_code("kubectl -n catalog get pods", ActionKind::Check).await;
        assert!(matches!(read.plan.target, Target::KubeRead(_)));
        let scale = gated(12).await;
        for (plan, confirmation, want) in [
            (read.clone(), None, "cancelled".to_string()),
            (
                scale.clone(),
                scale.confirm("y"),
                "cancelled: the API call may have gone through: its effect is unknown, check it"
                    .to_string(),
            ),
        ] {
            rt.perform(Effect::Execute {
                id: "m1".into(),
                plan: Box::new(plan),
                confirmation,
                dry_run: false,
            });
            tokio::time::sleep(Duration::from_millis(200)).await;
            let asked = Instant::now();
            rt.perform(Effect::CancelExec);
            let out = loop {
                match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                    Ok(Some(Event::ExecDone(d))) => break d.outcome,
                    Ok(Some(_)) => continue,
                    other => panic!("no answer to the cancel: {other:?}"),
                }
            };
            assert_eq!(out, want);
            assert!(asked.elapsed() < Duration::from_secs(2));
        }
        super::super::interrupt::ended("m1");
        task.abort();
    }
}
