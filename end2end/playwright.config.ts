import { defineConfig } from '@playwright/test';

// The server under test. `scripts/test.sh` sets E2E_SERVER_CMD so Playwright starts the built
// binary itself; under `cargo leptos end-to-end` cargo-leptos starts it and the global setup
// waits for it to answer.
const baseURL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const serverCommand = process.env.E2E_SERVER_CMD;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list'], ['html', { open: 'never' }]],
  globalSetup: './global-setup.ts',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  // Every spec runs twice: with JavaScript (hydrated) and without (plain server-rendered HTML).
  projects: [
    { name: 'js', use: { javaScriptEnabled: true } },
    { name: 'no-js', use: { javaScriptEnabled: false } },
  ],
  webServer: serverCommand
    ? {
        command: serverCommand,
        cwd: '..',
        url: `${baseURL}/api/health`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: 'pipe',
        stderr: 'pipe',
      }
    : undefined,
});
