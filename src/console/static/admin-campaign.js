// A campaign's page: while it runs, its progress (state, bar, counts) is fetched from the server every
// two seconds and put in place; it stops when the campaign is no longer running. Without the script the
// page shows the progress as of its load.
import { fetchFragment } from './console.js';

const live = document.getElementById('campaign-live');
const MOVING = new Set(['running']);
const EVERY_MS = 2000;

async function refresh() {
  try {
    const fragment = await fetchFragment(live.dataset.fragment);
    if (fragment === undefined) return;
    live.innerHTML = fragment;
    const state = live.querySelector('[data-state]')?.dataset.state;
    if (state && state !== live.dataset.state) window.location.reload();
    else if (MOVING.has(state)) setTimeout(refresh, EVERY_MS);
  } catch {
    setTimeout(refresh, EVERY_MS * 2);
  }
}

if (live && MOVING.has(live.dataset.state)) setTimeout(refresh, EVERY_MS);
