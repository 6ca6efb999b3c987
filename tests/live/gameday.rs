//! A game-day end to end: the real binary in a pseudo-terminal, a real Prometheus scraping
//! a shop whose error rate the test controls, and the fake Kubernetes API. An experiment is
//! started behind the typed confirmation; the test makes the error rate rise and measures
//! how long the console takes to delete the experiment on the API; the verdict prompt
//! comes at the end of the observation window; the journal and the postmortem say it all.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::harness::{self, PrometheusSetup, require, wait_ready};
use crate::kube_fake::{Cluster, FakeApi};
use crate::support::pty::{Key, SessionBuilder, TIMEOUT};

/// How often Prometheus scrapes the shop, and how often the console polls the abort query.
const SCRAPE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_secs(1);
/// The abort's worst case: the rise lands just after a scrape, so Prometheus has it at the
/// next scrape (at most `SCRAPE` later; one scrape of the new rate already puts the 5 s
/// `rate()` ratio over 5 %: about 50 errors in 400 requests); the console read the query
/// just before that, so the next poll is at most `POLL` later. What is left is the query's
/// and the delete's round trips on loopback and the scheduling of a slow, shared machine:
/// `SLACK`. Typical runs delete it about 1 s after the rise.
const SLACK: Duration = Duration::from_secs(1);

/// The shop's counters: requests at 100/s, errors at `ratio` of them, integrated over time
/// so that a change of ratio shows in `rate()` from the next scrape on.
struct Shop {
    last: Instant,
    requests: f64,
    errors: f64,
    ratio: f64,
}

impl Shop {
    fn advance(&mut self) {
        let dt = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        self.requests += 100.0 * dt;
        self.errors += 100.0 * dt * self.ratio;
    }
}

type Shared = Arc<Mutex<Shop>>;

fn set_ratio(shop: &Shared, ratio: f64) {
    let mut s = shop.lock().unwrap();
    s.advance();
    s.ratio = ratio;
}

async fn serve_shop(shop: Shared) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            let shop = shop.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = {
                    let mut s = shop.lock().unwrap();
                    s.advance();
                    format!(
                        "# TYPE shop_requests_total counter\nshop_requests_total {}\n# TYPE shop_errors_total counter\nshop_errors_total {}\n",
                        s.requests, s.errors
                    )
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    port
}

fn prometheus_config(dir: &Path, target: &str) -> std::path::PathBuf {
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: {}s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: shop\n    static_configs:\n      - targets: ['{target}']\n",
            SCRAPE.as_secs()
        ),
    )
    .expect("write prometheus.yml");
    cfg
}

/// Two contexts: `staging` (the fake API) and the current one, `prod`, which goes nowhere:
/// the game-day must act in the context its boundary names.
fn kubeconfig(dir: &Path, api: &str) -> std::path::PathBuf {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {api}\n- name: nowhere\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: staging\n  context:\n    cluster: fake\n    user: nobody\n- name: prod\n  context:\n    cluster: nowhere\n    user: nobody\ncurrent-context: prod\nusers:\n- name: nobody\n  user: {{}}\n"
        ),
    )
    .expect("write kubeconfig");
    p
}

async fn abort_value(prom: &str) -> Option<f64> {
    let q = "sum(rate(shop_errors_total[5s])) / sum(rate(shop_requests_total[5s]))";
    let url =
        reqwest::Url::parse_with_params(&format!("{prom}/api/v1/query"), &[("query", q)]).ok()?;
    let body: serde_json::Value = reqwest::get(url).await.ok()?.json().await.ok()?;
    body.pointer("/data/result/0/value/1")?
        .as_str()?
        .parse()
        .ok()
}

fn journal(data: &Path) -> Vec<serde_json::Value> {
    let root = data.join("warroom/incidents");
    let Some(dir) = std::fs::read_dir(&root)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
    else {
        return Vec::new();
    };
    std::fs::read_to_string(dir.path().join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn wait_for_record(data: &Path, kind: &str) -> serde_json::Value {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(r) = journal(data).into_iter().find(|r| r["type"] == kind) {
            return r;
        }
        assert!(Instant::now() < deadline, "no {kind} record in the journal");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_abort_condition_deletes_the_experiment_within_a_poll() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    require("prometheus");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let shop: Shared = Arc::new(Mutex::new(Shop {
        last: Instant::now(),
        requests: 0.0,
        errors: 0.0,
        ratio: 0.001,
    }));
    let port = rt.block_on(serve_shop(shop.clone()));
    let api = rt.block_on(FakeApi::start(Cluster::shop()));
    let setup = PrometheusSetup {
        dir: dir.to_path_buf(),
        port: harness::free_port(),
        config: prometheus_config(dir, &format!("127.0.0.1:{port}")),
        data: dir.join("prom-data"),
    };
    let prom = setup.start();
    rt.block_on(wait_ready(&format!("{}/-/ready", setup.url()), &prom));
    // The abort query answers once there are two scrapes in its window.
    rt.block_on(harness::eventually(
        "the abort query answering",
        Duration::from_secs(60),
        || async { abort_value(&setup.url()).await.filter(|v| *v < 0.05) },
    ));

    let books = dir.join("runbooks");
    std::fs::create_dir_all(books.join("gamedays")).unwrap();
    let text = crate::gameday::GAMEDAY
        .replace("observation_window: 2m", "observation_window: 20s")
        .replace("max_pods: 2", "max_pods: 1");
    std::fs::write(books.join("gamedays/shop-chaos.yaml"), text).unwrap();
    let config = dir.join("warroom.yaml");
    std::fs::write(
        &config,
        format!(
            "user: tester\nrunbooks_dir: {}\nkubeconfig: {}\nprotected_contexts: [prod]\nprometheus:\n  url: {}\n  interval: 1s\n",
            books.display(),
            kubeconfig(dir, &api.url).display(),
            setup.url()
        ),
    )
    .unwrap();
    let data = dir.join("data");
    let mut s = SessionBuilder::warroom()
        .args(["--config"])
        .arg(&config)
        .args(["gameday", "shop-chaos"])
        .size(120, 40)
        .env("XDG_DATA_HOME", &data)
        .spawn();
    s.wait_for("the game-day and a first abort reading", TIMEOUT, |sc| {
        let t = sc.contents();
        t.contains("GAME-DAY shop-chaos") && t.contains("(aborts if > 0.05) ok")
    });

    // Start the pod kill: the boundary is checked, the name typed.
    s.send("e");
    s.wait_for_text("Start this chaos experiment?");
    s.wait_for_text("create PodChaos/gd-kill-cart in shop");
    s.wait_for_text("context:   staging");
    s.send("gd-kill-cart");
    s.send_key(Key::Enter);
    s.wait_for_text("INJECTING");
    let created = |api: &FakeApi| !api.cluster.lock().unwrap().custom.is_empty();
    assert!(created(&api), "the experiment is on the API");

    // The shop starts failing: 50 % errors.
    set_ratio(&shop, 0.5);
    let raised = Instant::now();
    let bound = POLL + SCRAPE + SLACK;
    while created(&api) {
        assert!(
            raised.elapsed() < bound * 3,
            "the experiment was not deleted within {:?}\n{}",
            bound * 3,
            s.screen_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = raised.elapsed();
    assert!(
        took <= bound,
        "deleted {took:?} after the error rate rose; the bound is one poll ({POLL:?}) plus one scrape ({SCRAPE:?}) plus {SLACK:?}"
    );
    eprintln!("abort: experiment deleted {took:?} after the error rate rose");
    let seen = api.seen();
    let delete = seen
        .iter()
        .find(|r| r.method == "DELETE")
        .expect("a DELETE");
    assert_eq!(
        delete.path,
        "/apis/chaos-mesh.org/v1alpha1/namespaces/shop/podchaos/gd-kill-cart?"
    );
    s.wait_for_text("ABORTED");
    s.wait_for_text("TRIPPED");
    let trip = wait_for_record(&data, "gameday_abort_tripped");
    assert!(trip["value"].as_f64().unwrap() > 0.05, "{trip}");
    assert_eq!(trip["threshold"], 0.05);
    assert_eq!(trip["comparison"], ">");
    assert!(trip["observed_at"].is_string(), "{trip}");
    assert_eq!(trip["experiments"][0], "kill-cart");
    let removed = wait_for_record(&data, "gameday_experiment_removed");
    assert_eq!(removed["reason"], "abort");
    assert_eq!(removed["ok"], true);

    // The observation window (20 s from the start) ends: the verdict is asked for.
    set_ratio(&shop, 0.001);
    s.wait_for("the verdict prompt", TIMEOUT * 2, |sc| {
        sc.contents().contains("Did the hypothesis hold?")
    });
    s.send("n");
    s.wait_for_text("It did not hold.");
    s.send("5xx hit 50 % within a second of the pod kill");
    s.send_key(Key::Enter);
    s.wait_for_text("HYPOTHESIS DID NOT HOLD");
    let verdict = wait_for_record(&data, "gameday_verdict");
    assert_eq!(verdict["held"], false);
    wait_for_record(&data, "incident_resolved");
    s.send("q");
    s.wait_exit(TIMEOUT);

    let kinds: Vec<String> = journal(&data)
        .iter()
        .map(|r| r["type"].as_str().unwrap_or("").to_string())
        .collect();
    let pos = |k: &str| kinds.iter().position(|x| x == k).unwrap_or(usize::MAX);
    assert!(
        pos("gameday_started") < pos("mitigation_intent"),
        "{kinds:?}"
    );
    assert!(
        pos("mitigation_intent") < pos("mitigation_outcome"),
        "{kinds:?}"
    );
    assert!(
        pos("mitigation_outcome") < pos("gameday_abort_tripped"),
        "{kinds:?}"
    );
    assert!(
        pos("gameday_abort_tripped") < pos("gameday_verdict"),
        "{kinds:?}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config"])
        .arg(&config)
        .arg("postmortem")
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pm = String::from_utf8_lossy(&out.stdout);
    assert!(pm.contains("## Game-day: shop-chaos"), "{pm}");
    assert!(pm.contains("**Aborts**:"), "{pm}");
    assert!(
        pm.contains("| kill-cart | PodChaos | gd-kill-cart |"),
        "{pm}"
    );
    assert!(pm.contains("removed (abort)"), "{pm}");
    assert!(pm.contains("the hypothesis did NOT hold"), "{pm}");
    drop(prom);
}
