//! Redis for tests: looking at what the app stored (`redis-cli`, a client, a scan of a
//! prefix), a throw-away `redis-server` a test can stop, pause and restart, and the commands
//! clients send it (`MONITOR`).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use fred::prelude::*;

use super::{redis_url, unique};

/// `redis-cli` against the tests' Redis (a single server, or a cluster through any node).
pub fn redis_cli(args: &[&str]) -> String {
    let url = redis_url();
    let mut command = Command::new("redis-cli");
    match url.strip_prefix("redis-cluster://") {
        Some(address) => {
            let (host, port) = address
                .trim_end_matches('/')
                .rsplit_once(':')
                .unwrap_or((address, "6379"));
            command.args(["-c", "-h", host, "-p", port]);
        }
        None => {
            command.args(["-u", &url]);
        }
    }
    let out = command.args(args).output().expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A plain Redis client for looking at what the app stored.
pub async fn redis() -> Client {
    let client = Client::new(
        fred::types::config::Config::from_url(&redis_url()).unwrap(),
        None,
        None,
        None,
    );
    client
        .init()
        .await
        .expect("Redis is running (the README's test command starts it)");
    client
}

/// A throw-away `redis-server` on a free port, owned by one test (stopped when dropped).
pub struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.cli(&["ping"]) != "PONG" {
            assert!(Instant::now() < deadline, "redis-server answers");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every key under `prefix` with its value as text (strings as they are, hashes as
/// `field=value;` pairs, lists, sets and sorted sets as their members joined by `;`), for
/// checking what the app left in Redis.
pub async fn everything_under(prefix: &str) -> Vec<(String, String)> {
    let redis = redis().await;
    let keys: Vec<String> = redis_cli(&["--scan", "--pattern", &format!("{prefix}*")])
        .lines()
        .map(str::to_owned)
        .filter(|k| !k.is_empty())
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let kind: String = redis.r#type(&key).await.unwrap();
        let text = match kind.as_str() {
            "string" => redis.get::<Option<String>, _>(&key).await.unwrap().unwrap_or_default(),
            "hash" => {
                let map: std::collections::HashMap<String, String> = redis.hgetall(&key).await.unwrap();
                map.iter().map(|(f, v)| format!("{f}={v};")).collect()
            }
            "list" => redis.lrange::<Vec<String>, _>(&key, 0, -1).await.unwrap().join(";"),
            "set" => redis.smembers::<Vec<String>, _>(&key).await.unwrap().join(";"),
            "zset" => redis
                .zrange::<Vec<String>, _, _, _>(&key, 0, -1, None, false, None, false)
                .await
                .unwrap()
                .join(";"),
            _ => String::new(),
        };
        out.push((key, text));
    }
    out
}

/// The commands clients send to a Redis server (not those its scripts run), read with
/// `MONITOR`, which logs them in the order the server executes them.
pub struct Monitor {
    child: Child,
    lines: mpsc::Receiver<String>,
    port: u16,
}

impl Monitor {
    pub fn start(redis: &OwnRedis) -> Self {
        let port: u16 = redis.url().rsplit(':').next().unwrap().parse().unwrap();
        let mut child = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "monitor"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("redis-cli monitor");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let monitor = Self { child, lines, port };
        assert_eq!(monitor.next_line(), "OK");
        monitor
    }

    pub fn next_line(&self) -> String {
        self.lines.recv_timeout(Duration::from_secs(5)).expect("MONITOR output")
    }

    /// Sends an `ECHO` and returns the commands logged before it, as `NAME arg…` lines.
    pub fn commands_until_mark(&self) -> Vec<String> {
        let mark = unique("mark");
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "echo", &mark])
            .output()
            .expect("redis-cli");
        assert!(out.status.success());
        let mut commands = Vec::new();
        loop {
            let line = self.next_line();
            if line.contains(&mark) {
                return commands;
            }
            // `<time> [<db> <client>] "CMD" "arg" …`; a script's own commands say `lua]`.
            if let Some((client, command)) = line.split_once("] ") {
                // Connections' own health checks (the pub/sub connection pings when idle)
                // are nobody's request.
                if !client.ends_with("lua") && command != "\"PING\"" {
                    commands.push(command.replace('"', ""));
                }
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command names in `commands`.
pub fn names(commands: &[String]) -> Vec<&str> {
    commands.iter().map(|c| c.split(' ').next().unwrap()).collect()
}
