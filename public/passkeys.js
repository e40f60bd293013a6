// Passkeys in the browser: the WebAuthn ceremonies of Porch's JSON API (issue 20). Loaded by
// the pages that offer a passkey; each offer stays hidden unless this script runs in a browser
// that can use passkeys, so without JavaScript nothing is offered and nothing breaks.

const supported = typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

// base64url (RFC 4648 §5) <-> ArrayBuffer: the API's options and answers carry binary as text.
const toBuffer = (text) => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '==='.slice((base64.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
};
const toText = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const post = async (path, body) => {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body ?? {}),
  });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(answer?.error?.message ?? response.statusText);
    error.code = answer?.error?.code;
    throw error;
  }
  return answer;
};

const creationOptions = ({ publicKey }) => ({
  publicKey: {
    ...publicKey,
    challenge: toBuffer(publicKey.challenge),
    user: { ...publicKey.user, id: toBuffer(publicKey.user.id) },
    excludeCredentials: (publicKey.excludeCredentials ?? []).map((c) => ({ ...c, id: toBuffer(c.id) })),
  },
});

const requestOptions = ({ publicKey }) => ({
  publicKey: {
    ...publicKey,
    challenge: toBuffer(publicKey.challenge),
    allowCredentials: (publicKey.allowCredentials ?? []).map((c) => ({ ...c, id: toBuffer(c.id) })),
  },
});

const credentialJson = (credential) => {
  const r = credential.response;
  const response = r.attestationObject
    ? {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      }
    : {
        authenticatorData: toText(r.authenticatorData),
        clientDataJSON: toText(r.clientDataJSON),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null,
      };
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response,
    extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
  };
};

const showError = (scope, error) => {
  const box = scope.querySelector('[data-passkey-error]');
  if (box) {
    box.textContent = error.message;
    box.hidden = false;
  }
};

const confirmFirst = (error) => {
  if (error.code === 'reauth_required') {
    window.location.assign('/account/confirm');
    return true;
  }
  return false;
};

// Signing in without typing the address (a discoverable credential).
const signIn = async (button) => {
  const started = await post('/api/auth/passkey/login/options');
  const credential = await navigator.credentials.get(requestOptions(started.options));
  await post('/api/auth/passkey/login', { ceremony: started.ceremony, credential: credentialJson(credential) });
  window.location.assign(button.dataset.next || '/account');
};

// Adding a passkey on the security page.
const add = async (form) => {
  const started = await post('/api/auth/passkeys/options');
  const credential = await navigator.credentials.create(creationOptions(started.options));
  const name = form.querySelector('[name=name]').value;
  await post('/api/auth/passkeys', { ceremony: started.ceremony, name, credential: credentialJson(credential) });
  window.location.reload();
};

// Confirming who one is, then completing what was waiting (a server function answers where to).
const confirm = async (button) => {
  const started = await post('/api/auth/reauth/passkey/options');
  const credential = await navigator.credentials.get(requestOptions(started.options));
  await post('/api/auth/reauth/passkey', { ceremony: started.ceremony, credential: credentialJson(credential) });
  const response = await fetch('/api/fn/complete_pending', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    credentials: 'same-origin',
    body: new URLSearchParams({ next: button.dataset.next || '' }),
  });
  const to = response.ok ? await response.json() : '/account';
  window.location.assign(to);
};

const wire = (element, run, scope) => {
  if (element.dataset.passkeyWired) return;
  element.dataset.passkeyWired = 'true';
  element.hidden = false;
  const area = element.closest('[data-passkey-area]');
  if (area) area.hidden = false;
  const start = async (event) => {
    event.preventDefault();
    element.setAttribute('aria-busy', 'true');
    try {
      await run(element);
    } catch (error) {
      if (!confirmFirst(error)) showError(scope(element), error);
    } finally {
      element.removeAttribute('aria-busy');
    }
  };
  element.addEventListener(element.tagName === 'FORM' ? 'submit' : 'click', start);
};

const around = (element) => element.closest('section, form, div') ?? document;
const wireAll = () => {
  for (const button of document.querySelectorAll('[data-passkey-sign-in]')) wire(button, signIn, around);
  for (const form of document.querySelectorAll('[data-passkey-add]')) wire(form, add, (f) => f);
  for (const button of document.querySelectorAll('[data-passkey-confirm]')) wire(button, confirm, around);
};

if (supported) {
  wireAll();
  // Pages drawn again in the browser (client-side navigation, a list refreshed after an
  // action) bring new offers: wire them too. The module runs once per page load.
  new MutationObserver(wireAll).observe(document.body, { childList: true, subtree: true });
}
