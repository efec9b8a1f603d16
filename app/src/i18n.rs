//! User-interface language. German is the default; English is selectable per user (stored
//! on the account) and per request (a cookie set by the language switch).
//!
//! Texts are plain structs of `&'static str` so that a missing translation is a compile
//! error, not a blank on the page.

crate::str_enum! {
    #[derive(Default)]
    pub enum Locale {
        #[default]
        De => "de",
        En => "en",
    }
}

impl Locale {
    /// The language code (`de`, `en`), as in `<html lang>`, the cookie and the database.
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// Picks the first supported language of an `Accept-Language` header, honouring order
    /// (q-values are rarely anything but descending in practice).
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| Locale::parse(tag.trim().split('-').next().unwrap_or("")))
            .next()
    }

    /// The language the switch offers.
    pub fn other(self) -> Locale {
        match self {
            Locale::De => Locale::En,
            Locale::En => Locale::De,
        }
    }

    /// Name of the language in that language, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::De => "Deutsch",
            Locale::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::De => &DE,
            Locale::En => &EN,
        }
    }
}

pub struct Texts {
    /// The language of these texts (so that code holding only the texts can translate
    /// problems).
    pub locale: Locale,
    pub app_name: &'static str,
    pub skip_to_content: &'static str,
    pub main_nav: &'static str,
    pub nav_home: &'static str,
    pub nav_profile: &'static str,
    pub nav_units: &'static str,
    pub nav_users: &'static str,
    pub nav_import: &'static str,
    pub sign_out: &'static str,
    pub sign_in: &'static str,
    pub language: &'static str,
    pub switch_language: &'static str,
    pub signed_in_as: &'static str,

    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub login_failed: &'static str,
    pub login_throttled: &'static str,
    pub login_busy: &'static str,
    pub back_to_login: &'static str,
    pub login_missing: &'static str,
    pub second_factor_title: &'static str,
    pub device_managed_hint: &'static str,
    pub second_factor_intro: &'static str,
    pub second_factor_on: &'static str,
    pub second_factor_off: &'static str,
    pub recovery_codes_left: &'static str,
    pub second_factor_setup: &'static str,
    pub second_factor_renew: &'static str,
    pub second_factor_scan: &'static str,
    pub second_factor_secret: &'static str,
    pub second_factor_qr: &'static str,
    pub second_factor_code: &'static str,
    pub second_factor_confirm: &'static str,
    pub second_factor_enabled: &'static str,
    pub recovery_codes_intro: &'static str,
    pub second_factor_disable: &'static str,
    pub second_factor_disabled: &'static str,
    pub admin_awaits_second_factor: &'static str,
    pub second_step_title: &'static str,
    pub second_step_intro: &'static str,
    pub second_step_field: &'static str,
    pub second_step_expired: &'static str,
    pub second_factor_reset: &'static str,
    pub second_factor_reset_hint: &'static str,
    pub second_factor_reset_done: &'static str,
    pub signed_out: &'static str,
    pub session_expired: &'static str,

    pub home_title: &'static str,
    pub home_greeting: &'static str,
    pub inbox_title: &'static str,
    pub inbox_empty: &'static str,

    pub profile_title: &'static str,
    pub display_name: &'static str,
    pub personnel_no: &'static str,
    pub org_unit: &'static str,
    pub roles: &'static str,
    pub preferred_language: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub confirm_password: &'static str,
    pub password_changed: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub cancel: &'static str,

    pub units_title: &'static str,
    pub unit_code: &'static str,
    pub unit_name: &'static str,
    pub unit_kind: &'static str,
    pub unit_parent: &'static str,
    pub unit_members: &'static str,
    pub unit_new: &'static str,
    pub unit_edit: &'static str,
    pub create: &'static str,
    pub edit: &'static str,
    pub status: &'static str,
    pub active: &'static str,
    pub inactive: &'static str,
    pub deactivate: &'static str,
    pub reactivate: &'static str,
    pub none_option: &'static str,
    pub back_to_list: &'static str,

    pub users_title: &'static str,
    pub user_new: &'static str,
    pub user_edit: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub initial_password: &'static str,
    pub initial_password_hint: &'static str,
    pub role: &'static str,
    pub scope: &'static str,
    pub scope_hint: &'static str,
    pub add_role: &'static str,
    pub remove: &'static str,
    pub no_results: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub results_count: &'static str,
    pub reset_password: &'static str,
    pub actions: &'static str,

    pub import_title: &'static str,
    pub import_intro: &'static str,
    pub import_units_format: &'static str,
    pub import_users_format: &'static str,
    pub import_file: &'static str,
    pub import_submit: &'static str,
    pub import_done: &'static str,
    pub import_rejected: &'static str,
    pub line: &'static str,
    pub reason: &'static str,

    pub err_unauthorized: &'static str,
    pub err_forbidden: &'static str,
    pub err_not_found: &'static str,
    pub err_internal: &'static str,
    pub err_transport: &'static str,
    pub err_validation: &'static str,
    pub nav_devices: &'static str,
    pub nav_all_devices: &'static str,
    pub devices_title: &'static str,
    pub devices_intro: &'static str,
    pub devices_none: &'static str,
    pub device_new: &'static str,
    pub device_edit: &'static str,
    pub device_label: &'static str,
    pub device_label_hint: &'static str,
    pub device_kind: &'static str,
    pub device_ownership: &'static str,
    pub device_platform: &'static str,
    pub device_identifiers: &'static str,
    pub device_asset_tag: &'static str,
    pub device_serial: &'static str,
    pub device_imei_hint: &'static str,
    pub device_mdm_id: &'static str,
    pub device_retire: &'static str,
    pub device_retired: &'static str,
    pub overdue: &'static str,
    pub open: &'static str,
    pub deadline: &'static str,
    pub history_title: &'static str,
    pub history_empty: &'static str,
    pub on_behalf_by: &'static str,
    pub version: &'static str,
    pub effective_on: &'static str,
    pub prohibited_apps: &'static str,
    pub app_name_col: &'static str,
    pub app_id_col: &'static str,
    pub already_acknowledged: &'static str,
    pub receipt_link: &'static str,
    pub acknowledge_title: &'static str,
    pub no_devices_for_ack: &'static str,
    pub read_confirm: &'static str,
    pub acknowledge_submit: &'static str,
    pub device_missing: &'static str,
    pub receipt_title: &'static str,
    pub receipt_intro: &'static str,
    pub circular: &'static str,
    pub acknowledged_at: &'static str,
    pub content_hash: &'static str,
    pub auth_method: &'static str,
    pub print: &'static str,
    pub nav_circulars: &'static str,
    pub circulars_title: &'static str,
    pub circular_new: &'static str,
    pub circular_edit: &'static str,
    pub number: &'static str,
    pub title_label: &'static str,
    pub summary_label: &'static str,
    pub body_label: &'static str,
    pub preview: &'static str,
    pub audience: &'static str,
    pub whole_city: &'static str,
    pub audience_subtree: &'static str,
    pub audience_unit: &'static str,
    pub multi_select_hint: &'static str,
    pub apps_label: &'static str,
    pub apps_hint: &'static str,
    pub save_draft: &'static str,
    pub submit_review: &'static str,
    pub return_draft: &'static str,
    pub approve_publish: &'static str,
    pub withdraw: &'static str,
    pub new_material: &'static str,
    pub new_editorial: &'static str,
    pub author: &'static str,
    pub approver: &'static str,
    pub published_at: &'static str,
    pub count_audience: &'static str,
    pub count_acknowledged: &'static str,
    pub count_open: &'static str,
    pub count_overdue: &'static str,
    pub counts_pending: &'static str,
    pub four_eyes_hint: &'static str,
    pub attachments: &'static str,
    pub attachment_pdf: &'static str,
    pub attachment_upload: &'static str,
    pub nav_evidence: &'static str,
    pub evidence_title: &'static str,
    pub evidence_intro: &'static str,
    pub evidence_verify: &'static str,
    pub evidence_ok: &'static str,
    pub evidence_broken: &'static str,
    pub evidence_entries: &'static str,
    pub evidence_audit_entries: &'static str,
    pub evidence_pending: &'static str,
    pub evidence_head: &'static str,
    pub evidence_seal: &'static str,
    pub nav_audit: &'static str,
    pub audit_title: &'static str,
    pub audit_action: &'static str,
    pub audit_actor: &'static str,
    pub audit_target: &'static str,
    pub audit_from: &'static str,
    pub audit_to: &'static str,
    pub audit_details: &'static str,
    pub privacy_title: &'static str,
    pub privacy_intro: &'static str,
    pub privacy_table: &'static str,
    pub privacy_data: &'static str,
    pub privacy_purpose: &'static str,
    pub privacy_retention: &'static str,
    pub privacy_rights: &'static str,
    pub privacy_download: &'static str,
    pub footer_privacy: &'static str,
    pub footer_accessibility: &'static str,
    pub sessions_title: &'static str,
    pub sessions_intro: &'static str,
    pub session_device: &'static str,
    pub session_unknown_browser: &'static str,
    pub session_signed_in: &'static str,
    pub session_last_seen: &'static str,
    pub session_this: &'static str,
    pub end_session: &'static str,
    pub end_other_sessions: &'static str,
    pub sessions_ended: &'static str,
    pub end_all_sessions: &'static str,
    pub end_all_sessions_hint: &'static str,
    pub retention_label: &'static str,
    pub retention_hint: &'static str,
    pub evidence_per_version: &'static str,
    /// Column of the evidence per version: the devices of the person who acknowledged.
    pub evidence_devices: &'static str,
    pub evidence_search_label: &'static str,
    pub evidence_person_export: &'static str,
    pub first_page: &'static str,
    /// Name of the page-to-page navigation of a long list.
    pub pages_nav: &'static str,
    pub pseudonymised: &'static str,
    pub entry: &'static str,
    pub nav_dashboard: &'static str,
    pub dashboard_title: &'static str,
    pub show: &'static str,
    pub breadcrumbs: &'static str,
    pub rollup_caption: &'static str,
    pub direct_members: &'static str,
    pub devices_unclean: &'static str,
    pub total: &'static str,
    pub export_csv: &'static str,
    pub open_people: &'static str,
    pub days_overdue: &'static str,
    pub on_behalf_title: &'static str,
    pub remark: &'static str,
    pub remark_placeholder: &'static str,
    pub on_behalf_submit: &'static str,
    pub name_hidden: &'static str,
    pub chart_title: &'static str,
    pub chart_desc: &'static str,
    pub export_xlsx: &'static str,
    pub remind_all: &'static str,
    pub reminders_sent: &'static str,
    pub reminders_col: &'static str,
    pub nav_mail: &'static str,
    pub mail_title: &'static str,
    pub mail_intro: &'static str,
    pub mail_none: &'static str,
    pub mail_subject: &'static str,
    pub mail_attempts: &'static str,
    pub mail_failed: &'static str,
    pub mail_pending: &'static str,
    pub mail_sent: &'static str,
    pub nav_compliance: &'static str,
    pub nav_tokens: &'static str,
    pub compliance_title: &'static str,
    pub compliance_intro_admin: &'static str,
    pub compliance_intro_head: &'static str,
    pub compliance_units: &'static str,
    pub compliance_units_note: &'static str,
    pub compliance_devices: &'static str,
    pub compliance_list: &'static str,
    pub compliance_none: &'static str,
    pub compliance_state: &'static str,
    pub compliance_apps: &'static str,
    pub compliance_since: &'static str,
    pub compliance_block_on: &'static str,
    pub compliance_owner: &'static str,
    pub compliance_all_states: &'static str,
    pub compliance_all_circulars: &'static str,
    pub compliance_filter: &'static str,
    pub exemption_title: &'static str,
    pub exemption_intro: &'static str,
    pub exemption_reason: &'static str,
    pub exemption_until: &'static str,
    pub exemption_list: &'static str,
    pub exemption_granted: &'static str,
    pub exemption_revoke: &'static str,
    pub exemption_granted_by: &'static str,
    pub exemption_ended: &'static str,
    pub dryrun_title: &'static str,
    pub dryrun_intro: &'static str,
    pub dryrun_date: &'static str,
    pub dryrun_run: &'static str,
    pub dryrun_none: &'static str,
    pub device_import_title: &'static str,
    pub device_import_intro: &'static str,
    pub device_import_created: &'static str,
    pub device_import_updated: &'static str,
    pub my_compliance_title: &'static str,
    pub my_compliance_violating: &'static str,
    pub my_compliance_warned: &'static str,
    pub my_compliance_blocked: &'static str,
    pub my_compliance_exempt: &'static str,
    pub my_compliance_stale: &'static str,
    pub tokens_title: &'static str,
    pub tokens_intro: &'static str,
    pub token_name: &'static str,
    pub token_scopes: &'static str,
    pub token_create: &'static str,
    pub token_secret_once: &'static str,
    pub token_last_used: &'static str,
    pub token_never: &'static str,
    pub token_revoke: &'static str,
    pub token_revoked: &'static str,
    pub tokens_none: &'static str,
    pub not_found_title: &'static str,
    pub loading: &'static str,
}

pub static DE: Texts = Texts {
    locale: Locale::De,
    app_name: "Rundschreiben-Portal",
    skip_to_content: "Zum Inhalt springen",
    main_nav: "Hauptnavigation",
    nav_home: "Start",
    nav_profile: "Mein Profil",
    nav_units: "Organisationseinheiten",
    nav_users: "Benutzer",
    nav_import: "CSV-Import",
    sign_out: "Abmelden",
    sign_in: "Anmelden",
    language: "Sprache",
    switch_language: "Sprache wechseln",
    signed_in_as: "Angemeldet als",

    login_title: "Anmelden",
    login_intro: "Melden Sie sich mit Ihrer dienstlichen E-Mail-Adresse an.",
    email: "E-Mail-Adresse",
    password: "Passwort",
    login_failed: "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist deaktiviert.",
    login_throttled: "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in {s} Sekunden erneut.",
    login_busy: "Gerade melden sich sehr viele Personen an. Bitte versuchen Sie es in {s} Sekunde(n) erneut.",
    back_to_login: "Zurück zur Anmeldung",
    login_missing: "Bitte E-Mail-Adresse und Passwort eingeben.",
    second_factor_title: "Zweiter Faktor (Authenticator-App)",
    device_managed_hint: "Dieses Gerät verwaltet die IT über das Mobilgeräte-Management (MDM). Art, Eigentum, Plattform und Kennungen ändert nur die Administration.",
    second_factor_intro: "Mit einem zweiten Faktor braucht die Anmeldung neben dem Passwort einen sechsstelligen Code aus einer Authenticator-App (z. B. FreeOTP, Google oder Microsoft Authenticator). Für die Administration ist er vorgeschrieben, für alle anderen freiwillig.",
    second_factor_on: "Eingerichtet seit",
    second_factor_off: "Nicht eingerichtet.",
    recovery_codes_left: "Unbenutzte Wiederherstellungscodes",
    second_factor_setup: "Zweiten Faktor einrichten",
    second_factor_renew: "Neu einrichten (z. B. neues Handy)",
    second_factor_scan: "Scannen Sie den QR-Code mit Ihrer App oder geben Sie den Schlüssel von Hand ein. Geben Sie dann den Code ein, den die App anzeigt.",
    second_factor_secret: "Schlüssel zur Eingabe von Hand",
    second_factor_qr: "QR-Code für die Authenticator-App",
    second_factor_code: "Code aus der App",
    second_factor_confirm: "Bestätigen",
    second_factor_enabled: "Der zweite Faktor ist eingerichtet.",
    recovery_codes_intro: "Ihre Wiederherstellungscodes: Jeder gilt einmal, falls Sie Ihr Handy nicht zur Hand haben. Notieren oder drucken Sie sie jetzt und bewahren Sie sie sicher auf – sie werden nur dieses eine Mal angezeigt.",
    second_factor_disable: "Zweiten Faktor ausschalten",
    second_factor_disabled: "Der zweite Faktor ist ausgeschaltet.",
    admin_awaits_second_factor: "Ihre Administrationsrechte gelten erst in einer Sitzung mit zweitem Faktor. Richten Sie ihn unter „Mein Profil“ ein (oder melden Sie sich mit ihm an).",
    second_step_title: "Anmeldung bestätigen",
    second_step_intro: "Geben Sie den sechsstelligen Code aus Ihrer Authenticator-App ein. Ohne Handy können Sie einen Ihrer Wiederherstellungscodes verwenden.",
    second_step_field: "Code oder Wiederherstellungscode",
    second_step_expired: "Die Anmeldung ist abgelaufen. Bitte melden Sie sich erneut mit Ihrem Passwort an.",
    second_factor_reset: "Zweiten Faktor zurücksetzen",
    second_factor_reset_hint: "Wenn die Person ihr Handy und ihre Wiederherstellungscodes verloren hat: Der zweite Faktor wird entfernt und alle Sitzungen der Person werden beendet. Sie richtet ihn nach der nächsten Anmeldung neu ein.",
    second_factor_reset_done: "Der zweite Faktor wurde zurückgesetzt.",
    signed_out: "Sie wurden abgemeldet.",
    session_expired: "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",

    home_title: "Start",
    home_greeting: "Guten Tag",
    inbox_title: "Zur Kenntnisnahme fällig",
    inbox_empty: "Derzeit liegen keine Rundschreiben zur Kenntnisnahme vor.",

    profile_title: "Mein Profil",
    display_name: "Name",
    personnel_no: "Personalnummer",
    org_unit: "Organisationseinheit",
    roles: "Rollen",
    preferred_language: "Bevorzugte Sprache",
    change_password: "Passwort ändern",
    current_password: "Aktuelles Passwort",
    new_password: "Neues Passwort",
    confirm_password: "Neues Passwort wiederholen",
    password_changed: "Ihr Passwort wurde geändert.",
    save: "Speichern",
    saved: "Gespeichert.",
    cancel: "Abbrechen",

    units_title: "Organisationseinheiten",
    unit_code: "Kürzel",
    unit_name: "Bezeichnung",
    unit_kind: "Art",
    unit_parent: "Übergeordnete Einheit",
    unit_members: "Beschäftigte",
    unit_new: "Neue Organisationseinheit",
    unit_edit: "Organisationseinheit bearbeiten",
    create: "Anlegen",
    edit: "Bearbeiten",
    status: "Status",
    active: "aktiv",
    inactive: "deaktiviert",
    deactivate: "Deaktivieren",
    reactivate: "Reaktivieren",
    none_option: "— keine —",
    back_to_list: "Zurück zur Liste",

    users_title: "Benutzer",
    user_new: "Neuer Benutzer",
    user_edit: "Benutzer bearbeiten",
    search: "Suchen",
    search_placeholder: "Name, E-Mail oder Personalnummer",
    initial_password: "Startpasswort",
    initial_password_hint: "Mindestens 10 Zeichen. Leer lassen, wenn sich die Person (noch) nicht anmelden soll.",
    role: "Rolle",
    scope: "Bereich",
    scope_hint: "Für Leitung und Veröffentlichung: die Einheit, deren Teilbaum die Rolle umfasst.",
    add_role: "Rolle hinzufügen",
    remove: "Entfernen",
    no_results: "Keine Treffer.",
    previous_page: "Vorherige Seite",
    next_page: "Nächste Seite",
    results_count: "Treffer",
    reset_password: "Passwort setzen",
    actions: "Aktionen",

    import_title: "CSV-Import",
    import_intro: "Importiert Organisationseinheiten oder Benutzer. Jede Zeile wird zuerst geprüft; enthält die Datei einen Fehler, wird nichts importiert.",
    import_units_format: "Einheiten: Kopfzeile code,name,kind,parent_code (kind: city, dezernat, fachbereich, amt, betrieb)",
    import_users_format: "Benutzer: Kopfzeile email,display_name,personnel_no,unit_code,locale,roles (roles z. B. \"employee;head@FB11\")",
    import_file: "CSV-Datei",
    import_submit: "Importieren",
    import_done: "Import abgeschlossen",
    import_rejected: "Die Datei wurde nicht importiert. Bitte korrigieren Sie diese Zeilen:",
    line: "Zeile",
    reason: "Grund",

    err_unauthorized: "Bitte melden Sie sich an.",
    err_forbidden: "Dafür fehlt Ihnen die Berechtigung.",
    err_not_found: "Nicht gefunden.",
    err_internal: "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
    err_transport: "Die Anfrage konnte nicht verarbeitet werden. Bitte versuchen Sie es erneut.",
    err_validation: "Bitte prüfen Sie die markierten Felder.",
    nav_devices: "Meine Geräte",
    nav_all_devices: "Alle Geräte",
    devices_title: "Meine Geräte",
    devices_intro: "Tragen Sie hier alle Geräte ein, die Sie dienstlich nutzen – auch private, falls Sie damit dienstliche E-Mails lesen.",
    devices_none: "Sie haben noch kein Gerät eingetragen.",
    device_new: "Gerät eintragen",
    device_edit: "Gerät bearbeiten",
    device_label: "Bezeichnung",
    device_label_hint: "z. B. „Diensthandy“ oder „Laptop Homeoffice“",
    device_kind: "Geräteart",
    device_ownership: "Eigentum",
    device_platform: "Betriebssystem",
    device_identifiers: "Kennungen (Inventarnummer, Seriennummer, IMEI, MDM-ID)",
    device_asset_tag: "Inventarnummer",
    device_serial: "Seriennummer",
    device_imei_hint: "15 Ziffern, bei Smartphones unter *#06# abrufbar.",
    device_mdm_id: "MDM-ID",
    device_retire: "Außer Betrieb nehmen",
    device_retired: "außer Betrieb",
    overdue: "Überfällig",
    open: "Offen",
    deadline: "Frist",
    history_title: "Von mir zur Kenntnis genommen",
    history_empty: "Noch keine Kenntnisnahmen.",
    on_behalf_by: "erfasst durch",
    version: "Fassung",
    effective_on: "Gilt ab",
    prohibited_apps: "Nicht zulässige Apps",
    app_name_col: "App",
    app_id_col: "Kennung",
    already_acknowledged: "Sie haben dieses Rundschreiben bereits zur Kenntnis genommen.",
    receipt_link: "Quittung anzeigen",
    acknowledge_title: "Kenntnisnahme",
    no_devices_for_ack: "Sie haben kein Gerät eingetragen. Falls Sie dienstlich ein Gerät nutzen, tragen Sie es bitte unten ein.",
    read_confirm: "Ich habe das Rundschreiben gelesen und nehme es zur Kenntnis.",
    acknowledge_submit: "Verbindlich zur Kenntnis nehmen",
    device_missing: "Gerät fehlt? Hier eintragen",
    receipt_title: "Quittung der Kenntnisnahme",
    receipt_intro: "Ihre Kenntnisnahme ist gespeichert.",
    circular: "Rundschreiben",
    acknowledged_at: "Zeitpunkt",
    content_hash: "Prüfsumme des Textes (SHA-256)",
    auth_method: "Anmeldeverfahren",
    print: "Drucken",
    nav_circulars: "Rundschreiben",
    circulars_title: "Rundschreiben verwalten",
    circular_new: "Neues Rundschreiben",
    circular_edit: "Entwurf bearbeiten",
    number: "Nummer",
    title_label: "Titel",
    summary_label: "Kurzfassung in einfacher Sprache",
    body_label: "Text (Markdown)",
    preview: "Vorschau (so sehen es die Lesenden)",
    audience: "Empfängerkreis",
    whole_city: "Ganze Stadtverwaltung",
    audience_subtree: "Einheiten mit allen Untereinheiten",
    audience_unit: "Einheiten ohne Untereinheiten",
    multi_select_hint: "Mehrfachauswahl mit Strg/Cmd.",
    apps_label: "Nicht zulässige Apps",
    apps_hint: "Eine App je Zeile: Plattform; Kennung; Name – z. B. „android; com.whatsapp; WhatsApp“.",
    save_draft: "Entwurf speichern",
    submit_review: "Zur Freigabe einreichen",
    return_draft: "Zurück an Entwurf",
    approve_publish: "Freigeben und veröffentlichen",
    withdraw: "Zurückziehen",
    new_material: "Neue Fassung (erneute Kenntnisnahme)",
    new_editorial: "Redaktionelle Änderung (keine erneute Kenntnisnahme)",
    author: "Verfasst von",
    approver: "Freigegeben von",
    published_at: "Veröffentlicht am",
    count_audience: "Empfänger",
    count_acknowledged: "Zur Kenntnis genommen",
    count_open: "Offen",
    count_overdue: "Überfällig",
    counts_pending: "wird gezählt – Seite gleich neu laden",
    four_eyes_hint: "Veröffentlichen kann nur eine zweite Person mit Veröffentlichungsrecht (Vier-Augen-Prinzip).",
    attachments: "Anlagen",
    attachment_pdf: "PDF-Anlage",
    attachment_upload: "Anlage hochladen",
    nav_evidence: "Nachweise prüfen",
    evidence_title: "Nachweiskette prüfen",
    evidence_intro: "Berechnet die Hash-Kette über alle Kenntnisnahmen und Protokolleinträge neu. Jede nachträgliche Änderung, Löschung oder Umsortierung wird mit dem ersten betroffenen Eintrag gemeldet.",
    evidence_verify: "Jetzt prüfen",
    evidence_ok: "Die Nachweiskette ist unverändert.",
    evidence_broken: "Die Nachweiskette ist gebrochen bei Eintrag",
    evidence_entries: "Geprüfte Einträge",
    evidence_audit_entries: "Protokolleinträge",
    evidence_pending: "Noch nicht versiegelt",
    evidence_head: "Letzter Hash der Kette",
    evidence_seal: "Versiegelt als Eintrag",
    nav_audit: "Protokoll",
    audit_title: "Protokoll der Verwaltungsaktionen",
    audit_action: "Aktion",
    audit_actor: "Person",
    audit_target: "Objekt",
    audit_from: "Von",
    audit_to: "Bis",
    audit_details: "Details",
    privacy_title: "Datenschutzhinweise",
    privacy_intro: "Das Rundschreiben-Portal verarbeitet personenbezogene Daten der Beschäftigten, um dienstliche Anweisungen bekannt zu machen und ihre Kenntnisnahme nachzuweisen (Art. 6 Abs. 1 lit. c und e DSGVO in Verbindung mit dem Beschäftigtendatenschutz).",
    privacy_table: "Welche Daten wir speichern und warum",
    privacy_data: "Daten",
    privacy_purpose: "Zweck",
    privacy_retention: "Speicherdauer",
    privacy_rights: "Sie haben das Recht auf Auskunft, Berichtigung und – nach Ablauf der Aufbewahrungsfristen – Löschung. Wenden Sie sich an die bzw. den behördlichen Datenschutzbeauftragten.",
    privacy_download: "Meine gespeicherten Daten herunterladen (JSON)",
    footer_privacy: "Datenschutz",
    footer_accessibility: "Barrierefreiheit",
    sessions_title: "Angemeldete Sitzungen",
    sessions_intro: "Hier sind Sie angemeldet. Beenden Sie Sitzungen, die Sie nicht kennen, und ändern Sie dann Ihr Passwort.",
    session_device: "Browser und System",
    session_unknown_browser: "Unbekannter Browser",
    session_signed_in: "Angemeldet",
    session_last_seen: "Zuletzt aktiv",
    session_this: "diese Sitzung",
    end_session: "Beenden",
    end_other_sessions: "Alle anderen Sitzungen beenden",
    sessions_ended: "Sitzungen beendet",
    end_all_sessions: "Alle Sitzungen beenden",
    end_all_sessions_hint: "Meldet die Person auf allen Geräten ab, z. B. nach Verlust eines Laptops.",
    retention_label: "Aufbewahrung der Kenntnisnahmen (Jahre)",
    retention_hint: "Danach werden die Kenntnisnahmen pseudonymisiert; die Nachweiskette bleibt prüfbar.",
    evidence_per_version: "Nachweise je Rundschreiben-Fassung",
    evidence_devices: "Geräte der Person",
    evidence_search_label: "Name, Personalnummer, Organisationseinheit oder ihr Kürzel",
    evidence_person_export: "Nachweise der Person (JSON)",
    first_page: "Erste Seite",
    pages_nav: "Seiten",
    pseudonymised: "pseudonymisiert",
    entry: "Eintrag",
    nav_dashboard: "Übersicht Kenntnisnahmen",
    dashboard_title: "Übersicht der Kenntnisnahmen",
    show: "Anzeigen",
    breadcrumbs: "Pfad in der Organisation",
    rollup_caption: "Kenntnisnahmen in",
    direct_members: "direkt",
    devices_unclean: "Geräte ohne Entwarnung",
    total: "Gesamt",
    export_csv: "Als CSV exportieren",
    open_people: "Noch nicht zur Kenntnis genommen",
    days_overdue: "Tage überfällig",
    on_behalf_title: "Papier-Kenntnisnahme erfassen",
    remark: "Bemerkung",
    remark_placeholder: "z. B. Papierformular vom 3. März",
    on_behalf_submit: "Erfassen",
    name_hidden: "(Name ausgeblendet)",
    chart_title: "Anteil der Kenntnisnahmen je Einheit",
    chart_desc: "Balken je Einheit; die Tabelle darunter enthält dieselben Zahlen.",
    export_xlsx: "Als Excel-Datei (XLSX) exportieren",
    remind_all: "Alle Offenen per E-Mail erinnern",
    reminders_sent: "Neue Erinnerungen verschickt",
    reminders_col: "Erinnerungen",
    nav_mail: "E-Mail-Versand",
    mail_title: "Ausstehende und fehlgeschlagene E-Mails",
    mail_intro: "E-Mails werden mit Wiederholungen zugestellt. Hier stehen die noch nicht versandten und die aufgegebenen, mit der Antwort des Mailservers.",
    mail_none: "Keine ausstehenden oder fehlgeschlagenen E-Mails.",
    mail_subject: "Betreff",
    mail_attempts: "Versuche",
    mail_failed: "aufgegeben",
    mail_pending: "ausstehend",
    mail_sent: "versandt",
    nav_compliance: "Gerätekonformität",
    nav_tokens: "API-Tokens",
    compliance_title: "Gerätekonformität",
    compliance_intro_admin: "Dienstgeräte mit Apps, die ein geltendes Rundschreiben verbietet. Ablauf: App gefunden → nach dem Stichtag verwarnt (E-Mail) → nach der Frist gesperrt; sobald eine Meldung die App nicht mehr enthält, ist das Gerät wieder freigegeben.",
    compliance_intro_head: "Dienstgeräte in Ihren Bereichen: Anzahl je Einheit und die verwarnten oder gesperrten Geräte.",
    compliance_units: "Geräte je Einheit",
    compliance_units_note: "Einheiten mit mindestens einem nicht konformen Dienstgerät, in der Reihenfolge des Organigramms.",
    compliance_devices: "Dienstgeräte",
    compliance_list: "Geräte, die nicht konform sind",
    compliance_none: "Keine Geräte in diesem Zustand.",
    compliance_state: "Zustand",
    compliance_apps: "Verbotene Apps",
    compliance_since: "Seit",
    compliance_block_on: "Sperre ab",
    compliance_owner: "Person",
    compliance_all_states: "alle Zustände",
    compliance_all_circulars: "alle Rundschreiben",
    compliance_filter: "Filtern",
    exemption_title: "Ausnahme gewähren",
    exemption_intro: "Für ein Gerät (MDM-ID) und ein Rundschreiben, befristet und mit Begründung. Das Gerät wird sofort neu bewertet.",
    exemption_reason: "Begründung",
    exemption_until: "Gültig bis",
    exemption_list: "Ausnahmen",
    exemption_granted: "Ausnahme gewährt.",
    exemption_revoke: "Ausnahme beenden",
    exemption_granted_by: "Gewährt von",
    exemption_ended: "beendet",
    dryrun_title: "Probelauf",
    dryrun_intro: "Wer wäre an einem Stichtag verwarnt oder gesperrt, wenn die Inventarmeldungen so bleiben?",
    dryrun_date: "Stichtag",
    dryrun_run: "Probelauf starten",
    dryrun_none: "Kein Gerät wäre betroffen.",
    device_import_title: "Geräte importieren (CSV)",
    device_import_intro: "Spalten: mdm_id, owner (E-Mail oder Personalnummer), platform; optional kind, label, ownership, asset_tag, serial, imei. Geräte mit vorhandener MDM-ID werden aktualisiert. Enthält eine Zeile einen Fehler, wird nichts übernommen.",
    device_import_created: "neu angelegt",
    device_import_updated: "aktualisiert",
    my_compliance_title: "Verbotene Apps auf Ihren Geräten",
    my_compliance_violating: "Bitte entfernen Sie die App vor dem Stichtag am",
    my_compliance_warned: "Bitte entfernen Sie die App jetzt. Sonst wird das Gerät gesperrt ab",
    my_compliance_blocked: "Das Gerät ist von E-Mail, Kontakten und Kalender getrennt. Entfernen Sie die App; mit der nächsten Meldung des Geräts an das MDM wird es wieder freigegeben.",
    my_compliance_exempt: "Für dieses Gerät gilt eine befristete Ausnahme.",
    my_compliance_stale: "Das Gerät hat sich länger nicht beim MDM gemeldet. Bitte verbinden Sie es mit dem Netz.",
    tokens_title: "API-Tokens",
    tokens_intro: "Tokens für MDM, Mail-Gateway und HR-Systeme. Das Token wird nur einmal angezeigt; gespeichert wird nur sein Hash. Dokumentation der Schnittstelle: /api/v1/openapi.json",
    token_name: "Name des Systems",
    token_scopes: "Berechtigungen",
    token_create: "Token ausstellen",
    token_secret_once: "Kopieren Sie das Token jetzt – es wird nicht wieder angezeigt:",
    token_last_used: "Zuletzt benutzt",
    token_never: "nie",
    token_revoke: "Widerrufen",
    token_revoked: "widerrufen",
    tokens_none: "Noch keine Tokens.",
    not_found_title: "Seite nicht gefunden",
    loading: "Wird geladen …",
};

pub static EN: Texts = Texts {
    locale: Locale::En,
    app_name: "Circulars Portal",
    skip_to_content: "Skip to content",
    main_nav: "Main navigation",
    nav_home: "Home",
    nav_profile: "My profile",
    nav_units: "Org units",
    nav_users: "Users",
    nav_import: "CSV import",
    sign_out: "Sign out",
    sign_in: "Sign in",
    language: "Language",
    switch_language: "Switch language",
    signed_in_as: "Signed in as",

    login_title: "Sign in",
    login_intro: "Sign in with your work email address.",
    email: "Email address",
    password: "Password",
    login_failed: "Email address or password is wrong, or the account is deactivated.",
    login_throttled: "Too many failed sign-in attempts. Please try again in {s} seconds.",
    login_busy: "Very many people are signing in right now. Please try again in {s} second(s).",
    back_to_login: "Back to sign-in",
    login_missing: "Please enter email address and password.",
    second_factor_title: "Second factor (authenticator app)",
    device_managed_hint: "IT manages this device through mobile device management (MDM). Only administrators change its kind, ownership, platform and identifiers.",
    second_factor_intro: "With a second factor, signing in needs a six-digit code from an authenticator app (e.g. FreeOTP, Google or Microsoft Authenticator) besides the password. It is required for administrators and optional for everyone else.",
    second_factor_on: "Set up since",
    second_factor_off: "Not set up.",
    recovery_codes_left: "Unused recovery codes",
    second_factor_setup: "Set up second factor",
    second_factor_renew: "Set up again (e.g. new phone)",
    second_factor_scan: "Scan the QR code with your app or enter the key by hand. Then enter the code the app shows.",
    second_factor_secret: "Key for entering by hand",
    second_factor_qr: "QR code for the authenticator app",
    second_factor_code: "Code from the app",
    second_factor_confirm: "Confirm",
    second_factor_enabled: "The second factor is set up.",
    recovery_codes_intro: "Your recovery codes: each works once when you do not have your phone at hand. Write them down or print them now and keep them safe – they are shown only this once.",
    second_factor_disable: "Turn off second factor",
    second_factor_disabled: "The second factor is turned off.",
    admin_awaits_second_factor: "Your administrator rights apply only in a session signed in with a second factor. Set it up on “My profile” (or sign in with it).",
    second_step_title: "Confirm sign-in",
    second_step_intro: "Enter the six-digit code from your authenticator app. Without your phone you can use one of your recovery codes.",
    second_step_field: "Code or recovery code",
    second_step_expired: "The sign-in has expired. Please sign in again with your password.",
    second_factor_reset: "Reset second factor",
    second_factor_reset_hint: "When the person lost their phone and their recovery codes: the second factor is removed and all the person’s sessions end. They set it up again after their next sign-in.",
    second_factor_reset_done: "The second factor was reset.",
    signed_out: "You have been signed out.",
    session_expired: "Your session has expired. Please sign in again.",

    home_title: "Home",
    home_greeting: "Hello",
    inbox_title: "Due for acknowledgment",
    inbox_empty: "There are no circulars for you to acknowledge right now.",

    profile_title: "My profile",
    display_name: "Name",
    personnel_no: "Personnel number",
    org_unit: "Org unit",
    roles: "Roles",
    preferred_language: "Preferred language",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password",
    confirm_password: "Repeat new password",
    password_changed: "Your password has been changed.",
    save: "Save",
    saved: "Saved.",
    cancel: "Cancel",

    units_title: "Org units",
    unit_code: "Code",
    unit_name: "Name",
    unit_kind: "Kind",
    unit_parent: "Parent unit",
    unit_members: "Employees",
    unit_new: "New org unit",
    unit_edit: "Edit org unit",
    create: "Create",
    edit: "Edit",
    status: "Status",
    active: "active",
    inactive: "deactivated",
    deactivate: "Deactivate",
    reactivate: "Reactivate",
    none_option: "— none —",
    back_to_list: "Back to list",

    users_title: "Users",
    user_new: "New user",
    user_edit: "Edit user",
    search: "Search",
    search_placeholder: "Name, email or personnel number",
    initial_password: "Initial password",
    initial_password_hint: "At least 10 characters. Leave empty if the person shall not sign in (yet).",
    role: "Role",
    scope: "Scope",
    scope_hint: "For head and publisher: the unit whose subtree the role covers.",
    add_role: "Add role",
    remove: "Remove",
    no_results: "No results.",
    previous_page: "Previous page",
    next_page: "Next page",
    results_count: "results",
    reset_password: "Set password",
    actions: "Actions",

    import_title: "CSV import",
    import_intro: "Imports org units or users. Every row is checked first; if the file has any error, nothing is imported.",
    import_units_format: "Units: header code,name,kind,parent_code (kind: city, dezernat, fachbereich, amt, betrieb)",
    import_users_format: "Users: header email,display_name,personnel_no,unit_code,locale,roles (roles e.g. \"employee;head@FB11\")",
    import_file: "CSV file",
    import_submit: "Import",
    import_done: "Import finished",
    import_rejected: "The file was not imported. Please correct these rows:",
    line: "Line",
    reason: "Reason",

    err_unauthorized: "Please sign in.",
    err_forbidden: "You are not allowed to do this.",
    err_not_found: "Not found.",
    err_internal: "An internal error occurred. Please try again later.",
    err_transport: "The request could not be processed. Please try again.",
    err_validation: "Please check the marked fields.",
    nav_devices: "My devices",
    nav_all_devices: "All devices",
    devices_title: "My devices",
    devices_intro: "Register every device you use for work here – private ones too if you read work mail on them.",
    devices_none: "You have not registered any device yet.",
    device_new: "Register a device",
    device_edit: "Edit device",
    device_label: "Label",
    device_label_hint: "e.g. \"Work phone\" or \"Home office laptop\"",
    device_kind: "Kind",
    device_ownership: "Ownership",
    device_platform: "Platform",
    device_identifiers: "Identifiers (asset tag, serial, IMEI, MDM id)",
    device_asset_tag: "Asset tag",
    device_serial: "Serial number",
    device_imei_hint: "15 digits; dial *#06# on a phone to see it.",
    device_mdm_id: "MDM id",
    device_retire: "Retire",
    device_retired: "retired",
    overdue: "Overdue",
    open: "Open",
    deadline: "Deadline",
    history_title: "Acknowledged by me",
    history_empty: "No acknowledgments yet.",
    on_behalf_by: "recorded by",
    version: "Version",
    effective_on: "Effective from",
    prohibited_apps: "Prohibited apps",
    app_name_col: "App",
    app_id_col: "Identifier",
    already_acknowledged: "You have already acknowledged this circular.",
    receipt_link: "Show receipt",
    acknowledge_title: "Acknowledgment",
    no_devices_for_ack: "You have no registered device. If you use a device for work, please register it below.",
    read_confirm: "I have read the circular and acknowledge it.",
    acknowledge_submit: "Acknowledge",
    device_missing: "Device missing? Register it here",
    receipt_title: "Acknowledgment receipt",
    receipt_intro: "Your acknowledgment is recorded.",
    circular: "Circular",
    acknowledged_at: "Time",
    content_hash: "Text checksum (SHA-256)",
    auth_method: "Sign-in method",
    print: "Print",
    nav_circulars: "Circulars",
    circulars_title: "Manage circulars",
    circular_new: "New circular",
    circular_edit: "Edit draft",
    number: "Number",
    title_label: "Title",
    summary_label: "Plain-language summary",
    body_label: "Text (Markdown)",
    preview: "Preview (as readers will see it)",
    audience: "Audience",
    whole_city: "Whole city administration",
    audience_subtree: "Units with all their subunits",
    audience_unit: "Units without subunits",
    multi_select_hint: "Select several with Ctrl/Cmd.",
    apps_label: "Prohibited apps",
    apps_hint: "One app per line: platform; identifier; name – e.g. \"android; com.whatsapp; WhatsApp\".",
    save_draft: "Save draft",
    submit_review: "Submit for approval",
    return_draft: "Return to draft",
    approve_publish: "Approve and publish",
    withdraw: "Withdraw",
    new_material: "New version (acknowledge again)",
    new_editorial: "Editorial change (no new acknowledgment)",
    author: "Author",
    approver: "Approved by",
    published_at: "Published on",
    count_audience: "Audience",
    count_acknowledged: "Acknowledged",
    count_open: "Open",
    count_overdue: "Overdue",
    counts_pending: "being counted – reload the page shortly",
    four_eyes_hint: "Only a second publisher can publish (four-eyes principle).",
    attachments: "Attachments",
    attachment_pdf: "PDF attachment",
    attachment_upload: "Upload attachment",
    nav_evidence: "Verify evidence",
    evidence_title: "Verify the evidence chain",
    evidence_intro: "Recomputes the hash chain over all acknowledgments and audit entries. Any later change, deletion or reordering is reported with the first affected entry.",
    evidence_verify: "Verify now",
    evidence_ok: "The evidence chain is intact.",
    evidence_broken: "The evidence chain is broken at entry",
    evidence_entries: "Entries checked",
    evidence_audit_entries: "Audit entries",
    evidence_pending: "Not sealed yet",
    evidence_head: "Head hash",
    evidence_seal: "Sealed as entry",
    nav_audit: "Audit log",
    audit_title: "Audit log of administrative actions",
    audit_action: "Action",
    audit_actor: "Actor",
    audit_target: "Target",
    audit_from: "From",
    audit_to: "To",
    audit_details: "Details",
    privacy_title: "Privacy notice",
    privacy_intro: "The circulars portal processes employees' personal data to publish work instructions and to prove their acknowledgment (Art. 6(1)(c) and (e) GDPR together with employee data protection law).",
    privacy_table: "What we store and why",
    privacy_data: "Data",
    privacy_purpose: "Purpose",
    privacy_retention: "Retention",
    privacy_rights: "You have the right of access, rectification and – after the retention periods – erasure. Contact the data protection officer.",
    privacy_download: "Download my stored data (JSON)",
    footer_privacy: "Privacy",
    footer_accessibility: "Accessibility",
    sessions_title: "Signed-in sessions",
    sessions_intro: "You are signed in here. End sessions you do not recognise, then change your password.",
    session_device: "Browser and system",
    session_unknown_browser: "Unknown browser",
    session_signed_in: "Signed in",
    session_last_seen: "Last active",
    session_this: "this session",
    end_session: "End",
    end_other_sessions: "End all other sessions",
    sessions_ended: "Sessions ended",
    end_all_sessions: "End all sessions",
    end_all_sessions_hint: "Signs the person out on every device, e.g. after a laptop was lost.",
    retention_label: "Keep acknowledgments for (years)",
    retention_hint: "Afterwards acknowledgments are pseudonymised; the evidence chain stays verifiable.",
    evidence_per_version: "Evidence per circular version",
    evidence_devices: "The person's devices",
    evidence_search_label: "Name, personnel number, organisational unit or its code",
    evidence_person_export: "The person's evidence (JSON)",
    first_page: "First page",
    pages_nav: "Pages",
    pseudonymised: "pseudonymised",
    entry: "Entry",
    nav_dashboard: "Acknowledgment overview",
    dashboard_title: "Acknowledgment overview",
    show: "Show",
    breadcrumbs: "Path in the organisation",
    rollup_caption: "Acknowledgments in",
    direct_members: "directly",
    devices_unclean: "Devices not attested clean",
    total: "Total",
    export_csv: "Export as CSV",
    open_people: "Not acknowledged yet",
    days_overdue: "Days overdue",
    on_behalf_title: "Record paper acknowledgment",
    remark: "Remark",
    remark_placeholder: "e.g. paper form of 3 March",
    on_behalf_submit: "Record",
    name_hidden: "(name hidden)",
    chart_title: "Share acknowledged per unit",
    chart_desc: "One bar per unit; the table below has the same numbers.",
    export_xlsx: "Export as Excel (XLSX)",
    remind_all: "Remind everybody open by mail",
    reminders_sent: "New reminders sent",
    reminders_col: "Reminders",
    nav_mail: "Mail",
    mail_title: "Pending and failed mails",
    mail_intro: "Mails are delivered with retries. Listed here are those not sent yet and those given up, with the mail server's answer.",
    mail_none: "No pending or failed mails.",
    mail_subject: "Subject",
    mail_attempts: "Attempts",
    mail_failed: "given up",
    mail_pending: "pending",
    mail_sent: "sent",
    nav_compliance: "Device compliance",
    nav_tokens: "API tokens",
    compliance_title: "Device compliance",
    compliance_intro_admin: "Service devices with apps that a circular in force prohibits. Sequence: app found → warned after the effective date (mail) → blocked after the grace period; as soon as a report no longer contains the app, the device is released again.",
    compliance_intro_head: "Service devices in your units: counts per unit and the devices that are warned or blocked.",
    compliance_units: "Devices per unit",
    compliance_units_note: "Units with at least one non-compliant service device, in the order of the org chart.",
    compliance_devices: "Service devices",
    compliance_list: "Devices that are not compliant",
    compliance_none: "No devices in this state.",
    compliance_state: "State",
    compliance_apps: "Prohibited apps",
    compliance_since: "Since",
    compliance_block_on: "Blocked from",
    compliance_owner: "Person",
    compliance_all_states: "all states",
    compliance_all_circulars: "all circulars",
    compliance_filter: "Filter",
    exemption_title: "Grant an exemption",
    exemption_intro: "For one device (MDM id) and one circular, time-limited and with a reason. The device is re-evaluated at once.",
    exemption_reason: "Reason",
    exemption_until: "Valid until",
    exemption_list: "Exemptions",
    exemption_granted: "Exemption granted.",
    exemption_revoke: "End exemption",
    exemption_granted_by: "Granted by",
    exemption_ended: "ended",
    dryrun_title: "Dry run",
    dryrun_intro: "Who would be warned or blocked on a given day if the inventory reports stay as they are?",
    dryrun_date: "Day",
    dryrun_run: "Run dry run",
    dryrun_none: "No device would be affected.",
    device_import_title: "Import devices (CSV)",
    device_import_intro: "Columns: mdm_id, owner (e-mail or personnel number), platform; optional kind, label, ownership, asset_tag, serial, imei. Devices with a known MDM id are updated. If any row has an error, nothing is imported.",
    device_import_created: "created",
    device_import_updated: "updated",
    my_compliance_title: "Prohibited apps on your devices",
    my_compliance_violating: "Please remove the app before the effective date,",
    my_compliance_warned: "Please remove the app now. Otherwise the device is blocked from",
    my_compliance_blocked: "The device is cut off from mail, contacts and calendar. Remove the app; with the device's next report to the MDM it is released again.",
    my_compliance_exempt: "A time-limited exemption applies to this device.",
    my_compliance_stale: "The device has not reported to the MDM for a while. Please connect it to the network.",
    tokens_title: "API tokens",
    tokens_intro: "Tokens for the MDM, the mail gateway and HR systems. A token is shown only once; only its hash is stored. API description: /api/v1/openapi.json",
    token_name: "System name",
    token_scopes: "Scopes",
    token_create: "Issue token",
    token_secret_once: "Copy the token now – it will not be shown again:",
    token_last_used: "Last used",
    token_never: "never",
    token_revoke: "Revoke",
    token_revoked: "revoked",
    tokens_none: "No tokens yet.",
    not_found_title: "Page not found",
    loading: "Loading …",
};

/// What is wrong with one input, as the rules and services find it. It travels untranslated
/// (in `AppError::Validation`) and is put into words where it is shown: in the page's
/// language on pages, in English on the API and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Problem {
    Required,
    TooLong(usize),
    TooShort(usize),
    InvalidEmail,
    InvalidCode,
    InvalidPersonnelNo,
    UnknownKind,
    UnknownRole,
    UnknownLocale,
    UnknownUnit,
    DuplicateEmail,
    DuplicatePersonnelNo,
    DuplicateCode,
    DuplicateInFile,
    CycleInTree,
    RootMustBeCity,
    CityMustBeRoot,
    SingleRoot,
    ScopeRequired,
    ScopeNotAllowed,
    PasswordMismatch,
    WrongPassword,
    BadCsvHeader,
    MalformedRow,
    EmptyFile,
    InvalidRetention,
    NotPdf,
    RawHtml,
    UnsafeLink,
    InvalidNumber,
    DuplicateNumber,
    DateInPast,
    InvalidDate,
    DeadlineBeforePublication,
    AudienceEmpty,
    OutsideScope,
    InvalidApp(usize),
    OwnApproval,
    WrongStatus,
    ContentChanged,
    NotInAudience,
    NotYourDevice,
    DeviceUnattested,
    ReadNotConfirmed,
    InvalidImei,
    InvalidIdentifier,
    /// The platform named (not one of android, ios, windows, macos, linux, other).
    UnknownPlatform(String),
    DuplicateDeviceId,
    FileTooLarge(usize),
    CannotDeactivateSelf,
    UnitHasActiveMembers,
    UnknownOwner,
    UnknownScope,
    UnknownDevice,
    EditedByApprover,
    ManagedIdentifier,
    RetireWhileRestricted,
    IdentifierClaimed,
    LastAdmin,
    PasswordTooGuessable,
    ExternalImage,
    WrongSecondFactorCode,
    SecondFactorNotStarted,
    SecondFactorRequired,
    SecondFactorNotEnabled,
    SecondFactorSessionNeeded,
    SecondFactorAdminReset,
    /// Too many failed attempts; try again in this many seconds.
    Throttled(i64),
    /// Too many sign-ins at this moment; try again in this many seconds.
    Busy(i64),
    /// More than this many entries (apps in a report, rows in a file).
    TooMany(usize),
    /// This many more problems than a page lists (see `error::PAGE_PROBLEMS`).
    MoreProblems(usize),
    /// A form's result too large to keep for the page it returns to (see `flash`).
    ResultTooLarge,
    DeviceRetired,
    /// A report for a device another person's MDM record or an admin vouches for.
    RegisteredToOther,
    /// A report for an MDM id the portal does not know, without an owner to register it to.
    UnknownMdmId,
    /// An MDM id that an MDM or an admin assigned to someone else.
    MdmIdOfOther,
}

impl Problem {
    pub fn message(&self, locale: Locale) -> String {
        use Problem::*;
        let de = locale == Locale::De;
        match self.clone() {
            Required => {
                if de {
                    "Pflichtfeld.".into()
                } else {
                    "Required.".into()
                }
            }
            TooLong(n) => {
                if de {
                    format!("Höchstens {n} Zeichen.")
                } else {
                    format!("At most {n} characters.")
                }
            }
            TooShort(n) => {
                if de {
                    format!("Mindestens {n} Zeichen.")
                } else {
                    format!("At least {n} characters.")
                }
            }
            InvalidEmail => {
                if de {
                    "Keine gültige E-Mail-Adresse.".into()
                } else {
                    "Not a valid email address.".into()
                }
            }
            InvalidCode => {
                if de {
                    "Kürzel: nur Buchstaben, Ziffern, Punkt, Binde- und Unterstrich.".into()
                } else {
                    "Code: letters, digits, dot, dash and underscore only.".into()
                }
            }
            InvalidPersonnelNo => {
                if de {
                    "Personalnummer: nur Buchstaben, Ziffern und Bindestrich.".into()
                } else {
                    "Personnel number: letters, digits and dash only.".into()
                }
            }
            UnknownKind => {
                if de {
                    "Unbekannte Art (city, dezernat, fachbereich, amt, betrieb).".into()
                } else {
                    "Unknown kind (city, dezernat, fachbereich, amt, betrieb).".into()
                }
            }
            UnknownRole => {
                if de {
                    "Unbekannte Rolle (employee, head, publisher, admin, auditor).".into()
                } else {
                    "Unknown role (employee, head, publisher, admin, auditor).".into()
                }
            }
            UnknownLocale => {
                if de {
                    "Unbekannte Sprache (de oder en).".into()
                } else {
                    "Unknown language (de or en).".into()
                }
            }
            UnknownUnit => {
                if de {
                    "Diese Organisationseinheit gibt es nicht.".into()
                } else {
                    "This org unit does not exist.".into()
                }
            }
            DuplicateEmail => {
                if de {
                    "Diese E-Mail-Adresse ist schon vergeben.".into()
                } else {
                    "This email address is already taken.".into()
                }
            }
            DuplicatePersonnelNo => {
                if de {
                    "Diese Personalnummer ist schon vergeben.".into()
                } else {
                    "This personnel number is already taken.".into()
                }
            }
            DuplicateCode => {
                if de {
                    "Dieses Kürzel ist schon vergeben.".into()
                } else {
                    "This code is already taken.".into()
                }
            }
            UnknownDevice => {
                if de {
                    "Kein aktives Gerät hat diese MDM-ID.".into()
                } else {
                    "No active device has this MDM id.".into()
                }
            }
            UnknownScope => {
                if de {
                    "Unbekannte Berechtigung (erlaubt: inventory:write, devices:write, access:read).".into()
                } else {
                    "Unknown scope (allowed: inventory:write, devices:write, access:read).".into()
                }
            }
            UnknownOwner => {
                if de {
                    "Keine aktive Person hat diese E-Mail-Adresse oder Personalnummer.".into()
                } else {
                    "No active person has this e-mail address or personnel number.".into()
                }
            }
            DuplicateInFile => {
                if de {
                    "Kommt in der Datei mehrfach vor.".into()
                } else {
                    "Appears more than once in the file.".into()
                }
            }
            CycleInTree => {
                if de {
                    "Eine Einheit kann nicht unter sich selbst oder eine ihrer Untereinheiten verschoben werden.".into()
                } else {
                    "A unit cannot be moved under itself or one of its subunits.".into()
                }
            }
            RootMustBeCity => {
                if de {
                    "Nur die Stadt selbst hat keine übergeordnete Einheit.".into()
                } else {
                    "Only the city itself has no parent unit.".into()
                }
            }
            CityMustBeRoot => {
                if de {
                    "Die Stadt ist die Wurzel und hat keine übergeordnete Einheit.".into()
                } else {
                    "The city is the root and has no parent unit.".into()
                }
            }
            SingleRoot => {
                if de {
                    "Es gibt schon eine Stadt als Wurzel des Baums.".into()
                } else {
                    "The tree already has a city as its root.".into()
                }
            }
            ScopeRequired => {
                if de {
                    "Diese Rolle braucht einen Bereich (Organisationseinheit).".into()
                } else {
                    "This role needs a scope (org unit).".into()
                }
            }
            ScopeNotAllowed => {
                if de {
                    "Diese Rolle gilt stadtweit und hat keinen Bereich.".into()
                } else {
                    "This role is city-wide and has no scope.".into()
                }
            }
            PasswordMismatch => {
                if de {
                    "Die Passwörter stimmen nicht überein.".into()
                } else {
                    "The passwords do not match.".into()
                }
            }
            WrongSecondFactorCode => {
                if de {
                    "Der Code ist falsch, abgelaufen oder wurde schon verwendet. Geben Sie den aktuellen Code aus Ihrer App ein.".into()
                } else {
                    "The code is wrong, has expired or was used already. Enter the current code from your app.".into()
                }
            }
            SecondFactorNotStarted => {
                if de {
                    "Die Einrichtung ist abgelaufen. Bitte beginnen Sie sie erneut.".into()
                } else {
                    "The setup has expired. Please start it again.".into()
                }
            }
            SecondFactorRequired => {
                if de {
                    "Für die Administration ist ein zweiter Faktor vorgeschrieben; er kann neu eingerichtet, aber nicht ausgeschaltet werden.".into()
                } else {
                    "Administrators must keep a second factor; it can be set up again but not turned off.".into()
                }
            }
            SecondFactorSessionNeeded => {
                if de {
                    "Um den zweiten Faktor neu einzurichten, melden Sie sich bitte mit ihm an (Code oder Wiederherstellungscode).".into()
                } else {
                    "To set up the second factor again, please sign in with it (code or recovery code).".into()
                }
            }
            SecondFactorAdminReset => {
                if de {
                    "Den zweiten Faktor einer Person mit Administrationsrechten setzt nur der Betrieb auf dem Server zurück (server reset-second-factor).".into()
                } else {
                    "The second factor of an administrator is reset only by operations on the server (server reset-second-factor).".into()
                }
            }
            SecondFactorNotEnabled => {
                if de {
                    "Für dieses Konto ist kein zweiter Faktor eingerichtet.".into()
                } else {
                    "This account has no second factor.".into()
                }
            }
            WrongPassword => {
                if de {
                    "Das aktuelle Passwort ist falsch.".into()
                } else {
                    "The current password is wrong.".into()
                }
            }
            BadCsvHeader => {
                if de {
                    "Unbekannte Kopfzeile. Erwartet: code,name,kind,parent_code oder email,display_name,personnel_no,unit_code,locale,roles.".into()
                } else {
                    "Unknown header. Expected code,name,kind,parent_code or email,display_name,personnel_no,unit_code,locale,roles.".into()
                }
            }
            MalformedRow => {
                if de {
                    "Zeile ist kein gültiges CSV oder hat die falsche Spaltenzahl.".into()
                } else {
                    "Row is not valid CSV or has the wrong number of columns.".into()
                }
            }
            FileTooLarge(mb) => {
                if de {
                    format!("Die Datei ist größer als {mb} MB.")
                } else {
                    format!("The file is larger than {mb} MB.")
                }
            }
            InvalidImei => {
                if de {
                    "Keine gültige IMEI (15 Ziffern mit Prüfziffer).".into()
                } else {
                    "Not a valid IMEI (15 digits with check digit).".into()
                }
            }
            InvalidIdentifier => {
                if de {
                    "Nur Buchstaben, Ziffern und . _ : - erlaubt.".into()
                } else {
                    "Only letters, digits and . _ : - are allowed.".into()
                }
            }
            UnknownPlatform(value) => {
                let value: String = value.chars().take(40).collect();
                if de {
                    format!("Unbekannte Plattform „{value}“; erlaubt sind android, ios, windows, macos, linux, other.")
                } else {
                    format!("Unknown platform {value:?}; expected one of android, ios, windows, macos, linux, other.")
                }
            }
            DuplicateDeviceId => {
                if de {
                    "Diese Kennung ist schon bei einem anderen Gerät eingetragen.".into()
                } else {
                    "This identifier is already registered for another device.".into()
                }
            }
            RawHtml => {
                if de {
                    "HTML ist im Text nicht erlaubt – bitte nur Markdown verwenden.".into()
                } else {
                    "HTML is not allowed in the text – please use Markdown only.".into()
                }
            }
            UnsafeLink => {
                if de {
                    "Nur Links mit https://, http://, mailto: oder relativen Pfaden sind erlaubt."
                        .into()
                } else {
                    "Only https://, http://, mailto: or relative links are allowed.".into()
                }
            }
            InvalidNumber => {
                if de {
                    "Nummer wie „RS 2026/17“ (Buchstaben, Ziffern, Leerzeichen, / . -).".into()
                } else {
                    "Number like \"RS 2026/17\" (letters, digits, space, / . -).".into()
                }
            }
            DuplicateNumber => {
                if de {
                    "Diese Rundschreiben-Nummer ist schon vergeben.".into()
                } else {
                    "This circular number is already taken.".into()
                }
            }
            DateInPast => {
                if de {
                    "Das Datum liegt in der Vergangenheit.".into()
                } else {
                    "The date is in the past.".into()
                }
            }
            InvalidDate => {
                if de {
                    "Bitte ein Datum (TT.MM.JJJJ) angeben.".into()
                } else {
                    "Please give a date.".into()
                }
            }
            DeadlineBeforePublication => {
                if de {
                    "Die Frist liegt vor dem Veröffentlichungstag.".into()
                } else {
                    "The deadline is before the publication day.".into()
                }
            }
            AudienceEmpty => {
                if de {
                    "Bitte mindestens eine Organisationseinheit oder „ganze Stadt“ wählen.".into()
                } else {
                    "Please choose at least one org unit or \"whole city\".".into()
                }
            }
            OutsideScope => {
                if de {
                    "Dieser Empfängerkreis liegt außerhalb Ihres Bereichs.".into()
                } else {
                    "This audience is outside your scope.".into()
                }
            }
            InvalidApp(line) => {
                if de {
                    format!("Zeile {line}: erwartet „Plattform; App-Kennung; Name“ mit Plattform android, ios, windows oder macos und gültiger Kennung (z. B. com.whatsapp).")
                } else {
                    format!("Line {line}: expected \"platform; app id; name\" with platform android, ios, windows or macos and a valid id (e.g. com.whatsapp).")
                }
            }
            OwnApproval => {
                if de {
                    "Sie können Ihre eigene Fassung nicht freigeben (Vier-Augen-Prinzip).".into()
                } else {
                    "You cannot approve your own version (four-eyes principle).".into()
                }
            }
            WrongStatus => {
                if de {
                    "Das ist im aktuellen Status der Fassung nicht möglich.".into()
                } else {
                    "Not possible in the version's current status.".into()
                }
            }
            ContentChanged => {
                if de {
                    "Der Text wurde inzwischen geändert. Bitte lesen Sie die aktuelle Fassung."
                        .into()
                } else {
                    "The text has changed meanwhile. Please read the current version.".into()
                }
            }
            NotInAudience => {
                if de {
                    "Dieses Rundschreiben richtet sich nicht an Sie.".into()
                } else {
                    "This circular is not addressed to you.".into()
                }
            }
            NotYourDevice => {
                if de {
                    "Dieses Gerät gehört nicht Ihnen.".into()
                } else {
                    "This device is not yours.".into()
                }
            }
            DeviceUnattested => {
                if de {
                    "Bitte geben Sie für jedes Ihrer Geräte eine Erklärung ab.".into()
                } else {
                    "Please make a statement for each of your devices.".into()
                }
            }
            ReadNotConfirmed => {
                if de {
                    "Bitte bestätigen Sie, dass Sie den Text gelesen haben.".into()
                } else {
                    "Please confirm that you have read the text.".into()
                }
            }
            NotPdf => {
                if de {
                    "Nur PDF-Dateien sind als Anlage erlaubt.".into()
                } else {
                    "Only PDF files are allowed as attachments.".into()
                }
            }
            InvalidRetention => {
                if de {
                    "Aufbewahrung: ganze Jahre von 1 bis 30.".into()
                } else {
                    "Retention: whole years from 1 to 30.".into()
                }
            }
            EmptyFile => {
                if de {
                    "Die Datei enthält keine Datenzeilen.".into()
                } else {
                    "The file has no data rows.".into()
                }
            }
            CannotDeactivateSelf => {
                if de {
                    "Sie können Ihr eigenes Konto nicht deaktivieren.".into()
                } else {
                    "You cannot deactivate your own account.".into()
                }
            }
            EditedByApprover => {
                if de {
                    "Sie haben diese Fassung geändert und können sie deshalb nicht freigeben (Vier-Augen-Prinzip). Die Freigabe muss eine Person erteilen, die sie nicht bearbeitet hat.".into()
                } else {
                    "You changed this version, so you cannot approve it (four-eyes principle). It must be approved by someone who did not edit it.".into()
                }
            }
            ManagedIdentifier => {
                if de {
                    "Dieses Gerät wird von der Geräteverwaltung (MDM) geführt; Kennungen und Plattform ändert nur die Administration.".into()
                } else {
                    "This device is managed by the MDM; only administrators change its identifiers and platform.".into()
                }
            }
            RetireWhileRestricted => {
                if de {
                    "Ein verwarntes oder gesperrtes Gerät kann nicht außer Betrieb gemeldet werden. Entfernen Sie die verbotenen Apps oder wenden Sie sich an die Administration.".into()
                } else {
                    "A warned or blocked device cannot be retired. Remove the prohibited apps or contact the administrators.".into()
                }
            }
            IdentifierClaimed => {
                if de {
                    "Diese Kennung ist bereits einer anderen Person zugeordnet. Bitte wenden Sie sich an die Administration.".into()
                } else {
                    "This identifier already belongs to another person. Please contact the administrators.".into()
                }
            }
            LastAdmin => {
                if de {
                    "Das ist das letzte aktive Administrationskonto; ohne es könnte niemand mehr administrieren.".into()
                } else {
                    "This is the last active administrator account; without it nobody could administer the portal.".into()
                }
            }
            PasswordTooGuessable => {
                if de {
                    "Dieses Passwort ist zu leicht zu erraten (z. B. ein bekanntes oder häufiges Passwort). Wählen Sie eine längere Wortfolge.".into()
                } else {
                    "This password is too easy to guess (e.g. a known or common password). Choose a longer phrase.".into()
                }
            }
            ExternalImage => {
                if de {
                    "Bilder dürfen nur Anlagen dieses Portals sein (Adresse /attachments/…), nicht von anderen Servern.".into()
                } else {
                    "Images may only be attachments of this portal (address /attachments/…), not from other servers.".into()
                }
            }
            UnitHasActiveMembers => {
                if de {
                    "Die Einheit hat noch aktive Beschäftigte oder Untereinheiten.".into()
                } else {
                    "The unit still has active employees or subunits.".into()
                }
            }
            Throttled(seconds) => locale
                .texts()
                .login_throttled
                .replace("{s}", &seconds.to_string()),
            Busy(seconds) => locale
                .texts()
                .login_busy
                .replace("{s}", &seconds.to_string()),
            TooMany(n) => {
                if de {
                    format!("Höchstens {n} Einträge.")
                } else {
                    format!("At most {n} entries are accepted.")
                }
            }
            ResultTooLarge => {
                if de {
                    "Das Ergebnis ist zu groß, um es hier anzuzeigen; bitte grenzen Sie die Auswahl ein.".into()
                } else {
                    "The result is too large to show here; please narrow the selection.".into()
                }
            }
            MoreProblems(n) => {
                if de {
                    format!("… und {n} weitere Probleme.")
                } else {
                    format!("… and {n} more problems.")
                }
            }
            DeviceRetired => {
                if de {
                    "Dieses Gerät ist ausgemustert; reaktivieren oder registrieren Sie es im Portal neu.".into()
                } else {
                    "This device is retired; reactivate or re-register it in the portal.".into()
                }
            }
            RegisteredToOther => {
                if de {
                    "Dieses Gerät ist für eine andere Person registriert; verschieben kann es nur die Administration (POST /api/v1/devices/import).".into()
                } else {
                    "This device is registered to another person; an administrator must move it (POST /api/v1/devices/import).".into()
                }
            }
            UnknownMdmId => {
                if de {
                    "Unbekannte mdm_id; registrieren Sie das Gerät zuerst (POST /api/v1/devices/import) oder senden Sie `owner` (E-Mail-Adresse oder Personalnummer), um es mit dieser Meldung zu registrieren.".into()
                } else {
                    "Unknown mdm_id; register the device first (POST /api/v1/devices/import) or send `owner` (e-mail or personnel number) to register it with this report.".into()
                }
            }
            MdmIdOfOther => {
                if de {
                    "Diese mdm_id gehörte einer anderen Person; zuordnen kann sie nur die Administration (POST /api/v1/devices/import).".into()
                } else {
                    "This mdm_id belonged to another person; an administrator must assign it (POST /api/v1/devices/import).".into()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_first_supported_language() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,de;q=0.8"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR, de-AT;q=0.7"),
            Some(Locale::De)
        );
        assert_eq!(Locale::from_accept_language("fr, it"), None);
        assert_eq!(Locale::from_accept_language(""), None);
    }
}
