// Waits until the server answers, so `cargo leptos end-to-end` (which starts the server and
// Playwright at the same time) does not race.
export default async function globalSetup(): Promise<void> {
  const url = `${process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000'}/api/health`;
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server at ${url} did not come up: ${last}`);
}
