//! Test support on top of `tidings_host::harness`.
#![allow(dead_code)]

use std::time::Duration;

use tidings::app::AppConfig;
use tidings::client::ReconnectPolicy;
use tidings::Config;
pub use tidings_host::harness::{token, Kind, Server};
use tidings_host::{Event, Host};

/// A test configuration: fast reconnection, short timeouts.
pub fn config() -> Config {
    Config {
        reconnect: ReconnectPolicy {
            enabled: true,
            initial_delay_ms: 200,
            max_delay_ms: 1000,
            multiplier: 2,
            jitter_permille: 200,
            max_attempts: Some(20),
        },
        connect_timeout_ms: 5_000,
        ack_timeout_ms: 5_000,
        ..Config::DEFAULT
    }
}

/// A host for `user` that always answers with a fresh valid token.
pub fn host_for(server: &Server, user: &str, seed: u64) -> Host {
    let tok = token(user, None);
    Host::new(&server.url(), config(), seed, move |_ns, _refresh| Some(format!(r#"{{"token":"{tok}"}}"#)))
}

pub const WAIT: Duration = Duration::from_secs(10);

/// A host driving the app layer.
pub type App = Host<tidings::Realtime>;

/// An app-layer host for `user` (test configuration) that always answers with a fresh
/// valid token.
pub fn app_host(server: &Server, user: &str, seed: u64) -> App {
    let tok = token(user, None);
    let cfg = AppConfig { client: config(), ..AppConfig::DEFAULT };
    Host::app(&server.url(), cfg, seed, move |_ns, _refresh| Some(format!(r#"{{"token":"{tok}"}}"#)))
}

/// Waits for `Synced`, panicking with the history if it does not come.
pub fn synced(h: &mut App) {
    h.wait_for(WAIT, |e| matches!(e, Event::Synced { .. })).unwrap_or_else(|| panic!("not synced: {:?}", h.history()));
}

/// Connects, joining `convs` first, and waits for `Synced`.
pub fn online(h: &mut App, convs: &[&str]) {
    for c in convs {
        let now = h.now();
        h.realtime().join(now, c).unwrap();
    }
    h.connect();
    synced(h);
}

/// Sends what a command queued.
pub fn flush(h: &mut App) {
    h.step(Duration::from_millis(1));
}
