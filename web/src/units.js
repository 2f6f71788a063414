// Human units for value keys, chosen by the key's name. octopus-bell's table uses the same rules
// (clients/bell_table.cpp); README "Web Bell" lists them.
//   percent  cpu, memory, disk, swap, *_pct, *_percent          12.5%
//   rate     *_bps, *_bytes_per_s (bytes per second)             16.0 KiB/s
//   bytes    *_bytes                                             1.5 GiB
//   load     load followed by digits (load1, load5, load15)      1.19
//   none     anything else: the number as JavaScript prints it

const PERCENT_KEYS = new Set(['cpu', 'memory', 'disk', 'swap']);
const GROUP_ORDER = ['percent', 'rate', 'bytes', 'load', 'none'];

export function unitOf(key) {
  if (PERCENT_KEYS.has(key) || key.endsWith('_pct') || key.endsWith('_percent')) return 'percent';
  if (key.endsWith('_bps') || key.endsWith('_bytes_per_s')) return 'rate';
  if (key.endsWith('_bytes')) return 'bytes';
  if (/^load[0-9]+$/.test(key)) return 'load';
  return 'none';
}

export const UNIT_TITLES = {
  percent: 'Percent',
  rate: 'Bytes per second',
  bytes: 'Bytes',
  load: 'Load average',
  none: 'Other values',
};

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

function binary(value, suffix) {
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BINARY.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v.toFixed(0)} B${suffix}` : `${v.toFixed(1)} ${BINARY[i]}${suffix}`;
}

// A number in its key's unit; booleans and strings as they are.
export function formatValue(key, value) {
  if (typeof value !== 'number') return value === undefined || value === null ? '-' : String(value);
  switch (unitOf(key)) {
    case 'percent':
      return `${value.toFixed(1)}%`;
    case 'rate':
      return binary(value, '/s');
    case 'bytes':
      return binary(value, '');
    case 'load':
      return value.toFixed(2);
    default:
      return String(value);
  }
}

// An axis tick for a unit (no per-key context).
export function formatTick(unit, value) {
  if (unit === 'percent') return `${value}%`;
  if (unit === 'rate') return binary(value, '/s');
  if (unit === 'bytes') return binary(value, '');
  return String(Number(value.toPrecision(6)));
}

// Natural order: runs of digits compare by value (load1 < load5 < load15), the rest bytewise.
export function naturalCompare(a, b) {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) || [];
  const pb = b.match(re) || [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i += 1) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

// Keys grouped by unit (percent, rate, bytes, load, other), each group in natural order.
export function keyCompare(a, b) {
  const ga = GROUP_ORDER.indexOf(unitOf(a));
  const gb = GROUP_ORDER.indexOf(unitOf(b));
  return ga - gb || naturalCompare(a, b);
}

export function groupKeys(keys) {
  const groups = new Map();
  for (const key of [...keys].sort(keyCompare)) {
    const unit = unitOf(key);
    if (!groups.has(unit)) groups.set(unit, []);
    groups.get(unit).push(key);
  }
  return groups;
}

// 0.4 s, 12 s, 3 min 5 s, 2 h 10 min, 3 d 4 h.
export function formatAge(seconds) {
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function formatRate(perSecond) {
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(2)}/s`;
}
