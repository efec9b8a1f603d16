//! Reminder mails: the automatic schedule (run hourly by the server, with the clock passed in
//! so tests can move time), a head's "remind everybody open in this unit", and the escalation
//! digest to heads. Everything goes through the outbox with dedupe keys, so running the job
//! on several nodes or twice in a row never sends a reminder twice.
use super::repo::{self, enqueue};
use super::rules::{reminder_due, ReminderPlan};
use super::templates::{self, Mail};
use crate::db::{begin_write, Db};
use crate::i18n::Locale;
use crate::org::UnitPath;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct ReminderSettings {
    pub plan: ReminderPlan,
    /// Heads get one digest per circular when someone is overdue by more than this.
    pub escalate_after_days: i64,
    pub late_joiner_days: i64,
    /// Base of links in mails, e.g. `https://portal.stadt.de`.
    pub base_url: String,
}

/// The reminder to one person, in their language.
fn reminder_mail(
    p: &crate::tracking::repo::OpenRow,
    deadline: chrono::NaiveDate,
    number: &str,
    title: &str,
    link: &str,
) -> templates::Mail {
    let locale = p.locale;
    templates::reminder(
        locale,
        &p.display_name,
        number,
        title,
        &deadline.to_string(),
        link,
    )
}

/// Mails enqueued per write transaction: each holds the writer for a few milliseconds.
const ENQUEUE_CHUNK: usize = 200;

/// Enqueues due reminders and escalation digests for every published circular. Who is due
/// is worked out on the read side; the mails are then written in short chunks, so that a
/// whole-city circular never holds the writer for long. Every mail has a dedupe key: a run
/// that is interrupted, or runs on two nodes, enqueues nothing twice.
///
/// Reminders are due by the day, so each version is gone through once a day (noted in
/// `reminder_run` when its pass is complete); the job's other ticks that day cost a single
/// query. Someone who joins a circular's audience during the day is reminded from the next
/// day's pass on, when a reminder is due for them.
pub async fn schedule(
    db: &Db,
    s: &ReminderSettings,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let today = crate::time::today_berlin(now);
    let root = crate::org::repo::root_path(db)
        .await?
        .unwrap_or_else(UnitPath::above_root);
    let (lo, hi) = root.bounds();
    // Read before the passes: a change during a pass moves the epoch, and the next tick
    // goes through that version again.
    let epoch = repo::reminder_epoch(db).await?;
    let runs = repo::runs_at(db, epoch).await?;
    let latest_join = repo::latest_unit_since(db).await?;
    let versions = repo::published_versions(db).await?;
    let mut enqueued = 0;
    // The heads above a unit, asked once per unit and run.
    let mut heads_of: HashMap<UnitPath, Vec<(i64, String, Locale)>> = HashMap::new();
    for (version, number, title, ack_deadline) in versions {
        // Gone through today already, or nothing can be due: no need to read its people
        // (issue #14: an idle city's hourly pass costs next to nothing). Personal deadlines
        // lie between the version's and the latest joiner's.
        let last_deadline = latest_join.map_or(ack_deadline, |joined| {
            ack_deadline.max(joined + chrono::Duration::days(s.late_joiner_days))
        });
        if super::rules::nothing_due(
            &s.plan,
            s.escalate_after_days,
            (ack_deadline, last_deadline),
            today,
            runs.get(&version).copied(),
        ) {
            continue;
        }
        let open = crate::tracking::repo::open_people(db, version, &lo, &hi).await?;
        let link = format!("{}/read/{version}", s.base_url);
        // head id -> (email, locale, overdue names)
        let mut digests: BTreeMap<i64, (String, Locale, Vec<String>)> = BTreeMap::new();
        // Mails are built and written a chunk at a time, so that a whole-city circular never
        // holds a city's worth of mail bodies in memory.
        for people in open.chunks(ENQUEUE_CHUNK) {
            let mut outgoing: Vec<(String, String, Mail)> = vec![];
            for p in people {
                let deadline = p.basis.deadline(s.late_joiner_days);
                if let Some(kind) = reminder_due(&s.plan, deadline, today) {
                    let mail = reminder_mail(p, deadline, &number, &title, &link);
                    let key = format!("reminder:{version}:{}:{kind}", p.id);
                    outgoing.push((key, p.email.clone(), mail));
                }
                if (today - deadline).num_days() > s.escalate_after_days {
                    if !heads_of.contains_key(&p.unit_path) {
                        let heads = repo::heads_above(db, &p.unit_path).await?;
                        heads_of.insert(p.unit_path.clone(), heads);
                    }
                    // A head who is overdue is not told about themselves.
                    for (head, email, locale) in
                        heads_of[&p.unit_path].iter().filter(|h| h.0 != p.id)
                    {
                        digests
                            .entry(*head)
                            .or_insert_with(|| (email.clone(), *locale, vec![]))
                            .2
                            .push(p.display_name.clone());
                    }
                }
            }
            enqueued += enqueue_all(db, &outgoing, now).await?;
        }
        let escalations: Vec<(String, String, Mail)> = digests
            .into_iter()
            .map(|(head, (email, locale, names))| {
                let mail = templates::escalation(
                    locale,
                    &number,
                    &title,
                    &names,
                    &format!("{}/dashboard?version={version}", s.base_url),
                );
                (format!("escalation:{version}:{head}"), email, mail)
            })
            .collect();
        for chunk in escalations.chunks(ENQUEUE_CHUNK) {
            enqueued += enqueue_all(db, chunk, now).await?;
        }
        repo::mark_run(db, version, today, epoch).await?;
    }
    Ok(enqueued)
}

/// Enqueues the mails in one short write transaction; returns how many were new.
async fn enqueue_all(
    db: &Db,
    mails: &[(String, String, Mail)],
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    if mails.is_empty() {
        return Ok(0);
    }
    let mut tx = begin_write(db).await?;
    let mut enqueued = 0;
    for (key, to, mail) in mails {
        enqueued += usize::from(enqueue(&mut tx, key, to, mail, now).await?);
    }
    tx.commit().await?;
    Ok(enqueued)
}

/// A head reminds everybody open in a unit's subtree; at most once a day per person.
pub async fn remind_subtree(
    db: &Db,
    s: &ReminderSettings,
    version: i64,
    unit_path: &UnitPath,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let (lo, hi) = unit_path.bounds();
    let (number, title) = repo::number_and_title(db, version).await?;
    let open = crate::tracking::repo::open_people(db, version, &lo, &hi).await?;
    let today = crate::time::today_berlin(now);
    let link = format!("{}/read/{version}", s.base_url);
    let mut tx = begin_write(db).await?;
    let mut enqueued = 0;
    for p in &open {
        let deadline = p.basis.deadline(s.late_joiner_days);
        let mail = reminder_mail(p, deadline, &number, &title, &link);
        enqueued += usize::from(
            enqueue(
                &mut tx,
                &format!("manual:{version}:{}:{today}", p.id),
                &p.email,
                &mail,
                now,
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(enqueued)
}
