import { test as base, expect, type Page } from '@playwright/test';

/** Whether this project runs with JavaScript on. */
export const withJs = (page: Page) => base.info().project.name === 'js';

/**
 * A page that fails the test on any console error or hydration warning, and that waits for
 * hydration after each navigation when JavaScript is on.
 */
export const test = base.extend<{ problems: string[] }>({
  problems: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' || /hydration|mismatch/i.test(text)) problems.push(`${msg.type()}: ${text}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await use(problems);
    expect(problems, 'no console errors or hydration warnings').toEqual([]);
  },
});

/** Waits until the WASM client has hydrated the page (JavaScript on) or checks it did not. */
export async function settled(page: Page): Promise<void> {
  if (withJs(page)) {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  } else {
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', /.*/);
  }
}

export { expect };
