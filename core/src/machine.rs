//! The inputs and outputs a host's run loop uses, shared by the connection ([`Client`])
//! and the app layer over it ([`Realtime`]), so that one run loop (a host driver, a
//! binding, a test harness) drives either. Only their events differ: each has its own
//! `poll_event`, with its own event type, next to this trait.

use crate::app::Realtime;
use crate::client::{Client, ClientError, Transmit, TransportCause, TransportCommand, TransportId};
use crate::time::Instant;
use crate::wire::Frame;

/// A sans-IO state machine a host can run: the methods of the crate docs' run loop. Each
/// forwards to the inherent method of the same name, documented there.
#[allow(missing_docs)]
pub trait Machine {
    fn poll_transport(&mut self) -> Option<TransportCommand>;
    fn poll_transmit(&mut self) -> Option<Transmit<'_>>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
    fn handle_transport_opened(&mut self, now: Instant, id: TransportId);
    fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause);
    fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError>;
    fn connect(&mut self, now: Instant);
    fn disconnect(&mut self, now: Instant);
    fn set_network(&mut self, now: Instant, online: bool);
    fn set_foreground(&mut self, now: Instant, foreground: bool);
    fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError>;
}

/// Implements [`Machine`] by the type's inherent methods of the same names.
macro_rules! forward_machine {
    ($ty:ident) => {
        impl<const OUT: usize, const IN: usize> Machine for $ty<OUT, IN> {
            fn poll_transport(&mut self) -> Option<TransportCommand> {
                $ty::poll_transport(self)
            }
            fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
                $ty::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                $ty::poll_timeout(self)
            }
            fn handle_timeout(&mut self, now: Instant) {
                $ty::handle_timeout(self, now)
            }
            fn handle_transport_opened(&mut self, now: Instant, id: TransportId) {
                $ty::handle_transport_opened(self, now, id)
            }
            fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause) {
                $ty::handle_transport_closed(self, now, id, cause)
            }
            fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError> {
                $ty::handle_frame(self, now, id, frame)
            }
            fn connect(&mut self, now: Instant) {
                $ty::connect(self, now)
            }
            fn disconnect(&mut self, now: Instant) {
                $ty::disconnect(self, now)
            }
            fn set_network(&mut self, now: Instant, online: bool) {
                $ty::set_network(self, now, online)
            }
            fn set_foreground(&mut self, now: Instant, foreground: bool) {
                $ty::set_foreground(self, now, foreground)
            }
            fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError> {
                $ty::provide_auth(self, now, namespace, auth)
            }
        }
    };
}

forward_machine!(Client);
forward_machine!(Realtime);
