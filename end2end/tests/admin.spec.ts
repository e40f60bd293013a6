import { test, expect, settled, register, newContext, uniqueEmail, makeAdmin, withJs } from './fixtures';

/** A new account made admin, signed in on `page`, with /admin open. */
async function openAsAdmin(page: import('@playwright/test').Page, name = 'Ada Admin'): Promise<string> {
  const email = uniqueEmail();
  await register(page, name, email);
  makeAdmin(email);
  await page.goto('/admin');
  await settled(page);
  return email;
}

test('an admin sees the figures as charts with titles and tables', async ({ page, problems }) => {
  await openAsAdmin(page);
  await expect(page).toHaveTitle('Admin · Porch');
  await expect(page.getByRole('heading', { level: 1, name: 'Admin' })).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Admin', exact: true })).toBeVisible();

  // At least this admin's own session is live.
  const live = Number((await page.getByTestId('live-sessions').textContent())?.replace(/,/g, ''));
  expect(live).toBeGreaterThanOrEqual(1);

  // Each chart is an SVG image named by its title and described by its figures.
  for (const title of [
    'Sessions per hour, last 24 hours',
    'Sessions per day, last 30 days',
    'Page views per hour, last 24 hours',
    'Sign-ins per hour, last 24 hours',
    'Rate-limit rejections per hour, last 24 hours',
    'Most visited pages, last 24 hours',
  ]) {
    const chart = page.getByRole('img', { name: title });
    await expect(chart).toBeVisible();
    expect(await chart.evaluate((el) => el.tagName.toLowerCase())).toBe('svg');
  }
  // This account's registration started a session and signed in this hour: the hourly chart's
  // bars are drawn, and its description says so in words.
  const hourly = page.getByTestId('chart-sessions-hourly');
  await expect(hourly.locator('rect').first()).toBeVisible();
  await expect(hourly.locator('desc')).toContainText(/Started: [\d,]+ in all, most [\d,]+/);

  // The table under a chart has the same figures: 24 hours, the last of them not empty.
  await hourly.getByText('Show the figures as a table').click();
  const rows = hourly.locator('tbody tr');
  await expect(rows).toHaveCount(24);
  const lastStarted = Number((await rows.nth(23).locator('td').first().textContent())?.replace(/,/g, ''));
  expect(lastStarted).toBeGreaterThanOrEqual(1);
  // The 30-day chart has a row per day.
  const daily = page.getByTestId('chart-sessions-daily');
  await daily.getByText('Show the figures as a table').click();
  await expect(daily.locator('tbody tr')).toHaveCount(30);

  // The most visited pages include the one this admin just viewed.
  const top = page.getByTestId('chart-top-pages');
  await top.getByText('Show the figures as a table').click();
  await expect(top.locator('tbody th', { hasText: /^\/account$/ })).toBeVisible();
});

test('numbers, dates and headings follow the admin’s language', async ({ page }) => {
  await openAsAdmin(page);
  await page.goto('/settings');
  await settled(page);
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await page.goto('/admin');
  await settled(page);
  await expect(page).toHaveTitle('Administration · Porch');
  await expect(page.getByRole('img', { name: 'Sessions par jour, 30 derniers jours' })).toBeVisible();
  const daily = page.getByTestId('chart-sessions-daily');
  await daily.getByText('Voir les chiffres dans un tableau').click();
  // French dates: "23 nov. 2026".
  await expect(daily.locator('tbody th').last()).toHaveText(/^\d{1,2} [a-zéû.]+ \d{4}$/);
});

test('guests and users get page not found on /admin', async ({ page, browser }) => {
  const guest = await page.goto('/admin');
  expect(guest?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();

  const context = await newContext(browser);
  const user = await context.newPage();
  await register(user, 'Una User', uniqueEmail());
  await expect(user.getByRole('banner').getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);
  const res = await user.goto('/admin');
  expect(res?.status()).toBe(404);
  await settled(user);
  await expect(user.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(user.getByRole('img', { name: /Sessions per hour/ })).toHaveCount(0);
  await context.close();
});

test('an admin makes another account an admin, and removes it again', async ({ page, browser }) => {
  const context = await newContext(browser);
  const other = await context.newPage();
  const otherEmail = uniqueEmail();
  await register(other, 'Otto Other', otherEmail);

  await openAsAdmin(page);
  const row = page.locator(`tr[data-email="${otherEmail}"]`);
  await expect(row).toHaveAttribute('data-role', 'user');
  await row.getByRole('button', { name: 'Make admin' }).click();
  await expect(page.getByText('Role changed.')).toBeVisible();
  await expect(row).toHaveAttribute('data-role', 'admin');
  await expect(row.getByRole('button', { name: 'Remove admin' })).toBeVisible();

  // The other account's next page shows the way in, and the page opens for them.
  await other.goto('/');
  await settled(other);
  await other.getByRole('banner').getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(other).toHaveURL(/\/admin$/);
  await settled(other);
  await expect(other.getByRole('heading', { level: 1, name: 'Admin' })).toBeVisible();

  await row.getByRole('button', { name: 'Remove admin' }).click();
  await expect(row).toHaveAttribute('data-role', 'user');
  const res = await other.goto('/admin');
  expect(res?.status()).toBe(404);
  await context.close();
});

test('with JavaScript the figures refresh in place', async ({ page, browser }) => {
  test.skip(!withJs(page), 'refreshing in place needs JavaScript');
  await openAsAdmin(page);
  const stamp = page.locator('.figures-time time');
  const before = await stamp.getAttribute('datetime');
  // A property on the window survives only if the document is never reloaded.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  const guest = await newContext(browser);
  const guestPage = await guest.newPage();
  await guestPage.goto('/');
  // The page asks again every 10 seconds while it is visible.
  await expect(stamp).not.toHaveAttribute('datetime', before ?? '', { timeout: 15_000 });
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  await guest.close();
});

test('the admin page in each theme (screenshots attached to the report)', async ({ browser }, testInfo) => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await openAsAdmin(page, 'Theo Themes');
  const themes = page.getByRole('group', { name: 'Theme' });
  const fills: Record<string, string> = {};
  for (const [theme, label] of [
    ['light', 'Light'],
    ['dark', 'Dark'],
    ['system', 'System'],
  ] as const) {
    await themes.getByRole('button', { name: label }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await settled(page);
    await expect(page.getByRole('img', { name: 'Sessions per hour, last 24 hours' })).toBeVisible();
    fills[theme] = await page
      .getByTestId('chart-sessions-hourly')
      .locator('rect.series-1')
      .first()
      .evaluate((el) => getComputedStyle(el).fill);
    await testInfo.attach(`admin-${theme}-${testInfo.project.name}.png`, {
      body: await page.screenshot({ fullPage: true }),
      contentType: 'image/png',
    });
  }
  // The bars take the theme's colours.
  expect(fills.dark).not.toBe(fills.light);
  await context.close();
});
