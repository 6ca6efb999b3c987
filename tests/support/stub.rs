//! A loopback HTTP server the test steers while the real binary polls it: any answer,
//! garbage, an endless or huge body, a connection that is accepted and never answered,
//! or the server gone and back on the same port. Plain threads, so PTY tests (which are
//! synchronous) can use it without a runtime.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete answer with a `Content-Length`.
    Body {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `len` bytes of `fill` after `prefix`, with no `Content-Length` (the client only
    /// learns the size by reading), written in chunks until the client hangs up.
    Stream {
        prefix: Vec<u8>,
        fill: u8,
        len: usize,
    },
    /// Reads the request, then never answers (until the server stops).
    Hang,
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body {
            status: 200,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

type Route = dyn Fn(&str) -> Reply + Send + Sync;

struct Shared {
    route: Mutex<Arc<Route>>,
    requests: AtomicUsize,
    stop: AtomicBool,
    /// Accepting: false while the test has "killed" the server (connections are refused
    /// because the listener is closed).
    up: AtomicBool,
}

pub struct Stub {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Stub {
    /// Starts on a free loopback port; `route` gets each request's path and query.
    pub fn start(route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            route: Mutex::new(Arc::new(route)),
            requests: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            up: AtomicBool::new(true),
        });
        spawn_listener(listener, shared.clone());
        Stub { port, shared }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Changes what every later request gets.
    pub fn set(&self, route: impl Fn(&str) -> Reply + Send + Sync + 'static) {
        *self
            .shared
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(route);
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Closes the listening socket: new connections are refused, as when the server died.
    pub fn kill(&self) {
        self.shared.up.store(false, Ordering::SeqCst);
        // Wake the blocking accept so it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the stub kept accepting after kill"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Listens again on the same port.
    pub fn restart(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(Instant::now() < deadline, "rebind port {}: {e}", self.port);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        self.shared.up.store(true, Ordering::SeqCst);
        spawn_listener(listener, self.shared.clone());
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.up.store(false, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn spawn_listener(listener: TcpListener, shared: Arc<Shared>) {
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if !shared.up.load(Ordering::SeqCst) || shared.stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(conn) = conn else { continue };
            let shared = shared.clone();
            std::thread::spawn(move || serve(conn, &shared));
        }
    });
}

fn serve(mut conn: TcpStream, shared: &Shared) {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
        if req.len() > 64 * 1024 {
            return;
        }
    }
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&req);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let route = shared
        .route
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match route(&path) {
        Reply::Body {
            status,
            content_type,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
        Reply::Stream { prefix, fill, len } => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&prefix);
            let chunk = vec![fill; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len());
                if conn.write_all(&chunk[..n]).is_err() {
                    break;
                }
                left -= n;
            }
        }
        Reply::Hang => {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !shared.stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    let _ = conn.shutdown(Shutdown::Both);
}
