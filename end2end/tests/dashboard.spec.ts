import { test, expect, hydrated, signIn, expectAccessible } from './helpers';

const DEZERNAT_HEAD = { email: 'dezernentin2@musterstadt.de', password: 'Leitung#2026' };

test('a head drills down from the Dezernat to an Amt, reminds the open people and exports the figures', async ({ page }) => {
  await signIn(page, DEZERNAT_HEAD);
  await page.getByRole('link', { name: 'Übersicht Kenntnisnahmen' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Übersicht der Kenntnisnahmen');
  await hydrated(page);
  await expect(page.getByRole('img', { name: 'Anteil der Kenntnisnahmen je Einheit' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Fachbereich Bürgerdienste und Ordnung' }).click();
  await expect(page.getByRole('table').first()).toContainText('Bürgeramt');
  await page.getByRole('link', { name: 'Bürgeramt', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Noch nicht zur Kenntnis genommen' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Pfad in der Organisation' })).toContainText('Bürgeramt');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Alle Offenen per E-Mail erinnern' }).click();
  await expect(page.getByRole('status')).toContainText(/Neue Erinnerungen verschickt: [1-9]/);
  await page.getByRole('button', { name: 'Alle Offenen per E-Mail erinnern' }).click();
  await expect(page.getByRole('status')).toContainText('Neue Erinnerungen verschickt: 0');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Als CSV exportieren' }).click();
  const file = await download;
  const chunks = await (await file.createReadStream()).toArray();
  expect(Buffer.concat(chunks).toString('utf8')).toContain('Einheit;Empfänger;Zur Kenntnis genommen');
});
