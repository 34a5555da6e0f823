//! Staff sessions: a random token in an encrypted, signed cookie (AES-GCM via actix's private jar, key shared
//! by every task through config or the database); the database keeps only its SHA-256, the CSRF token and
//! the timestamps, so logout and disabling a user take effect on every task at once.

use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::{HttpRequest, HttpResponse};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::AdminSettings;
use crate::db::{DbPool, app_secrets};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "rr_staff";
pub const FLASH_COOKIE: &str = "rr_flash";
/// Remembers, encrypted, the account this browser last signed in to (see `login::throttled`).
pub const DEVICE_COOKIE: &str = "rr_device";
const KEY_SECRET_NAME: &str = "session_key";

/// The cookie key: from `admin.session_key`, else generated once and stored in the database.
pub async fn load_key(settings: &AdminSettings, db: &DbPool) -> anyhow::Result<Key> {
    let encoded = if settings.session_key.is_empty() {
        app_secrets::secret_or_insert(db, KEY_SECRET_NAME, || {
            STANDARD.encode(random_bytes::<64>())
        })
        .await?
    } else {
        settings.session_key.expose().to_owned()
    };
    let bytes = STANDARD
        .decode(encoded.trim())
        .context("admin.session_key must be base64 (e.g. `openssl rand -base64 64`)")?;
    Key::try_from(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("admin.session_key must decode to at least 64 bytes"))
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the database stores for a token: never the token itself.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Reads and decrypts a private cookie; `None` if absent or tampered with.
pub fn read_private(req: &HttpRequest, key: &Key, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.private(key).get(name).map(|c| c.value().to_owned())
}

/// An encrypted cookie scoped to `/admin`, HttpOnly, SameSite=Strict, and Secure when `req` came over HTTPS.
pub fn private_cookie(
    state: &AppState,
    req: &HttpRequest,
    name: &'static str,
    value: String,
) -> Cookie<'static> {
    let secure = crate::forwarded::is_https(req, &state.settings.server.trusted_proxies);
    let mut jar = CookieJar::new();
    jar.private_mut(&state.session_key).add(
        Cookie::build(name, value)
            .path("/admin")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .finish(),
    );
    jar.get(name).cloned().expect("just added")
}

/// 303 to `location` with a one-shot message shown on the next page (the admin frame reads and clears it).
pub fn redirect_with_flash(
    state: &AppState,
    req: &HttpRequest,
    location: &str,
    message: &str,
) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .cookie(private_cookie(state, req, FLASH_COOKIE, message.to_owned()))
        .finish()
}

pub fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "")
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    cookie.make_removal();
    cookie
}
