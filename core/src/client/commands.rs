//! The app's commands: connect, disconnect, namespaces, auth, emits and acks.

use super::*;

impl<const OUT: usize, const IN: usize> Client<OUT, IN> {
    /// Starts connecting (no-op if already connected or trying).
    pub fn connect(&mut self, now: Instant) {
        let now = self.clock.advance(now);
        self.fire_due(now);
        if !matches!(self.conn, ConnState::Idle | ConnState::Stopped) {
            return;
        }
        for ns in self.namespaces.iter_mut() {
            if ns.state == NamespaceState::Refused {
                ns.state = NamespaceState::Waiting;
            }
            ns.auth_refreshed = false;
        }
        self.attempt = 0;
        self.outage = Some(Outage { since: now, warned: false });
        if self.online {
            self.start_attempt(now);
        } else {
            self.conn = ConnState::Offline;
            self.outage = None;
        }
    }

    /// Ends the connection. Terminal: no transport command is issued until `connect()`.
    /// Acks of sent emits end `Disconnected`; buffered emits are discarded and their acks
    /// end `Cancelled`.
    pub fn disconnect(&mut self, now: Instant) {
        // No deadline fires first: a reconnection due now must not open a socket the
        // app is closing (pending ack deadlines end `Disconnected`/`Cancelled` below).
        let now = self.clock.advance(now);
        let was_active = !matches!(self.conn, ConnState::Idle | ConnState::Stopped);
        self.close_transport();
        self.reset_session(DisconnectReason::ClientDisconnect, was_active);
        self.conn = ConnState::Idle;
        self.outage = None;
        self.attempt = 0;
        while let Some(a) = self.acks.take_where(|_| true) {
            let outcome = if a.state == AckState::Sent { AckOutcome::Disconnected } else { AckOutcome::Cancelled };
            self.end_ack(a, outcome);
        }
        self.outbound.clear();
        self.pending.clear();
        self.held.clear();
        self.fire_due(now);
    }

    /// Opens another namespace on the same connection (each has its own auth, state and
    /// ack ids). Opening an open namespace is a no-op; a closed or refused one is retried.
    pub fn open_namespace(&mut self, now: Instant, namespace: &str) -> Result<(), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        if !namespace.starts_with('/') || namespace.contains([',', '"', '[', '{']) {
            return Err(ClientError::InvalidNamespace);
        }
        let slot = match self.slot(namespace) {
            Some(slot) => slot,
            None => {
                let ns = Namespace::new(namespace).ok_or(ClientError::InvalidNamespace)?;
                self.namespaces.push(ns).map_err(|_| ClientError::TooManyNamespaces)?;
                self.namespaces.len() - 1
            }
        };
        let ns = &mut self.namespaces[slot];
        if matches!(ns.state, NamespaceState::Refused | NamespaceState::Closed) {
            ns.state = NamespaceState::Waiting;
            ns.auth_refreshed = false;
        }
        if ns.state == NamespaceState::Waiting && self.engine.is_some() {
            self.begin_namespace(now, slot)?;
        }
        Ok(())
    }

    /// Leaves a namespace: sends DISCONNECT if connected; its awaited acks end `Cancelled`
    /// and its buffered emits are discarded.
    pub fn close_namespace(&mut self, now: Instant, namespace: &str) -> Result<(), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        let slot = self.slot(namespace).ok_or(ClientError::UnknownNamespace)?;
        let was_connected = self.namespaces[slot].state == NamespaceState::Connected;
        if !self.namespaces.iter().enumerate().any(|(i, n)| i != slot && n.wanted()) {
            // The last namespace: that is the whole connection.
            self.namespaces[slot].state = NamespaceState::Closed;
            self.drop_namespace_traffic(slot as u8, AckOutcome::Cancelled);
            if was_connected {
                let reason = DisconnectReason::ClientDisconnect;
                let _ = self.push_event(&ClientEvent::Disconnected { namespace: Some(namespace), reason });
            }
            // Closed, not discarded: emits buffered for other (closed) namespaces stay
            // for a later `open_namespace` + `connect()`.
            let was_active = !matches!(self.conn, ConnState::Idle | ConnState::Stopped);
            self.close_transport();
            self.reset_session(DisconnectReason::ClientDisconnect, was_active);
            self.conn = ConnState::Idle;
            self.outage = None;
            self.attempt = 0;
            return Ok(());
        }
        if was_connected {
            let packet =
                Packet { kind: PacketKind::Disconnect, namespace, ack_id: None, attachments: 0, payload: None };
            self.queue_packet(TAG_DISCONNECT, slot, 0, &packet)?;
        }
        self.namespaces[slot].state = NamespaceState::Closed;
        self.drop_namespace_traffic(slot as u8, AckOutcome::Cancelled);
        if was_connected {
            let reason = DisconnectReason::ClientDisconnect;
            let _ = self.push_event(&ClientEvent::Disconnected { namespace: Some(namespace), reason });
        }
        Ok(())
    }

    /// Answers `AuthRequired` for `namespace` with a JSON object (the product sends
    /// `{"token":"<JWT>"}`), or `None` for no auth. The token is written into the CONNECT
    /// frame and kept nowhere else.
    pub fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        let slot = self.slot(namespace).ok_or(ClientError::UnknownNamespace)?;
        if !matches!(self.namespaces[slot].state, NamespaceState::AwaitingAuth { .. }) {
            return Err(ClientError::NotAwaitingAuth);
        }
        if let Some(a) = auth {
            let ok =
                Packet { kind: PacketKind::Connect, namespace: "/", ack_id: None, attachments: 0, payload: Some(a) }
                    .validate(&self.encode_limits())
                    .is_ok();
            if !ok {
                return Err(ClientError::InvalidAuth);
            }
        }
        self.send_connect(slot, auth)
    }

    /// Emits an event with no ack. Buffered while the namespace is not connected.
    pub fn emit(
        &mut self,
        now: Instant,
        namespace: &str,
        name: &str,
        args: &[&str],
    ) -> Result<EmitStatus, ClientError> {
        self.emit_inner(now, namespace, name, args, &[], None, false).map(|(s, _)| s)
    }

    /// Emits an event that is dropped unless the namespace is connected right now.
    pub fn emit_volatile(
        &mut self,
        now: Instant,
        namespace: &str,
        name: &str,
        args: &[&str],
    ) -> Result<EmitStatus, ClientError> {
        self.emit_inner(now, namespace, name, args, &[], None, true).map(|(s, _)| s)
    }

    /// Emits an event and awaits its ack (`timeout_ms`, or `Config::ack_timeout_ms`). The
    /// handle's `ClientEvent::Ack` comes exactly once.
    pub fn emit_with_ack(
        &mut self,
        now: Instant,
        namespace: &str,
        name: &str,
        args: &[&str],
        timeout_ms: Option<u64>,
    ) -> Result<AckHandle, ClientError> {
        let timeout = timeout_ms.unwrap_or(self.config.ack_timeout_ms);
        let (_, handle) = self.emit_inner(now, namespace, name, args, &[], Some(timeout), false)?;
        handle.ok_or(ClientError::AckTableFull)
    }

    /// Emits an event with binary attachments: one placeholder per attachment is appended
    /// after `args`, and each attachment follows as a binary frame.
    pub fn emit_binary(
        &mut self,
        now: Instant,
        namespace: &str,
        name: &str,
        args: &[&str],
        attachments: &[&[u8]],
        ack_timeout_ms: Option<u64>,
    ) -> Result<(EmitStatus, Option<AckHandle>), ClientError> {
        self.emit_inner(now, namespace, name, args, attachments, ack_timeout_ms, false)
    }

    /// Cancels an awaited ack: it ends `Cancelled` now (the frame, if still buffered, is
    /// still sent; a late answer is ignored). Returns false if it had already ended.
    pub fn cancel_ack(&mut self, now: Instant, ack: AckHandle) -> bool {
        let now = self.clock.advance(now);
        self.fire_due(now);
        match self.acks.take_by_handle(ack) {
            Some(a) => {
                self.end_ack(a, AckOutcome::Cancelled);
                true
            }
            None => false,
        }
    }

    /// Answers a server event that asked for an ack (`IncomingEvent::ack_id`).
    pub fn ack(&mut self, now: Instant, namespace: &str, ack_id: u64, args: &[&str]) -> Result<(), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        let slot = self.slot(namespace).ok_or(ClientError::UnknownNamespace)?;
        if self.namespaces[slot].state != NamespaceState::Connected
            || !matches!(self.transport, TransportState::Open(_))
        {
            return Err(ClientError::NotConnected);
        }
        let limits = self.encode_limits();
        for a in args {
            crate::wire::check_arg(a, &limits).map_err(ClientError::Invalid)?;
        }
        let max = self.max_payload();
        let mut invalid = None;
        let pushed = self.outbound.push_with(TAG_ACK_REPLY, slot as u8, 0, |buf| {
            let mut w = Writer::new(&mut *buf);
            w.put(b"43");
            if namespace != "/" {
                w.put(namespace.as_bytes());
                w.byte(b',');
            }
            w.uint(ack_id);
            w.byte(b'[');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    w.byte(b',');
                }
                w.put(a.as_bytes());
            }
            w.byte(b']');
            let n = w.finish().ok()?;
            // Check what was written with the decoder's own rules before keeping it.
            let text = core::str::from_utf8(&buf[1..n]).ok()?;
            match Packet::decode(text, &limits) {
                Ok(_) if n <= max => Some(n),
                Ok(_) => {
                    invalid = Some(ClientError::PayloadTooLarge { size: n, max });
                    None
                }
                Err(e) => {
                    invalid = Some(ClientError::Invalid(e.kind));
                    None
                }
            }
        });
        match pushed {
            Ok(_) => Ok(()),
            Err(Full) => Err(invalid.unwrap_or(ClientError::SendBufferFull)),
        }
    }

    pub(super) fn queue_packet(
        &mut self,
        tag: u8,
        slot: usize,
        aux: u64,
        packet: &Packet<'_>,
    ) -> Result<(), ClientError> {
        let limits = self.encode_limits();
        self.outbound
            .push_with(tag, slot as u8, aux, |buf| packet.encode_with(buf, &limits, true).ok())
            .map(|_| ())
            .map_err(|_| ClientError::SendBufferFull)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_inner(
        &mut self,
        now: Instant,
        namespace: &str,
        name: &str,
        args: &[&str],
        attachments: &[&[u8]],
        ack_timeout: Option<u64>,
        volatile: bool,
    ) -> Result<(EmitStatus, Option<AckHandle>), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        let slot = self.slot(namespace).ok_or(ClientError::UnknownNamespace)?;
        let n_att = u8::try_from(attachments.len()).map_err(|_| ClientError::TooManyAttachments)?;
        if n_att > self.config.limits.max_attachments.min(crate::wire::MAX_ATTACHMENTS_LIMIT) {
            return Err(ClientError::TooManyAttachments);
        }
        let live = self.namespaces[slot].state == NamespaceState::Connected
            && matches!(self.transport, TransportState::Open(_));
        // While older emits of this namespace still wait in the send buffer, new ones
        // queue behind them: order is kept.
        let connected = live && !self.has_buffered(slot);
        if volatile && !live {
            return Ok((EmitStatus::Dropped, None));
        }
        if ack_timeout.is_some() && self.acks.len() >= self.config.max_pending_acks.min(MAX_PENDING_ACKS) {
            return Err(ClientError::AckTableFull);
        }
        let max = self.max_payload();
        if let Some(big) = attachments.iter().find(|a| a.len() > max) {
            return Err(ClientError::PayloadTooLarge { size: big.len(), max });
        }
        let limits = self.encode_limits();
        // Peek the ack id without consuming it until the frame is queued.
        let wire_id = ack_timeout.map(|_| self.namespaces[slot].next_ack_id);
        let event = OutgoingEvent { namespace, ack_id: wire_id, name, args, attachments: n_att };
        let mut scratch_err = None;
        let handle = ack_timeout.map(|_| AckHandle(self.next_ack_handle));
        let aux = handle.map_or(0, |h| h.0 + 1);
        let tag = if volatile { TAG_VOLATILE } else { TAG_EMIT };
        // Emits queued for the transport go back to the send buffer if it dies, so all
        // waiting emits together must fit one queue: nothing is then lost in that move.
        let budget = if volatile { OUT } else { OUT.saturating_sub(self.emit_bytes()) };
        let queue = if connected { &mut self.outbound } else { &mut self.pending };
        let before = queue.len();
        let used_before = queue.used();
        let pushed = queue.push_with(tag, slot as u8, aux, |buf| match event.encode(buf, &limits, true) {
            Ok(n) => Some(n),
            Err(EncodeError::Invalid(k)) => {
                scratch_err = Some(ClientError::Invalid(k));
                None
            }
            Err(EncodeError::BufferTooSmall { needed }) => {
                if needed > max {
                    scratch_err = Some(ClientError::PayloadTooLarge { size: needed, max });
                }
                None
            }
        });
        let len = match pushed {
            Ok(len) => len,
            Err(Full) => return Err(scratch_err.unwrap_or(ClientError::SendBufferFull)),
        };
        let mut failure = None;
        if len > max {
            failure = Some(ClientError::PayloadTooLarge { size: len, max });
        }
        for a in attachments {
            if failure.is_some() {
                break;
            }
            if queue.push(TAG_ATTACHMENT, slot as u8, 0, a).is_err() {
                failure = Some(ClientError::SendBufferFull);
            }
        }
        if failure.is_none() && queue.used() - used_before > budget {
            failure = Some(ClientError::SendBufferFull);
        }
        if let Some(err) = failure {
            // Take back what this emit queued: everything after `before`.
            let mut index = 0;
            queue.retain(
                |_| {
                    index += 1;
                    index <= before
                },
                |_| {},
            );
            return Err(err);
        }
        if let (Some(handle), Some(timeout)) = (handle, ack_timeout) {
            let wire_id = self.namespaces[slot].take_ack_id();
            self.next_ack_handle += 1;
            let entry = PendingAck {
                handle,
                slot: slot as u8,
                wire_id,
                deadline: now.deadline(timeout),
                state: AckState::Unsent,
            };
            // Cannot fail: capacity was checked above.
            let _ = self.acks.insert(entry, usize::MAX);
        }
        Ok((if live { EmitStatus::Queued } else { EmitStatus::Buffered }, handle))
    }

    pub(super) fn begin_namespace(&mut self, now: Instant, slot: usize) -> Result<(), ClientError> {
        if !self.config.request_auth {
            return self.send_connect(slot, None);
        }
        let refresh = false;
        let ns = &mut self.namespaces[slot];
        ns.state = NamespaceState::AwaitingAuth { deadline: now.deadline(self.config.auth_timeout_ms), refresh };
        let name = ns.name.clone();
        self.push_event(&ClientEvent::AuthRequired { namespace: &name, refresh })
    }

    /// Queues CONNECT with the recovery session (if any) merged into the auth object:
    /// `{"pid":…,"offset":…,<auth fields>}`.
    pub(super) fn send_connect(&mut self, slot: usize, auth: Option<&str>) -> Result<(), ClientError> {
        let ns = &self.namespaces[slot];
        let recovering = !ns.pid.is_empty();
        let name = ns.name.clone();
        let (pid, offset) = (ns.pid.clone(), ns.offset.clone());
        let limits = self.encode_limits();
        let pushed = self.outbound.push_with(TAG_CONNECT, slot as u8, 0, |buf| {
            let mut w = Writer::new(&mut *buf);
            w.put(b"40");
            if name != "/" {
                w.put(name.as_bytes());
                w.byte(b',');
            }
            let inner = auth.map(|a| a.trim()).map(|a| a[1..a.len() - 1].trim()).unwrap_or("");
            if recovering {
                w.put(b"{\"pid\":");
                w.json_string(&pid);
                if !offset.is_empty() {
                    // Kept JSON-escaped exactly as the server sent it.
                    w.put(b",\"offset\":\"");
                    w.put(offset.as_bytes());
                    w.byte(b'"');
                }
                if !inner.is_empty() {
                    w.byte(b',');
                    w.put(inner.as_bytes());
                }
                w.byte(b'}');
            } else if let Some(a) = auth {
                w.put(a.as_bytes());
            }
            let n = w.finish().ok()?;
            let text = core::str::from_utf8(&buf[1..n]).ok()?;
            Packet::decode(text, &limits).ok().map(|_| n)
        });
        if pushed.is_err() {
            return Err(ClientError::SendBufferFull);
        }
        let ns = &mut self.namespaces[slot];
        ns.sent_pid = recovering;
        ns.state = NamespaceState::Connecting;
        Ok(())
    }

    /// Ends a namespace's awaited acks (sent: `Disconnected`; unsent: `outcome`) and
    /// drops its queued and buffered frames and held events.
    pub(super) fn drop_namespace_traffic(&mut self, slot: u8, outcome: AckOutcome<'static>) {
        while let Some(a) = self.acks.take_where(|a| a.slot == slot) {
            let o = if a.state == AckState::Sent { AckOutcome::Disconnected } else { outcome };
            self.end_ack(a, o);
        }
        let keep = |r: &Record<'_>| r.slot != slot || r.tag == TAG_DISCONNECT;
        self.outbound.retain(keep, |_| {});
        self.pending.retain(keep, |_| {});
        self.held.retain(keep, |_| {});
    }
}
