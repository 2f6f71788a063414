// HTTP reads from the hub that served this page. With tokens configured, the token lives in
// this tab's sessionStorage only (never a URL, never localStorage) and travels as
// `Authorization: Bearer`; on the WebSocket, where a browser cannot set headers, as the
// subprotocol `bearer.TOKEN` beside `octopus` (protocol/README.md, "Authentication").

const TOKEN_KEY = 'octopus.token';

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// GET a JSON document; throws HttpError (status 0 when the hub cannot be reached).
export async function getJson(path) {
  const headers = {};
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  let response;
  try {
    response = await fetch(path, { headers, cache: 'no-store' });
  } catch (e) {
    throw new HttpError(0, 'unreachable', `the hub cannot be reached (${e.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new HttpError(response.status, 'bad_json', `the hub answered ${path} with non-JSON`);
  }
  if (!response.ok) throw new HttpError(response.status, body && body.code, body && body.message);
  return body;
}

// The crab globs this page may read: ["*"] without tokens, else the token's read:GLOB scopes.
export async function readableGlobs() {
  const me = await getJson('/v1/whoami');
  if (!me.auth || !me.scopes) return ['*'];
  return me.scopes.filter((s) => s.startsWith('read:')).map((s) => s.slice(5));
}

// A records query's URL: /v1/crabs/NAME/records?since=..&until=..&step=..&agg=..
export function recordsUrl(crab, { since, until, step, agg }) {
  const q = new URLSearchParams();
  if (since !== undefined) q.set('since', String(Math.floor(since)));
  if (until !== undefined) q.set('until', String(Math.ceil(until)));
  if (step) q.set('step', String(step));
  if (agg) q.set('agg', agg);
  return `/v1/crabs/${encodeURIComponent(crab)}/records?${q}`;
}

// A snapshot's time on the charts: the crab's timestamp, else the hub's received_at (the
// records API's time axis).
export function snapshotTime(envelope) {
  return typeof envelope.timestamp === 'number' ? envelope.timestamp : envelope.received_at;
}
