//! The WebSocket: tungstenite over a blocking `TcpStream` with read timeouts, so one
//! thread can wait for "a frame or the core's deadline, whichever comes first".

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use tidings::client::{TransportCause, TransportId};
use tungstenite::{Message, WebSocket};

pub(crate) struct Socket {
    pub id: TransportId,
    ws: WebSocket<TcpStream>,
}

pub(crate) enum Readiness {
    Text(String),
    Binary(Vec<u8>),
    /// Nothing arrived within the wait.
    Idle,
    Closed(TransportCause),
}

impl Socket {
    pub(crate) fn open(id: TransportId, url: &str, timeout: Duration) -> Result<Self, String> {
        let rest = url.strip_prefix("ws://").ok_or("only ws:// URLs are supported by this host")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let addr = authority.to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or("no address")?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
        let (ws, _response) = tungstenite::client(url, stream).map_err(|e| e.to_string())?;
        Ok(Socket { id, ws })
    }

    pub(crate) fn send_text(&mut self, bytes: &[u8]) -> bool {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.ws.send(Message::text(text)).is_ok(),
            Err(_) => false,
        }
    }

    pub(crate) fn send_binary(&mut self, bytes: &[u8]) -> bool {
        self.ws.send(Message::binary(bytes.to_vec())).is_ok()
    }

    pub(crate) fn read(&mut self, wait: Duration) -> Readiness {
        let wait = wait.max(Duration::from_millis(1));
        if self.ws.get_mut().set_read_timeout(Some(wait)).is_err() {
            return Readiness::Closed(TransportCause::Failed);
        }
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => return Readiness::Text(t.to_string()),
                Ok(Message::Binary(b)) => return Readiness::Binary(b.to_vec()),
                Ok(Message::Close(_)) => return Readiness::Closed(TransportCause::Closed),
                // Pings are answered by tungstenite on the next write or flush.
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {
                    let _ = self.ws.flush();
                }
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Readiness::Idle;
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Readiness::Closed(TransportCause::Closed);
                }
                Err(_) => return Readiness::Closed(TransportCause::Failed),
            }
        }
    }

    pub(crate) fn close(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
        let _ = self.ws.get_mut().shutdown(std::net::Shutdown::Both);
    }
}
