import { test, expect, settled, register, newContext, uniqueEmail, signIn, withJs } from './fixtures';

test('a sign-in elsewhere shows on this page, without a reload when JavaScript is on', async ({ page, browser }) => {
  const email = uniqueEmail();
  await register(page, 'Nora Notice', email);
  await page.goto('/settings');
  await settled(page);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  // A property on the window survives only if the document is never reloaded.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

  const context = await newContext(browser);
  const other = await context.newPage();
  await signIn(other, email);
  await expect(other).toHaveURL(/\/account$/);
  // The new device itself is not told about itself.
  await expect(other.getByTestId('notice')).toHaveCount(0);

  if (!withJs(page)) {
    // Without JavaScript it is there on the next page.
    await page.goto('/');
  }
  const notice = page.getByTestId('notice');
  await expect(notice).toHaveCount(1, { timeout: 10_000 });
  await expect(notice).toContainText(/^New sign-in: .+ on .+, .+ UTC/);
  if (withJs(page)) {
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
  }

  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await page.goto('/');
  await settled(page);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await context.close();
});

test('with notifications off, a sign-in elsewhere shows nothing', async ({ page, browser }) => {
  const email = uniqueEmail();
  await register(page, 'Quinn Quiet', email);
  await page.goto('/settings');
  await settled(page);
  await page.getByLabel('Notifications').uncheck();
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-notifications', 'off');

  const context = await newContext(browser);
  const other = await context.newPage();
  await signIn(other, email);
  await expect(other).toHaveURL(/\/account$/);
  await page.goto('/');
  await settled(page);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await context.close();
});
