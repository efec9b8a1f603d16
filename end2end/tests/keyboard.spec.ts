import { Locator, Page } from '@playwright/test';
import { test, expect, hydrated, expectAccessible, enterSecondFactor, Account, ADMIN, PUBLISHER, AUDITOR, HEAD, EMPLOYEE } from './helpers';

/** Presses Tab until `target` has the focus (as a keyboard user would), failing if it never does. */
async function tabTo(page: Page, target: Locator, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`not reachable with the Tab key: ${target}`);
}

test('an employee signs in, acknowledges for every device, gets the receipt and registers a device with the keyboard only', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await tabTo(page, page.getByLabel('E-Mail-Adresse'));
  await page.keyboard.type(EMPLOYEE.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(EMPLOYEE.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);

  await tabTo(page, page.getByRole('link', { name: /RS 2026\/17/ }).first());
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nutzung von Messenger-Diensten auf dienstlichen Geräten');
  await hydrated(page);
  const groups = page.locator('fieldset.attest');
  const count = await groups.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    // Tab enters the radio group on its first option; the arrow key chooses the next one.
    await tabTo(page, groups.nth(i).getByRole('radio').first());
    await page.keyboard.press('ArrowDown');
    await expect(groups.nth(i).getByLabel('Ich entferne sie vor dem Stichtag.')).toBeChecked();
  }
  await tabTo(page, page.getByLabel('Ich habe das Rundschreiben gelesen und nehme es zur Kenntnis.'));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Verbindlich zur Kenntnis nehmen' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quittung der Kenntnisnahme');
  await hydrated(page);

  await tabTo(page, page.getByRole('link', { name: 'Meine Geräte' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Geräte');
  await hydrated(page);
  await tabTo(page, page.getByLabel('Bezeichnung'));
  await page.keyboard.type('Tablet per Tastatur');
  await tabTo(page, page.getByRole('button', { name: 'Speichern' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('cell', { name: 'Tablet per Tastatur', exact: true })).toBeVisible();
});

// Every page of every role, in German and in English, with axe-core (WCAG 2.0/2.1 A and AA).
const PAGES: [Account, string[]][] = [
  [EMPLOYEE, ['/', '/devices', '/profile', '/privacy', '/barrierefreiheit']],
  [HEAD, ['/dashboard', '/compliance']],
  [PUBLISHER, ['/circulars', '/circulars/new']],
  [AUDITOR, ['/audit/evidence', '/audit/log']],
  [ADMIN, ['/admin/units', '/admin/users', '/admin/import', '/admin/devices', '/admin/mail', '/admin/tokens', '/compliance']],
];

for (const lang of ['de', 'en']) {
  test(`every role's pages are accessible in ${lang === 'de' ? 'German' : 'English'}`, async ({ page, context }) => {
    for (const [who, paths] of PAGES) {
      await context.clearCookies();
      await page.goto('/login');
      await hydrated(page);
      await page.locator('#login-email').fill(who.email);
      await page.locator('#login-password').fill(who.password);
      await page.locator('form[action="/auth/login"] button[type="submit"]').click();
      if (who.totpSecret) {
        await expect(page).toHaveURL(/zweiter-faktor/);
        await expectAccessible(page);
        await enterSecondFactor(page, who);
      }
      await expect(page).toHaveURL(/\/$/);
      await context.addCookies([{ name: 'lang', value: lang, url: page.url() }]);
      for (const path of paths) {
        await page.goto(path);
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        await hydrated(page);
        await expectAccessible(page);
      }
    }
  });
}
