import { test, expect, settled, register, uniqueEmail } from './fixtures';

// A 2×2 PNG (red, green, blue, white), small enough to keep in the test.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAAMIM/4EAAB/uBfsL2WiLAAAAAElFTkSuQmCC',
  'base64',
);

test('upload an avatar and see it in the header; a text file is refused', async ({ page }) => {
  await register(page, 'Ava Tar', uniqueEmail());
  const header = page.getByRole('banner');
  // Initials until there is an image.
  await expect(header.getByTestId('avatar-initials')).toHaveText('AT');

  await page.getByLabel('Image').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just text') });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);
  await expect(page.getByText('Use a PNG, JPEG or WebP image.')).toBeVisible();
  await expect(header.getByTestId('avatar-initials')).toBeVisible();

  await page.getByLabel('Image').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await settled(page);
  await expect(page.getByText('Your avatar was saved.')).toBeVisible();
  const image = header.getByTestId('avatar-image');
  await expect(image).toHaveAttribute('src', /^\/avatars\/[0-9a-f]{32}$/);
  // It loaded: the browser decoded the image the server made.
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
  await expect(page.getByRole('img', { name: 'Avatar of Ava Tar' })).toBeVisible();

  await page.getByRole('button', { name: 'Remove avatar' }).click();
  await expect(header.getByTestId('avatar-initials')).toHaveText('AT');
});
