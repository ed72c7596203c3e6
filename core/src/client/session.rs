//! The connection's life: attempts, transport loss, reconnection pacing and deadlines.

use super::*;

impl<const OUT: usize, const IN: usize> Client<OUT, IN> {
    pub(super) fn start_attempt(&mut self, now: Instant) {
        if self.transport != TransportState::Closed {
            self.close_transport();
        }
        let id = TransportId(self.next_transport);
        self.next_transport = self.next_transport.wrapping_add(1);
        self.transport = TransportState::Opening(id);
        let _ = self.commands.push_back(TransportCommand::Open { id, path: self.config.path, query: WEBSOCKET_QUERY });
        self.conn = ConnState::Connecting { deadline: now.after(self.config.connect_timeout_ms) };
        self.engine = None;
        self.decoder.reset();
    }

    /// Issues Close for the current transport (if any) and forgets it: later inputs about
    /// it are ignored.
    pub(super) fn close_transport(&mut self) {
        if let TransportState::Opening(id) | TransportState::Open(id) = self.transport {
            if self.commands.is_full() {
                self.commands.pop_front();
            }
            let _ = self.commands.push_back(TransportCommand::Close { id });
        }
        self.transport = TransportState::Closed;
    }

    /// Forgets the Engine.IO session: namespaces back to waiting, sent acks end
    /// `Disconnected`, queued emits go back to the send buffer (in order), the rest of the
    /// outbound queue and held events are dropped.
    pub(super) fn reset_session(&mut self, reason: DisconnectReason) {
        self.engine = None;
        self.decoder.reset();
        for i in 0..self.namespaces.len() {
            let ns = &mut self.namespaces[i];
            let was_connected = ns.state == NamespaceState::Connected;
            if ns.wanted() {
                ns.state = NamespaceState::Waiting;
            }
            if was_connected {
                let name: String<MAX_NAMESPACE_LEN> = ns.name.clone();
                let _ = self.push_event(&ClientEvent::Disconnected { namespace: Some(&name), reason });
            }
        }
        while let Some(a) = self.acks.take_where(|a| a.state == AckState::Sent) {
            let _ = self.push_event(&ClientEvent::Ack { ack: a.handle, outcome: AckOutcome::Disconnected });
        }
        // Unsent emits keep their place ahead of what was buffered after them.
        self.outbound.retain(|r| matches!(r.tag, TAG_EMIT | TAG_ATTACHMENT), |_| {});
        let _ = self.pending.move_into(&mut self.outbound, |_| true);
        core::mem::swap(&mut self.pending, &mut self.outbound);
        self.outbound.clear();
        self.held.clear();
    }

    pub(super) fn lose_transport(&mut self, now: Instant, reason: DisconnectReason) {
        let was = self.conn;
        self.reset_session(reason);
        if was == ConnState::Connected {
            let _ = self.push_event(&ClientEvent::Disconnected { namespace: None, reason });
            self.outage = Some(Outage { since: now, warned: false });
        }
        if matches!(was, ConnState::Connected | ConnState::Connecting { .. }) {
            self.schedule_reconnect(now);
        }
    }

    pub(super) fn schedule_reconnect(&mut self, now: Instant) {
        if !self.online {
            // Offline is not "trying": no attempts, none counted, no slow-connection
            // warning until the network is back.
            self.conn = ConnState::Offline;
            self.outage = None;
            return;
        }
        let policy = self.config.reconnect;
        let exhausted = !policy.enabled || policy.max_attempts.is_some_and(|max| self.attempt >= max);
        if exhausted {
            let _ = self.push_event(&ClientEvent::ReconnectFailed { attempts: self.attempt });
            self.conn = ConnState::Stopped;
            self.outage = None;
            return;
        }
        self.attempt += 1;
        let delay_ms = backoff::delay_ms(&policy, self.attempt, &mut self.rng);
        let _ = self.push_event(&ClientEvent::ReconnectScheduled { attempt: self.attempt, delay_ms });
        self.conn = ConnState::Backoff { at: now.after(delay_ms) };
    }

    /// Closes the transport and stops until `connect()`.
    pub(super) fn stop(&mut self, reason: DisconnectReason) {
        self.close_transport();
        self.reset_session(reason);
        self.conn = ConnState::Stopped;
        self.outage = None;
    }

    /// Fires every due deadline once, earliest first. Follow-up deadlines are computed
    /// from `now`, so a long jump (a suspended phone) does not replay a cascade of
    /// attempts the host never made.
    pub(super) fn fire_due(&mut self, now: Instant) {
        // Each firing removes or moves its deadline past `now`; the bound is a safety net.
        for _ in 0..(4 * MAX_PENDING_ACKS + 4 * MAX_NAMESPACES + 16) {
            let Some(due) = self.poll_timeout() else { return };
            if due > now {
                return;
            }
            self.fire_one(now, due);
        }
    }

    pub(super) fn fire_one(&mut self, now: Instant, due: Instant) {
        if let Some(e) = self.engine {
            if e.ping_deadline == due {
                self.close_transport();
                self.lose_transport(now, DisconnectReason::PingTimeout);
                return;
            }
        }
        match self.conn {
            ConnState::Connecting { deadline } if deadline == due => {
                self.close_transport();
                self.lose_transport(now, DisconnectReason::TransportClosed);
                return;
            }
            ConnState::Backoff { at } if at == due => {
                self.start_attempt(now);
                return;
            }
            _ => {}
        }
        if self
            .namespaces
            .iter()
            .any(|n| matches!(n.state, NamespaceState::AwaitingAuth { deadline, .. } if deadline == due))
        {
            // No auth in time: this attempt failed.
            self.close_transport();
            self.lose_transport(now, DisconnectReason::TransportClosed);
            return;
        }
        if let Some(a) = self.acks.take_due(due) {
            let _ = self.push_event(&ClientEvent::Ack { ack: a.handle, outcome: AckOutcome::Timeout });
            return;
        }
        if let Some(o) = &mut self.outage {
            if !o.warned && o.since.after(self.config.slow_connection_after_ms) == due {
                o.warned = true;
                let elapsed_ms = now.since(o.since);
                let _ = self.push_event(&ClientEvent::SlowConnection { elapsed_ms });
            }
        }
    }
}
