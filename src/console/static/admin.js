// The admins' pages' progressive enhancement (plain module; every page works without it):
// a file input fills the CSV field it names, Copy copies a new key's secret, and buttons with
// data-confirm ask before a form that cannot be undone (revoke, retire) is sent.

for (const input of document.querySelectorAll('input[type="file"][data-fills]')) {
  input.addEventListener('change', async () => {
    const target = document.getElementById(input.dataset.fills);
    const file = input.files?.[0];
    if (target && file) target.value = await file.text();
  });
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.addEventListener('click', async () => {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Selected: press Ctrl+C';
    }
  });
}

for (const field of document.querySelectorAll('[data-select-all]')) {
  field.addEventListener('focus', () => field.select());
}

for (const button of document.querySelectorAll('button[data-confirm]')) {
  button.form?.addEventListener('submit', (event) => {
    if (event.submitter === button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}
