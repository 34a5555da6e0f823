//! The HTML document around every page: head, assets by hashed URL, link-preview tags, skip link. A
//! builder, so a page states only what differs (`Page::new("Title").description(..).script(..).render(content)`).

use maud::{DOCTYPE, Markup, html};

use super::site::{site_footer, site_header};
use crate::assets;

pub struct Page<'a> {
    title: &'a str,
    description: &'a str,
    scripts: Vec<&'static str>,
    body_class: &'a str,
    /// `(origin, path)` of a page worth sharing: canonical link, OpenGraph and Twitter tags.
    shared_as: Option<(&'a str, &'a str)>,
    head_extra: Option<Markup>,
}

/// The picture link previews show (social platforms take JPEG, not AVIF or SVG).
const PREVIEW_IMAGE: &str = "img/espresso-600.jpg";
const PREVIEW_IMAGE_ALT: &str = "An espresso with a thick crema in a red cup on a wooden table";

impl<'a> Page<'a> {
    pub fn new(title: &'a str) -> Self {
        Self {
            title,
            description: "Ritual Roast: small-batch specialty coffee, roasted weekly and delivered fresh.",
            scripts: Vec::new(),
            body_class: "",
            shared_as: None,
            head_extra: None,
        }
    }

    /// Marks a page worth sharing, at `path` under the site's `origin`: link previews (WhatsApp, Slack,
    /// social networks) then show its title, description and picture.
    pub fn shared_as(mut self, origin: &'a str, path: &'a str) -> Self {
        self.shared_as = Some((origin, path));
        self
    }

    /// Extra markup for `<head>` (structured data).
    pub fn head(mut self, extra: Markup) -> Self {
        self.head_extra = Some(extra);
        self
    }

    pub fn description(mut self, description: &'a str) -> Self {
        self.description = description;
        self
    }

    /// Adds a deferred script by its logical asset name (e.g. `js/lead-form.js`).
    pub fn script(mut self, logical: &'static str) -> Self {
        self.scripts.push(logical);
        self
    }

    pub fn body_class(mut self, class: &'a str) -> Self {
        self.body_class = class;
        self
    }

    /// A visitor-facing page: `content` (its `main`) between the site's header and footer.
    pub fn render_for_visitors(self, content: Markup) -> Markup {
        self.render(html! { (site_header()) (content) (site_footer()) })
    }

    pub fn render(self, content: Markup) -> Markup {
        let full_title = if self.title == "Ritual Roast" {
            self.title.to_owned()
        } else {
            format!("{} · Ritual Roast", self.title)
        };
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (full_title) }
                    meta name="description" content=(self.description);
                    meta name="theme-color" content="#3b2418";
                    link rel="icon" type="image/svg+xml" href=(assets::url("img/favicon.svg"));
                    link rel="apple-touch-icon" href="/apple-touch-icon.png";
                    @if let Some((origin, path)) = self.shared_as {
                        link rel="canonical" href={ (origin) (path) };
                        meta property="og:type" content="website";
                        meta property="og:site_name" content="Ritual Roast";
                        meta property="og:title" content=(full_title);
                        meta property="og:description" content=(self.description);
                        meta property="og:url" content={ (origin) (path) };
                        meta property="og:image" content={ (origin) (assets::url(PREVIEW_IMAGE)) };
                        meta property="og:image:width" content="600";
                        meta property="og:image:height" content="400";
                        meta property="og:image:alt" content=(PREVIEW_IMAGE_ALT);
                        meta property="og:locale" content="en_GB";
                        meta name="twitter:card" content="summary_large_image";
                    }
                    @if let Some(extra) = self.head_extra { (extra) }
                    link rel="stylesheet" href=(assets::url("css/site.css"));
                    @for script in &self.scripts {
                        script src=(assets::url(script)) defer {}
                    }
                }
                body class=[(!self.body_class.is_empty()).then_some(self.body_class)] {
                    a.skip-link href="#main" { "Skip to content" }
                    (content)
                }
            }
        }
    }
}
