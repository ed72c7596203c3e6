//! What the host drives: the connection ([`Client`]) or the app layer over it
//! ([`Realtime`]). Both take the same inputs and give the same outputs
//! ([`tidings::Machine`]); only their events differ, and both are turned into owned
//! [`Event`]s here.

use tidings::app::Realtime;
use tidings::client::Client;

use crate::Event;

/// A sans-IO state machine the host can run: [`tidings::Machine`], plus owned events.
pub trait Machine: tidings::Machine {
    /// The connection (the machine itself, or the one under the app layer).
    fn client(&mut self) -> &mut Client;
    /// The next event, owned.
    fn next_owned_event(&mut self) -> Option<Event>;
}

impl Machine for Client {
    fn client(&mut self) -> &mut Client {
        self
    }

    fn next_owned_event(&mut self) -> Option<Event> {
        self.poll_event().map(|e| Event::from_core(&e))
    }
}

impl Machine for Realtime {
    fn client(&mut self) -> &mut Client {
        Realtime::client(self)
    }

    fn next_owned_event(&mut self) -> Option<Event> {
        self.poll_event().map(|e| Event::from_app(&e))
    }
}
