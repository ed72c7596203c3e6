//! Client configuration. Every number is configurable; the defaults are the product's.

use crate::wire::Limits;

/// How reconnection is paced after a connection is lost or an attempt fails.
///
/// The delay before attempt `n` (1-based) is `base = min(initial · multiplierⁿ⁻¹, max)`,
/// then jitter: a uniform value in `base ± base · jitter_permille / 1000`. Jitter is
/// applied *after* the cap, so clients that all hit the cap still spread out instead of
/// reconnecting in lockstep (socket.io-client applies it before the cap, where it vanishes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Reconnect at all. When false, a lost connection ends in `ReconnectFailed` at once.
    pub enabled: bool,
    /// Delay before the first attempt, in ms.
    pub initial_delay_ms: u64,
    /// The cap on the delay before jitter, in ms.
    pub max_delay_ms: u64,
    /// Growth factor per attempt.
    pub multiplier: u32,
    /// Jitter as a fraction of the delay, in thousandths (0..=1000).
    pub jitter_permille: u32,
    /// Give up after this many failed attempts (`None`: never).
    pub max_attempts: Option<u32>,
}

impl ReconnectPolicy {
    /// The product's default: 5 attempts after 1 s, 2 s, 4 s, 8 s and 16 s (each ±20 %),
    /// then `ReconnectFailed`. About half a minute of trying, which is what a chat screen
    /// can show as "reconnecting…" before it should say so plainly.
    pub const PRODUCT: Self = Self {
        enabled: true,
        initial_delay_ms: 1_000,
        max_delay_ms: 16_000,
        multiplier: 2,
        jitter_permille: 200,
        max_attempts: Some(5),
    };

    /// socket.io-client 4.x's defaults: 1 s doubling up to 5 s, randomization 0.5,
    /// unlimited attempts.
    pub const SOCKET_IO_CLIENT: Self = Self {
        enabled: true,
        initial_delay_ms: 1_000,
        max_delay_ms: 5_000,
        multiplier: 2,
        jitter_permille: 500,
        max_attempts: None,
    };
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self::PRODUCT
    }
}

/// Which CONNECT_ERROR replies are authentication failures (the trigger for one token
/// refresh, then `AuthFailed`). A reply matches if its `message` equals one of
/// `messages` or its `data.code` equals one of `data_codes` (both ASCII case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailureRule {
    /// `message` values that mean "authentication failed".
    pub messages: &'static [&'static str],
    /// `data.code` values that mean "authentication failed".
    pub data_codes: &'static [&'static str],
}

impl AuthFailureRule {
    /// The reference server's contract (docs/protocol.md) plus the usual JWT middleware
    /// messages.
    pub const DEFAULT: Self = Self {
        messages: &[
            "unauthorized",
            "invalid token",
            "jwt expired",
            "token expired",
            "authentication error",
            "not authorized",
        ],
        data_codes: &["auth_failed", "token_expired", "missing_token", "invalid_token", "unauthorized"],
    };
}

/// Everything the client needs to know up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The Engine.IO path. Default `/socket.io/`; the trailing slash matters (the server
    /// answers 404 without it).
    pub path: &'static str,
    /// Reconnection pacing.
    pub reconnect: ReconnectPolicy,
    /// One attempt (transport open, handshake and the first namespace's CONNECT reply)
    /// fails after this long. Default 20 s, socket.io-client's `timeout`.
    pub connect_timeout_ms: u64,
    /// After this long trying without success, `SlowConnection` is reported once per
    /// outage. Default 30 s.
    pub slow_connection_after_ms: u64,
    /// Ask the host for an auth payload before every CONNECT (`AuthRequired`). Default
    /// true. When false, CONNECT carries no auth.
    pub request_auth: bool,
    /// How long to wait for `provide_auth` before the attempt fails. Default 10 s.
    pub auth_timeout_ms: u64,
    /// The default ack timeout for `emit_with_ack`. Default 10 s.
    pub ack_timeout_ms: u64,
    /// The most acks awaited at once (at most `MAX_PENDING_ACKS`). Default 64.
    pub max_pending_acks: usize,
    /// Which refusals are auth failures.
    pub auth_failure: AuthFailureRule,
    /// Codec limits for incoming frames.
    pub limits: Limits,
    /// The largest outgoing frame before the handshake says otherwise (it carries the
    /// server's `maxPayload`). Default 1,000,000, the server default.
    pub default_max_payload: usize,
}

impl Config {
    /// The product defaults.
    pub const DEFAULT: Self = Self {
        path: "/socket.io/",
        reconnect: ReconnectPolicy::PRODUCT,
        connect_timeout_ms: 20_000,
        slow_connection_after_ms: 30_000,
        request_auth: true,
        auth_timeout_ms: 10_000,
        ack_timeout_ms: 10_000,
        max_pending_acks: super::acks::MAX_PENDING_ACKS,
        auth_failure: AuthFailureRule::DEFAULT,
        limits: Limits::DEFAULT,
        default_max_payload: 1_000_000,
    };
}

impl Default for Config {
    fn default() -> Self {
        Self::DEFAULT
    }
}
