//! Real Prometheus and Alertmanager for the tests: binaries from PATH (the test script
//! installs the Debian packages), free loopback ports, temp data dirs, processes killed on
//! drop (also when a test panics), readiness by polling `/-/ready`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a required program. Fails the test (never skips it) when it is missing.
pub fn require(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{program}` is not on PATH. The live tests run real Prometheus and Alertmanager: \
         install the Debian packages `prometheus` and `prometheus-alertmanager` \
         (bash scripts/test.sh does it), or put the binaries on PATH."
    );
}

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// A child process that dies with this value.
pub struct Proc {
    pub name: String,
    child: Option<Child>,
    pub log: PathBuf,
}

impl Proc {
    pub fn spawn(name: &str, program: &Path, args: &[String], log: PathBuf) -> Proc {
        let out = std::fs::File::create(&log).expect("create the log file");
        let err = out.try_clone().expect("clone the log file");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Proc {
            name: name.into(),
            child: Some(child),
            log,
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The end of its log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `url` until it answers 200 (deadline 30 s; the machine is slow and shared).
pub async fn wait_ready(url: &str, proc: &Proc) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{} did not become ready at {url} within 30 s; its log ends:\n{}",
                proc.name,
                proc.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Retries `check` every 250 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub fn alertmanager(dir: &Path, name: &str) -> (Proc, String) {
    alertmanager_with(dir, name, &[])
}

/// Alertmanager with extra flags (e.g. `--web.config.file` for TLS).
pub fn alertmanager_with(dir: &Path, name: &str, extra: &[String]) -> (Proc, String) {
    alertmanager_on(dir, name, free_port(), extra)
}

/// Alertmanager on a given port, so a test can stop it and start it again where the
/// console expects it (its data dir is kept, as a restarted server keeps its disk).
pub fn alertmanager_on(dir: &Path, name: &str, port: u16, extra: &[String]) -> (Proc, String) {
    let bin = require("prometheus-alertmanager");
    let data = dir.join(format!("{name}-data"));
    std::fs::create_dir_all(&data).expect("mkdir");
    let cfg = dir.join(format!("{name}.yml"));
    std::fs::write(
        &cfg,
        "route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: blackhole\n",
    )
    .expect("write the Alertmanager config");
    let url = format!("http://127.0.0.1:{port}");
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--web.external-url={url}/"),
        "--cluster.listen-address=".into(),
        "--log.level=warn".into(),
    ];
    let args: Vec<String> = args.into_iter().chain(extra.iter().cloned()).collect();
    let p = Proc::spawn(name, &bin, &args, dir.join(format!("{name}.log")));
    (p, url)
}

pub struct PrometheusSetup {
    pub dir: PathBuf,
    pub port: u16,
    pub config: PathBuf,
    pub data: PathBuf,
}

impl PrometheusSetup {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn start(&self) -> Proc {
        let bin = require("prometheus");
        let url = self.url();
        let args = vec![
            format!("--config.file={}", self.config.display()),
            format!("--storage.tsdb.path={}", self.data.display()),
            format!("--web.listen-address=127.0.0.1:{}", self.port),
            format!("--web.external-url={url}/"),
            "--rules.alert.resend-delay=1s".into(),
            "--log.level=warn".into(),
        ];
        Proc::spawn("prometheus", &bin, &args, self.dir.join("prometheus.log"))
    }
}
