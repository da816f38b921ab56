// The SMSC page live: bind states from the console's event stream at once, then the binds, the hour and
// the tail read again from the server (its fragments), so the markup is the server's own. The tail's
// filter applies without a reload. Plain ES module (CSP: script-src 'self').
import { liveEvents } from './console.js';

const binds = document.getElementById('smsc-binds');
const summary = document.getElementById('smsc-summary');
const tail = document.getElementById('smsc-tail');
const filter = document.getElementById('tail-filter');
const live = document.getElementById('smsc-live');

/** Rates and windows change without an event: the binds are read again this often. */
const BINDS_EVERY_MS = 5000;
/** The hour's chart moves a minute at a time. */
const SUMMARY_EVERY_MS = 60_000;
/** Receipts come in bursts: one read of the tail per burst. */
const SETTLE_MS = 250;

function filterQuery() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(filter)) if (value !== '') query.set(name, String(value));
  return query;
}

/**
 * GETs one of the page's fragments. It asks for JSON as well, so that an ended session is a 401 naming
 * the sign-in page (not a redirect to it, which would bring the visitor back to a bare fragment): the
 * page goes there, and comes back here after signing in.
 */
async function readFragment(url) {
  const response = await fetch(url, {
    headers: { Accept: 'text/html, application/json' },
    credentials: 'same-origin',
  });
  if (response.ok) return response.text();
  const answer = await response.json().catch(() => undefined);
  if (response.status === 401) {
    const signIn = new URL(
      answer?.error?.details?.signIn ?? '/console/sign-in?notice=expired',
      window.location.href,
    );
    signIn.searchParams.set('next', window.location.pathname + window.location.search);
    window.location.assign(signIn.href);
    return undefined;
  }
  throw new Error(answer?.error?.message ?? `HTTP ${response.status}`);
}

/** Reads a fragment into `element`; a failure says so in the live status and keeps what was shown. */
function refresher(element, url) {
  let timer;
  const load = async () => {
    timer = undefined;
    try {
      const fragment = await readFragment(url());
      if (fragment !== undefined) element.innerHTML = fragment;
    } catch (error) {
      live.dataset.state = 'closed';
      live.textContent = `Could not refresh: ${error.message}`;
    }
  };
  return {
    now: load,
    soon: () => {
      timer ??= setTimeout(load, SETTLE_MS);
    },
  };
}

const bindsRefresh = refresher(binds, () => '/console/smsc/binds');
const summaryRefresh = refresher(summary, () => '/console/smsc/summary');
const tailRefresh = refresher(tail, () => `/console/smsc/tail?${filterQuery()}`);

/** Shows a bind's new state before the binds are read again (the server's words for each state). */
function showBindState({ smscId, bindId, state }) {
  const list = binds.querySelector('ul.binds');
  if (!list) return;
  const words = JSON.parse(list.dataset.stateTexts ?? '{}');
  const text = words[state] ?? state;
  for (const card of list.querySelectorAll('li.bind')) {
    if (card.dataset.smsc !== smscId || card.dataset.bind !== bindId) continue;
    const badge = card.querySelector('.bind-state');
    badge.textContent = text;
    badge.className = `state bind-state state-${text}`;
  }
}

filter.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = filterQuery();
  history.replaceState(null, '', `/console/smsc${query.size > 0 ? `?${query}` : ''}`);
  void tailRefresh.now();
});
filter.addEventListener('change', () => filter.requestSubmit());

liveEvents({
  types: ['smsc.bind-state', 'segment.receipt', 'provisioning.state'],
  status: live,
  onEvent(type, data) {
    if (type === 'smsc.bind-state') {
      showBindState(data);
      bindsRefresh.soon();
    } else {
      tailRefresh.soon();
    }
  },
});
window.setInterval(() => void bindsRefresh.now(), BINDS_EVERY_MS);
window.setInterval(() => void summaryRefresh.now(), SUMMARY_EVERY_MS);
