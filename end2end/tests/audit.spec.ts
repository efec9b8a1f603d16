import { test, expect, hydrated, signIn, expectAccessible, AUDITOR, EMPLOYEE } from './helpers';

test('an auditor verifies the evidence chain and filters the audit log', async ({ page }) => {
  await signIn(page, AUDITOR);
  await page.getByRole('link', { name: 'Nachweise prüfen' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nachweiskette prüfen');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Jetzt prüfen' }).click();
  await expect(page.getByRole('status')).toHaveText('Die Nachweiskette ist unverändert.');
  await expect(page.locator('code.hash')).toHaveText(/^[0-9a-f]{64}$/);
  await expectAccessible(page);
  await page.getByRole('link', { name: /RS 2026\/17 \(Fassung 1\)/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('RS 2026/17 – Fassung 1');
  await expect(page.getByRole('table', { name: 'Nachweise je Rundschreiben-Fassung' })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
  await page.goBack();

  await page.getByRole('link', { name: 'Protokoll' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Protokoll der Verwaltungsaktionen');
  await hydrated(page);
  await page.getByLabel('Aktion').fill('circular.publish');
  await page.getByRole('button', { name: 'Suchen' }).click();
  await expect(page.getByRole('cell', { name: 'circular.publish' }).first()).toBeVisible();
  await expect(page.getByRole('cell', { name: 'circular.create' })).toHaveCount(0);
  await expectAccessible(page);
});

test('the privacy notice is public and offers signed-in people their data', async ({ page }) => {
  await page.goto('/privacy');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Datenschutzhinweise');
  await expect(page.getByRole('table', { name: 'Welche Daten wir speichern und warum' })).toBeVisible();
  await expectAccessible(page);
  await signIn(page, EMPLOYEE);
  await page.getByRole('contentinfo').getByRole('link', { name: 'Datenschutz' }).click();
  await hydrated(page);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Meine gespeicherten Daten herunterladen (JSON)' }).click();
  const file = await download;
  const text = await (await file.createReadStream()).toArray();
  const json = JSON.parse(Buffer.concat(text).toString('utf8'));
  expect(json.person.email).toBe(EMPLOYEE.email);
});
