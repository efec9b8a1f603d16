import { test, expect, hydrated, signIn, expectAccessible, ADMIN, EMPLOYEE } from './helpers';

function dayIn(days: number): string {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}

test('an owner sees which device carries a prohibited app and what to do', async ({ page }) => {
  await signIn(page, EMPLOYEE);
  await page.getByRole('link', { name: 'Meine Geräte' }).click();
  await hydrated(page);
  const notice = page.getByTestId('my-compliance');
  await expect(notice.getByRole('heading', { name: 'Verbotene Apps auf Ihren Geräten' })).toBeVisible();
  await expect(notice).toContainText('Diensthandy');
  await expect(notice).toContainText('verbotene App gefunden');
  await expect(notice).toContainText(/whatsapp/i);
  await expect(notice).toContainText('Bitte entfernen Sie die App vor dem Stichtag am');
  await expectAccessible(page);
  // The same notice is on the circular that bans the app.
  await page.getByRole('link', { name: 'Start', exact: true }).click();
  await hydrated(page);
  await page.getByRole('link', { name: /Nutzung von Messenger-Diensten/ }).first().click();
  await hydrated(page);
  await expect(page.getByTestId('my-compliance')).toContainText('Diensthandy');
  await expectAccessible(page);
});

test('an admin filters the compliance overview, grants an exemption and runs a dry run', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Gerätekonformität' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gerätekonformität');
  await hydrated(page);
  await expectAccessible(page);

  await page.getByLabel('Zustand').selectOption('violating');
  await page.getByRole('button', { name: 'Filtern' }).click();
  await expect(page).toHaveURL(/state=violating/);
  const rows = page.getByTestId('findings').locator('tbody tr');
  await expect(rows.first()).toContainText('verbotene App gefunden');
  const row = rows.filter({ hasNotText: 'Max Mustermann' }).first();
  const mdm = (await row.locator('td').nth(1).innerText()).trim();
  expect(mdm).toMatch(/^MDM-/);

  const exempt = page.locator('section', { has: page.getByRole('heading', { name: 'Ausnahme gewähren' }) });
  await exempt.getByLabel('MDM-ID').fill(mdm);
  await exempt.getByLabel('Begründung').fill('Testgerät der IT-Sicherheit');
  await exempt.getByLabel('Gültig bis').fill(dayIn(-3));
  await exempt.getByRole('button', { name: 'Ausnahme gewähren' }).click();
  await expect(exempt.locator('.field-error', { hasText: 'Das Datum liegt in der Vergangenheit.' })).toBeVisible();
  await exempt.getByLabel('Gültig bis').fill(dayIn(90));
  await exempt.getByRole('button', { name: 'Ausnahme gewähren' }).click();
  await expect(exempt.getByRole('status')).toHaveText('Ausnahme gewährt.');
  await expect(exempt.getByRole('row', { name: /Testgerät der IT-Sicherheit/ })).toBeVisible();
  await expectAccessible(page);

  const dry = page.locator('section', { has: page.getByRole('heading', { name: 'Probelauf' }) });
  await dry.getByLabel('Stichtag').fill(dayIn(45));
  await dry.getByRole('button', { name: 'Probelauf starten' }).click();
  const result = dry.getByTestId('dry-run');
  await expect(result).toContainText('gesperrt');
  await expect(result).toContainText('ausgenommen');
  await expectAccessible(page);
});

test('an admin issues an API token that is shown once, and revokes it', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'API-Tokens' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('API-Tokens');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('Name des Systems').fill('Mail-Gateway Rathaus');
  await page.getByRole('button', { name: 'Token ausstellen' }).click();
  await expect(page.locator('.field-error', { hasText: 'Pflichtfeld.' })).toBeVisible();
  await page.getByLabel(/access:read/).check();
  await page.getByRole('button', { name: 'Token ausstellen' }).click();
  await expect(page.getByTestId('token-secret')).toHaveText(/^rsp_[0-9a-f]{48}$/);
  const row = page.getByRole('row', { name: /Mail-Gateway Rathaus/ });
  await expect(row).toContainText('access:read');
  await expectAccessible(page);
  await row.getByRole('button', { name: /Widerrufen/ }).click();
  await expect(page.getByRole('row', { name: /Mail-Gateway Rathaus/ })).toContainText('widerrufen');
});
