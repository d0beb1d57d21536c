//! oauth2_app_only flow tests.
