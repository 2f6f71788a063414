// One WebSocket to /v1/subscribe carrying every subscription of the page. It reconnects by
// itself (backoff 0.25 s doubling to 5 s, with jitter) and resubscribes each subscription
// right after the last event it delivered: {"hub_seq":N} for snapshots, {"alert_seq":N} for
// alerts, as octopus-bell does, so nothing the hub still holds is missed or shown twice.
// Listeners: status(state, detail) with state "connecting" | "live" | "lost";
// gap(sub, message); crab(lifecycle message); error(message).

import { token } from './api.js';

export class Stream {
  constructor() {
    this.subs = new Map(); // id -> {spec, onEvents, last}
    this.listeners = { status: [], gap: [], crab: [], error: [] };
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.lostAt = 0;
  }

  on(kind, fn) {
    this.listeners[kind].push(fn);
  }

  emit(kind, ...args) {
    for (const fn of this.listeners[kind]) fn(...args);
  }

  // spec: {crabs, keys, from, alerts}; onEvents(list of envelopes or alert events).
  subscribe(id, spec, onEvents) {
    this.subs.set(id, { spec, onEvents, last: null });
    this.send(this.subscribeMessage(id));
  }

  unsubscribe(id) {
    if (!this.subs.delete(id)) return;
    this.send({ type: 'unsubscribe', id });
  }

  subscribeMessage(id) {
    const { spec, last } = this.subs.get(id);
    const message = { type: 'subscribe', id, ...spec };
    if (last !== null) message.from = spec.alerts ? { alert_seq: last } : { hub_seq: last };
    return message;
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const t = token.get();
    const protocols = t ? ['octopus', `bearer.${t}`] : [];
    this.emit('status', 'connecting', this.attempt);
    const ws = new WebSocket(`${scheme}//${location.host}/v1/subscribe`, protocols);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.emit('status', 'live', this.lostAt);
      this.lostAt = 0;
      for (const id of this.subs.keys()) this.send(this.subscribeMessage(id));
    };
    ws.onmessage = (e) => this.dispatch(JSON.parse(e.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (!this.lostAt) this.lostAt = Date.now();
      this.emit('status', 'lost', this.attempt);
      const delay = Math.min(5000, 250 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    };
  }

  // Deliver to the subscription's handler and remember the newest position.
  deliver(id, events) {
    const sub = this.subs.get(id);
    if (!sub || events.length === 0) return;
    const last = events[events.length - 1];
    sub.last = sub.spec.alerts ? last.alert_seq : last.hub_seq;
    sub.onEvents(events);
  }

  dispatch(m) {
    switch (m.type) {
      case 'snapshot': {
        const { type, sub, ...envelope } = m;
        return this.deliver(sub, [envelope]);
      }
      case 'snapshots':
        return this.deliver(m.sub, m.items);
      case 'alert': {
        const { type, sub, ...alert } = m;
        return this.deliver(sub, [alert]);
      }
      case 'gap':
        return this.emit('gap', m.sub, m);
      case 'crab':
        return this.emit('crab', m);
      case 'error':
        return this.emit('error', m);
      default:
        return undefined;
    }
  }

  close() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}
