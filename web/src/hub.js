// The hub itself: GET /v1/hub/stats every 2 s, turned into rates between two polls, and the
// ack latency p50/p99 of that interval from the histogram's bucket deltas (interpolated inside
// the bucket, as Prometheus' histogram_quantile does). Needs the `metrics` scope.

import uPlot from './uPlot.esm.js';
import { getJson } from './api.js';
import { el, clear } from './dom.js';
import { formatValue } from './units.js';

const POLL_MS = 2000;
const HISTORY_S = 600;

// The q-quantile of bucket counts over upper bounds `le` (+Inf last); null when empty.
export function quantile(q, le, counts) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i += 1) {
    if (seen + counts[i] >= rank && counts[i] > 0) {
      if (i >= le.length) return le[le.length - 1];
      const lower = i === 0 ? 0 : le[i - 1];
      return lower + ((le[i] - lower) * (rank - seen)) / counts[i];
    }
    seen += counts[i];
  }
  return le[le.length - 1];
}

function ms(seconds) {
  if (seconds === null) return '-';
  return seconds < 0.001 ? `${(seconds * 1000).toFixed(3)} ms` : `${(seconds * 1000).toFixed(1)} ms`;
}

const per = (now, before, field, dt) => Math.max(0, (now[field] - before[field]) / dt);

export class HubPanel {
  constructor(app) {
    this.app = app;
    this.history = [[], [], []]; // time, ingest/s, deliveries/s
  }

  mount(root) {
    this.grid = el('dl', { class: 'stats', id: 'hub-stats' });
    this.chartBox = el('figure', { class: 'chart' }, el('figcaption', {}, 'Snapshots per second, last 10 min'));
    root.append(el('div', { class: 'toolbar' }, el('h1', {}, 'Hub')), this.grid, this.chartBox);
    this.plot = new uPlot(
      {
        width: Math.max(320, root.clientWidth - 4),
        height: 200,
        series: [{}, { label: 'ingested', stroke: '#2f7ed8', width: 1.5 }, { label: 'delivered', stroke: '#29a36a', width: 1.5 }],
      },
      this.history,
      this.chartBox,
    );
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  unmount() {
    clearInterval(this.timer);
    this.plot.destroy();
    this.grid = null;
  }

  async poll() {
    let now;
    try {
      now = await getJson('/v1/hub/stats');
    } catch (e) {
      if (!this.grid) return;
      clear(this.grid);
      const why = e.status === 403 ? 'This token lacks the metrics scope, which the hub panel needs.' : e.message;
      this.grid.append(el('p', { class: 'muted', id: 'hub-problem' }, why));
      return;
    }
    if (!this.grid) return;
    const before = this.previous;
    this.previous = now;
    this.show(now, before);
  }

  show(now, before) {
    const dt = before ? now.at - before.at : 0;
    const rate = (field) => (dt > 0 ? `${per(now, before, field, dt).toFixed(1)}/s` : '…');
    let p50 = null;
    let p99 = null;
    if (before) {
      const le = now.ack_latency_seconds.le;
      const delta = now.ack_latency_seconds.counts.map((n, i) => n - before.ack_latency_seconds.counts[i]);
      p50 = quantile(0.5, le, delta);
      p99 = quantile(0.99, le, delta);
    }
    const rows = [
      ['Ingest', rate('snapshots_accepted'), 'snapshots accepted'],
      ['Deliveries', rate('events_delivered'), 'events queued to subscribers'],
      ['Subscriber drops', rate('subscriber_drops'), `${now.subscriber_drops} since start`],
      ['fsyncs', rate('fsyncs'), `${now.fsyncs} since start`],
      ['Disk writes', dt > 0 ? formatValue('write_bps', per(now, before, 'disk_bytes_written', dt)) : '…', ''],
      ['Ack latency', `p50 ${ms(p50)} · p99 ${ms(p99)}`, 'over the last poll interval'],
      ['Connections', String(now.connections_open), `${now.crab_sessions_open} crabs, ${now.subscriber_sessions_open} subscribers`],
      ['Crabs', `${now.crabs_online} online`, `${now.crabs_known} known`],
      ['Errors', rate('errors'), `${now.errors} since start`],
      ['hub_seq', String(now.hub_seq), ''],
    ];
    clear(this.grid);
    for (const [name, value, note] of rows) {
      this.grid.append(el('div', { class: 'stat', 'data-stat': name }, el('dt', {}, name), el('dd', {}, value), el('small', { class: 'muted' }, note)));
    }
    if (dt > 0) this.plotPoint(now.at, per(now, before, 'snapshots_accepted', dt), per(now, before, 'events_delivered', dt));
  }

  plotPoint(t, ingest, delivered) {
    const [ts, a, b] = this.history;
    ts.push(t);
    a.push(ingest);
    b.push(delivered);
    while (ts.length && ts[0] < t - HISTORY_S) {
      ts.shift();
      a.shift();
      b.shift();
    }
    this.plot.setData(this.history);
  }
}
