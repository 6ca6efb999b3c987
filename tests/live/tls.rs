//! A private CA over rustls: Alertmanager serves HTTPS with a certificate from a CA made
//! for the test (openssl); the console trusts it through `ca_file`, and without it the
//! connection is refused with a clear error.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use warroom::sources::alertmanager::{Alertmanager, SeverityMap};
use warroom::sources::http::HttpSettings;
use warroom::state::Event;

use super::harness::{self, eventually, require};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new(require("openssl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ca.pem, and server.pem / server.key for 127.0.0.1 signed by it.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=warroom test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir, &args);
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &args);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_ca_is_trusted_through_ca_file() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    make_certs(dir);
    let web = dir.join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            dir.join("server.pem").display(),
            dir.join("server.key").display()
        ),
    )
    .expect("write web config");
    let (_am, http_url) = harness::alertmanager_with(
        dir,
        "am-tls",
        &[format!("--web.config.file={}", web.display())],
    );
    let url = http_url.replace("http://", "https://");

    let trusting = Alertmanager::new(
        vec![url.clone()],
        HttpSettings {
            ca_file: Some(dir.join("ca.pem")),
            timeout: Duration::from_secs(3),
            ..HttpSettings::default()
        },
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client with the private CA");
    eventually(
        "Alertmanager answering over TLS",
        Duration::from_secs(30),
        || {
            let am = &trusting;
            async move {
                let (events, failed) = am.poll(Utc::now()).await;
                (!failed && matches!(events.first(), Some(Event::Alerts { .. }))).then_some(())
            }
        },
    )
    .await;

    let untrusting = Alertmanager::new(
        vec![url],
        HttpSettings {
            timeout: Duration::from_secs(3),
            ..HttpSettings::default()
        },
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    let (events, failed) = untrusting.poll(Utc::now()).await;
    assert!(failed, "{events:?}");
    let Some(Event::SourceFailed { error, .. }) = events.first() else {
        panic!("{events:?}");
    };
    assert!(
        error.to_lowercase().contains("certificate") || error.contains("UnknownIssuer"),
        "{error}"
    );
}
