import { test, expect, hydrated, signIn, expectAccessible, selectByText, ADMIN } from './helpers';

test('an admin creates an org unit, sees a clear error for a duplicate code, and edits the unit', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Organisationseinheiten' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisationseinheiten');
  await hydrated(page);
  await expectAccessible(page);

  const form = page.locator('section', { has: page.getByRole('heading', { name: 'Neue Organisationseinheit' }) });
  await form.getByLabel('Bezeichnung').fill('Amt für Digitalisierung');
  await form.getByLabel('Kürzel').fill('FB11');
  await selectByText(form.getByLabel('Übergeordnete Einheit'), 'Fachbereich Personal und Organisation');
  await form.getByRole('button', { name: 'Anlegen' }).click();
  await expect(form.locator('.field-error', { hasText: 'Dieses Kürzel ist schon vergeben.' })).toBeVisible();
  await expect(form.getByLabel('Bezeichnung')).toHaveValue('Amt für Digitalisierung');
  await expect(form.getByLabel('Kürzel')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page);

  await form.getByLabel('Kürzel').fill('A11.9');
  await form.getByRole('button', { name: 'Anlegen' }).click();
  await expect(form.getByRole('status')).toHaveText('Gespeichert.');
  const row = page.getByRole('row', { name: /Amt für Digitalisierung/ });
  await expect(row).toContainText('A11.9');

  await row.getByRole('link', { name: 'Amt für Digitalisierung' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisationseinheit bearbeiten');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('Bezeichnung').fill('Amt für Digitalisierung und E-Government');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await expect(page.getByRole('status')).toHaveText('Gespeichert.');
  await page.getByRole('link', { name: 'Zurück zur Liste' }).click();
  await expect(page.getByRole('row', { name: /E-Government/ })).toBeVisible();
});

test('an admin creates a user who can then sign in, and assigns a head role', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Benutzer' }).click();
  await hydrated(page);
  await expectAccessible(page);
  const form = page.locator('section', { has: page.getByRole('heading', { name: 'Neuer Benutzer' }) });
  await form.getByLabel('Name').fill('Erika Musterfrau');
  await form.getByLabel('E-Mail-Adresse').fill('max.mustermann@musterstadt.de');
  await selectByText(form.getByLabel('Organisationseinheit'), 'Bürgeramt');
  await form.getByLabel('Startpasswort').fill('Erika-Start-2026');
  await form.getByRole('button', { name: 'Anlegen' }).click();
  await expect(form.locator('.field-error', { hasText: 'Diese E-Mail-Adresse ist schon vergeben.' })).toBeVisible();
  await expect(form.getByLabel('Name')).toHaveValue('Erika Musterfrau');

  await form.getByLabel('E-Mail-Adresse').fill('erika.musterfrau@musterstadt.de');
  await form.getByLabel('Startpasswort').fill('Erika-Start-2026');
  await form.getByRole('button', { name: 'Anlegen' }).click();
  await expect(form.getByRole('status')).toContainText('Gespeichert.');
  await form.getByRole('link', { name: 'Bearbeiten' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Benutzer bearbeiten');
  await hydrated(page);
  await expectAccessible(page);

  const roles = page.locator('section', { has: page.getByRole('heading', { name: 'Rollen' }) });
  await roles.getByLabel('Rolle').selectOption('head');
  await roles.getByRole('button', { name: 'Rolle hinzufügen' }).click();
  await expect(roles.locator('.field-error', { hasText: 'Diese Rolle braucht einen Bereich' })).toBeVisible();
  await selectByText(roles.getByLabel('Bereich'), 'Bürgeramt');
  await roles.getByRole('button', { name: 'Rolle hinzufügen' }).click();
  await expect(roles.getByRole('listitem').filter({ hasText: 'Leitung – Bürgeramt' })).toBeVisible();

  const other = await browser.newPage();
  await other.goto('/login');
  await other.getByLabel('E-Mail-Adresse').fill('erika.musterfrau@musterstadt.de');
  await other.getByLabel('Passwort').fill('Erika-Start-2026');
  await other.getByRole('button', { name: 'Anmelden' }).click();
  await expect(other.getByRole('heading', { level: 1 })).toContainText('Erika Musterfrau');
  await other.close();
});

test('the CSV import reports bad rows by line and imports a good file', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'CSV-Import' }).click();
  await hydrated(page);
  await expectAccessible(page);
  const bad = 'code,name,kind,parent_code\nA99.1,Neues Amt,amt,FB11\nA99.2,,amt,FB11\n';
  await page.getByLabel('CSV-Datei').setInputFiles({ name: 'units.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Importieren' }).click();
  await expect(page.getByRole('alert')).toContainText('nicht importiert');
  await expect(page.getByRole('row', { name: /3 name: Pflichtfeld/ })).toBeVisible();
  await expectAccessible(page);
  const good = 'code,name,kind,parent_code\nA99.1,Neues Amt,amt,FB11\n';
  await page.getByLabel('CSV-Datei').setInputFiles({ name: 'units.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: 'Importieren' }).click();
  await expect(page.getByRole('status')).toContainText('Import abgeschlossen');
});

test('the not-found page is accessible', async ({ page }) => {
  const res = await page.goto('/gibt-es-nicht');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Seite nicht gefunden');
  await expectAccessible(page);
});

test('the mail outbox page for admins is accessible', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'E-Mail-Versand' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ausstehende und fehlgeschlagene E-Mails');
  await hydrated(page);
  await expectAccessible(page);
});
