import { expect, Locator, Page, test as base } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const ADMIN = { email: 'admin@musterstadt.de', password: 'Admin#2026' };
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

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-Mail-Adresse').fill(who.email);
  await page.getByLabel('Passwort').fill(who.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
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
