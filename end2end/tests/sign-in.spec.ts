import { test, expect, hydrated, signIn, expectAccessible, nextCode, Account, ADMIN, PUBLISHER, AUDITOR, HEAD, EMPLOYEE } from './helpers';

test('a wrong password is refused with a German message and the email stays out of the URL', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-Mail-Adresse').fill('admin@musterstadt.de');
  await page.getByLabel('Passwort').fill('falsches-passwort');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page.getByRole('alert')).toContainText('E-Mail-Adresse oder Passwort ist falsch');
  expect(page.url()).not.toContain('musterstadt');
  await expectAccessible(page);
});

test('each demo role signs in and sees its navigation', async ({ page }) => {
  for (const who of [ADMIN, PUBLISHER, AUDITOR, HEAD, EMPLOYEE]) {
    await signIn(page, who);
    const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
    await expect(nav.getByRole('link', { name: 'Start' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Mein Profil' })).toBeVisible();
    const adminLinks = nav.getByRole('link', { name: 'Benutzer' });
    await expect(adminLinks).toHaveCount(who === ADMIN ? 1 : 0);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expect(page.getByRole('status')).toContainText('Sie wurden abgemeldet.');
  }
});

test('home and profile pages are accessible and the profile lists the roles', async ({ page }) => {
  await signIn(page, HEAD);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Petra Hoffmann');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Mein Profil' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mein Profil');
  await expect(page.getByText('Leitung – Bürgeramt')).toBeVisible();
  await expectAccessible(page);
});

test('the language switch turns the pages English and back', async ({ page }) => {
  await signIn(page, EMPLOYEE);
  await page.getByRole('button', { name: /English/ }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Due for acknowledgment' })).toBeVisible();
  await page.getByRole('link', { name: 'My profile' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('My profile');
  await expectAccessible(page);
  await page.getByRole('button', { name: /Deutsch/ }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mein Profil');
});

test('a skip link leads to the main content', async ({ page }) => {
  await signIn(page, EMPLOYEE);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Zum Inhalt springen' });
  await expect(skip).toBeFocused();
  await skip.press('Enter');
  await expect(page.locator('main')).toBeFocused();
});

test('pages are readable on a phone without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, ADMIN);
  for (const path of ['/', '/profile', '/admin/units', '/admin/users']) {
    await page.goto(path);
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
  }
});

test('the accessibility statement is reachable from the footer and accessible in both languages', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Barrierefreiheit' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Erklärung zur Barrierefreiheit');
  await expect(page.getByRole('heading', { name: 'Schlichtungs- und Durchsetzungsverfahren' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: /English/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accessibility statement');
  await expectAccessible(page);
});

test('the profile lists the signed-in sessions and ends the others', async ({ page, browser }) => {
  const other = await browser.newContext({ locale: 'de-DE' });
  const second = await other.newPage();
  await signIn(second, EMPLOYEE);
  await signIn(page, EMPLOYEE);
  await page.getByRole('link', { name: 'Mein Profil' }).click();
  const sessions = page.getByRole('region', { name: 'Angemeldete Sitzungen' });
  await expect(sessions.getByText('(diese Sitzung)')).toBeVisible();
  // Earlier tests signed Max in elsewhere too: at least the other browser's session is listed.
  expect(await sessions.getByRole('row').count()).toBeGreaterThanOrEqual(3);
  await expectAccessible(page);
  await sessions.getByRole('button', { name: 'Alle anderen Sitzungen beenden' }).click();
  await expect(sessions.getByRole('status')).toContainText('Sitzungen beendet:');
  // Header row and this session remain.
  await expect(sessions.getByRole('row')).toHaveCount(2);
  await second.goto('/profile');
  await expect(second).toHaveURL(/\/login/);
  await other.close();
});

test('a person sets up a second factor on the profile, then signs in with a code or a recovery code', async ({ page }) => {
  // A generated employee that no other test signs in as.
  const who: Account = { email: 'matthias.fuchs@musterstadt.de', password: 'Mitarbeiter#2026' };
  await signIn(page, who);
  await page.getByRole('link', { name: 'Mein Profil' }).click();
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Zweiter Faktor (Authenticator-App)' });
  await expect(section.getByText('Nicht eingerichtet.')).toBeVisible();
  await section.getByRole('button', { name: 'Zweiten Faktor einrichten' }).click();
  await expect(section.getByRole('img', { name: 'QR-Code für die Authenticator-App' })).toBeVisible();
  await expectAccessible(page);
  who.totpSecret = (await section.locator('code.secret').textContent())!.replace(/\s/g, '');
  // A mistyped code is refused at the field.
  await section.getByLabel('Code aus der App').fill('12345');
  await section.getByRole('button', { name: 'Bestätigen' }).click();
  await expect(section.getByText('Der Code ist falsch, abgelaufen oder wurde schon verwendet.', { exact: false }).first()).toBeVisible();
  await section.getByLabel('Code aus der App').fill(await nextCode(who));
  await section.getByRole('button', { name: 'Bestätigen' }).click();
  await expect(section.getByText('Der zweite Faktor ist eingerichtet.')).toBeVisible();
  await expect(section.locator('.recovery-codes li')).toHaveCount(10);
  await expect(section.getByText(/Eingerichtet seit/)).toBeVisible();
  await expectAccessible(page);
  const recovery = (await section.locator('.recovery-codes li').first().textContent())!.trim();

  // The password alone no longer signs in: the code from the app does.
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await signIn(page, who);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Matthias Fuchs');

  // Without the phone: a recovery code, once.
  await page.getByRole('button', { name: 'Abmelden' }).click();
  for (const expected of ['/', 'error=invalid']) {
    await page.context().clearCookies();
    await page.goto('/login');
    await page.getByLabel('E-Mail-Adresse').fill(who.email);
    await page.getByLabel('Passwort').fill(who.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect(page).toHaveURL(/zweiter-faktor/);
    await page.getByLabel('Code oder Wiederherstellungscode').fill(recovery);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    if (expected === '/') {
      await expect(page).toHaveURL(/\/$/);
    } else {
      await expect(page).toHaveURL(/error=invalid/);
      await expect(page.getByRole('alert')).toContainText('Der Code ist falsch');
      await expectAccessible(page);
    }
  }
});

test('the owner of an MDM-managed phone sees its identity read-only and can still rename it', async ({ page }) => {
  await signIn(page, EMPLOYEE);
  await page.getByRole('link', { name: 'Meine Geräte' }).click();
  await hydrated(page);
  const phone = page.getByRole('row').filter({ hasText: 'Diensthandy' }).first();
  await phone.getByRole('link', { name: /Bearbeiten/ }).click();
  await hydrated(page);
  const form = page.getByRole('region', { name: 'Gerät bearbeiten' });
  await expect(form.getByText('Dieses Gerät verwaltet die IT', { exact: false })).toBeVisible();
  await expect(form.getByRole('textbox', { name: 'IMEI' })).toHaveCount(0);
  await expect(form.getByRole('combobox')).toHaveCount(0);
  await expectAccessible(page);
  await form.getByLabel('Bezeichnung').fill('Diensthandy (umbenannt)');
  await form.getByRole('button', { name: 'Speichern' }).click();
  await expect(form.getByRole('status')).toContainText('Gespeichert');
  await expect(page.getByRole('cell', { name: 'Diensthandy (umbenannt)', exact: true })).toBeVisible();
  // Back to the old name for the other tests.
  await form.getByLabel('Bezeichnung').fill('Diensthandy');
  await form.getByRole('button', { name: 'Speichern' }).click();
  await expect(page.getByRole('cell', { name: 'Diensthandy', exact: true }).first()).toBeVisible();
});
