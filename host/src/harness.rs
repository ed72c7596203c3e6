//! The reference servers as child processes, for the end-to-end tests and `make demo`:
//! started on free loopback ports, stopped on drop (also when a test panics), with their
//! control channels and a token minter. Needs `make setup-servers` (npm packages of
//! tests/server, the virtual environment of tests/pyserver).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The repository root (this crate lives in `host/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// npm socket.io 4.8 (tests/server): the whole contract, recovery, control channel.
    Node,
    /// python-socketio (tests/pyserver): the basic contract and binary events.
    Python,
}

/// A running server process.
pub struct Server {
    /// Which server.
    pub kind: Kind,
    child: Option<Child>,
    /// Its Socket.IO port.
    pub port: u16,
    /// The reference server's control port.
    pub control: Option<u16>,
    args: Vec<String>,
}

fn spawn(kind: Kind, args: &[String]) -> (Child, u16, Option<u16>) {
    let root = repo();
    let mut cmd = match kind {
        Kind::Node => {
            let dir = root.join("tests/server");
            assert!(
                dir.join("node_modules").exists(),
                "run `make setup-servers` first (tests/server/node_modules missing)"
            );
            let mut c = Command::new("node");
            c.arg(dir.join("server.js"));
            c
        }
        Kind::Python => {
            let py = root.join("tests/pyserver/.venv/bin/python");
            assert!(py.exists(), "run `make setup-servers` first (tests/pyserver/.venv missing)");
            let mut c = Command::new(py);
            c.arg(root.join("tests/pyserver/server.py"));
            c
        }
    };
    cmd.args(args).arg("--quiet").stdout(Stdio::piped()).stderr(Stdio::null()).stdin(Stdio::null());
    let mut child = cmd.spawn().expect("start the server");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut port, mut control) = (None, None);
    let want_control = kind == Kind::Node;
    while port.is_none() || (want_control && control.is_none()) {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            panic!("{kind:?} server exited before it listened");
        }
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next().and_then(|p| p.parse().ok())) {
            (Some("LISTENING"), Some(p)) => port = Some(p),
            (Some("CONTROL"), Some(p)) => control = Some(p),
            _ => {}
        }
    }
    (child, port.unwrap(), control)
}

impl Server {
    /// Starts a server; `ping` = (interval, timeout) in ms.
    pub fn start(kind: Kind, ping: (u64, u64)) -> Server {
        let mut args = vec![
            "--port".to_string(),
            "0".into(),
            "--ping-interval".into(),
            ping.0.to_string(),
            "--ping-timeout".into(),
            ping.1.to_string(),
        ];
        if kind == Kind::Node {
            args.extend(["--control-port".to_string(), "0".into()]);
        }
        let (child, port, control) = spawn(kind, &args);
        Server { kind, child: Some(child), port, control, args }
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Stops the process (a hard stop: every connection drops).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn respawn(&mut self) {
        self.kill();
        let mut args = self.args.clone();
        let i = args.iter().position(|a| a == "--port").unwrap();
        args[i + 1] = self.port.to_string();
        // The old socket may linger for a moment.
        for _ in 0..50 {
            let (child, port, control) = spawn(self.kind, &args);
            if port == self.port {
                self.child = Some(child);
                self.control = control;
                return;
            }
            let _ = { child }.kill();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not listen on port {} again", self.port);
    }

    /// Suspends (`false`) or resumes (`true`) the whole process: a hung server.
    pub fn set_running(&self, running: bool) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let sig = if running { "-CONT" } else { "-STOP" };
        assert!(Command::new("kill").args([sig, &pid]).status().unwrap().success());
    }

    /// Calls the control channel (reference server) or the HTTP control routes (python).
    pub fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let port = self.control.unwrap_or(self.port);
        http(port, method, path, &body)
    }

    /// The server's state (`GET /control/state`).
    pub fn state(&self) -> Value {
        self.control("GET", "/control/state", Value::Null)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill").args(["-CONT", &c.id().to_string()]).status();
        }
        self.kill();
    }
}

/// A minimal HTTP/1.1 request on loopback (test code only).
pub fn http(port: u16, method: &str, path: &str, body: &Value) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("control channel");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = if body.is_null() { String::new() } else { body.to_string() };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let json = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(json).unwrap_or_else(|_| panic!("control {path}: {resp}"))
}

/// A token for a fixture user, minted by the reference server's own tool.
pub fn token(user: &str, expires_in: Option<&str>) -> String {
    let mut c = Command::new("node");
    c.arg(repo().join("tests/server/mint-token.js")).arg(user);
    if let Some(e) = expires_in {
        c.args(["--expires-in", e]);
    }
    let out = c.output().expect("node mint-token.js");
    assert!(out.status.success(), "mint-token failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
