// The console's shared progressive enhancement. Pages work without it (plain forms and links); with it,
// scripts of a page use these helpers. Plain ES module, no bundler (CSP: script-src 'self').

/** The session's CSRF token, for a script's own POST (the x-csrf-token header or the _csrf field). */
export function csrfToken() {
  return document.body.dataset.csrf ?? '';
}

/**
 * POSTs a form's fields as application/x-www-form-urlencoded and returns the JSON answer. Errors come in
 * the API's shape { error: { code, message, details } }; a session that ended sends the page to sign in.
 */
export async function postForm(url, fields) {
  const body = new URLSearchParams(fields);
  if (!body.has('_csrf')) body.set('_csrf', csrfToken());
  const response = await fetch(url, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    credentials: 'same-origin',
  });
  const answer = await response
    .json()
    .catch(() => ({ error: { code: 'BAD_ANSWER', message: 'the server answered something unreadable' } }));
  if (response.status === 401) {
    window.location.assign(answer?.error?.details?.signIn ?? '/console/sign-in?notice=expired');
  }
  if (!response.ok) {
    const error = new Error(answer?.error?.message ?? `HTTP ${response.status}`);
    error.code = answer?.error?.code;
    error.details = answer?.error?.details;
    throw error;
  }
  return answer;
}

/** GETs an HTML fragment of the console (e.g. a timeline) to put in place of an element's content. */
export async function fetchFragment(url) {
  const response = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  if (response.redirected && new URL(response.url).pathname === '/console/sign-in') {
    window.location.assign(response.url);
    return undefined;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

/**
 * Live updates: the console's SSE stream (/console/events, the session's role decides what it carries).
 * `onEvent(type, data)` is called for each event; `status` (optional) is an element whose data-state
 * says open or closed and whose text says so. EventSource reconnects by itself after a dropped
 * connection; an answer that is not a stream (the session ended: 401) closes it for good, so then the
 * page asks whether the session still holds, goes to sign in if not, and opens the stream again later.
 */
export function liveEvents({ types, msisdn, onEvent, status }) {
  const query = new URLSearchParams();
  if (types) query.set('types', types.join(','));
  if (msisdn) query.set('msisdn', msisdn);
  const show = (state, text) => {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  };
  const open = () => {
    const source = new EventSource(`/console/events?${query}`);
    source.onopen = () => show('open', 'Live');
    source.onerror = () => {
      show('closed', 'Live updates interrupted; reconnecting…');
      if (source.readyState === EventSource.CLOSED) setTimeout(() => recheck(), RETRY_MS);
    };
    for (const type of types ?? ['provisioning.state', 'segment.receipt', 'smsc.bind-state']) {
      source.addEventListener(type, (message) => onEvent(type, JSON.parse(message.data)));
    }
  };
  const recheck = async () => {
    const probe = await fetch(window.location.pathname, { headers: { Accept: 'application/json' } }).catch(
      () => undefined,
    );
    if (probe?.status === 401) {
      const next = window.location.pathname + window.location.search;
      window.location.assign(`/console/sign-in?notice=expired&next=${encodeURIComponent(next)}`);
      return;
    }
    open();
  };
  open();
}

/** How long a closed stream waits before the page checks the session and opens it again. */
const RETRY_MS = 3000;
