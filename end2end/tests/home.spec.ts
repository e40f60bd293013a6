import { test, expect, settled, newContext } from './fixtures';

test('home page renders in the shell, themed, and hydrates with JavaScript', async ({ page, problems }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await settled(page);
  await expect(page).toHaveTitle('Porch');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to Porch');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'system');
  // The stylesheet loaded and applies the theme's colours.
  const background = await page.evaluate(() => getComputedStyle(document.body.parentElement!).backgroundColor);
  expect(background).not.toBe('rgba(0, 0, 0, 0)');
  expect(problems).toEqual([]);
});

test('the dark colour scheme is honoured by the system theme without a script', async ({ browser }) => {
  const context = await newContext(browser, { colorScheme: 'dark', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).toBe('rgb(18, 19, 24)');
  await context.close();
});

test('an unknown address shows the not-found page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await settled(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to Porch');
});
