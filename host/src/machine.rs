//! What the host drives: the connection ([`Client`]) or the app layer over it
//! ([`Realtime`]). Both take the same inputs and give the same outputs; only their
//! events differ, and both are turned into owned [`Event`]s.

use tidings::app::Realtime;
use tidings::client::{Client, ClientError, Transmit, TransportCause, TransportCommand, TransportId};
use tidings::wire::Frame;
use tidings::Instant;

use crate::Event;

/// A sans-IO state machine the host can run.
#[allow(missing_docs)]
pub trait Machine {
    fn client(&mut self) -> &mut Client;
    fn poll_transport(&mut self) -> Option<TransportCommand>;
    fn poll_transmit(&mut self) -> Option<Transmit<'_>>;
    fn poll_timeout(&self) -> Option<Instant>;
    /// The next event, owned.
    fn next_owned_event(&mut self) -> Option<Event>;
    fn handle_timeout(&mut self, now: Instant);
    fn handle_transport_opened(&mut self, now: Instant, id: TransportId);
    fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause);
    fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError>;
    fn connect(&mut self, now: Instant);
    fn disconnect(&mut self, now: Instant);
    fn set_network(&mut self, now: Instant, online: bool);
    fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError>;
}

macro_rules! delegate {
    () => {
        fn poll_transport(&mut self) -> Option<TransportCommand> {
            Self::poll_transport(self)
        }
        fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
            Self::poll_transmit(self)
        }
        fn poll_timeout(&self) -> Option<Instant> {
            Self::poll_timeout(self)
        }
        fn handle_timeout(&mut self, now: Instant) {
            Self::handle_timeout(self, now)
        }
        fn handle_transport_opened(&mut self, now: Instant, id: TransportId) {
            Self::handle_transport_opened(self, now, id)
        }
        fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause) {
            Self::handle_transport_closed(self, now, id, cause)
        }
        fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError> {
            Self::handle_frame(self, now, id, frame)
        }
        fn connect(&mut self, now: Instant) {
            Self::connect(self, now)
        }
        fn disconnect(&mut self, now: Instant) {
            Self::disconnect(self, now)
        }
        fn set_network(&mut self, now: Instant, online: bool) {
            Self::set_network(self, now, online)
        }
        fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError> {
            Self::provide_auth(self, now, namespace, auth)
        }
    };
}

impl Machine for Client {
    delegate!();

    fn client(&mut self) -> &mut Client {
        self
    }

    fn next_owned_event(&mut self) -> Option<Event> {
        self.poll_event().map(|e| Event::from_core(&e))
    }
}

impl Machine for Realtime {
    delegate!();

    fn client(&mut self) -> &mut Client {
        Realtime::client(self)
    }

    fn next_owned_event(&mut self) -> Option<Event> {
        self.poll_event().map(|e| Event::from_app(&e))
    }
}
