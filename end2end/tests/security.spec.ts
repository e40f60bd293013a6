import type { BrowserContext, Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { test, expect, settled, register, newContext, uniqueEmail, signIn, withJs, PASSWORD } from './fixtures';

/** The code an authenticator app with `secret` shows `offset` steps from now. */
function totpCode(secret: string, offset = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

async function signOut(page: Page): Promise<void> {
  await page.goto('/');
  await settled(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
}

test('turn on an authenticator app, then sign in with a code and with a recovery code', async ({ page }) => {
  const email = uniqueEmail();
  await register(page, 'Tom Totp', email);
  await page.goto('/account/security');
  await settled(page);
  await expect(page.getByTestId('totp-status')).toHaveAttribute('data-on', 'false');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByTestId('totp-qr').locator('svg')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByLabel('Code').fill(totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes').locator('li');
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().textContent())!.trim();
  await expect(page.getByTestId('totp-status')).toHaveAttribute('data-on', 'true');

  // Without JavaScript there is no passkey offer on the sign-in page, and nothing breaks.
  await signOut(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/login\/second-factor/);
  await settled(page);
  if (!withJs(page)) await expect(page.locator('[data-passkey-sign-in]')).toBeHidden();
  // A wrong code is refused; the next step's code signs in.
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('That code is not right')).toBeVisible();
  await page.getByLabel('Code').fill(totpCode(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);

  // A recovery code instead: signed in, told how many are left.
  await signOut(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/login\/second-factor/);
  await settled(page);
  await page.getByLabel('Code').fill(recovery);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  await settled(page);
  await expect(page.getByRole('status').filter({ hasText: 'You signed in with a recovery code' })).toBeVisible();
  await expect(page.getByTestId('recovery-left')).toHaveText('9');

  // The security log lists what this test did, in its words.
  await page.goto('/account/security-log');
  await settled(page);
  const log = page.getByTestId('security-log');
  await expect(log.locator('tr[data-kind="second_factor_enabled"]')).toContainText('Two-factor authentication turned on');
  await expect(log.locator('tr[data-kind="recovery_code_used"]')).toHaveCount(1);
  await expect(log.locator('tr[data-kind="second_factor_failed"]')).toHaveCount(1);
  await expect(log.locator('tr[data-kind="sign_in"]', { hasText: 'recovery code' })).toHaveCount(1);
  await expect(log.locator('tr[data-kind="sign_in"]', { hasText: 'authenticator code' })).toHaveCount(1);
});

test('a sensitive action asks to confirm the password, then completes', async ({ page, browser }) => {
  test.slow();
  const email = uniqueEmail();
  await register(page, 'Sue Sudo', email);
  const other: BrowserContext = await newContext(browser);
  const phone = await other.newPage();
  await signIn(phone, email);
  await expect(phone).toHaveURL(/\/account$/);
  // Past the server's REAUTH_WINDOW (30 s in the test command).
  await page.waitForTimeout(31_000);
  await page.goto('/account/sessions');
  await settled(page);
  await page.getByRole('button', { name: 'Sign out other sessions' }).click();
  await expect(page).toHaveURL(/\/account\/confirm$/);
  await settled(page);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page.getByText('The current password is not correct')).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  // Done, as asked: the other device is out, and the page says so.
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await settled(page);
  await expect(page.getByRole('status').filter({ hasText: 'Your other sessions were signed out' })).toBeVisible();
  await phone.goto('/account');
  await expect(phone).toHaveURL(/\/login/);
  await other.close();
  await page.goto('/account/security-log');
  await settled(page);
  await expect(page.getByTestId('security-log').locator('tr[data-kind="signed_out_everywhere"]')).toHaveCount(1);
});

test('add a passkey and sign in with it (virtual authenticator)', async ({ browser }) => {
  test.skip(test.info().project.name !== 'js', 'passkeys need JavaScript');
  // WebAuthn needs a secure context and a relying party that is a domain: localhost.
  const context = await browser.newContext({ baseURL: 'http://localhost:3000' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const email = uniqueEmail();
  await register(page, 'Pat Passkey', email);
  await page.goto('/account/security');
  await settled(page);
  await page.getByLabel('Passkey name').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByTestId('passkeys').locator('tr[data-passkey="Work laptop"]')).toBeVisible();

  // Signed out, then in with the passkey alone: no address typed.
  await signOut(page);
  await page.goto('/login');
  await settled(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);

  // A copy of the passkey whose counter went backwards (a cloned authenticator) is refused.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credentials[0].credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credentials[0], signCount: 0 } });
  await signOut(page);
  await page.goto('/login');
  await settled(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByText('The passkey could not be used')).toBeVisible();
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login/);

  await signIn(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/account/security-log');
  await settled(page);
  const log = page.getByTestId('security-log');
  await expect(log.locator('tr[data-kind="passkey_added"]')).toContainText('Work laptop');
  await expect(log.locator('tr[data-kind="sign_in"]', { hasText: 'passkey' })).toHaveCount(1);
  await context.close();
});
