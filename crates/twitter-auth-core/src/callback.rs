//! The one callback parser: the query parameters X's redirect carries, read the same way for
//! OAuth 1.0a (`oauth_token`, `oauth_verifier`, `denied`) and OAuth 2.0 (`state`, `code`,
//! `error`).

/// The decoded query parameters of a callback: a full URL (its query), a path with a query, or
/// a bare query with or without `?`. Any fragment is dropped. Total.
pub(crate) fn params(callback: &str) -> Vec<(String, String)> {
    let callback = callback.trim();
    let query = match url::Url::parse(callback) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => {
            let without_fragment = callback.split('#').next().unwrap_or_default();
            let query = if without_fragment.starts_with('/') {
                without_fragment
                    .split_once('?')
                    .map_or("", |(_, query)| query)
            } else {
                without_fragment
                    .strip_prefix('?')
                    .unwrap_or(without_fragment)
            };
            query.to_owned()
        }
    };
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn callback_params_reads_every_shape() {
        for input in [
            "https://app.example/cb?state=s&code=c#frag",
            "http://127.0.0.1:8080/cb?state=s&code=c",
            "/cb?state=s&code=c",
            "?state=s&code=c",
            "state=s&code=c",
            "  state=s&code=c#x",
        ] {
            let p = params(input);
            assert_eq!(first(&p, "state"), Some("s"), "{input}");
            assert_eq!(first(&p, "code"), Some("c"), "{input}");
        }
        assert!(params("https://app.example/cb").is_empty());
        assert!(params("/cb").is_empty());
        assert!(params("").is_empty());
    }
}
