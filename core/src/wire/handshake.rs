//! The Engine.IO v4 open handshake: `0{"sid","upgrades","pingInterval","pingTimeout","maxPayload"}`.

use serde::Deserialize;

use super::error::{DecodeError, DecodeErrorKind};

/// The most transport upgrades a handshake may list (real servers list 0 or 1).
pub const MAX_UPGRADES: usize = 4;

/// The server's handshake, parsed from the data of an Engine.IO `open` packet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake<'a> {
    /// The Engine.IO session id.
    pub sid: &'a str,
    /// Transports the session may upgrade to (empty on a WebSocket-only connection).
    #[serde(borrow)]
    pub upgrades: heapless::Vec<&'a str, MAX_UPGRADES>,
    /// How often the server pings, in milliseconds.
    pub ping_interval: u32,
    /// How long the server waits for a pong, in milliseconds.
    pub ping_timeout: u32,
    /// The largest packet the server accepts, in bytes.
    pub max_payload: u64,
}

impl<'a> Handshake<'a> {
    /// Parses the JSON of an open packet (the text after `0`). Unknown fields are ignored,
    /// as newer servers may add some; every listed field is required.
    pub fn parse(json: &'a str) -> Result<Self, DecodeError> {
        match serde_json_core::from_str::<Handshake<'a>>(json) {
            Ok((h, _)) => Ok(h),
            Err(_) => Err(DecodeError::at(DecodeErrorKind::InvalidHandshake, 0)),
        }
    }

    /// The heartbeat deadline after a ping: `pingInterval + pingTimeout` milliseconds.
    pub fn heartbeat_timeout_ms(&self) -> u64 {
        u64::from(self.ping_interval) + u64::from(self.ping_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_handshake() {
        let h = Handshake::parse(
            r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )
        .unwrap();
        assert_eq!(h.sid, "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(&h.upgrades[..], &["websocket"]);
        assert_eq!((h.ping_interval, h.ping_timeout, h.max_payload), (25000, 20000, 1_000_000));
        assert_eq!(h.heartbeat_timeout_ms(), 45000);
    }

    #[test]
    fn ignores_unknown_fields_and_rejects_missing_ones() {
        let h = Handshake::parse(
            r#"{"future":[1,{"a":2}],"sid":"s","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}"#,
        );
        assert_eq!(h.unwrap().sid, "s");
        for bad in [
            r#"{"sid":"s","upgrades":[],"pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":"s","upgrades":[],"pingInterval":-1,"pingTimeout":2,"maxPayload":3}"#,
            r#"{"sid":1,"upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}"#,
            r#"{"sid":"s","upgrades":["a","b","c","d","e"],"pingInterval":1,"pingTimeout":2,"maxPayload":3}"#,
            "",
            "[]",
            "{",
        ] {
            assert_eq!(Handshake::parse(bad).unwrap_err().kind, DecodeErrorKind::InvalidHandshake, "{bad}");
        }
    }
}
