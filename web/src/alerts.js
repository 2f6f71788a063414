// Alerts: pending and firing ones from GET /v1/alerts (polled every 5 s: pending states are not
// notified), kept live by an alerts subscription, which replays the notified events the hub
// still holds so resolved ones fill the recent-history list. Keyed by (rule, crab).

import { el, clear } from './dom.js';
import { formatAge, formatValue, keyCompare } from './units.js';

const HISTORY = 50;
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };

const key = (a) => `${a.rule}\u0000${a.crab}`;

export class Alerts {
  constructor(app) {
    this.app = app;
    this.active = new Map();
    this.history = [];
    this.lastSeq = 0;
    this.resolvedSeq = new Map(); // key -> alert_seq of its latest resolve
  }

  // Before GET /v1/alerts: every event seen so far is reflected in its answer.
  baseline() {
    return this.lastSeq;
  }

  // From GET /v1/alerts, the authoritative set of pending and firing alerts, except where an
  // event that arrived after the request was sent says otherwise (a resolve or a firing that
  // crossed the answer on the way).
  seed(list, baseline) {
    const fresh = new Map();
    for (const a of list) {
      const resolved = this.resolvedSeq.get(key(a)) || 0;
      if (resolved <= baseline || resolved < a.alert_seq) fresh.set(key(a), a);
    }
    for (const [k, a] of this.active) if (a.alert_seq > baseline && !fresh.has(k)) fresh.set(k, a);
    this.active = fresh;
    this.changed();
  }

  events(list) {
    for (const a of list) {
      this.lastSeq = Math.max(this.lastSeq, a.alert_seq);
      const k = key(a);
      if (a.state === 'firing' || a.state === 'pending') {
        this.active.set(k, a);
      } else {
        const was = this.active.get(k);
        if (was && was.alert_seq > a.alert_seq) continue;
        this.active.delete(k);
        this.resolvedSeq.set(k, a.alert_seq);
        if (a.state === 'resolved') this.history.unshift(a);
      }
    }
    this.history.length = Math.min(this.history.length, HISTORY);
    this.changed();
  }

  firing() {
    return [...this.active.values()].filter((a) => a.state === 'firing').length;
  }

  changed() {
    this.app.alertCount(this.firing());
    if (this.box) this.app.schedule(this);
  }

  mount(root) {
    this.box = el('div', { id: 'alerts' });
    root.append(el('div', { class: 'toolbar' }, el('h1', {}, 'Alerts')), this.box);
    this.timer = setInterval(() => this.render(), 1000);
    this.render();
  }

  unmount() {
    clearInterval(this.timer);
    this.box = null;
  }

  render() {
    if (!this.box) return;
    clear(this.box);
    const now = Date.now() / 1000;
    const active = [...this.active.values()].sort(
      (a, b) => (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.at - b.at,
    );
    this.box.append(
      el('h2', {}, `Pending and firing (${active.length})`),
      active.length ? this.table(active, now, true) : el('p', { class: 'muted empty', id: 'no-alerts' }, 'Nothing is wrong right now.'),
      el('h2', {}, 'Recently resolved'),
      this.history.length ? this.table(this.history, now, false) : el('p', { class: 'muted' }, 'No alert has resolved since this page opened.'),
    );
  }

  table(list, now, live) {
    const head = ['Severity', 'State', 'Rule', 'Crab', live ? 'Since' : 'Resolved', 'Condition', 'Values', 'Reason'];
    const body = el('tbody');
    for (const a of list) {
      const since = (a.firing_since_us || a.pending_since_us) / 1e6;
      const when = live ? `${formatAge(now - since)}` : `${formatAge(now - a.at)} ago`;
      const values = Object.keys(a.values || {})
        .sort(keyCompare)
        .map((k) => `${k} ${formatValue(k, a.values[k])}`)
        .join('  ·  ');
      body.append(
        el(
          'tr',
          { 'data-rule': a.rule, 'data-crab': a.crab, 'data-state': a.state },
          el('td', {}, el('span', { class: `badge ${a.severity}` }, a.severity)),
          el('td', {}, a.state),
          el('td', {}, a.rule),
          el('td', {}, el('a', { href: `#/crab/${encodeURIComponent(a.crab)}` }, a.crab)),
          el('td', {}, when),
          el('td', {}, el('code', {}, a.condition)),
          el('td', {}, values),
          el('td', {}, a.reason),
        ),
      );
    }
    return el('table', { class: `grid alerts ${live ? 'active' : 'history'}` }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))), body);
  }
}
