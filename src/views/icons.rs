//! Small inline SVG icons (presentation attributes only: the CSP allows no inline styles). Trusted constant
//! markup, so `PreEscaped` is safe here; nothing user-supplied ever reaches these.

use maud::{Markup, PreEscaped};

pub fn logo() -> Markup {
    PreEscaped(r##"<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="23" fill="#b3261e"/><ellipse cx="24" cy="24" rx="10" ry="15" transform="rotate(30 24 24)" fill="#fffaf3"/><path d="M18.5 34.5c7-5 3.5-16 11-21" fill="none" stroke="#b3261e" stroke-width="3" stroke-linecap="round"/></svg>"##.into())
}

pub fn bean() -> Markup {
    PreEscaped(r##"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><ellipse cx="12" cy="12" rx="6.5" ry="9.5" transform="rotate(30 12 12)" fill="none" stroke="currentColor" stroke-width="2"/><path d="M8.6 19.2c4.6-3.3 2.2-10.6 7-13.8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>"##.into())
}

pub fn cup() -> Markup {
    PreEscaped(r##"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 9h13v5a6 6 0 0 1-6 6h-1a6 6 0 0 1-6-6z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M17 11h1.5a2.5 2.5 0 0 1 0 5H17" fill="none" stroke="currentColor" stroke-width="2"/><path d="M8 3c-1 1.5 1 2.5 0 4M12 3c-1 1.5 1 2.5 0 4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>"##.into())
}

pub fn leaf() -> Markup {
    PreEscaped(r##"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M5 19C5 10 11 4 20 4c0 9-6 15-15 15z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M5 19 14 10" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>"##.into())
}

pub fn pin() -> Markup {
    PreEscaped(r##"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="9.5" r="2.5" fill="currentColor"/></svg>"##.into())
}
