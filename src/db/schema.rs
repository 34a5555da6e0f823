//! The one hand-written schema, valid for both backends: only types that SQLite and MySQL map alike.
//! Each migration pair in `migrations/sqlite` and `migrations/mysql` must keep this file true.

diesel::table! {
    leads (id) {
        id -> BigInt,
        name -> Text,
        email -> Text,
        phone -> Text,
        interest -> Text,
        message -> Text,
        consent -> Bool,
        consent_at -> Nullable<Timestamp>,
        status -> Text,
        form_token -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        consent_withdrawn_at -> Nullable<Timestamp>,
        owner_id -> Nullable<BigInt>,
        follow_up_on -> Nullable<Date>,
    }
}

diesel::table! {
    staff_users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        role -> Text,
        time_zone -> Text,
        notify -> Text,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        staff_user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        email -> Text,
        client_ip -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lead_events (id) {
        id -> BigInt,
        lead_id -> BigInt,
        actor -> Text,
        action -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lead_notes (id) {
        id -> BigInt,
        lead_id -> BigInt,
        author -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lead_search_backlog (lead_id) {
        lead_id -> BigInt,
    }
}

diesel::table! {
    lead_search_terms (term, lead_id) {
        term -> Text,
        lead_id -> BigInt,
    }
}

diesel::table! {
    news_signups (id) {
        id -> BigInt,
        email -> Text,
        consent_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_outbox (id) {
        id -> BigInt,
        lead_id -> BigInt,
        staff_user_id -> BigInt,
        kind -> Text,
        state -> Text,
        attempts -> Integer,
        due_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (name) {
        name -> Text,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        next_run_at -> Timestamp,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_outcome -> Text,
        last_detail -> Text,
    }
}

diesel::table! {
    erasures (id) {
        id -> BigInt,
        erased_at -> Timestamp,
        erased_by -> Text,
        leads_erased -> Integer,
        signups_erased -> Integer,
    }
}

diesel::joinable!(staff_sessions -> staff_users (staff_user_id));
diesel::allow_tables_to_appear_in_same_query!(
    leads,
    staff_users,
    staff_sessions,
    login_attempts,
    app_secrets,
    lead_events,
    lead_notes,
    lead_search_backlog,
    lead_search_terms,
    news_signups,
    notification_outbox,
    job_runs,
    erasures
);
