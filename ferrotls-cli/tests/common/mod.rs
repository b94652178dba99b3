//! Helpers the CLI's integration tests share: child processes that are
//! killed when dropped, scratch directories, deadlines, certificates, and
//! `openssl s_server`.
//!
//! Every wait has a deadline, which is a safety net against hangs, never
//! an expectation about speed.
#![allow(dead_code)] // each test crate uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ferrotls");
/// A safety net against hangs, never an expectation about speed.
pub const DEADLINE: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------- helpers

/// Kills and reaps a child process when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "ferrotls-cli-test-{}-{tag}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lines from a child's pipe, collected on a thread (so the child never
/// blocks on a full pipe) and also sent to a channel as they come.
pub fn collect_lines(pipe: impl Read + Send + 'static) -> (Arc<Mutex<String>>, Receiver<String>) {
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let log2 = log.clone();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            log2.lock().unwrap().push_str(&format!("{line}\n"));
            let _ = tx.send(line);
        }
    });
    (log, rx)
}

/// Waits for a line matching `pick`, returning what it extracts.
pub fn wait_for_line<T>(
    rx: &Receiver<String>,
    what: &str,
    mut pick: impl FnMut(&str) -> Option<T>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(v) = pick(&line) {
                    return v;
                }
            }
            Err(e) => panic!("no line with {what}: {e}"),
        }
    }
}

/// A running `ferrotls server` on an ephemeral loopback port.
/// What to do with a child's stdin.
pub enum Input {
    /// Write this, then close stdin.
    Close(Vec<u8>),
    /// Write this and keep stdin open until the child exits.
    KeepOpen(Vec<u8>),
}

pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Panics with everything we know unless the exit status is 0.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "exit status {:?}\nstderr:\n{}\nstdout:\n{}",
            self.status,
            self.stderr,
            self.stdout_text()
        );
        self
    }

    pub fn assert_failure(&self, code: i32, stderr_line: &str) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout_text()
        );
        assert!(
            self.stderr.lines().any(|l| l == stderr_line),
            "expected the line {stderr_line:?} in stderr:\n{}",
            self.stderr
        );
        self
    }
}

pub fn read_all_on_thread(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        out
    })
}

pub fn write_stdin_on_thread(mut stdin: ChildStdin, input: Input) -> mpsc::Sender<()> {
    let (done_tx, done_rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        let (data, keep_open) = match input {
            Input::Close(d) => (d, false),
            Input::KeepOpen(d) => (d, true),
        };
        let _ = stdin.write_all(&data);
        let _ = stdin.flush();
        if keep_open {
            // Returns when the test drops the sender: the child has exited.
            let _ = done_rx.recv();
        }
        drop(stdin);
    });
    done_tx
}

/// Runs `cmd` to completion with `input` on stdin, killing it at the
/// deadline.
pub fn run(cmd: &mut Command, input: Input) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (is it installed?): {e}"));
    let stdout = read_all_on_thread(child.stdout.take().unwrap());
    let stderr = read_all_on_thread(child.stderr.take().unwrap());
    let stdin_done = write_stdin_on_thread(child.stdin.take().unwrap(), input);
    let mut child = Guard(child);
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            drop(child);
            let err = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            panic!("{cmd:?} did not finish; stderr:\n{err}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    drop(stdin_done);
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}

pub fn self_signed_files(dir: &TempDir) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path("cert.pem"), dir.path("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (path_str(&cert_path), path_str(&key_path))
}

/// A CA, and a chain (leaf for localhost, then the CA) with the leaf's
/// PKCS#8 key, as PEM files in `dir`: (ca, chain, key).
pub fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_string()
}

pub fn python(script: &str, args: &[&str]) -> Output {
    run(
        Command::new("python3").arg("-c").arg(script).args(args),
        Input::Close(Vec::new()),
    )
}

pub fn openssl_s_server(dir: &TempDir, args: &[&str]) -> (Guard, u16, String) {
    let (cert, key) = self_signed_files(dir);
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-naccept", "1"])
        .args(["-cert", &cert, "-key", &key])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl must be installed for this test");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Guard(child);
    let (_, lines) = collect_lines(stdout);
    let _ = collect_lines(stderr);
    let port = wait_for_line(&lines, "ACCEPT", |l| {
        l.strip_prefix("ACCEPT ")
            .and_then(|a| a.rsplit_once(':'))
            .and_then(|(_, p)| p.parse::<u16>().ok())
    });
    (child, port, cert)
}

/// `gnutls-serv` with `args` (`--echo` or `--http`, a `--priority`) on a
/// free loopback port, serving a self-signed certificate: (guard, port,
/// certificate file).
pub fn gnutls_serv(dir: &TempDir, args: &[&str]) -> (Guard, u16, String) {
    let (cert, key) = self_signed_files(dir);
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("gnutls-serv")
            .arg("--disable-client-cert")
            .args(args)
            .args(["--x509certfile", &cert, "--x509keyfile", &key])
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gnutls-serv must be installed for this test");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let child = Guard(child);
        let (out, _) = collect_lines(stdout);
        let (errors, _) = collect_lines(stderr);
        // "Echo Server listening on IPv4 0.0.0.0 port N...done" (on
        // stderr, with this version).
        let listening = || {
            let text = format!("{}{}", out.lock().unwrap(), errors.lock().unwrap());
            text.lines()
                .any(|l| l.contains("IPv4") && l.ends_with("done"))
        };
        let deadline = Instant::now() + DEADLINE;
        let mut child = child;
        while Instant::now() < deadline && child.0.try_wait().unwrap().is_none() {
            if listening() {
                return (child, port, cert);
            }
            thread::sleep(Duration::from_millis(20));
        }
        let errors = errors.lock().unwrap().clone();
        assert!(
            errors.contains("in use"),
            "gnutls-serv did not start: {errors}"
        );
    }
    panic!("no free port for gnutls-serv");
}
