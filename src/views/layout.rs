//! The HTML document around every page: head, assets by hashed URL, skip link. A builder, so a page states
//! only what differs (`Page::new("Title").description(..).script(..).render(content)`).

use maud::{DOCTYPE, Markup, html};

use crate::assets;

pub struct Page<'a> {
    title: &'a str,
    description: &'a str,
    scripts: Vec<&'static str>,
    body_class: &'a str,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str) -> Self {
        Self {
            title,
            description: "Ritual Roast: small-batch specialty coffee, roasted weekly and delivered fresh.",
            scripts: Vec::new(),
            body_class: "",
        }
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
