import { readFileSync } from 'node:fs';
import { test, expect, settled, register, newContext, uniqueEmail, signIn, PASSWORD } from './fixtures';

test('download my data gives a JSON file of the account', async ({ page }) => {
  const email = uniqueEmail();
  await register(page, 'Dana Data', email);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download my data' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^porch-data-\d{4}-\d{2}-\d{2}\.json$/);
  const path = await file.path();
  const exported = JSON.parse(readFileSync(path, 'utf8'));
  expect(exported.profile.email).toBe(email);
  expect(exported.sessions[0].current).toBe(true);
});

test('delete the account: a wrong password is refused, the right one leaves a guest with its theme', async ({ page, browser }) => {
  const email = uniqueEmail();
  await register(page, 'Del Eted', email);
  await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.goto('/account');
  await settled(page);

  // A second device, signed in too.
  const context = await newContext(browser);
  const other = await context.newPage();
  await signIn(other, email);
  await expect(other).toHaveURL(/\/account$/);

  const zone = page.locator('.danger-zone');
  await zone.getByLabel('Current password').fill('not the password');
  await zone.getByRole('button', { name: 'Delete my account' }).click();
  await expect(zone.getByText('The current password is not correct.')).toBeVisible();

  await zone.getByLabel('Current password').fill(PASSWORD);
  await zone.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await settled(page);
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  // The other device is signed out, and the account cannot be signed in to.
  await other.goto('/account');
  await expect(other).toHaveURL(/\/login/);
  await signIn(other, email);
  await expect(other.getByText('Invalid email or password')).toBeVisible();
  await context.close();
});
