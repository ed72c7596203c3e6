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
        self.conn = ConnState::Connecting { deadline: now.deadline(self.config.connect_timeout_ms) };
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
    ///
    /// `announce`: also report the connection-level `Disconnected` — before the ack
    /// endings, which can wait in the ack table if the event queue fills up; lifecycle
    /// events are few and must not be lost.
    pub(super) fn reset_session(&mut self, reason: DisconnectReason, announce: bool) {
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
        if announce {
            let _ = self.push_event(&ClientEvent::Disconnected { namespace: None, reason });
        }
        while let Some(a) = self.acks.take_where(|a| a.state == AckState::Sent) {
            self.end_ack(a, AckOutcome::Disconnected);
        }
        // The attachments of a binary packet whose header already went out are useless
        // without it (a server refuses binary frames it is not waiting for): drop them.
        let mut orphans = core::mem::take(&mut self.unsent_attachments);
        self.outbound.retain(
            |r| {
                if orphans > 0 && r.tag == TAG_ATTACHMENT {
                    orphans -= 1;
                    return false;
                }
                orphans = 0;
                true
            },
            |_| {},
        );
        // Unsent emits keep their place ahead of what was buffered after them. Emits are
        // admitted only while both together fit one queue (see `emit_inner`), so this
        // move cannot run out of room.
        self.outbound.retain(|r| matches!(r.tag, TAG_EMIT | TAG_ATTACHMENT), |_| {});
        let _ = self.pending.move_into(&mut self.outbound, |_| true);
        core::mem::swap(&mut self.pending, &mut self.outbound);
        self.outbound.clear();
        self.held.clear();
    }

    pub(super) fn lose_transport(&mut self, now: Instant, reason: DisconnectReason) {
        let was = self.conn;
        self.reset_session(reason, was == ConnState::Connected);
        if was == ConnState::Connected {
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
        self.conn = ConnState::Backoff { at: now.deadline(delay_ms) };
    }

    /// Closes the transport and stops until `connect()`.
    pub(super) fn stop(&mut self, reason: DisconnectReason) {
        let was_connected = self.conn == ConnState::Connected;
        self.close_transport();
        self.reset_session(reason, was_connected);
        self.conn = ConnState::Stopped;
        self.outage = None;
    }

    /// Whether emits of a namespace still wait in the send buffer.
    pub(super) fn has_buffered(&self, slot: usize) -> bool {
        let mut any = false;
        self.pending.for_each(|r| any |= usize::from(r.slot) == slot);
        any
    }

    /// Moves the buffered emits of connected namespaces to the transport queue, in order,
    /// whole packets only (a binary packet with its attachments), while they fit. What
    /// does not fit waits (new emits of that namespace queue behind it) and moves on a
    /// later call, when the host has drained the queue.
    pub(super) fn flush_buffered(&mut self) {
        if !matches!(self.transport, TransportState::Open(_)) {
            return;
        }
        let mut live = [false; MAX_NAMESPACES];
        for (i, n) in self.namespaces.iter().enumerate() {
            live[i] = n.state == NamespaceState::Connected;
        }
        let is_live = |slot: u8| live.get(usize::from(slot)).copied().unwrap_or(false);
        // Per namespace, the bytes of the packet being considered; a namespace stops at its
        // first packet that does not fit, so its order is kept.
        let mut free = OUT - self.outbound.used();
        let mut blocked = [false; MAX_NAMESPACES];
        let mut sizes: Vec<(usize, usize), 64> = Vec::new(); // (record index, packet bytes)
        let mut i = 0usize;
        let mut current: Option<(usize, usize, u8)> = None; // (header index, bytes, slot)
        let mut finish = |cur: Option<(usize, usize, u8)>, free: &mut usize, blocked: &mut [bool; MAX_NAMESPACES]| {
            if let Some((h, bytes, slot)) = cur {
                if !blocked[usize::from(slot)] && bytes <= *free && sizes.push((h, bytes)).is_ok() {
                    *free -= bytes;
                } else {
                    blocked[usize::from(slot)] = true;
                }
            }
        };
        self.pending.for_each(|r| {
            if is_live(r.slot) {
                let bytes = crate::queue::HEADER + r.body.len();
                match current {
                    Some((h, b, slot)) if r.tag == TAG_ATTACHMENT && slot == r.slot => {
                        current = Some((h, b + bytes, slot))
                    }
                    _ => {
                        finish(current.take(), &mut free, &mut blocked);
                        current = Some((i, bytes, r.slot));
                    }
                }
            }
            i += 1;
        });
        finish(current, &mut free, &mut blocked);
        if sizes.is_empty() {
            return;
        }
        // Move the chosen packets (headers at the recorded indices, with their attachments).
        let mut i = 0usize;
        let mut moving = false;
        let mut moved_slot = u8::MAX;
        let _ = self.pending.move_into(&mut self.outbound, |r| {
            let idx = i;
            i += 1;
            if r.tag != TAG_ATTACHMENT || r.slot != moved_slot {
                moving = sizes.iter().any(|(h, _)| *h == idx);
                moved_slot = r.slot;
            }
            moving
        });
    }

    /// Bytes of emits waiting anywhere (the send buffer, and emits queued for the
    /// transport but not yet taken by the host), record headers included.
    pub(super) fn emit_bytes(&self) -> usize {
        let mut queued = 0;
        self.outbound.for_each(|r| {
            if matches!(r.tag, TAG_EMIT | TAG_ATTACHMENT) {
                queued += crate::queue::HEADER + r.body.len();
            }
        });
        self.pending.used() + queued
    }

    /// Drops buffered emits of a namespace that are larger than the server's `maxPayload`
    /// (known only once the handshake arrived): each is reported with `EmitTooLarge`, and
    /// its ack ends `Cancelled`.
    pub(super) fn drop_oversized(&mut self, slot: usize) {
        let max = self.max_payload();
        loop {
            // Pass 1: the packets (by record index of their header) with a frame over max.
            let mut victims: Vec<usize, 16> = Vec::new();
            let (mut i, mut header, mut more) = (0usize, 0usize, false);
            self.pending.for_each(|r| {
                if usize::from(r.slot) == slot {
                    if r.tag != TAG_ATTACHMENT {
                        header = i;
                    }
                    if r.body.len() > max && !victims.contains(&header) && victims.push(header).is_err() {
                        more = true;
                    }
                }
                i += 1;
            });
            if victims.is_empty() {
                return;
            }
            // Pass 2: remove each such packet with its attachments.
            let mut dropped: Vec<(u64, usize), 16> = Vec::new();
            let (mut i, mut dropping) = (0usize, false);
            self.pending.retain(
                |r| {
                    let idx = i;
                    i += 1;
                    if usize::from(r.slot) != slot {
                        return true;
                    }
                    if r.tag != TAG_ATTACHMENT {
                        dropping = victims.contains(&idx);
                    }
                    !dropping
                },
                |r| {
                    if r.tag != TAG_ATTACHMENT {
                        let _ = dropped.push((r.aux, r.body.len()));
                    }
                },
            );
            let name = self.namespaces[slot].name.clone();
            for (aux, size) in dropped {
                let ev = ClientEvent::EmitTooLarge { namespace: &name, size: size as u64, max: max as u64 };
                let _ = self.push_event(&ev);
                if aux != 0 {
                    if let Some(a) = self.acks.take_by_handle(AckHandle(aux - 1)) {
                        self.end_ack(a, AckOutcome::Cancelled);
                    }
                }
            }
            if !more {
                return;
            }
        }
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
        let late = self
            .namespaces
            .iter()
            .position(|n| matches!(n.state, NamespaceState::AwaitingAuth { deadline, .. } if deadline == due));
        if let Some(slot) = late {
            if self.conn == ConnState::Connected {
                // Another namespace of a live connection: only this one is refused.
                self.namespaces[slot].state = NamespaceState::Refused;
                self.drop_namespace_traffic(slot as u8, AckOutcome::Cancelled);
                let name = self.namespaces[slot].name.clone();
                let ev = ClientEvent::ConnectError { namespace: &name, message: "auth timeout", data: None };
                let _ = self.push_event(&ev);
            } else {
                // No auth in time: this attempt failed.
                self.close_transport();
                self.lose_transport(now, DisconnectReason::TransportClosed);
            }
            return;
        }
        if let Some(a) = self.acks.take_due(due) {
            self.end_ack(a, AckOutcome::Timeout);
            return;
        }
        if let Some(o) = &mut self.outage {
            if !o.warned && o.since.deadline(self.config.slow_connection_after_ms) == due {
                o.warned = true;
                let elapsed_ms = now.since(o.since);
                let _ = self.push_event(&ClientEvent::SlowConnection { elapsed_ms });
            }
        }
    }
}
