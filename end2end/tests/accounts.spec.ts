import { test, expect, settled, register, signIn, twoDevices, uniqueEmail, withJs, PASSWORD } from './fixtures';

test('register, see the name, sign out, fail with the generic message, sign in', async ({ page, problems }) => {
  const email = uniqueEmail();
  await register(page, 'Ada Lovelace', email);
  const header = page.getByRole('banner');
  await expect(header.getByRole('link', { name: 'Ada Lovelace' })).toBeVisible();
  await expect(page.getByTestId('profile-name')).toHaveText('Ada Lovelace');

  await header.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await settled(page);
  await expect(header.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(header.getByRole('link', { name: 'Ada Lovelace' })).toHaveCount(0);

  await signIn(page, email, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password');
  await expect(page).toHaveURL(/\/login/);

  await signIn(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);
  await expect(header.getByRole('link', { name: 'Ada Lovelace' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('registration problems are shown next to their fields', async ({ page }) => {
  await page.goto('/register');
  await settled(page);
  await page.getByLabel('Name').fill('Bob');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('Check the highlighted fields.');
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Use at least 8 characters.')).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveValue('Bob');
});

test('signed-out visitors are sent to sign in, then back', async ({ page }) => {
  const email = uniqueEmail();
  await register(page, 'Grace', email);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/account/sessions');
  await expect(page).toHaveURL(/\/login\?next=/);
  await settled(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your sessions');
});

test('one device revokes another; a password change signs the others out', async ({ browser }) => {
  const { email, pageA, pageB, close } = await twoDevices(browser, 'Alan Turing');

  await pageA.goto('/account/sessions');
  await settled(pageA);
  const rows = pageA.locator('table.sessions tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: 'This device' })).toHaveCount(1);
  await rows.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(pageA.getByRole('main').getByRole('status')).toHaveText('The session was signed out.');
  await expect(rows).toHaveCount(1);

  await pageB.goto('/account');
  await expect(pageB).toHaveURL(/\/login\?next=/);

  await signIn(pageB, email);
  await expect(pageB).toHaveURL(/\/account$/);

  await pageA.goto('/account/password');
  await settled(pageA);
  await pageA.getByLabel('Current password').fill(PASSWORD);
  await pageA.getByLabel('New password').fill('an entirely new secret');
  await pageA.getByRole('button', { name: 'Change password' }).click();
  await expect(pageA.getByRole('main').getByRole('status')).toHaveText('Your password was changed. Your other sessions were signed out.');

  await pageB.goto('/account');
  await expect(pageB).toHaveURL(/\/login\?next=/);
  await pageA.goto('/account');
  await expect(pageA.getByTestId('profile-name')).toHaveText('Alan Turing');
  await close();
});

test('the devices page says when and where the account last signed in, and counts its sessions', async ({ browser }) => {
  const { pageA, close } = await twoDevices(browser, 'Barbara Liskov');
  await pageA.goto('/account/sessions');
  await settled(pageA);
  // The second device's sign-in is the latest (seed 003's summary as a sentence).
  await expect(pageA.getByTestId('last-sign-in')).toHaveText(/^Last sign-in: just now, \S.* on \S.*$/);
  await expect(pageA.getByTestId('last-sign-in').locator('time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
  await expect(pageA.getByTestId('session-counts')).toHaveText('Active sessions: 2 · Sessions in all: 2');
  const rows = pageA.locator('table.sessions tbody tr');
  await rows.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(rows).toHaveCount(1);
  await expect(pageA.getByTestId('session-counts')).toHaveText('Active sessions: 1 · Sessions in all: 2');

  await pageA.goto('/settings');
  await settled(pageA);
  await pageA.getByLabel('Language').selectOption('fr');
  await pageA.getByRole('button', { name: 'Save preferences' }).click();
  await expect(pageA.locator('html')).toHaveAttribute('lang', 'fr');
  await pageA.goto('/account/sessions');
  await expect(pageA.getByTestId('last-sign-in')).toHaveText(/^Dernière connexion : à l’instant, \S.* sur \S.*$/);
  await expect(pageA.getByTestId('session-counts')).toHaveText('Sessions actives : 1 · Sessions au total : 2');
  await close();
});

test('sign out everywhere ends this device and the others', async ({ browser }) => {
  const { pageA, pageB, close } = await twoDevices(browser, 'Edsger');

  await pageA.goto('/account/sessions');
  await settled(pageA);
  await pageA.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(pageA).toHaveURL(/\/$/);
  await expect(pageA.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await pageB.goto('/account');
  await expect(pageB).toHaveURL(/\/login\?next=/);
  await close();
});

test('editing the profile name shows it on the page and in the header', async ({ page }) => {
  await register(page, 'Ada', uniqueEmail());
  await page.getByLabel('Name').fill('Ada King');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText('Your profile was saved.');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Ada King' })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('profile-name')).toHaveText('Ada King');
  await page.getByLabel('Name').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Enter your name.')).toBeVisible();
});

test('too many failed sign-ins are refused with a message saying so, and a way back', async ({ page }) => {
  // The e2e server keeps the default limit: 5 failures per email and address in 15 minutes.
  const email = uniqueEmail();
  for (let attempt = 1; attempt <= 5; attempt++) {
    await signIn(page, email, 'not the password');
    await expect(page.getByRole('alert')).toHaveText('Invalid email or password');
  }
  await signIn(page, email, 'not the password');
  if (withJs(page)) {
    // The form stays and says why.
    await expect(page.getByRole('alert')).toHaveText('Too many attempts. Wait a few minutes, then try again.');
    await expect(page).toHaveURL(/\/login/);
  } else {
    // A page of its own (status 429), with the way back to the form.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Too many attempts');
    await expect(page.getByText('Too many attempts. Wait a few minutes, then try again.')).toBeVisible();
    await page.getByRole('link', { name: 'Go back' }).click();
    await expect(page).toHaveURL(/\/login/);
  }
});
