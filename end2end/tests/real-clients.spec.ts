import { test, expect, settled, register, uniqueEmail, PASSWORD } from './fixtures';

/** The visited paths listed on "This session", newest first. */
const visits = (page: import('@playwright/test').Page) => page.getByTestId('visits').locator('tbody code.path');

test('a failed sign-in keeps where the visitor was going, through to the corrected attempt', async ({ page, problems }) => {
  const email = uniqueEmail();
  await register(page, 'Katherine Johnson', email);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await settled(page);

  await page.goto('/account/sessions');
  await expect(page).toHaveURL(/\/login\?next=\/account\/sessions$/);
  await settled(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Invalid email or password');
  await expect(page).toHaveURL(/\/login\?next=\/account\/sessions$/);
  await settled(page);

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your sessions');
  expect(problems).toEqual([]);
});

test('an account made from the sign-in page leads where the visitor was going', async ({ page }) => {
  await page.goto('/account/history?note=caf%C3%A9');
  await expect(page).toHaveURL(/\/login\?next=/);
  await settled(page);
  await page.getByRole('main').getByRole('link', { name: 'Create an account' }).click();
  await expect(page).toHaveURL(/\/register\?next=/);
  await settled(page);
  await page.getByLabel('Name').fill('Dorothy Vaughan');
  await page.getByLabel('Email').fill('not an address');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Check the highlighted fields.');
  await expect(page).toHaveURL(/\/register\?next=/);
  await settled(page);
  await page.getByLabel('Email').fill(uniqueEmail());
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account\/history\?note=caf%C3%A9$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Session history');
});

test('the visit before signing up goes on in the signed-in session', async ({ page, problems }) => {
  await page.goto('/');
  await settled(page);
  await page.goto('/register');
  await settled(page);
  await page.getByLabel('Name').fill('Mary Jackson');
  await page.getByLabel('Email').fill(uniqueEmail());
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);

  await page.goto('/session');
  await settled(page);
  await expect(page.getByTestId('page-count')).toHaveText('4');
  await expect(visits(page)).toHaveText(['/session', '/account', '/register', '/']);
  expect(problems).toEqual([]);
});
