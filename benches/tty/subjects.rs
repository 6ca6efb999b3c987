//! The programs measured and the sane, harmless environments they need: warroom's demo,
//! warroom live against 10 000 alerts served over loopback (polled once, polled every 2 s
//! unchanged, and polled every 2 s with every alert changed each time), bottom with its
//! defaults, kdash against a cluster that refuses connections, gitui in a small git
//! repository.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Subject {
    pub name: &'static str,
    pub bin: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    /// Texts that are all on the screen once the program shows its content.
    pub settle: Vec<&'static str>,
    /// A key that opens a view, and a text that view adds to the screen.
    pub key: &'static [u8],
    pub key_shows: &'static str,
}

/// Files and the loopback server the subjects use, kept for the whole run.
pub struct Fixtures {
    dir: tempfile::TempDir,
}

impl Fixtures {
    pub fn new() -> std::io::Result<Fixtures> {
        let dir = tempfile::tempdir()?;
        let same = serve_alerts(vec![alerts_body(10_000, 0)])?;
        // Every alert starts a second later in the second body: each poll changes them all.
        let churn = serve_alerts(vec![alerts_body(10_000, 0), alerts_body(10_000, 1)])?;
        for (file, url, interval) in [
            ("warroom.yaml", &same, "30s"),
            ("polls.yaml", &same, "2s"),
            ("churn.yaml", &churn, "2s"),
        ] {
            std::fs::write(
                dir.path().join(file),
                format!("alertmanager:\n  url: {url}\n  interval: {interval}\n"),
            )?;
        }
        std::fs::write(
            dir.path().join("kubeconfig"),
            "apiVersion: v1\nkind: Config\ncurrent-context: bench\n\
             clusters:\n- name: bench\n  cluster:\n    server: https://127.0.0.1:9\n\
             contexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\n    namespace: default\n\
             users:\n- name: bench\n  user:\n    token: not-a-token\n",
        )?;
        git_repo(&dir.path().join("repo"))?;
        Ok(Fixtures { dir })
    }
}

fn git_repo(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let git = |args: &[&str]| -> std::io::Result<()> {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.invalid")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.invalid")
            .output()?
            .status
            .success();
        if ok {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("git {args:?} failed")))
        }
    };
    git(&["init", "-q", "-b", "main"])?;
    for i in 0..20 {
        std::fs::write(
            dir.join(format!("file{}.txt", i % 5)),
            format!("line {i}\n").repeat(i + 1),
        )?;
        git(&["add", "."])?;
        git(&["commit", "-q", "-m", &format!("change {i}")])?;
    }
    std::fs::write(dir.join("file0.txt"), "edited\n")?;
    Ok(())
}

/// A `GET /api/v2/alerts` body of `n` alerts, shaped like a busy Alertmanager's, started
/// two hours ago less `later` seconds.
pub fn alerts_body(n: usize, later: u64) -> Vec<u8> {
    let sev = ["critical", "page", "warning"];
    let now = chrono_like_now(later);
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"annotations":{{"runbook_url":"https://runbooks.example.invalid/slo/error-budget-burn","summary":"checkout burning error budget {i}.5x (acme/eu-west-1)"}},"endsAt":"2099-01-01T00:00:00.000Z","fingerprint":"{i:016x}","receivers":[{{"name":"blackhole"}}],"startsAt":"{now}","status":{{"inhibitedBy":[],"silencedBy":[],"state":"active"}},"updatedAt":"{now}","generatorURL":"http://prometheus:9090/graph","labels":{{"alertname":"Alert{}","cluster":"prod-1","region":"eu-west-1","service":"svc-{}","severity":"{}","tenant":"tenant-{}","pod":"pod-{i}"}}}}"#,
            i % 50,
            i % 20,
            sev[i % 3],
            i % 100
        ));
    }
    out.push(']');
    out.into_bytes()
}

/// Two hours ago (plus `later` seconds), as RFC 3339, without a date crate: alert ages then
/// read in minutes.
fn chrono_like_now(later: u64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        - 7200
        + later;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Serves the alert bodies in turn to `GET /api/v2/alerts`, no group to
/// `/api/v2/alerts/groups`, on a loopback port, one connection at a time.
fn serve_alerts(bodies: Vec<Vec<u8>>) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        let mut turn = 0;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(match conn.try_clone() {
                Ok(c) => c,
                Err(_) => continue,
            });
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let groups = line.contains("/api/v2/alerts/groups");
            line.clear();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body: &[u8] = if groups {
                b"[]"
            } else {
                turn += 1;
                &bodies[turn % bodies.len()]
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn
                .write_all(head.as_bytes())
                .and_then(|()| conn.write_all(body));
        }
    });
    Ok(url)
}

fn find_bin(name: &str, peers: Option<&Path>) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = peers {
        dirs.push(p.join("bin"));
        dirs.push(p.to_path_buf());
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// warroom's two set-ups and every peer found; the second list says which were not found.
pub fn all(warroom: &str, peers: Option<&Path>, fx: &Fixtures) -> (Vec<Subject>, Vec<String>) {
    let dir = fx.dir.path();
    let mut list = vec![
        Subject {
            name: "warroom",
            bin: warroom.into(),
            args: vec!["--demo".into()],
            env: Vec::new(),
            cwd: None,
            settle: vec!["Alerts", "Runbook", "SLO", "Drill"],
            key: b"?",
            key_shows: "Help",
        },
        Subject {
            name: "warroom-10k",
            bin: warroom.into(),
            args: vec![
                "--config".into(),
                dir.join("warroom.yaml").display().to_string(),
            ],
            env: Vec::new(),
            cwd: None,
            settle: vec!["Alerts", "tenant-"],
            key: b"?",
            key_shows: "Help",
        },
    ];
    for (name, file) in [
        ("warroom-10k-polls", "polls.yaml"),
        ("warroom-10k-churn", "churn.yaml"),
    ] {
        list.push(Subject {
            name,
            bin: warroom.into(),
            args: vec!["--config".into(), dir.join(file).display().to_string()],
            env: Vec::new(),
            cwd: None,
            settle: vec!["Alerts", "tenant-"],
            key: b"?",
            key_shows: "Help",
        });
    }
    let mut missing = Vec::new();
    let peer_list: [(&'static str, &str, Subject); 3] = [
        (
            "btm",
            "bottom: cargo install --locked bottom",
            Subject {
                name: "btm",
                bin: PathBuf::new(),
                args: Vec::new(),
                env: Vec::new(),
                cwd: None,
                settle: vec!["CPU", "Memory", "Processes"],
                key: b"?",
                key_shows: "Help",
            },
        ),
        (
            "kdash",
            "kdash: cargo install --locked kdash",
            Subject {
                name: "kdash",
                bin: PathBuf::new(),
                args: Vec::new(),
                env: vec![(
                    "KUBECONFIG".into(),
                    dir.join("kubeconfig").display().to_string(),
                )],
                cwd: None,
                settle: vec!["Context", "bench"],
                key: b"?",
                key_shows: "Help",
            },
        ),
        (
            "gitui",
            "gitui: cargo install --locked gitui",
            Subject {
                name: "gitui",
                bin: PathBuf::new(),
                args: Vec::new(),
                env: Vec::new(),
                cwd: Some(dir.join("repo")),
                settle: vec!["Unstaged Changes", "file0.txt"],
                key: b"2",
                key_shows: "change 19",
            },
        ),
    ];
    for (bin, how, mut s) in peer_list {
        match find_bin(bin, peers) {
            Some(p) => {
                s.bin = p;
                list.push(s);
            }
            None => missing.push(format!("{bin} is not installed ({how}; or --peers DIR)")),
        }
    }
    (list, missing)
}

/// `--bin PATH -- ARGS`: any program, settled once something is drawn.
pub fn custom(bin: String, args: Vec<String>) -> Subject {
    Subject {
        name: "custom",
        bin: bin.into(),
        args,
        env: Vec::new(),
        cwd: None,
        settle: vec![],
        key: b"?",
        key_shows: "Help",
    }
}
