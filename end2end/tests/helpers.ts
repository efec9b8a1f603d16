import { expect, Locator, Page, test as base } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { createHmac } from 'node:crypto';

export type Account = { email: string; password: string; totpSecret?: string };

/** The demo admin has a second factor (required for admins); this is the key in their app. */
export const ADMIN: Account = { email: 'admin@musterstadt.de', password: 'Admin#2026', totpSecret: 'MUSTERSTADTDEMOADMINZWEITERFAKTR' };
export const PUBLISHER = { email: 'personal@musterstadt.de', password: 'Personal#2026' };
export const AUDITOR = { email: 'revision@musterstadt.de', password: 'Revision#2026' };
export const HEAD = { email: 'buergeramt@musterstadt.de', password: 'Leitung#2026' };
export const EMPLOYEE = { email: 'max.mustermann@musterstadt.de', password: 'Mitarbeiter#2026' };

/** Fails the test on any uncaught error in the page (a broken wasm bundle shows up here). */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('Failed to load resource')) errors.push(m.text());
    });
    await use(page);
    expect(errors, 'errors in the browser console').toEqual([]);
  },
});
export { expect };

/** Waits until the wasm bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, who: Account) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-Mail-Adresse').fill(who.email);
  await page.getByLabel('Passwort').fill(who.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  if (who.totpSecret) await enterSecondFactor(page, who);
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
}

/** RFC 6238 code (HMAC-SHA1, 6 digits) of a base32 secret for a 30-second time step, as an authenticator app computes it. */
export function totp(secret: string, step: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/\s/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

const currentStep = () => Math.floor(Date.now() / 30_000);
const usedSteps = new Map<string, number>();

/** A code for a time step the portal has not accepted yet (each code is good once); waits for the clock to reach the next step when the current and the next one are used. */
export async function nextCode(who: Account): Promise<string> {
  for (;;) {
    const now = currentStep();
    const step = Math.max(now, (usedSteps.get(who.email) ?? 0) + 1);
    if (step <= now + 1) {
      usedSteps.set(who.email, step);
      return totp(who.totpSecret!, step);
    }
    await new Promise((resolve) => setTimeout(resolve, (now + 1) * 30_000 - Date.now() + 50));
  }
}

/** The second step of the sign-in: the code from the app. */
export async function enterSecondFactor(page: Page, who: Account) {
  await expect(page).toHaveURL(/\/login\/zweiter-faktor/);
  for (let attempt = 0; attempt < 2; attempt++) {
    await page.getByLabel('Code oder Wiederherstellungscode').fill(await nextCode(who));
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname === '/' || url.search.includes('error='));
    if (!page.url().includes('error=')) return;
    // A step used by an earlier run of this worker: take a later one.
    usedSteps.set(who.email, currentStep() + 1);
  }
}

/** axe-core with the WCAG 2.1 A/AA rule sets; any violation fails. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, `accessibility violations on ${page.url()}`).toEqual([]);
}

/** Selects the option of a <select> whose text contains `text` (unit names are indented). */
export async function selectByText(select: Locator, text: string) {
  const value = await select.locator('option', { hasText: text }).first().getAttribute('value');
  await select.selectOption(value ?? '');
}
