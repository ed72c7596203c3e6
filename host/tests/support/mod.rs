//! Test support on top of `tidings_host::harness`.
#![allow(dead_code)]

use std::time::Duration;

use tidings::client::ReconnectPolicy;
use tidings::Config;
pub use tidings_host::harness::{token, Kind, Server};
use tidings_host::Host;

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
