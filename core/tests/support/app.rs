//! The app layer under simulation: the `Realtime` size every app test and app scenario
//! uses, the canonical JSON of every app event (documented in tests/scenarios/README.md,
//! "App scenarios"), and the app configuration from a scenario's `config`.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use tidings::app::{
    AppConfig, AppEvent, BucketConfig, CallState, Contract, RateLimits, Realtime, ReplyOutcome, SendOutcome,
};
use tidings::client::ConnectionState;

use super::sim::{event_json, Machine};
use super::steps::{check_client_config, check_keys, client_config};

/// The app layer as the tests and scenarios build it: 8 KiB send and receive buffers.
pub type Rt = Realtime<8192, 8192>;

impl Machine for Rt {
    fn poll_event_json(&mut self) -> Option<Value> {
        self.poll_event().map(|e| app_event_json(&e))
    }

    fn connection_state(&mut self) -> ConnectionState {
        self.client().state()
    }
}

/// A call state: `"RingingOutgoing"`, … or `{"ended": "<reason>"}`.
pub fn call_state(s: &CallState) -> Value {
    match s {
        CallState::Ended(reason) => json!({"ended": format!("{reason:?}")}),
        other => json!(format!("{other:?}")),
    }
}

/// Raw JSON text the app layer passes through, as a JSON value.
fn raw(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The canonical JSON of an app event: connection events as `event_json`, app events as
/// `{"app": <kind>, …}` with every field of the variant.
pub fn app_event_json(e: &AppEvent<'_>) -> Value {
    match e {
        AppEvent::Client(c) => event_json(c),
        AppEvent::Joined { conversation_id } => json!({"app": "joined", "conversation": conversation_id}),
        AppEvent::Removed { conversation_id, reason } => {
            json!({"app": "removed", "conversation": conversation_id, "reason": reason})
        }
        AppEvent::Synced { recovered } => json!({"app": "synced", "recovered": recovered}),
        AppEvent::Message(m) => json!({"app": "message", "id": m.id, "conversation": m.conversation_id,
            "sender": m.sender_id, "content": raw(m.content), "created_at": m.created_at, "raw": raw(m.raw)}),
        AppEvent::Send { client_message_id, outcome } => {
            let o = match outcome {
                SendOutcome::Delivered { message } => json!({"delivered": raw(message)}),
                SendOutcome::Failed { reason } => json!({"failed": reason}),
                SendOutcome::Expired => json!("expired"),
            };
            json!({"app": "send", "id": client_message_id, "outcome": o})
        }
        AppEvent::Typing { conversation_id, typers_json } => {
            json!({"app": "typing", "conversation": conversation_id, "typers": raw(typers_json)})
        }
        AppEvent::Notification { id, raw: r } => json!({"app": "notification", "id": id, "raw": raw(r)}),
        AppEvent::UnreadCount { count } => json!({"app": "unread", "count": count}),
        AppEvent::Presence { user_id, online } => json!({"app": "presence", "user": user_id, "online": online}),
        AppEvent::ReadReceipt { conversation_id, user_id, message_id } => {
            json!({"app": "read_receipt", "conversation": conversation_id, "user": user_id, "message": message_id})
        }
        AppEvent::Reaction { conversation_id, message_id, user_id, emoji, added } => json!({"app": "reaction",
            "conversation": conversation_id, "message": message_id, "user": user_id, "emoji": emoji, "added": added}),
        AppEvent::Reply { ack, outcome } => {
            let o = match outcome {
                ReplyOutcome::Ok { answer } => json!({"ok": raw(answer)}),
                ReplyOutcome::Refused { reason } => json!({"refused": reason}),
                ReplyOutcome::RateLimited { retry_after_ms } => json!({"rate_limited": retry_after_ms}),
                ReplyOutcome::NoAnswer => json!("no_answer"),
            };
            json!({"app": "reply", "ack": ack.0, "outcome": o})
        }
        AppEvent::Call { call_id, peer, state, signal } => {
            let mut v = json!({"app": "call", "call": call_id, "peer": peer, "state": call_state(state)});
            if let Some(s) = signal {
                v["signal"] = json!({"type": s.kind.as_str(), "payload": raw(s.payload)});
            }
            v
        }
        AppEvent::UploadChunkNeeded { upload_id, index, offset, len } => {
            json!({"app": "chunk_needed", "upload": upload_id, "index": index, "offset": offset, "len": len})
        }
        AppEvent::UploadProgress { upload_id, acked_bytes, total_bytes } => {
            json!({"app": "upload_progress", "upload": upload_id, "acked": acked_bytes, "total": total_bytes})
        }
        AppEvent::UploadFinished { upload_id, total_bytes } => {
            json!({"app": "upload_finished", "upload": upload_id, "total": total_bytes})
        }
        AppEvent::UploadFailed { upload_id, reason } => {
            json!({"app": "upload_failed", "upload": upload_id, "reason": reason})
        }
        AppEvent::RateLimited { class, retry_after_ms } => {
            json!({"app": "rate_limited", "class": format!("{class:?}"), "retry_after_ms": retry_after_ms})
        }
        AppEvent::RateLimitLifted { class } => json!({"app": "rate_limit_lifted", "class": format!("{class:?}")}),
        other => json!({"app": "unknown", "debug": format!("{other:?}")}),
    }
}

fn num(v: &Value, ctx: &str) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{ctx}: not a non-negative integer: {v}"))
}

fn obj<'v>(v: &'v Value, ctx: &str) -> &'v Map<String, Value> {
    v.as_object().unwrap_or_else(|| panic!("{ctx}: not an object: {v}"))
}

fn bucket(v: &Value, ctx: &str) -> Option<BucketConfig> {
    if v.is_null() {
        return None;
    }
    check_keys(v, &["capacity", "refill_ms"], ctx);
    Some(BucketConfig { capacity: num(&v["capacity"], ctx) as u32, refill_ms: num(&v["refill_ms"], ctx) })
}

fn rate_limits(v: &Value, ctx: &str) -> RateLimits {
    match v.as_str() {
        Some("default") => return RateLimits::DEFAULT,
        Some("unlimited") => return RateLimits::UNLIMITED,
        Some(other) => panic!("{ctx}: unknown rate_limits preset {other}"),
        None => {}
    }
    let mut r = RateLimits::DEFAULT;
    for (k, x) in obj(v, ctx) {
        let ctx = &format!("{ctx}.{k}");
        match k.as_str() {
            "messages" => r.messages = bucket(x, ctx),
            "reactions" => r.reactions = bucket(x, ctx),
            "receipts" => r.receipts = bucket(x, ctx),
            "calls" => r.calls = bucket(x, ctx),
            "uploads" => r.uploads = bucket(x, ctx),
            "max_server_block_ms" => r.max_server_block_ms = num(x, ctx),
            "default_server_block_ms" => r.default_server_block_ms = num(x, ctx),
            _ => panic!("{ctx}: unknown key"),
        }
    }
    r
}

/// An event name for the contract: the contract holds `&'static str`, so a scenario's
/// names live as long as the test (a few bytes per scenario).
fn name(v: &Value, ctx: &str) -> &'static str {
    let s = v.as_str().unwrap_or_else(|| panic!("{ctx}: not a string"));
    Box::leak(s.to_string().into_boxed_str())
}

fn contract(v: &Value, ctx: &str) -> Contract {
    let mut c = Contract::DEFAULT;
    for (k, x) in obj(v, ctx) {
        let ctx = &format!("{ctx}.{k}");
        let field = match k.as_str() {
            "join" => &mut c.join,
            "leave" => &mut c.leave,
            "send_message" => &mut c.send_message,
            "typing" => &mut c.typing,
            "stop_typing" => &mut c.stop_typing,
            "mark_read" => &mut c.mark_read,
            "mark_all_read" => &mut c.mark_all_read,
            "new_message" => &mut c.new_message,
            "notification" => &mut c.notification,
            "unread_count" => &mut c.unread_count,
            "user_typing" => &mut c.user_typing,
            "user_stopped_typing" => &mut c.user_stopped_typing,
            "removed" => &mut c.removed,
            "presence" => &mut c.presence,
            "mark_conversation_read" => &mut c.mark_conversation_read,
            "read_receipt" => &mut c.read_receipt,
            "add_reaction" => &mut c.add_reaction,
            "remove_reaction" => &mut c.remove_reaction,
            "reaction" => &mut c.reaction,
            "call_signal" => &mut c.call_signal,
            "upload_chunk" => &mut c.upload_chunk,
            "upload_status" => &mut c.upload_status,
            "rate_limited" => &mut c.rate_limited,
            _ => panic!("{ctx}: unknown contract name"),
        };
        *field = name(x, ctx);
    }
    c
}

/// `AppConfig::DEFAULT` with a scenario's overrides (every key checked; see the README).
pub fn app_config(v: &Value, ctx: &str) -> AppConfig {
    let mut c = AppConfig::DEFAULT;
    if v.is_null() {
        return c;
    }
    for (k, x) in obj(v, ctx) {
        let ctx = &format!("{ctx}.{k}");
        match k.as_str() {
            "client" => {
                check_client_config(x, ctx);
                c.client = client_config(x);
            }
            "outbox_ttl_ms" => c.outbox_ttl_ms = num(x, ctx),
            "max_outbox_messages" => c.max_outbox_messages = num(x, ctx) as usize,
            "typing" => {
                check_keys(x, &["debounce_ms", "refresh_ms", "idle_ms", "remote_expiry_ms"], ctx);
                let t = &mut c.typing;
                for (field, slot) in [
                    ("debounce_ms", &mut t.debounce_ms),
                    ("refresh_ms", &mut t.refresh_ms),
                    ("idle_ms", &mut t.idle_ms),
                    ("remote_expiry_ms", &mut t.remote_expiry_ms),
                ] {
                    if let Some(n) = x.get(field) {
                        *slot = num(n, ctx);
                    }
                }
            }
            "ring_timeout_ms" => c.calls.ring_timeout_ms = num(x, ctx),
            "uploads" => {
                check_keys(x, &["max_chunk_bytes", "chunk_ack_timeout_ms"], ctx);
                if let Some(n) = x.get("max_chunk_bytes") {
                    c.uploads.max_chunk_bytes = num(n, ctx) as u32;
                }
                if let Some(n) = x.get("chunk_ack_timeout_ms") {
                    c.uploads.chunk_ack_timeout_ms = num(n, ctx);
                }
            }
            "rate_limits" => c.rate_limits = rate_limits(x, ctx),
            "contract" => c.contract = contract(x, ctx),
            _ => panic!("{ctx}: unknown config key"),
        }
    }
    c
}
