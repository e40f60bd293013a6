import { test, expect, settled, register, signIn, uniqueEmail, withJs } from './fixtures';
import type { Page } from '@playwright/test';

/** The visited paths listed on "This session", newest first. */
const visits = (page: Page) => page.getByTestId('visits').locator('tbody code.path');

/** The session's page count as the JSON API reports it (not a page view itself). */
async function apiPageCount(page: Page): Promise<number> {
  const res = await page.request.get('/api/session');
  expect(res.status()).toBe(200);
  return (await res.json()).pageCount;
}

test('every page view counts once, server-rendered or client-side', async ({ page, problems }) => {
  await page.goto('/');
  await settled(page);
  await page.goto('/session');
  await settled(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This session');
  await expect(page.getByTestId('page-count')).toHaveText('2');
  await expect(visits(page)).toHaveText(['/session', '/']);

  // With JavaScript these are client-side navigations, recorded by a server function; without
  // it they are page loads, recorded by the middleware. Either way: one view each.
  const tracked = withJs(page) ? page.waitForResponse((r) => r.url().endsWith('/api/fn/track_page')) : null;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to Porch');
  if (tracked) expect((await tracked).status()).toBe(200);
  await page.getByRole('contentinfo').getByRole('link', { name: 'This session' }).click();
  await expect(page.getByTestId('page-count')).toHaveText('4');
  await expect(visits(page)).toHaveText(['/session', '/', '/session', '/']);
  expect(await apiPageCount(page)).toBe(4);
  if (withJs(page)) {
    // Still the first document: the navigations above did not reload the page.
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  }
  expect(problems).toEqual([]);
});

test('the session duration ticks with JavaScript on', async ({ page }) => {
  test.skip(!withJs(page), 'a server-rendered page shows the duration it was rendered with');
  await page.goto('/session');
  await settled(page);
  const duration = page.getByTestId('session-duration');
  const first = await duration.textContent();
  await expect(duration).not.toHaveText(first ?? '');
  await expect(duration).toHaveText(/^\d+ s$|^\d+ min \d\d s$/);
});

test('a session that ended is in the history after signing in again', async ({ page }) => {
  const email = uniqueEmail();
  await register(page, 'Hedy Lamarr', email);
  await page.goto('/settings');
  await settled(page);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await settled(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);

  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'History' }).click();
  await expect(page).toHaveURL(/\/account\/history$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Session history');
  const rows = page.getByTestId('history').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-reason', 'sign_out');
  await expect(rows.first()).toContainText('Signed out');
  await expect(rows.first().locator('code.path')).toContainText(['/account', '/settings']);
});
