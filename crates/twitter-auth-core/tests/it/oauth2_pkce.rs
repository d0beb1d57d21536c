//! oauth2_pkce flow tests.
