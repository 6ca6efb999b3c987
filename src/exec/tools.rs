//! Which commands only read, so a check may run them without the prompt, in a read-only
//! console and by itself (`auto=true`). The answer is an allow-list, never a guess:
//! `kubectl` (named by any path) with a read-only verb, a few network tools, `curl` without
//! anything that sends data or writes a file, and the tools the config's `read_only_tools`
//! adds. Everything else, wrappers that run another program (`env`, `sudo`, `xargs`, a
//! shell, ...) and every `shell=true` block included, counts as a change.

use super::plan::{Kubectl, parse_kubectl};

/// Programs that run another program or a script: never read-only whatever follows them,
/// and never allowed in `read_only_tools`.
pub const WRAPPERS: &[&str] = &[
    "env",
    "sudo",
    "doas",
    "su",
    "runuser",
    "pkexec",
    "timeout",
    "nice",
    "ionice",
    "nohup",
    "xargs",
    "parallel",
    "stdbuf",
    "setsid",
    "chroot",
    "unshare",
    "nsenter",
    "taskset",
    "chrt",
    "flock",
    "time",
    "watch",
    "strace",
    "ltrace",
    "script",
    "systemd-run",
    "ssh",
    "exec",
    "command",
    "builtin",
    "eval",
    "find",
    "awk",
    "gawk",
    "perl",
    "python",
    "python3",
    "ruby",
    "node",
    "busybox",
    "toybox",
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "ash",
    "fish",
    "csh",
    "tcsh",
];

/// Network tools that only ask questions.
pub const BUILTIN_READ_ONLY: &[&str] = &[
    "dig",
    "host",
    "nslookup",
    "ping",
    "ping6",
    "getent",
    "traceroute",
    "tracepath",
    "whois",
];

/// Directories an allow-listed tool may be named from; anywhere else (`./scripts/dig`) it
/// is some other program with the same name.
const SYSTEM_DIRS: &[&str] = &["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];

/// The program's name without its directory: `/usr/bin/kubectl` is `kubectl`.
pub fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// A tool named bare (found on `PATH`) or from a system directory.
fn system_tool(word: &str) -> bool {
    match word.rsplit_once('/') {
        None => true,
        Some((dir, _)) => SYSTEM_DIRS.contains(&dir),
    }
}

/// Why a name cannot be in `read_only_tools`, if it cannot.
pub fn refuse_tool(name: &str) -> Option<String> {
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_whitespace) {
        return Some(format!(
            "`{}` is not a program name (no paths, no spaces)",
            crate::sanitize::escape(name)
        ));
    }
    if WRAPPERS.contains(&name) {
        return Some(format!(
            "`{name}` runs other programs, so it is never read-only"
        ));
    }
    if name == "kubectl" || name == "curl" {
        return Some(format!(
            "`{name}` is judged by its arguments already; it cannot be allowed wholesale"
        ));
    }
    None
}

/// True when this argv only reads. `extra` is the config's `read_only_tools`.
pub fn is_read_only(argv: &[String], extra: &[String]) -> bool {
    let Some(first) = argv.first() else {
        return false;
    };
    let name = program_name(first);
    if WRAPPERS.contains(&name) {
        return false;
    }
    if name == "kubectl" {
        return matches!(parse_kubectl(argv), Ok(Kubectl::ReadOnly));
    }
    if !system_tool(first) {
        return false;
    }
    if name == "curl" {
        return curl_read_only(&argv[1..]);
    }
    BUILTIN_READ_ONLY.contains(&name) || extra.iter().any(|t| t == name)
}

/// `curl` that only fetches: http(s) URLs, no data, form, upload or method other than GET
/// and HEAD, no config file, and output only to stdout or `/dev/null`.
fn curl_read_only(args: &[String]) -> bool {
    // Short options that take a value; the rest of the word, or else the next word, is it.
    const VALUE: &str = "AbCDdEeFHKmoPQrTtUuwXxYyz";
    const SENDS_OR_WRITES: &str = "dFTKOcJ";
    let harmless_sink = |v: &str| v == "-" || v == "/dev/null";
    let method_ok = |v: &str| v.eq_ignore_ascii_case("GET") || v.eq_ignore_ascii_case("HEAD");
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(long) = a.strip_prefix("--") {
            let (flag, inline) = match long.split_once('=') {
                Some((f, v)) => (f, Some(v)),
                None => (long, None),
            };
            let mut value = || -> Option<&str> {
                match inline {
                    Some(v) => Some(v),
                    None => {
                        i += 1;
                        args.get(i).map(String::as_str)
                    }
                }
            };
            let ok = match flag {
                "request" => value().is_some_and(method_ok),
                "output" | "dump-header" | "stderr" => value().is_some_and(harmless_sink),
                f if f.starts_with("data")
                    || f.starts_with("form")
                    || f.starts_with("upload")
                    || f.starts_with("remote-name")
                    || f.starts_with("trace")
                    || f.starts_with("cookie-jar")
                    || f.starts_with("etag-save")
                    || f.starts_with("output-dir")
                    || f.starts_with("create-dirs")
                    || f.starts_with("libcurl")
                    || f.starts_with("hsts")
                    || f.starts_with("alt-svc")
                    || f == "json"
                    || f == "config"
                    || f == "next"
                    || f == "url" =>
                {
                    false
                }
                // Value-taking long options whose value is harmless.
                "write-out" | "header" | "user-agent" | "max-time" | "connect-timeout"
                | "retry" | "retry-delay" | "retry-max-time" | "resolve" | "connect-to"
                | "cacert" | "capath" | "cert" | "key" | "user" | "proxy" | "referer"
                | "url-query" | "range" | "interface" | "dns-servers" | "oauth2-bearer" => {
                    value().is_some()
                }
                _ => inline.is_none(),
            };
            if !ok {
                return false;
            }
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (at, c) in short.char_indices() {
                if SENDS_OR_WRITES.contains(c) {
                    return false;
                }
                if VALUE.contains(c) {
                    let rest = &short[at + c.len_utf8()..];
                    let v = if rest.is_empty() {
                        i += 1;
                        match args.get(i) {
                            Some(v) => v.as_str(),
                            None => return false,
                        }
                    } else {
                        rest
                    };
                    let ok = match c {
                        'X' => method_ok(v),
                        'o' | 'D' => harmless_sink(v),
                        _ => true,
                    };
                    if !ok {
                        return false;
                    }
                    break;
                }
            }
        } else if !(a.starts_with("https://") || a.starts_with("http://")) {
            // Other schemes (smtp://, telnet://, gopher://, file://) can send or read
            // anything; a bare word could be a host curl guesses a scheme for.
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ro(s: &str) -> bool {
        is_read_only(&shlex::split(s).unwrap(), &["cnpg-status".to_string()])
    }

    #[test]
    fn kubectl_by_any_path_is_kubectl() {
        assert!(ro("kubectl -n shop get pods"));
        assert!(ro("/usr/bin/kubectl -n shop get pods"));
        assert!(ro("./bin/kubectl -n shop describe pod x"));
        assert!(!ro("/usr/bin/kubectl -n shop delete pod x"));
        assert!(!ro("/opt/k/kubectl --context=other -n shop get pods"));
        assert!(!ro("kubectl exec -n db pg-1 -- psql -c 'select 1'"));
    }

    #[test]
    fn wrappers_and_unknown_programs_are_never_read_only() {
        for s in [
            "env kubectl get pods",
            "sudo kubectl get pods",
            "timeout 5 kubectl get pods",
            "nice dig example.com",
            "xargs kubectl delete pod",
            "env sh -c 'kubectl delete pod x'",
            "busybox ping x",
            "/bin/sh -c 'dig x'",
            "helm status cart",
            "helm rollback cart 3",
            "./scripts/dig example.com",
            "/tmp/x/ping host",
            "psql -c 'drop table x'",
        ] {
            assert!(!ro(s), "{s}");
        }
        assert!(ro("dig +short example.com"));
        assert!(ro("/usr/bin/getent hosts localhost"));
        assert!(ro("cnpg-status main"), "the config adds tools");
    }

    #[test]
    fn curl_only_fetches() {
        for ok in [
            "curl -fsS https://status.example/api/v2/status.json",
            "curl -fsS -o /dev/null -w '%{http_code}\\n' https://x.example/healthz",
            "curl -sX GET https://x.example/",
            "curl --request=HEAD -H 'Accept: json' https://x.example/",
            "curl -I --max-time 5 http://x.example/",
        ] {
            assert!(ro(ok), "{ok}");
        }
        for bad in [
            "curl -X POST http://flags/off",
            "curl -fsSXPOST http://flags/off",
            "curl --request DELETE https://x/",
            "curl -d x=1 https://x/",
            "curl --data-binary @f https://x/",
            "curl --json '{}' https://x/",
            "curl -F a=@f https://x/",
            "curl -T file https://x/",
            "curl -o /etc/passwd https://x/",
            "curl -so/tmp/x https://x/",
            "curl -O https://x/file",
            "curl -K cfg https://x/",
            "curl smtp://mail.example",
            "curl example.com",
            "curl -c jar https://x/",
            "curl --unknown-flag=1 https://x/",
        ] {
            assert!(!ro(bad), "{bad}");
        }
    }

    #[test]
    fn the_config_cannot_allow_wrappers() {
        assert!(refuse_tool("sudo").is_some());
        assert!(refuse_tool("bash").is_some());
        assert!(refuse_tool("kubectl").is_some());
        assert!(refuse_tool("/usr/bin/dig").is_some());
        assert!(refuse_tool("").is_some());
        assert_eq!(refuse_tool("cmctl"), None);
    }
}
