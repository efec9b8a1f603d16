import { defineConfig } from '@playwright/test';
import { execSync } from 'node:child_process';

// The release build of the server (built by `cargo leptos build --release`) on a fresh demo
// database, so a broken optimised wasm bundle fails here and not in front of a user.
const targetDir = process.env.CARGO_TARGET_DIR ?? '../target';
const port = process.env.E2E_PORT ?? '3210';
const chromium = process.env.CHROMIUM_PATH ?? execSync('command -v chromium').toString().trim();

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: 'de-DE',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    command: `rm -rf .data && mkdir -p .data && ${targetDir}/release/server serve --demo`,
    env: {
      DATABASE_URL: 'sqlite://.data/e2e.db',
      BIND_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      RUST_LOG: 'warn',
    },
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
