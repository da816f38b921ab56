// The subscriber page (pages/care-subscriber.ts): Resend asks for a reason in a dialog and posts it;
// the timeline follows the gateway's events live, fetched again from the server as HTML.
import { fetchFragment, liveEvents, postForm } from './console.js';

const region = document.getElementById('timeline-region');
const dialog = document.getElementById('resend-dialog');
const dialogForm = document.getElementById('resend-dialog-form');
const reason = document.getElementById('resend-reason');
const errorBox = document.getElementById('resend-error');
const inFlight = document.getElementById('in-flight');
const msisdn = region?.dataset.msisdn;
let resendUrl = '';
let refreshTimer;

function provisioningIds() {
  return new Set(
    [...region.querySelectorAll('li[data-provisioning]')].map((item) => item.dataset.provisioning),
  );
}

function describeInFlight() {
  const busy = region.querySelector(
    'li[data-state]:not([data-state="delivered"]):not([data-state="failed"]):not([data-state="expired"]):not([data-state="cancelled"])',
  );
  inFlight.textContent = busy
    ? `Provisioning ${busy.dataset.provisioning.slice(0, 8)} is ${busy.dataset.state}: Resend is possible once it ends.`
    : '';
}

async function refresh() {
  const fragment = await fetchFragment(`/console/subscribers/${msisdn}/timeline`).catch(() => undefined);
  if (fragment === undefined) return;
  region.innerHTML = fragment;
  describeInFlight();
  const current = region.querySelector('#timeline')?.dataset.current;
  if (current) document.getElementById('current-settings').textContent = current;
}

/** Several events arrive together (state change, receipts): one refresh for them. */
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
}

if (region && dialog && msisdn) {
  // Without this script the Resend button opens a page with the same form.
  region.addEventListener('submit', (event) => {
    const form = event.target.closest('form.resend-form');
    if (!form) return;
    event.preventDefault();
    resendUrl = `/console/provisionings/${form.dataset.provisioning}/resend`;
    errorBox.hidden = true;
    reason.value = '';
    dialog.showModal();
    reason.focus();
  });
  document.getElementById('resend-cancel').addEventListener('click', () => dialog.close());
  dialogForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const send = dialogForm.querySelector('button[type="submit"]');
    send.disabled = true;
    try {
      await postForm(resendUrl, { reason: reason.value, _csrf: dialogForm.elements._csrf.value });
      dialog.close();
      await refresh();
    } catch (error) {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    } finally {
      send.disabled = false;
    }
  });
  liveEvents({
    types: ['provisioning.state', 'segment.receipt'],
    msisdn,
    status: document.getElementById('live-status'),
    onEvent(type, data) {
      // provisioning.state is filtered by MSISDN on the server; receipts name only their provisioning.
      if (type === 'provisioning.state' || provisioningIds().has(data.provisioningId)) refreshSoon();
    },
  });
}
