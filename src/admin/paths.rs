//! Where staff are sent: the sign-in link that brings them back, and which paths a form may ask to return
//! to (only plain paths on this site: never an open redirect, never a `Location` header that breaks).

/// `/admin/login?next=…` for `next` (a path and query on this site).
pub fn sign_in_url(next: &str) -> String {
    format!(
        "/admin/login?next={}",
        percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// A path that names a page of this site as it is: no `//` (another host to a browser), no `\`, nothing
/// outside printable ASCII.
pub fn is_plain_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && !path.contains('\\')
        && path.bytes().all(|b| b.is_ascii_graphic())
}
