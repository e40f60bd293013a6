import { test, expect, settled, register, newContext, uniqueEmail, signIn, twoDevices, mailedLink, PASSWORD } from './fixtures';

const NEW_PASSWORD = 'a brand new passphrase';

test('forgot password: the mailed link sets a new one, the old is refused, other devices are signed out', async ({ page, browser }) => {
  const { email, pageB, close } = await twoDevices(browser, 'Fay Forgot');

  await page.goto('/login');
  await settled(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/password\/forgot$/);
  await settled(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account uses this address');

  const link = await mailedLink(email, 'Reset your Porch password', '/password/reset');
  // Opening the link (as a mail scanner or a preview would) uses nothing up.
  await page.goto(link);
  await settled(page);
  await page.goto('/');
  await page.goto(link);
  await settled(page);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=done$/);
  await settled(page);
  await expect(page.getByRole('status')).toContainText('Your password was changed');

  // Used: the link now says so, and offers to ask again.
  await page.goto(link);
  await settled(page);
  await expect(page.getByRole('alert')).toContainText('This link no longer works');
  await expect(page.getByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '/password/forgot');

  await signIn(page, email, PASSWORD);
  await expect(page.getByText('Invalid email or password')).toBeVisible();
  await signIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);

  await pageB.goto('/account');
  await expect(pageB).toHaveURL(/\/login/);
  await close();
});

test('verify the address: the account page says whether it is, the mailed link confirms it', async ({ page, browser }) => {
  const email = uniqueEmail();
  await register(page, 'Vera Verify', email);
  await expect(page.getByTestId('email-status')).toContainText('Not verified');

  const link = await mailedLink(email, 'Confirm your email address', '/email/verify');
  // Another browser opens the link (say, a preview) without pressing: still usable.
  const context = await newContext(browser);
  const preview = await context.newPage();
  await preview.goto(link);
  await expect(preview.getByRole('button', { name: 'Confirm' })).toBeVisible();
  await context.close();

  await page.goto(link);
  await settled(page);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status')).toContainText('Your address is verified.');
  await page.goto('/account');
  await settled(page);
  await expect(page.getByTestId('email-status')).toContainText('Verified');
  await expect(page.getByRole('button', { name: 'Send the link again' })).toHaveCount(0);
});

test('change the address: it changes once the new address confirms', async ({ page }) => {
  const email = uniqueEmail();
  const newEmail = uniqueEmail();
  await register(page, 'Cass Change', email);
  const section = page.locator('section[aria-labelledby="change-email"]');
  await section.getByLabel('New email').fill(newEmail);
  await section.getByLabel('Current password').fill('not the password');
  await section.getByRole('button', { name: 'Send a confirmation link' }).click();
  await expect(section.getByText('The current password is not correct.')).toBeVisible();

  await section.getByLabel('New email').fill(newEmail);
  await section.getByLabel('Current password').fill(PASSWORD);
  await section.getByRole('button', { name: 'Send a confirmation link' }).click();
  await expect(section.getByRole('status')).toContainText('A confirmation link is on its way');
  await page.goto('/account');
  await settled(page);
  await expect(page.getByTestId('email-status')).toContainText(email);

  const link = await mailedLink(newEmail, 'Confirm your new email address', '/email/verify');
  await page.goto(link);
  await settled(page);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status')).toContainText('Your address was changed.');
  await page.goto('/account');
  await settled(page);
  await expect(page.getByTestId('email-status')).toContainText(newEmail);
  await expect(page.getByTestId('email-status')).toContainText('Verified');
});

test('send the link again: a new verification link replaces the first', async ({ page }) => {
  const email = uniqueEmail();
  await register(page, 'Rhea Resend', email);
  const first = await mailedLink(email, 'Confirm your email address', '/email/verify');
  await page.getByRole('button', { name: 'Send the link again' }).click();
  await expect(page.getByRole('status')).toContainText('A new confirmation link is on its way');
  const second = await mailedLink(email, 'Confirm your email address', '/email/verify', 2);
  expect(second).not.toBe(first);

  await page.goto(first);
  await settled(page);
  await expect(page.getByRole('alert')).toContainText('This link no longer works');
  await page.goto(second);
  await settled(page);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status')).toContainText('Your address is verified.');
});
