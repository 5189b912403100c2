//! The emails the app sends, made from templates: HTML (escaped by askama)
//! and plain text, with a Message-ID that stays the same on every attempt.

use app::{
    domain::available_until,
    link::LinkBase,
    store::{OpenedEmailFacts, ShareEmailFacts},
};
use askama::Template;
use jiff::{
    Timestamp,
    tz::{Offset, TimeZone},
};
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};

/// The subject of the notification, word for word.
pub const OPENED_SUBJECT: &str = "Your Shared Recording Was Opened";

/// Why an email can never be sent (retrying would not help).
#[derive(Debug, thiserror::Error)]
pub enum Unsendable {
    #[error("the recipient was removed or their link revoked")]
    LinkGone,
    #[error("the {0} holds a line break, which could forge email headers")]
    LineBreak(&'static str),
    #[error("{0:?} is not an email address")]
    BadAddress(String),
    #[error("could not render the email: {0}")]
    Render(#[from] askama::Error),
    #[error("could not build the email: {0}")]
    Build(#[from] lettre::error::Error),
}

/// A rendered email, ready for a transport.
pub struct Outgoing {
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<key@domain>`.
    pub message_id: String,
}

impl Outgoing {
    pub fn message(&self, from: &Mailbox) -> Result<Message, Unsendable> {
        Ok(Message::builder()
            .from(from.clone())
            .to(self.to.clone())
            .subject(&self.subject)
            .message_id(Some(self.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))?)
    }
}

/// Refuses values that would end up in a header with a line break in them.
/// Names and titles are refused at input already; this holds whatever the
/// database contains.
fn one_line<'a>(what: &'static str, value: &'a str) -> Result<&'a str, Unsendable> {
    if value.contains(['\r', '\n']) {
        Err(Unsendable::LineBreak(what))
    } else {
        Ok(value)
    }
}

fn mailbox(what: &'static str, name: &str, email: &str) -> Result<Mailbox, Unsendable> {
    let name = one_line(what, name)?;
    let address = one_line(what, email)?
        .parse()
        .map_err(|_| Unsendable::BadAddress(email.to_string()))?;
    Ok(Mailbox::new(Some(name.to_string()), address))
}

#[derive(Template)]
#[template(path = "mail/share.html")]
struct ShareHtml<'a> {
    facts: &'a ShareEmailFacts,
    link: &'a str,
    /// The poster (through the link, so it works while the link does;
    /// loading it is not an open).
    poster: Option<String>,
    comments: String,
    until: String,
}

#[derive(Template)]
#[template(path = "mail/share.txt")]
struct ShareText<'a> {
    facts: &'a ShareEmailFacts,
    link: &'a str,
    comments: String,
    until: String,
}

/// "{Sender} shared a recording with you: {Title}", with the recipient's own link.
pub fn share_email(
    facts: &ShareEmailFacts,
    links: &LinkBase,
    message_id: String,
) -> Result<Outgoing, Unsendable> {
    let code = facts.link_code.as_ref().ok_or(Unsendable::LinkGone)?;
    let link = links.url(code);
    let comments = match facts.comment_count {
        0 => "No comments".to_string(),
        1 => "1 comment".to_string(),
        n => format!("{n} comments"),
    };
    let until = available_until(facts.expires_at, &facts.time_zone);
    let subject = format!(
        "{} shared a recording with you: {}",
        one_line("sender's name", &facts.sender_name)?,
        one_line("title", &facts.title)?
    );
    Ok(Outgoing {
        to: mailbox(
            "recipient's name",
            &facts.recipient_name,
            &facts.recipient_email,
        )?,
        subject,
        text: ShareText {
            facts,
            link: &link,
            comments: comments.clone(),
            until: until.clone(),
        }
        .render()?,
        html: ShareHtml {
            facts,
            link: &link,
            poster: facts.has_poster.then(|| format!("{link}/poster.jpg")),
            comments,
            until,
        }
        .render()?,
        message_id,
    })
}

#[derive(Template)]
#[template(path = "mail/opened.html")]
struct OpenedHtml<'a> {
    facts: &'a OpenedEmailFacts,
    their_time: String,
    your_time: String,
}

#[derive(Template)]
#[template(path = "mail/opened.txt")]
struct OpenedText<'a> {
    facts: &'a OpenedEmailFacts,
    their_time: String,
    your_time: String,
}

/// "Your Shared Recording Was Opened", to the sender.
pub fn opened_email(facts: &OpenedEmailFacts, message_id: String) -> Result<Outgoing, Unsendable> {
    let their_time = recipient_time(
        facts.opened_at,
        facts.reported_zone.as_deref(),
        facts.reported_offset_min,
    );
    let your_time = zone_time(facts.opened_at, &facts.sender_zone);
    Ok(Outgoing {
        to: mailbox("sender's name", &facts.sender_name, &facts.sender_email)?,
        subject: OPENED_SUBJECT.to_string(),
        text: OpenedText {
            facts,
            their_time: their_time.clone(),
            your_time: your_time.clone(),
        }
        .render()?,
        html: OpenedHtml {
            facts,
            their_time,
            your_time,
        }
        .render()?,
        message_id,
    })
}

/// "Sat, Nov 28, 2026, 4:12 PM EST (America/New_York)": a moment in a zone,
/// the zone always named, so nobody has to guess whose time it is.
pub fn zone_time(at: Timestamp, zone: &str) -> String {
    match TimeZone::get(zone) {
        Ok(tz) => format!(
            "{} ({zone})",
            at.to_zoned_datetime(tz)
                .strftime("%a, %b %-d, %Y, %-I:%M %p %Z")
        ),
        Err(_) => utc_time(at),
    }
}

/// The recipient's local time: in the zone their browser named, else at the
/// UTC offset it reported, else in UTC.
pub fn recipient_time(at: Timestamp, zone: Option<&str>, offset_min: Option<i64>) -> String {
    if let Some(zone) = zone.filter(|z| TimeZone::get(z).is_ok()) {
        return zone_time(at, zone);
    }
    let offset = offset_min
        .filter(|m| m.abs() <= 18 * 60)
        .and_then(|m| Offset::from_seconds((m * 60) as i32).ok());
    match offset {
        Some(offset) => {
            let local = at.to_zoned_datetime(TimeZone::fixed(offset));
            format!(
                "{} (UTC{}; the browser named no time zone)",
                local.strftime("%a, %b %-d, %Y, %-I:%M %p"),
                local.strftime("%:z")
            )
        }
        None => utc_time(at),
    }
}

fn utc_time(at: Timestamp) -> String {
    at.to_zoned_datetime(TimeZone::UTC)
        .strftime("%a, %b %-d, %Y, %-I:%M %p UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn times_name_their_zone() {
        let open = at("2026-11-28T21:12:00Z");
        assert_eq!(
            zone_time(open, "America/New_York"),
            "Sat, Nov 28, 2026, 4:12 PM EST (America/New_York)"
        );
        assert_eq!(
            zone_time(open, "Europe/Berlin"),
            "Sat, Nov 28, 2026, 10:12 PM CET (Europe/Berlin)"
        );
    }

    #[test]
    fn a_recipient_without_a_known_zone_gets_their_offset_or_utc() {
        let open = at("2026-11-28T21:12:00Z");
        assert_eq!(
            recipient_time(open, Some("Mars/Olympus"), Some(-300)),
            "Sat, Nov 28, 2026, 4:12 PM (UTC-05:00; the browser named no time zone)"
        );
        assert_eq!(
            recipient_time(open, None, Some(99_999)),
            "Sat, Nov 28, 2026, 9:12 PM UTC"
        );
        assert_eq!(
            recipient_time(open, Some("Asia/Kolkata"), Some(0)),
            "Sun, Nov 29, 2026, 2:42 AM IST (Asia/Kolkata)"
        );
    }

    fn share_facts() -> ShareEmailFacts {
        ShareEmailFacts {
            recipient_name: "Ada <b>Lovelace</b>".into(),
            recipient_email: "ada@example.com".into(),
            link_code: app::link::LinkCode::parse("AbCdEfGhIjKlMnOp"),
            title: "Q3 <script>alert(1)</script>".into(),
            sender_name: "Demo Rep".into(),
            comment_count: 2,
            expires_at: at("2026-12-29T05:00:00Z"),
            time_zone: "America/New_York".into(),
            has_poster: true,
        }
    }

    #[test]
    fn the_share_email_escapes_what_users_typed_in_its_html() {
        let email = share_email(
            &share_facts(),
            &LinkBase("https://rec.example".into()),
            "<k@localhost>".into(),
        )
        .unwrap();
        assert_eq!(
            email.subject,
            "Demo Rep shared a recording with you: Q3 <script>alert(1)</script>"
        );
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email.html.contains("&#60;script&#62;"), "{}", email.html);
        assert!(!email.html.contains("<b>Lovelace"));
        assert!(
            email
                .html
                .contains("https://rec.example/l/AbCdEfGhIjKlMnOp")
        );
        assert!(
            email
                .text
                .contains("https://rec.example/l/AbCdEfGhIjKlMnOp")
        );
        assert!(email.text.contains("Available until Mon, Dec 28, 2026"));
        assert!(email.text.contains("2 comments"));
        // The poster, through the recipient's link, linking to it.
        assert!(
            email.html.contains(
                r#"<a href="https://rec.example/l/AbCdEfGhIjKlMnOp"><img src="https://rec.example/l/AbCdEfGhIjKlMnOp/poster.jpg""#
            ),
            "{}",
            email.html
        );
        let without = share_email(
            &ShareEmailFacts {
                has_poster: false,
                ..share_facts()
            },
            &LinkBase("https://rec.example".into()),
            "<k@localhost>".into(),
        )
        .unwrap();
        assert!(!without.html.contains("<img"));
    }

    #[test]
    fn line_breaks_never_reach_a_header() {
        let mut facts = share_facts();
        facts.recipient_name = "Eve\r\nBcc: victim@example.com".into();
        let links = LinkBase("https://rec.example".into());
        assert!(matches!(
            share_email(&facts, &links, "<k@x>".into()),
            Err(Unsendable::LineBreak(_))
        ));
        let mut facts = share_facts();
        facts.title = "Title\nBcc: victim@example.com".into();
        assert!(matches!(
            share_email(&facts, &links, "<k@x>".into()),
            Err(Unsendable::LineBreak(_))
        ));
    }

    #[test]
    fn no_email_goes_out_for_a_revoked_link() {
        let mut facts = share_facts();
        facts.link_code = None;
        assert!(matches!(
            share_email(
                &facts,
                &LinkBase("https://rec.example".into()),
                "<k@x>".into()
            ),
            Err(Unsendable::LinkGone)
        ));
    }
}
