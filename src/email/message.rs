//! What a new-lead email says: the name, the interest, the message and a link to the lead on the staff
//! pages, as plain text and as simple HTML (escaped by maud). No tracking pixels, no rewritten links.

use chrono::NaiveDateTime;
use maud::html;

use crate::domain::TimeZone;

/// A lead, as much of it as an email carries.
#[derive(Debug, Clone)]
pub struct LeadSummary {
    pub id: i64,
    pub name: String,
    pub interest: String,
    pub message: String,
    pub received_at: NaiveDateTime,
}

/// Who gets it, and the zone their times are shown in.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub time_zone: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn link(public_url: &str, lead: &LeadSummary) -> String {
    format!("{public_url}/admin/leads/{}", lead.id)
}

fn received(lead: &LeadSummary, zone: TimeZone) -> String {
    let local = zone.to_local(lead.received_at);
    format!(
        "{} {}",
        local.format("%-d %b %Y, %H:%M"),
        zone.abbreviation(lead.received_at)
    )
}

fn text_block(lead: &LeadSummary, zone: TimeZone, public_url: &str) -> String {
    let message = if lead.message.is_empty() {
        "(no message)"
    } else {
        lead.message.as_str()
    };
    format!(
        "{name}\nInterest: {interest}\nReceived: {at}\n\n{message}\n\nOpen the lead: {url}\n",
        name = lead.name,
        interest = lead.interest,
        at = received(lead, zone),
        url = link(public_url, lead),
    )
}

fn html_block(lead: &LeadSummary, zone: TimeZone, public_url: &str) -> maud::Markup {
    html! {
        h2 style="font-size:18px;margin:16px 0 4px" { (lead.name) }
        p style="margin:0;color:#555" { (lead.interest) " · received " (received(lead, zone)) }
        @if lead.message.is_empty() {
            p style="color:#777" { "(no message)" }
        } @else {
            p style="white-space:pre-wrap" { (lead.message) }
        }
        p { a href=(link(public_url, lead)) { "Open the lead" } }
    }
}

fn page(title: &str, body: maud::Markup) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body style="font-family:sans-serif;max-width:40em" { (body) }
        }
    }
    .into_string()
}

const FOOTER: &str =
    "You get this because you asked for new-lead emails on your Ritual Roast account page.";

/// One email about one new lead.
pub fn each(to: &Recipient, lead: &LeadSummary, public_url: &str) -> Email {
    let subject = format!("New lead: {} ({})", lead.name, lead.interest);
    let text = format!(
        "A new lead arrived.\n\n{}\n--\n{FOOTER}\n",
        text_block(lead, to.time_zone, public_url)
    );
    let html = page(
        &subject,
        html! {
            p { "A new lead arrived." }
            (html_block(lead, to.time_zone, public_url))
            hr; p style="color:#777;font-size:12px" { (FOOTER) }
        },
    );
    Email {
        to: to.email.clone(),
        subject,
        text,
        html,
    }
}

/// One digest of several leads, oldest first.
pub fn digest(to: &Recipient, leads: &[LeadSummary], public_url: &str) -> Email {
    let subject = match leads.len() {
        1 => "Your daily digest: 1 new lead".to_owned(),
        n => format!("Your daily digest: {n} new leads"),
    };
    let blocks: Vec<String> = leads
        .iter()
        .map(|lead| text_block(lead, to.time_zone, public_url))
        .collect();
    let text = format!("{subject}.\n\n{}\n--\n{FOOTER}\n", blocks.join("\n---\n\n"));
    let html = page(
        &subject,
        html! {
            p { (subject) "." }
            @for lead in leads { (html_block(lead, to.time_zone, public_url)) hr; }
            p style="color:#777;font-size:12px" { (FOOTER) }
        },
    );
    Email {
        to: to.email.clone(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead() -> LeadSummary {
        LeadSummary {
            id: 42,
            name: "Ana <b>Lima</b>".into(),
            interest: "Coffee subscription".into(),
            message: "Two bags a month".into(),
            received_at: NaiveDateTime::parse_from_str("2026-01-10 09:30", "%Y-%m-%d %H:%M")
                .unwrap(),
        }
    }

    fn to() -> Recipient {
        Recipient {
            email: "barista@example.test".into(),
            name: "Bo".into(),
            time_zone: TimeZone::London,
        }
    }

    #[test]
    fn a_lead_email_carries_name_interest_message_and_a_link_in_text_and_escaped_html() {
        let email = each(&to(), &lead(), "https://roast.example");
        assert_eq!(email.to, "barista@example.test");
        assert!(email.subject.contains("Ana <b>Lima</b>"));
        for part in [&email.text, &email.html] {
            assert!(part.contains("Coffee subscription") && part.contains("Two bags a month"));
            assert!(part.contains("https://roast.example/admin/leads/42"));
        }
        assert!(email.text.contains("Ana <b>Lima</b>"));
        assert!(email.html.contains("Ana &lt;b&gt;Lima&lt;/b&gt;") && !email.html.contains("<b>"));
        assert!(!email.html.contains("<img"), "no tracking pixel");
    }

    #[test]
    fn a_digest_lists_every_lead_it_covers() {
        let mut second = lead();
        second.id = 43;
        let email = digest(&to(), &[lead(), second], "https://roast.example");
        assert!(email.subject.contains("2 new leads"));
        assert!(email.text.contains("/admin/leads/42") && email.text.contains("/admin/leads/43"));
        assert!(email.html.contains("/admin/leads/42") && email.html.contains("/admin/leads/43"));
    }
}
