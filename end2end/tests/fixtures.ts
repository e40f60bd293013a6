import { execFileSync } from 'node:child_process';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/** Whether this project runs with JavaScript on. */
export const withJs = (page: Page) => base.info().project.name === 'js';

/**
 * A page that fails the test on any console error or hydration warning, and that waits for
 * hydration after each navigation when JavaScript is on.
 */
export const test = base.extend<{ problems: string[] }>({
  problems: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('console', (msg) => {
      const text = msg.text();
      // A 4xx answer to a form the test submits wrong on purpose is logged by the browser as a
      // failed resource; it is the expected answer, not a page error.
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      if (msg.type() === 'error' || /hydration|mismatch/i.test(text)) problems.push(`${msg.type()}: ${text}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await use(problems);
    expect(problems, 'no console errors or hydration warnings').toEqual([]);
  },
});

/**
 * How long hydration may take. Each test's browser context starts with an empty cache, so every
 * page load fetches and compiles the debug WASM again; with two workers and the server sharing
 * two cores that took over 5 s (the default) in CI. A page that never hydrates still fails.
 */
const HYDRATION_TIMEOUT_MS = 20_000;

/** Waits until the WASM client has hydrated the page (JavaScript on) or checks it did not. */
export async function settled(page: Page): Promise<void> {
  if (withJs(page)) {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true', { timeout: HYDRATION_TIMEOUT_MS });
  } else {
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', /.*/);
  }
}

export { expect };

/** A second, independent browser (own cookies) with this project's settings. */
export async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const project = base.info().project.use;
  return browser.newContext({ baseURL: project.baseURL, javaScriptEnabled: project.javaScriptEnabled, ...options });
}

export const PASSWORD = 'correct horse battery';

export function uniqueEmail(): string {
  return `pw-${Date.now()}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}

export async function register(page: Page, name: string, email: string): Promise<void> {
  await page.goto('/register');
  await settled(page);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await settled(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** One account signed in on two independent browsers: A registered it, B signed in. */
export async function twoDevices(browser: Browser, name: string) {
  const email = uniqueEmail();
  const a = await newContext(browser);
  const b = await newContext(browser);
  const pageA = await a.newPage();
  const pageB = await b.newPage();
  await register(pageA, name, email);
  await signIn(pageB, email);
  await expect(pageB).toHaveURL(/\/account$/);
  const close = async () => {
    await a.close();
    await b.close();
  };
  return { email, pageA, pageB, close };
}

/**
 * Makes the account an admin with the documented command (`porch make-admin <email>`), run with
 * the server's own settings: those of E2E_SERVER_CMD (`env K=V … binary`) when the tests started
 * the server, else this process's environment (`cargo leptos end-to-end`).
 */
export function makeAdmin(email: string): void {
  const env: Record<string, string | undefined> = { ...process.env, RUST_LOG: 'error' };
  let binary = 'target/debug/porch';
  const words = (process.env.E2E_SERVER_CMD ?? '').split(/\s+/).filter(Boolean);
  if (words[0] === 'env') {
    for (const word of words.slice(1)) {
      const eq = word.indexOf('=');
      if (eq > 0) {
        env[word.slice(0, eq)] = word.slice(eq + 1);
      } else {
        binary = word;
        break;
      }
    }
  }
  execFileSync(binary, ['make-admin', email], { cwd: '..', env, stdio: 'pipe' });
}

/** What the test SMTP server (maildev, started by scripts/lib.sh) shows of one mail. */
export interface Mail {
  subject: string;
  text: string;
  html: string;
  to: { address: string; name: string }[];
}

const MAILDEV_URL = process.env.MAILDEV_URL ?? 'http://127.0.0.1:1080';

/** The mails that reached `address` so far whose subject contains `subject`, oldest first. */
export async function mailsTo(address: string, subject: string): Promise<Mail[]> {
  const res = await fetch(`${MAILDEV_URL}/email`);
  const all = (await res.json()) as Mail[];
  return all.filter((m) => m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()) && m.subject.includes(subject));
}

/** Waits for the `n`th such mail (from 1) and returns the path and query of its link to `path`. */
export async function mailedLink(address: string, subject: string, path: string, n = 1): Promise<string> {
  let mails: Mail[] = [];
  await expect
    .poll(async () => {
      mails = await mailsTo(address, subject);
      return mails.length;
    }, { timeout: 15_000, message: `mail "${subject}" to ${address}` })
    .toBeGreaterThanOrEqual(n);
  const match = mails[n - 1].text.match(new RegExp(`https?://[^\\s/]+(${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9_-]+)`));
  expect(match, `a ${path} link in the mail`).not.toBeNull();
  return match![1];
}
