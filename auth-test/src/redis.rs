//! A real `redis-server` on a free loopback port, started by the test that needs it and
//! killed when dropped. Without the binary: a loud skip, or a failure when
//! `AUTH_REQUIRE_SERVICES=1`.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Whether `redis-server` can run here; says so loudly when not, and fails when
    /// `AUTH_REQUIRE_SERVICES=1`.
    pub fn available() -> bool {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok()
        {
            return true;
        }
        assert!(
            std::env::var("AUTH_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "redis-server not found and AUTH_REQUIRE_SERVICES=1"
        );
        eprintln!("\n!!! SKIPPED: redis-server not found (apt-get install redis-server) !!!\n");
        false
    }

    /// Starts a server, or returns `None` (after saying so) when `redis-server` is missing
    /// and services are not required.
    pub fn start() -> Option<Self> {
        Self::available().then(|| Self::start_on(free_port()))
    }

    /// Starts a server on `port` (a restart keeps the port), with an append-only file so that a
    /// restart finds what was written.
    pub fn start_on(port: u16) -> Self {
        Self::start_with(port, &[])
    }

    /// Starts a server on `port` that remembers nothing (its data directory emptied first): a
    /// Redis that lost its data.
    pub fn start_empty_on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("auth-redis-test-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        Self::start_with(port, &[])
    }

    /// Starts a server on `port` with extra arguments (e.g. `--cluster-enabled yes`).
    pub fn start_with(port: u16, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("auth-redis-test-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(extra)
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Self { child, port, dir };
        server.wait_ready();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`STOP`: the server stalls without closing connections; `CONT`: it
    /// goes on) to the server process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// Runs `redis-cli` against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.cli(&["PING"]).trim() == "PONG"
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on port {} did not start within 10 s",
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub use crate::ports::free_port;
