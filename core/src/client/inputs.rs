//! Inputs: what the host reports (transport events, frames, time, network, foreground)
//! and how each received packet changes the client.

use super::*;

impl<const OUT: usize, const IN: usize> Client<OUT, IN> {
    /// Fires every deadline that is due at `now`, each once, earliest first.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock.advance(now);
        self.fire_due(now);
    }

    /// The host's WebSocket `id` is open.
    pub fn handle_transport_opened(&mut self, now: Instant, id: TransportId) {
        let now = self.clock.advance(now);
        self.fire_due(now);
        if self.transport == TransportState::Opening(id) {
            self.transport = TransportState::Open(id);
        }
    }

    /// The host's WebSocket `id` closed or failed.
    pub fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause) {
        let now = self.clock.advance(now);
        self.fire_due(now);
        if matches!(self.transport, TransportState::Opening(t) | TransportState::Open(t) if t == id) {
            let _ = cause;
            self.transport = TransportState::Closed;
            self.lose_transport(now, DisconnectReason::TransportClosed);
        }
    }

    /// A frame arrived on transport `id`. Frames of older transports are ignored.
    /// Errors only when the event queue is full (drain `poll_event` after every input).
    pub fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError> {
        let now = self.clock.advance(now);
        self.fire_due(now);
        if self.transport != TransportState::Open(id) {
            return Ok(());
        }
        let limits = *self.decoder.limits();
        let packet = match EnginePacket::decode(frame, &limits) {
            Ok(p) => p,
            Err(e) => return self.push_event(&ClientEvent::ProtocolError { kind: e.kind }),
        };
        match (packet.kind, packet.data) {
            (EngineKind::Open, EngineData::Text(json)) => self.on_handshake(now, json),
            (EngineKind::Ping, _) => {
                if let Some(e) = &mut self.engine {
                    e.ping_deadline = now.deadline(e.heartbeat_ms);
                }
                self.queue_pong()
            }
            (EngineKind::Close, _) => {
                self.close_transport();
                self.lose_transport(now, DisconnectReason::TransportClosed);
                Ok(())
            }
            (EngineKind::Message, EngineData::Text(text)) => self.on_socket_text(now, text),
            (EngineKind::Message, EngineData::Binary(bytes)) => self.on_socket_binary(bytes),
            (EngineKind::Message, EngineData::Base64(b64)) => {
                // Rare (polling-style b64 over WebSocket): decode into the event queue's
                // scratch is not possible without a buffer; refuse it explicitly.
                let _ = b64;
                self.push_event(&ClientEvent::ProtocolError { kind: DecodeErrorKind::InvalidBase64 })
            }
            _ => Ok(()),
        }
    }

    /// The host's network reachability changed. Offline: the transport is closed and no
    /// attempt is made or counted. Online again: an attempt starts at once, with the
    /// backoff reset.
    pub fn set_network(&mut self, now: Instant, online: bool) {
        let now = self.clock.advance(now);
        if online {
            self.fire_due(now);
        }
        // Going offline fires nothing first: a reconnection due now must not open a
        // socket on a network that is gone.
        if online == self.online {
            self.fire_due(now);
            return;
        }
        self.online = online;
        if !online {
            match self.conn {
                ConnState::Connecting { .. } | ConnState::Connected => {
                    self.close_transport();
                    self.lose_transport(now, DisconnectReason::Offline);
                }
                ConnState::Backoff { .. } => {
                    self.conn = ConnState::Offline;
                    self.outage = None;
                }
                _ => {}
            }
        } else if self.conn == ConnState::Offline {
            self.attempt = 0;
            self.outage = Some(Outage { since: now, warned: false });
            self.start_attempt(now);
        }
        if !online {
            // Now that no reconnection is pending, what else is due (ack timeouts) fires.
            self.fire_due(now);
        }
    }

    /// The app moved to the foreground or background. Coming back checks the heartbeat
    /// deadline at once (every input does), so a connection that died while the app was
    /// suspended is noticed immediately.
    pub fn set_foreground(&mut self, now: Instant, foreground: bool) {
        self.foreground = foreground;
        let now = self.clock.advance(now);
        self.fire_due(now);
    }

    pub(super) fn queue_pong(&mut self) -> Result<(), ClientError> {
        // A pong that does not fit is not fatal: the next ping gets one.
        let _ = self.outbound.push(TAG_PONG, NO_SLOT, 0, b"3");
        Ok(())
    }

    pub(super) fn on_handshake(&mut self, now: Instant, json: &str) -> Result<(), ClientError> {
        let hs = match Handshake::parse(json) {
            Ok(h) => h,
            Err(e) => return self.push_event(&ClientEvent::ProtocolError { kind: e.kind }),
        };
        self.engine = Some(EngineSession {
            ping_deadline: now.deadline(hs.heartbeat_timeout_ms()),
            heartbeat_ms: hs.heartbeat_timeout_ms(),
            max_payload: usize::try_from(hs.max_payload).unwrap_or(usize::MAX),
        });
        for slot in 0..self.namespaces.len() {
            if self.namespaces[slot].state == NamespaceState::Waiting {
                self.begin_namespace(now, slot)?;
            }
        }
        Ok(())
    }

    pub(super) fn on_socket_text(&mut self, now: Instant, text: &str) -> Result<(), ClientError> {
        let packet = match self.decoder.decode_text(text) {
            Ok(Decoded::Packet(p)) => p,
            Ok(_) => return Ok(()),
            Err(e) => return self.push_event(&ClientEvent::ProtocolError { kind: e.kind }),
        };
        match packet.kind {
            PacketKind::Connect => self.on_connect_reply(packet),
            PacketKind::ConnectError => self.on_connect_error(now, packet),
            PacketKind::Disconnect => self.on_server_disconnect(now, packet),
            _ => Inbox {
                namespaces: &mut self.namespaces,
                acks: &mut self.acks,
                events: &mut self.events,
                held: &mut self.held,
            }
            .deliver(packet, AttachmentList::default()),
        }
    }

    pub(super) fn on_socket_binary(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        match self.decoder.decode_binary(bytes) {
            // The packet borrows the decoder's storage; deliver it through the fields it
            // needs, which are disjoint from the decoder.
            Ok(Decoded::Binary(bin)) => Inbox {
                namespaces: &mut self.namespaces,
                acks: &mut self.acks,
                events: &mut self.events,
                held: &mut self.held,
            }
            .deliver(bin.packet, AttachmentList::from_source(bin.attachments)),
            Ok(_) => Ok(()),
            Err(e) => {
                let kind = e.kind;
                self.push_event(&ClientEvent::ProtocolError { kind })
            }
        }
    }

    pub(super) fn on_connect_reply(&mut self, packet: Packet<'_>) -> Result<(), ClientError> {
        let Some(slot) = self.slot(packet.namespace) else { return Ok(()) };
        if self.namespaces[slot].state != NamespaceState::Connecting {
            return Ok(());
        }
        let pid =
            packet.payload.and_then(|p| serde_json_core::from_str::<ConnectReply<'_>>(p).ok()).and_then(|(r, _)| r.pid);
        let ns = &mut self.namespaces[slot];
        let recovered = ns.sent_pid && pid.is_some_and(|p| p == ns.pid.as_str());
        match pid.and_then(|p| String::try_from(p).ok()) {
            Some(p) => {
                if !recovered {
                    ns.offset.clear();
                }
                ns.pid = p;
            }
            None => {
                ns.pid.clear();
                ns.offset.clear();
            }
        }
        ns.state = NamespaceState::Connected;
        ns.auth_refreshed = false;
        let name = ns.name.clone();
        if matches!(self.conn, ConnState::Connecting { .. }) {
            self.conn = ConnState::Connected;
            if self.attempt > 0 {
                self.push_event(&ClientEvent::Reconnected { attempts: self.attempt })?;
            }
            self.attempt = 0;
            self.outage = None;
        }
        self.push_event(&ClientEvent::Connected { namespace: &name, recovered })?;
        // Events that arrived before the reply (recovery replays them there), then the
        // emits buffered while the namespace was down, in order.
        let held_result = self.held.move_into(&mut self.events, |r| usize::from(r.slot) == slot);
        self.drop_oversized(slot);
        self.flush_buffered();
        held_result.map_err(|_| ClientError::EventQueueFull)
    }

    pub(super) fn on_connect_error(&mut self, now: Instant, packet: Packet<'_>) -> Result<(), ClientError> {
        let Some(slot) = self.slot(packet.namespace) else { return Ok(()) };
        if !matches!(self.namespaces[slot].state, NamespaceState::Connecting) {
            return Ok(());
        }
        let payload = packet.payload.unwrap_or("\"\"");
        let (message, data) = connect_error_parts(payload);
        let is_auth = self.is_auth_failure(message, data);
        let name = self.namespaces[slot].name.clone();
        if is_auth && self.config.request_auth && !self.namespaces[slot].auth_refreshed {
            // One fresh token, one retry, on the same Engine.IO session.
            let ns = &mut self.namespaces[slot];
            ns.auth_refreshed = true;
            ns.state =
                NamespaceState::AwaitingAuth { deadline: now.deadline(self.config.auth_timeout_ms), refresh: true };
            return self.push_event(&ClientEvent::AuthRequired { namespace: &name, refresh: true });
        }
        self.namespaces[slot].state = NamespaceState::Refused;
        self.drop_namespace_traffic(slot as u8, AckOutcome::Cancelled);
        if is_auth {
            self.push_event(&ClientEvent::AuthFailed { namespace: &name, message })?;
            // Terminal: never loop on a token the server keeps refusing.
            self.stop(DisconnectReason::AuthFailed);
            return Ok(());
        }
        self.push_event(&ClientEvent::ConnectError { namespace: &name, message, data })?;
        if !self.namespaces.iter().any(Namespace::wanted) {
            self.stop(DisconnectReason::ServerDisconnect);
        }
        Ok(())
    }

    pub(super) fn on_server_disconnect(&mut self, _now: Instant, packet: Packet<'_>) -> Result<(), ClientError> {
        let Some(slot) = self.slot(packet.namespace) else { return Ok(()) };
        if self.namespaces[slot].state != NamespaceState::Connected {
            return Ok(());
        }
        self.namespaces[slot].state = NamespaceState::Closed;
        self.namespaces[slot].pid.clear();
        self.drop_namespace_traffic(slot as u8, AckOutcome::Disconnected);
        let name = self.namespaces[slot].name.clone();
        self.push_event(&ClientEvent::Disconnected {
            namespace: Some(&name),
            reason: DisconnectReason::ServerDisconnect,
        })?;
        if !self.namespaces.iter().any(Namespace::wanted) {
            // As socket.io-client: a server-side disconnect is not retried.
            self.stop(DisconnectReason::ServerDisconnect);
        }
        Ok(())
    }

    pub(super) fn is_auth_failure(&self, message: &str, data: Option<&str>) -> bool {
        let rule = &self.config.auth_failure;
        let code = data.and_then(|d| serde_json_core::from_str::<DataCode<'_>>(d).ok()).and_then(|(c, _)| c.code);
        rule.messages.iter().any(|m| m.eq_ignore_ascii_case(message))
            || code.is_some_and(|c| rule.data_codes.iter().any(|m| m.eq_ignore_ascii_case(c)))
    }
}

#[derive(Deserialize)]
struct DataCode<'a> {
    #[serde(borrow)]
    code: Option<&'a str>,
}

/// Splits a CONNECT_ERROR payload into its message (JSON-escaped text) and raw `data`.
fn connect_error_parts(payload: &str) -> (&str, Option<&str>) {
    let t = payload.trim();
    if t.starts_with('"') && t.len() >= 2 {
        return (&t[1..t.len() - 1], None);
    }
    let message = serde_json_core::from_str::<ConnectErrorBody<'_>>(t).ok().and_then(|(b, _)| b.message).unwrap_or("");
    (message, crate::wire::json::object_field(t, "data"))
}

/// The fields an incoming packet is delivered through: disjoint from the decoder, whose
/// storage a reassembled binary packet borrows.
struct Inbox<'c, const IN: usize> {
    namespaces: &'c mut Vec<Namespace, MAX_NAMESPACES>,
    acks: &'c mut AckTable,
    events: &'c mut RecordQueue<IN>,
    held: &'c mut RecordQueue<IN>,
}

impl<const IN: usize> Inbox<'_, IN> {
    pub(super) fn deliver(&mut self, packet: Packet<'_>, attachments: AttachmentList<'_>) -> Result<(), ClientError> {
        let Some(slot) = self.namespaces.iter().position(|n| n.name == packet.namespace) else { return Ok(()) };
        let ns = &mut self.namespaces[slot];
        let payload = packet.payload.unwrap_or("[]");
        if packet.kind.is_ack() {
            let Some(id) = packet.ack_id else { return Ok(()) };
            let Some(handle) = self.acks.find_by_wire(slot as u8, id) else { return Ok(()) };
            let args_raw = array_inner(payload);
            let ev = ClientEvent::Ack { ack: handle, outcome: AckOutcome::Ok { args_raw, attachments } };
            // Ended only once the event is queued: if it does not fit, the ack stays
            // pending (and ends by timeout) rather than vanishing.
            push(self.events, 0, &ev)?;
            self.acks.take_by_handle(handle);
            return Ok(());
        }
        let Some(event) = packet.event() else { return Ok(()) };
        let held = match ns.state {
            NamespaceState::Connected => false,
            NamespaceState::Connecting => true,
            _ => return Ok(()),
        };
        let name_raw = match event.name {
            crate::wire::EventName::Text(t) => t.raw(),
            crate::wire::EventName::Number(n) => n,
        };
        // Argument spans, relative to the payload.
        let base = payload.as_ptr() as usize;
        let span =
            |a: &crate::wire::Arg<'_>| (a.raw.as_ptr() as usize - base, a.raw.as_ptr() as usize - base + a.raw.len());
        let (mut first, mut last, mut before_last) = (None, None, None);
        let mut last_arg = None;
        for a in event.args {
            let s = span(&a);
            first.get_or_insert(s.0);
            before_last = last;
            last = Some(s.1);
            last_arg = Some(a);
        }
        let mut end = last;
        // Connection state recovery: the server appends the packet's offset as the last
        // argument of every event without an ack id while a session id is held.
        if !ns.pid.is_empty() && packet.ack_id.is_none() {
            if let Some(off) = last_arg.and_then(|a| a.as_str()) {
                ns.offset = String::try_from(off.raw()).unwrap_or_default();
                end = before_last;
            }
        }
        let args_raw = match (first, end) {
            (Some(f), Some(e)) if e > f => &payload[f..e],
            _ => "",
        };
        let ev = ClientEvent::Event(IncomingEvent {
            namespace: &ns.name,
            name_raw,
            args_raw,
            ack_id: packet.ack_id,
            attachments,
        });
        if held {
            push(self.held, slot as u8, &ev)
        } else {
            push(self.events, 0, &ev)
        }
    }
}

pub(super) fn push<const N: usize>(
    queue: &mut RecordQueue<N>,
    slot: u8,
    ev: &ClientEvent<'_>,
) -> Result<(), ClientError> {
    queue
        .push_with(0, slot, 0, |buf| postcard::to_slice(ev, buf).ok().map(|s| s.len()))
        .map(|_| ())
        .map_err(|_| ClientError::EventQueueFull)
}

/// The inside of a JSON array's text (`[a,b]` → `a,b`), trimmed.
fn array_inner(array: &str) -> &str {
    let t = array.trim();
    t.strip_prefix('[').and_then(|t| t.strip_suffix(']')).map_or("", str::trim)
}
