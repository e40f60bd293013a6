import { test, expect, settled, newContext, register, signIn, twoDevices, uniqueEmail, withJs } from './fixtures';

test('dark theme is in the first byte after a reload', async ({ page, browser, problems }) => {
  await page.goto('/settings');
  await settled(page);
  const form = page.locator('main form');
  await form.getByLabel('Dark').check();
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText('Your preferences were saved.');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  // The same cookie in a browser without JavaScript: dark before any script could run.
  const cookies = await page.context().cookies();
  const noJs = await newContext(browser, { javaScriptEnabled: false });
  await noJs.addCookies(cookies);
  const plain = await noJs.newPage();
  await plain.goto('/');
  await expect(plain.locator('html')).toHaveAttribute('data-theme', 'dark');
  const background = await plain.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).toBe('rgb(18, 19, 24)');
  await noJs.close();
  expect(problems).toEqual([]);
});

test('choosing Français translates the page; العربية turns it right-to-left', async ({ page, problems }) => {
  await page.goto('/settings');
  await settled(page);
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Réglages');
  await expect(page.getByRole('main').getByRole('status')).toHaveText('Vos préférences ont été enregistrées.');
  await expect(page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Accueil' })).toBeVisible();
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bienvenue sur Porch');
  await expect(page.getByRole('heading', { level: 2 }).first()).toHaveText('Des sessions visibles');
  await expect(page).toHaveTitle('Porch');
  await page.goto('/login');
  await expect(page).toHaveTitle('Connexion · Porch');
  await expect(page.getByLabel('Mot de passe')).toBeVisible();

  await page.goto('/settings');
  await settled(page);
  await page.getByLabel('Langue').selectOption('ar');
  await page.getByRole('button', { name: 'Enregistrer les préférences' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ar');
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('الإعدادات');
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('مرحبًا بك في Porch');
  expect(problems).toEqual([]);
});

test('the header switch changes the theme where you are', async ({ page }) => {
  await page.goto('/login');
  await settled(page);
  const themes = page.getByRole('group', { name: 'Theme' });
  await themes.getByRole('button', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page).toHaveURL(/\/login$/);
  await expect(themes.getByRole('button', { name: 'Dark' })).toHaveAttribute('aria-pressed', 'true');
  if (withJs(page)) {
    // Switched in place: still the same document, now dark.
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  }
});

test('a dark guest who registers keeps dark; a light account signing in from a dark browser is light at once', async ({ page, browser }) => {
  await page.goto('/');
  await settled(page);
  await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const darkEmail = uniqueEmail();
  await register(page, 'Dee', darkEmail);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  // An account saved as light.
  const lightContext = await newContext(browser);
  const lightPage = await lightContext.newPage();
  const lightEmail = uniqueEmail();
  await register(lightPage, 'Lee', lightEmail);
  await lightPage.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Light' }).click();
  await expect(lightPage.locator('html')).toHaveAttribute('data-theme', 'light');
  await lightContext.close();

  // A dark guest browser signs in to it: the very next page is light.
  const guestContext = await newContext(browser);
  const guest = await guestContext.newPage();
  await guest.goto('/');
  await settled(guest);
  await guest.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
  await expect(guest.locator('html')).toHaveAttribute('data-theme', 'dark');
  await signIn(guest, lightEmail);
  await expect(guest).toHaveURL(/\/account$/);
  await expect(guest.locator('html')).toHaveAttribute('data-theme', 'light');
  await guestContext.close();
});

test('home page in each theme (screenshots attached to the report)', async ({ browser }, testInfo) => {
  for (const theme of ['light', 'dark'] as const) {
    const context = await newContext(browser, { colorScheme: theme });
    const page = await context.newPage();
    await page.goto('/');
    await settled(page);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'system');
    await testInfo.attach(`home-${theme}.png`, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await context.close();
  }
});

test('a theme chosen on one device is the theme of the other device on its next page', async ({ browser }) => {
  const { pageA, pageB, close } = await twoDevices(browser, 'Grace');
  // B has viewed a page already, so its session holds its copy of the account's preferences.
  await pageB.goto('/');
  await settled(pageB);
  await expect(pageB.locator('html')).toHaveAttribute('data-theme', 'system');

  await pageA.goto('/');
  await settled(pageA);
  // With JavaScript the switch saves through a server function: wait for its answer.
  const saved = withJs(pageA) ? pageA.waitForResponse((r) => r.url().includes('/api/fn/set_theme')) : null;
  await pageA.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
  if (saved) expect((await saved).status()).toBeLessThan(400);
  await expect(pageA.locator('html')).toHaveAttribute('data-theme', 'dark');

  await pageB.goto('/settings');
  await expect(pageB.locator('html')).toHaveAttribute('data-theme', 'dark');
  await close();
});
