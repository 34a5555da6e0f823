//! How the lead's value types ([`crate::domain::lead_values`]) are stored: as text, on both backends.
//! Reading back trusts what was parsed on the way in, except for the enums, where an unknown word in the
//! table is an error naming it rather than a silently different value.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{Interest, LeadEmail, LeadMessage, LeadName, LeadPhone, LeadStatus};

macro_rules! text_column {
    ($ty:ty, $as_str:expr, $from_stored:expr) => {
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                let text: &'b str = $as_str(self);
                <str as ToSql<Text, DB>>::to_sql(text, out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                $from_stored(text)
            }
        }
    };
}

fn trusted<T>(wrap: fn(String) -> T) -> impl Fn(String) -> deserialize::Result<T> {
    move |text| Ok(wrap(text))
}

fn known<T>(
    what: &'static str,
    parse: fn(&str) -> Option<T>,
) -> impl Fn(String) -> deserialize::Result<T> {
    move |text| {
        parse(&text).ok_or_else(|| format!("unknown {what} {text:?} in the leads table").into())
    }
}

text_column!(LeadName, LeadName::as_str, trusted(LeadName::from_stored));
text_column!(
    LeadEmail,
    LeadEmail::as_str,
    trusted(LeadEmail::from_stored)
);
text_column!(
    LeadPhone,
    LeadPhone::as_str,
    trusted(LeadPhone::from_stored)
);
text_column!(
    LeadMessage,
    LeadMessage::as_str,
    trusted(LeadMessage::from_stored)
);
text_column!(
    Interest,
    |i: &Interest| i.as_str(),
    known("interest", Interest::parse)
);
text_column!(
    LeadStatus,
    |s: &LeadStatus| s.as_str(),
    known("status", LeadStatus::parse)
);
