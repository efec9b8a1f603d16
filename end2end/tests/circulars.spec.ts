import { test, expect, hydrated, signIn, expectAccessible, PUBLISHER, EMPLOYEE, ADMIN } from './helpers';

const APPROVER = { email: 'organisation@musterstadt.de', password: 'Personal#2026' };

function isoDay(offset: number) {
  const d = new Date(Date.now() + offset * 86400000);
  return d.toISOString().slice(0, 10);
}

test('a publisher drafts with live preview, a second publisher approves, an employee acknowledges with two devices', async ({ page, browser }) => {
  await signIn(page, PUBLISHER);
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Rundschreiben' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Rundschreiben verwalten');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Neues Rundschreiben' }).click();
  await hydrated(page);
  await page.getByLabel('Nummer').fill('RS 2026/50');
  await page.getByLabel('Titel').fill('Neue Regeln für Cloud-Speicher');
  await page.getByLabel('Kurzfassung in einfacher Sprache').fill('Dienstliche Dateien gehören nicht in private Cloud-Speicher.');
  await page.getByLabel('Text (Markdown)').fill('## Regel\n\nBitte **keine** privaten Cloud-Speicher nutzen.');
  await expect(page.locator('.preview strong')).toHaveText('keine');
  await page.getByLabel('Gilt ab').fill(isoDay(20));
  await page.getByLabel('Frist').fill(isoDay(10));
  await page.getByLabel('Nicht zulässige Apps').fill('android; com.dropbox.android; Dropbox');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Entwurf speichern' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Neue Regeln für Cloud-Speicher');
  await expect(page.getByText('Entwurf', { exact: true })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Zur Freigabe einreichen' }).click();
  await expect(page.getByText('In Prüfung', { exact: true })).toBeVisible();
  // The author cannot publish their own version.
  await expect(page.getByRole('button', { name: 'Freigeben und veröffentlichen' })).toHaveCount(0);
  const detailUrl = page.url();

  const approver = await browser.newPage();
  await signIn(approver, APPROVER);
  await approver.goto(detailUrl);
  await hydrated(approver);
  await approver.getByRole('button', { name: 'Freigeben und veröffentlichen' }).click();
  await expect(approver.getByText('Veröffentlicht', { exact: true })).toBeVisible();
  await expect(approver.locator('#main').getByText('Claudia Neumann')).toBeVisible();
  await expect(approver.locator('code.hash')).toHaveText(/^[0-9a-f]{64}$/);
  await approver.close();

  await page.getByRole('button', { name: 'Abmelden' }).click();
  await signIn(page, EMPLOYEE);
  await expectAccessible(page);
  const item = page.getByRole('link', { name: /RS 2026\/50/ });
  await item.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Neue Regeln für Cloud-Speicher');
  await hydrated(page);
  await expectAccessible(page);
  await expect(page.locator('fieldset.attest')).toHaveCount(2);
  await page.locator('fieldset.attest').nth(0).getByLabel('Keine der genannten Apps ist installiert.').check();
  await page.locator('fieldset.attest').nth(1).getByLabel('Ich entferne sie vor dem Stichtag.').check();
  await page.getByLabel('Ich habe das Rundschreiben gelesen und nehme es zur Kenntnis.').check();
  await page.getByRole('button', { name: 'Verbindlich zur Kenntnis nehmen' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quittung der Kenntnisnahme');
  await expect(page.getByText('RS 2026/50: Neue Regeln für Cloud-Speicher')).toBeVisible();
  await expect(page.getByText('Diensthandy')).toBeVisible();
  await expect(page.getByText('Dienstlaptop')).toBeVisible();
  await expect(page.locator('code.hash')).toHaveText(/^[0-9a-f]{64}$/);
  await hydrated(page);
  await expectAccessible(page);
});

test('an employee registers a missing device and the device pages are accessible', async ({ page }) => {
  await signIn(page, EMPLOYEE);
  await page.getByRole('link', { name: 'Meine Geräte' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Geräte');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('Bezeichnung').fill('Privates Tablet');
  await page.getByLabel('Geräteart').selectOption('tablet');
  await page.getByLabel('Eigentum').selectOption('private');
  await page.getByText('Kennungen (Inventarnummer, Seriennummer, IMEI, MDM-ID)').click();
  await page.getByLabel('IMEI').fill('490154203237517');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await expect(page.locator('.field-error', { hasText: 'Keine gültige IMEI (15 Ziffern mit Prüfziffer).' })).toBeVisible();
  // The error summary takes the focus and leads to the field.
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await summary.getByRole('link', { name: 'Keine gültige IMEI (15 Ziffern mit Prüfziffer).' }).click();
  await expect(page).toHaveURL(/#f-imei$/);
  await expect(page.getByLabel('Bezeichnung')).toHaveValue('Privates Tablet');
  await page.getByLabel('IMEI').fill('490154203237518');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await expect(page.getByRole('cell', { name: 'Privates Tablet', exact: true })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await signIn(page, ADMIN);
  await page.goto('/admin/devices?q=Privates');
  await hydrated(page);
  await expect(page.getByRole('cell', { name: 'Privates Tablet', exact: true })).toBeVisible();
  await expectAccessible(page);
  // Admins edit anyone's device.
  await page.getByRole('link', { name: 'Privates Tablet' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gerät bearbeiten');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('Bezeichnung').fill('Privates Tablet (geprüft)');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await expect(page.getByRole('status')).toHaveText('Gespeichert.');
  await expect(page.getByLabel('Bezeichnung')).toHaveValue('Privates Tablet (geprüft)');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('an employee acknowledges the messenger ban with plain form posts', async ({ page }) => {
    await page.goto('/login');
    await page.getByLabel('E-Mail-Adresse').fill('fb32@musterstadt.de');
    await page.getByLabel('Passwort').fill('Leitung#2026');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('link', { name: /RS 2026\/17/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nutzung von Messenger-Diensten auf dienstlichen Geräten');
    await expect(page.getByRole('cell', { name: 'com.whatsapp', exact: true })).toBeVisible();
    await page.locator('fieldset.attest').first().getByLabel('Dieses Gerät nutze ich nicht dienstlich.').check();
    await page.getByLabel('Ich habe das Rundschreiben gelesen und nehme es zur Kenntnis.').check();
    await page.getByRole('button', { name: 'Verbindlich zur Kenntnis nehmen' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quittung der Kenntnisnahme');
    await expect(page.getByText('Dieses Gerät nutze ich nicht dienstlich.')).toBeVisible();
    await page.goto('/');
    const due = page.locator('section', { has: page.getByRole('heading', { name: 'Zur Kenntnisnahme fällig' }) });
    await expect(due.getByText('RS 2026/17')).toHaveCount(0);
    const history = page.locator('section', { has: page.getByRole('heading', { name: 'Von mir zur Kenntnis genommen' }) });
    await expect(history.getByRole('link', { name: /RS 2026\/17/ })).toBeVisible();
  });
});
